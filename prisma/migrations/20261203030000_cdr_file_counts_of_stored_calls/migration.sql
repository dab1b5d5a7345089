-- A file's rated, unanswered, unbillable and rejected counts are now what its own batches
-- stored, added in each batch's transaction (as calls_stored already was). Before, the last
-- run wrote what its reader had counted, which two overlapping runs of one file doubled, and
-- which disagreed with the stored calls when a rate or a mapping was added between a crash and
-- the rerun. A line whose call was already stored (by another file, or by an earlier line of
-- the same file) is counted only as already present, so every line is counted once:
--   lines = rated + unanswered + unbillable + rejected + already_present.
ALTER TABLE "cdr_files" DROP CONSTRAINT "cdr_files_counts_check";

-- Finished files that met calls already stored counted them by status as well: count their
-- own stored calls instead (a scan of cdrs, done only when such files exist).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM "cdr_files" WHERE "status" = 'DONE' AND "already_present" > 0) THEN
        UPDATE "cdr_files" f
        SET "rated" = COALESCE(own."rated", 0), "unanswered" = COALESCE(own."unanswered", 0), "unbillable" = COALESCE(own."unbillable", 0)
        FROM "cdr_files" target
        LEFT JOIN (
            SELECT c."file_id",
                   (count(*) FILTER (WHERE c."status" = 'RATED'))::int AS "rated",
                   (count(*) FILTER (WHERE c."status" = 'UNANSWERED'))::int AS "unanswered",
                   (count(*) FILTER (WHERE c."status" = 'UNBILLABLE'))::int AS "unbillable"
            FROM "cdrs" c
            WHERE c."file_id" IN (SELECT "id" FROM "cdr_files" WHERE "status" = 'DONE' AND "already_present" > 0)
            GROUP BY c."file_id"
        ) own ON own."file_id" = target."id"
        WHERE f."id" = target."id" AND target."status" = 'DONE' AND target."already_present" > 0;
    END IF;
END $$;

ALTER TABLE "cdr_files" ADD CONSTRAINT "cdr_files_counts_check"
    CHECK ("status" <> 'DONE' OR "lines" = "rated" + "unanswered" + "unbillable" + "rejected" + "already_present");
