-- CDR ingestion: sources with failover SFTP servers, outages, files exactly once, rejects,
-- month-partitioned rated calls, DIDs and account-code mappings.

CREATE TYPE "CdrAfterDownload" AS ENUM ('LEAVE', 'MOVE', 'DELETE');
CREATE TYPE "CdrServerStatus" AS ENUM ('UNKNOWN', 'UP', 'DOWN');
CREATE TYPE "CdrFileStatus" AS ENUM ('RECEIVED', 'PROCESSING', 'DONE', 'FAILED', 'HELD', 'DUPLICATE', 'DISMISSED');
CREATE TYPE "CdrStatus" AS ENUM ('RATED', 'UNANSWERED', 'UNBILLABLE');

CREATE TABLE "cdr_sources" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "time_zone" TEXT NOT NULL,
    "remote_dir" TEXT NOT NULL DEFAULT '.',
    "file_pattern" TEXT NOT NULL DEFAULT '*',
    "after_download" "CdrAfterDownload" NOT NULL DEFAULT 'LEAVE',
    "processed_dir" TEXT,
    "poll_interval_minutes" INTEGER NOT NULL DEFAULT 5,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "alert_emails" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "cost_deck_id" UUID,
    "poll_lease_until" TIMESTAMPTZ(3),
    "last_polled_at" TIMESTAMPTZ(3),
    "last_poll_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "cdr_sources_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "cdr_sources_format_check" CHECK ("format" IN ('asterisk', 'freeswitch', 'csv')),
    CONSTRAINT "cdr_sources_poll_interval_check" CHECK ("poll_interval_minutes" BETWEEN 1 AND 1440)
);
CREATE UNIQUE INDEX "cdr_sources_tenant_id_name_key" ON "cdr_sources"("tenant_id", "name");
CREATE UNIQUE INDEX "cdr_sources_tenant_id_id_key" ON "cdr_sources"("tenant_id", "id");
CREATE INDEX "cdr_sources_cost_deck_id_idx" ON "cdr_sources"("cost_deck_id");
ALTER TABLE "cdr_sources" ADD CONSTRAINT "cdr_sources_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "cdr_sources" ADD CONSTRAINT "cdr_sources_cost_deck_id_fkey" FOREIGN KEY ("cost_deck_id") REFERENCES "rate_decks"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "cdr_sources" ADD CONSTRAINT "cdr_sources_tenant_cost_deck_fkey" FOREIGN KEY ("tenant_id", "cost_deck_id") REFERENCES "rate_decks"("tenant_id", "id");

CREATE TABLE "cdr_source_servers" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "source_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "host" TEXT NOT NULL,
    "port" INTEGER NOT NULL DEFAULT 22,
    "username" TEXT NOT NULL,
    "password_enc" TEXT,
    "private_key_enc" TEXT,
    "status" "CdrServerStatus" NOT NULL DEFAULT 'UNKNOWN',
    "last_error" TEXT,
    "last_checked_at" TIMESTAMPTZ(3),
    -- Removed from the source: the row stays so its outages (SLA evidence) survive.
    "removed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "cdr_source_servers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "cdr_source_servers_port_check" CHECK ("port" BETWEEN 1 AND 65535)
);
-- One live server per position; removed servers keep their last position, out of the way.
CREATE UNIQUE INDEX "cdr_source_servers_live_position" ON "cdr_source_servers"("source_id", "position") WHERE "removed_at" IS NULL;
CREATE INDEX "cdr_source_servers_tenant_id_idx" ON "cdr_source_servers"("tenant_id");
ALTER TABLE "cdr_source_servers" ADD CONSTRAINT "cdr_source_servers_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "cdr_sources"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "cdr_source_servers" ADD CONSTRAINT "cdr_source_servers_tenant_source_fkey" FOREIGN KEY ("tenant_id", "source_id") REFERENCES "cdr_sources"("tenant_id", "id") ON DELETE CASCADE;

