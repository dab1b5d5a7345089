-- The files being ingested or waiting to be: the 5-minute sweep (failStalledIngests) looks for
-- the ones whose ingest died, and for a tenant's live ingest, among these few rows instead of
-- every file every tenant has received.
CREATE INDEX "cdr_files_in_flight" ON "cdr_files"("tenant_id", "status", "started_at") WHERE "status" IN ('RECEIVED', 'PROCESSING');
