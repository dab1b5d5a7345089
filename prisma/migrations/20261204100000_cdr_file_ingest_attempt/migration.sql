-- The ingest attempt that owns a file (server/cdr/ingest.ts): an attempt claims the file, and
-- writes its status and counts only while it still owns it, so an attempt the engine abandoned
-- (its run cancelled, its JavaScript still running) cannot undo a newer attempt's work.
ALTER TABLE "cdr_files" ADD COLUMN "ingest_attempt_id" UUID;

-- A FAILED file without an attempt is resumed only by an admin's retry (see the claim). Files
-- already FAILED or PROCESSING may have a run that retries them; no abandoned attempt survives
-- the restart that applies this, so each gets an attempt id its run's next attempt can take over.
UPDATE "cdr_files" SET "ingest_attempt_id" = gen_random_uuid() WHERE "status" IN ('PROCESSING', 'FAILED');