CREATE TABLE "cdr_source_outages" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "source_id" UUID NOT NULL,
    "server_id" UUID,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "error" TEXT NOT NULL,
    "last_error" TEXT,
    "failed_checks" INTEGER NOT NULL DEFAULT 1,
    "down_alerted_at" TIMESTAMPTZ(3),
    "recovery_alerted_at" TIMESTAMPTZ(3),
    CONSTRAINT "cdr_source_outages_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "cdr_source_outages_period_check" CHECK ("ended_at" IS NULL OR "ended_at" >= "started_at")
);
CREATE INDEX "cdr_source_outages_tenant_id_source_id_started_at_idx" ON "cdr_source_outages"("tenant_id", "source_id", "started_at");
CREATE INDEX "cdr_source_outages_server_id_idx" ON "cdr_source_outages"("server_id");
-- One open outage per server (and one per source for "every server down", server_id NULL).
CREATE UNIQUE INDEX "cdr_source_outages_one_open" ON "cdr_source_outages"("source_id", "server_id") NULLS NOT DISTINCT WHERE "ended_at" IS NULL;
ALTER TABLE "cdr_source_outages" ADD CONSTRAINT "cdr_source_outages_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "cdr_sources"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "cdr_source_outages" ADD CONSTRAINT "cdr_source_outages_server_id_fkey" FOREIGN KEY ("server_id") REFERENCES "cdr_source_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "cdr_source_outages" ADD CONSTRAINT "cdr_source_outages_tenant_source_fkey" FOREIGN KEY ("tenant_id", "source_id") REFERENCES "cdr_sources"("tenant_id", "id") ON DELETE CASCADE;

CREATE TABLE "cdr_files" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "source_id" UUID NOT NULL,
    "file_name" TEXT NOT NULL,
    "remote_path" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "remote_modified_at" TIMESTAMPTZ(3),
    "sha256" TEXT NOT NULL,
    "status" "CdrFileStatus" NOT NULL,
    "spool_path" TEXT,
    "server_id" UUID,
    "uploaded_by_id" UUID,
    "note" TEXT,
    "duplicate_of_id" UUID,
    "lines" INTEGER NOT NULL DEFAULT 0,
    "rated" INTEGER NOT NULL DEFAULT 0,
    "unanswered" INTEGER NOT NULL DEFAULT 0,
    "unbillable" INTEGER NOT NULL DEFAULT 0,
    "rejected" INTEGER NOT NULL DEFAULT 0,
    "already_present" INTEGER NOT NULL DEFAULT 0,
    "billed_seconds" BIGINT NOT NULL DEFAULT 0,
    "price_total" BIGINT NOT NULL DEFAULT 0,
    "cost_total" BIGINT NOT NULL DEFAULT 0,
    "lines_read" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "cdr_files_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "cdr_files_sha256_check" CHECK ("sha256" ~ '^[0-9a-f]{64}$'),
    -- Every line is accounted for once a file is done.
    CONSTRAINT "cdr_files_counts_check" CHECK ("status" <> 'DONE' OR "lines" = "rated" + "unanswered" + "unbillable" + "rejected")
);
CREATE INDEX "cdr_files_tenant_id_received_at_idx" ON "cdr_files"("tenant_id", "received_at");
CREATE INDEX "cdr_files_source_id_remote_path_idx" ON "cdr_files"("source_id", "remote_path");
CREATE INDEX "cdr_files_source_id_sha256_idx" ON "cdr_files"("source_id", "sha256");
-- Content is billed once per source: one accepted file per hash (held, duplicate and
-- dismissed copies are records of what arrived, not billing).
CREATE UNIQUE INDEX "cdr_files_one_accepted_per_content" ON "cdr_files"("source_id", "sha256") WHERE "status" IN ('RECEIVED', 'PROCESSING', 'DONE', 'FAILED');
ALTER TABLE "cdr_files" ADD CONSTRAINT "cdr_files_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "cdr_files" ADD CONSTRAINT "cdr_files_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "cdr_sources"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "cdr_files" ADD CONSTRAINT "cdr_files_tenant_source_fkey" FOREIGN KEY ("tenant_id", "source_id") REFERENCES "cdr_sources"("tenant_id", "id") ON DELETE CASCADE;

CREATE TABLE "cdr_rejects" (
    "tenant_id" UUID NOT NULL,
    "file_id" UUID NOT NULL,
    "line" INTEGER NOT NULL,
    "raw" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    CONSTRAINT "cdr_rejects_pkey" PRIMARY KEY ("file_id", "line")
);
CREATE INDEX "cdr_rejects_tenant_id_idx" ON "cdr_rejects"("tenant_id");

