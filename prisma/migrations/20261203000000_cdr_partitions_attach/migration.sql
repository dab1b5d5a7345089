-- A new month of cdrs is created as a plain table and then attached. `CREATE TABLE … PARTITION
-- OF` locks the whole of cdrs (ACCESS EXCLUSIVE) until its transaction ends: it waits for any
-- open reader (a CSV export's cursor) and every other search and write of every tenant queues
-- behind it, and when an ingest batch creates a month the lock lasts the batch. ATTACH
-- PARTITION takes only SHARE UPDATE EXCLUSIVE on cdrs, which readers and writers do not
-- conflict with; it creates the partition's indexes and foreign keys from the parent's, and
-- its check of the rows is instant on an empty table. Two sessions creating one month no
-- longer queue on that lock: the second fails on the catalog's unique index (or finds the
-- table) once the first commits, and skips the month.
CREATE OR REPLACE FUNCTION "ensure_cdr_partitions"(from_month DATE, through_month DATE) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    month DATE := date_trunc('month', from_month)::DATE;
    created INTEGER := 0;
    partition_name TEXT;
BEGIN
    WHILE month <= through_month LOOP
        partition_name := format('cdrs_%s', to_char(month, 'YYYY_MM'));
        IF to_regclass(partition_name) IS NULL THEN
            BEGIN
                EXECUTE format('CREATE TABLE %I (LIKE "cdrs" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)', partition_name);
                EXECUTE format(
                    'ALTER TABLE "cdrs" ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                    partition_name, month::TIMESTAMP AT TIME ZONE 'UTC', (month + INTERVAL '1 month')::TIMESTAMP AT TIME ZONE 'UTC');
                created := created + 1;
            EXCEPTION WHEN duplicate_table OR unique_violation THEN
                NULL; -- another session created it meanwhile
            END;
        END IF;
        month := (month + INTERVAL '1 month')::DATE;
    END LOOP;
    RETURN created;
END;
$$;
