-- A file's `cdr/file.received` event was sent after the commit that made the file RECEIVED:
-- a process that died in between (or an engine that refused the send) left the file RECEIVED
-- with no run to ingest it, and nothing sent the event again. The file row is now its own
-- outbox: the event id it is to be ingested under, and when that event was sent. A sweep
-- sends again what is unsent; the engine starts one run per event id, so a send that did
-- happen before the crash is not run twice.
ALTER TABLE "cdr_files" ADD COLUMN "ingest_event_id" TEXT;
ALTER TABLE "cdr_files" ADD COLUMN "ingest_event_sent_at" TIMESTAMPTZ(3);

-- Files already waiting were sent their event the old way.
UPDATE "cdr_files" SET "ingest_event_id" = 'cdr-file-' || "id", "ingest_event_sent_at" = "received_at" WHERE "status" IN ('RECEIVED', 'PROCESSING', 'DONE', 'FAILED');

CREATE INDEX "cdr_files_unsent_ingest_event" ON "cdr_files"("received_at") WHERE "status" = 'RECEIVED' AND "ingest_event_sent_at" IS NULL;
