-- The embedded runner starts a function once per event id. It checked with a lookup on
-- (function_id, event_id) that no index served: every event scanned all of job_runs, which
-- keeps every run ever (an ingest sends one balance event per customer per batch), and two
-- runners could both pass the check. A unique index makes the check the insert itself
-- (ON CONFLICT DO NOTHING). Duplicates the race may have left keep their first run.
DELETE FROM "job_runs" AS later
USING "job_runs" AS earlier
WHERE later."function_id" = earlier."function_id" AND later."event_id" = earlier."event_id"
  AND (later."created_at", later."id") > (earlier."created_at", earlier."id");

CREATE UNIQUE INDEX "job_runs_function_id_event_id_key" ON "job_runs"("function_id", "event_id");
