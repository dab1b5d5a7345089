-- When the current attempt of a re-rate started. The embedded runner gives each attempt its
-- own time limit, so a retry may still be billing after the first attempt's start plus the
-- limit: the page judges a RUNNING request cancelled from this, not from started_at (kept as
-- the first attempt's start, which the page shows).
ALTER TABLE "rerate_requests" ADD COLUMN "attempt_started_at" TIMESTAMPTZ(3);
UPDATE "rerate_requests" SET "attempt_started_at" = "started_at";
