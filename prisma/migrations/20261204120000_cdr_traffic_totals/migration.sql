-- Traffic totals per tenant and 15-minute UTC bucket of the calls' start, kept by every writer
-- of calls in its own transaction (server/cdr/traffic-totals.ts). The admin overview reads
-- these instead of every call of up to 31 days, and the Calls page's totals and chart when only
-- dates filter them (rated and billsec are for those). 15 minutes: every UTC offset in use is a
-- multiple of it, so a tenant's local day is a union of buckets whatever its zone.
CREATE TABLE "cdr_traffic_totals" (
    "tenant_id" UUID NOT NULL,
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "calls" BIGINT NOT NULL DEFAULT 0,
    "answered" BIGINT NOT NULL DEFAULT 0,
    "rated" BIGINT NOT NULL DEFAULT 0,
    "billsec" BIGINT NOT NULL DEFAULT 0,
    "billed_seconds" BIGINT NOT NULL DEFAULT 0,
    "price" BIGINT NOT NULL DEFAULT 0,
    "cost" BIGINT NOT NULL DEFAULT 0,
    "price_with_cost" BIGINT NOT NULL DEFAULT 0,
    "rated_without_cost" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "cdr_traffic_totals_pkey" PRIMARY KEY ("tenant_id", "bucket_start")
);

-- The calls stored so far. Writers of calls wait meanwhile (SHARE): one committing between
-- this snapshot and the migration's commit would be in neither. Reads go on. It reads every
-- call once: on a large database, apply it in a quiet window.
LOCK TABLE "cdrs" IN SHARE MODE;
INSERT INTO "cdr_traffic_totals" ("tenant_id", "bucket_start", "calls", "answered", "rated", "billsec", "billed_seconds", "price", "cost", "price_with_cost", "rated_without_cost")
SELECT c."tenant_id",
       date_bin('15 minutes', c."start_at", TIMESTAMPTZ '2000-01-01 00:00:00+00'),
       count(*),
       count(*) FILTER (WHERE c."status" <> 'UNANSWERED'),
       count(*) FILTER (WHERE c."status" = 'RATED'),
       coalesce(sum(c."billsec"), 0),
       coalesce(sum(c."billed_seconds") FILTER (WHERE c."status" = 'RATED'), 0),
       coalesce(sum(c."price") FILTER (WHERE c."status" = 'RATED'), 0),
       coalesce(sum(c."cost") FILTER (WHERE c."status" = 'RATED' AND c."cost" IS NOT NULL), 0),
       coalesce(sum(c."price") FILTER (WHERE c."status" = 'RATED' AND c."cost" IS NOT NULL), 0),
       count(*) FILTER (WHERE c."status" = 'RATED' AND c."cost" IS NULL)
FROM "cdrs" c
-- Calls of a tenant since deleted (cdrs has no foreign keys) have no tenant to total for.
WHERE EXISTS (SELECT 1 FROM "tenants" t WHERE t."id" = c."tenant_id")
GROUP BY 1, 2;

-- After the backfill: checked in one pass over the table instead of once per inserted row, and
-- tenants is locked against updates only from here to the commit, not during the read of cdrs.
ALTER TABLE "cdr_traffic_totals" ADD CONSTRAINT "cdr_traffic_totals_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