-- Rated calls, partitioned by month of the call's start. Numbers and keys compare
-- byte-wise (COLLATE "C") so a callee prefix search is an index range scan.
CREATE TABLE "cdrs" (
    "tenant_id" UUID NOT NULL,
    "source_id" UUID NOT NULL,
    "file_id" UUID NOT NULL,
    "line" INTEGER NOT NULL,
    "record_key" TEXT COLLATE "C" NOT NULL,
    "start_at" TIMESTAMPTZ(3) NOT NULL,
    "answer_at" TIMESTAMPTZ(3),
    "end_at" TIMESTAMPTZ(3),
    "duration" INTEGER,
    "billsec" INTEGER NOT NULL,
    "account_code" TEXT,
    "caller" TEXT COLLATE "C" NOT NULL,
    "callee" TEXT COLLATE "C" NOT NULL,
    "customer_id" UUID,
    "trunk_id" UUID,
    "status" "CdrStatus" NOT NULL,
    "unbillable_reason" TEXT,
    "category" "RateCategory",
    "matched_prefix" TEXT,
    "rate_id" BIGINT,
    "billed_seconds" INTEGER,
    "price" BIGINT,
    "cost" BIGINT,
    "disposition" TEXT,
    "rated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "cdrs_pkey" PRIMARY KEY ("tenant_id", "source_id", "record_key", "start_at"),
    CONSTRAINT "cdrs_priced_check" CHECK (("status" = 'RATED') = ("price" IS NOT NULL))
) PARTITION BY RANGE ("start_at");
CREATE INDEX "cdrs_tenant_id_start_at_idx" ON "cdrs"("tenant_id", "start_at");
CREATE INDEX "cdrs_tenant_id_customer_id_start_at_idx" ON "cdrs"("tenant_id", "customer_id", "start_at");
-- Callee prefix searches and their totals read only this index (covering): a month of a
-- busy prefix is ~170k rows, an index-only scan instead of a pass over the partition.
CREATE INDEX "cdrs_callee_covering" ON "cdrs"("tenant_id", "callee") INCLUDE ("start_at", "status", "billsec", "billed_seconds", "price", "cost");
CREATE INDEX "cdrs_file_id_start_at_idx" ON "cdrs"("file_id", "start_at");
-- The unbillable queue: small, and the only rows re-rating touches, in its keyset order.
CREATE INDEX "cdrs_unbillable" ON "cdrs"("tenant_id", "start_at", "source_id", "record_key") WHERE "status" = 'UNBILLABLE';
-- Unanswered calls of an unknown account, given their customer once it is known (re-rating).
CREATE INDEX "cdrs_ownerless_unanswered" ON "cdrs"("tenant_id", "account_code") WHERE "status" = 'UNANSWERED' AND "customer_id" IS NULL;

-- Creates the monthly partitions of cdrs covering [from_month, through_month]; safe to call
-- again (existing partitions are kept). Ingestion calls it for the months of a file before
-- writing, and a daily cron keeps months ahead created.
CREATE FUNCTION "ensure_cdr_partitions"(from_month DATE, through_month DATE) RETURNS INTEGER
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
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF "cdrs" FOR VALUES FROM (%L) TO (%L)',
                    partition_name, month::TIMESTAMP AT TIME ZONE 'UTC', (month + INTERVAL '1 month')::TIMESTAMP AT TIME ZONE 'UTC');
                created := created + 1;
            EXCEPTION WHEN duplicate_table THEN
                NULL; -- another session created it meanwhile
            END;
        END IF;
        month := (month + INTERVAL '1 month')::DATE;
    END LOOP;
    RETURN created;
END;
$$;

SELECT "ensure_cdr_partitions"(DATE '2025-01-01', DATE '2027-12-01');

CREATE TABLE "dids" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "number" TEXT NOT NULL,
    "customer_id" UUID NOT NULL,
    "trunk_id" UUID,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "dids_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "dids_number_check" CHECK ("number" ~ '^[1-9][0-9]{2,14}$')
);
CREATE UNIQUE INDEX "dids_tenant_id_number_key" ON "dids"("tenant_id", "number");
CREATE INDEX "dids_customer_id_idx" ON "dids"("customer_id");
CREATE INDEX "dids_trunk_id_idx" ON "dids"("trunk_id");
ALTER TABLE "dids" ADD CONSTRAINT "dids_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "dids" ADD CONSTRAINT "dids_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "dids" ADD CONSTRAINT "dids_trunk_id_fkey" FOREIGN KEY ("trunk_id") REFERENCES "sip_trunks"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "dids" ADD CONSTRAINT "dids_tenant_customer_fkey" FOREIGN KEY ("tenant_id", "customer_id") REFERENCES "customers"("tenant_id", "id");

CREATE TABLE "account_code_mappings" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "account_code" TEXT NOT NULL,
    "customer_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "account_code_mappings_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "account_code_mappings_tenant_id_account_code_key" ON "account_code_mappings"("tenant_id", "account_code");
CREATE INDEX "account_code_mappings_customer_id_idx" ON "account_code_mappings"("customer_id");
ALTER TABLE "account_code_mappings" ADD CONSTRAINT "account_code_mappings_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "account_code_mappings" ADD CONSTRAINT "account_code_mappings_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "account_code_mappings" ADD CONSTRAINT "account_code_mappings_tenant_customer_fkey" FOREIGN KEY ("tenant_id", "customer_id") REFERENCES "customers"("tenant_id", "id");
