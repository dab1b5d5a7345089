-- A statement keeps the instants its period ran between. They were recomputed from the
-- tenant's time zone at every read: after a zone change, a written statement showed bounds
-- other than those its totals were summed over, and the next month's statement (in the new
-- zone) overlapped the last one or left a gap, so its opening balance was not the previous
-- closing balance. Statements written so far ran on the tenant's current zone.
ALTER TABLE "statements" ADD COLUMN "period_start" TIMESTAMPTZ(3), ADD COLUMN "period_end" TIMESTAMPTZ(3);

UPDATE "statements" s
SET "period_start" = (to_date(s."period", 'YYYY-MM')::timestamp AT TIME ZONE t."time_zone"),
    "period_end" = ((to_date(s."period", 'YYYY-MM') + INTERVAL '1 month')::timestamp AT TIME ZONE t."time_zone")
FROM "tenants" t
WHERE t."id" = s."tenant_id";

ALTER TABLE "statements" ALTER COLUMN "period_start" SET NOT NULL, ALTER COLUMN "period_end" SET NOT NULL;
