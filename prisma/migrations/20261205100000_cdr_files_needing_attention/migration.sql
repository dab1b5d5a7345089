-- Held and failed files wait for an admin: the overview counts them and the menu shows the
-- count on every admin page. Only those few rows are indexed, so the count reads a handful of
-- index entries however many files a tenant has received.
CREATE INDEX "cdr_files_needing_attention" ON "cdr_files"("tenant_id", "status") WHERE "status" IN ('HELD', 'FAILED');
