-- When each source was monitored: polling on, from the moment it was turned on until it was
-- turned off. Availability is measured over these periods only; before, a source was
-- measured from its creation, so the time it was created disabled, or turned off, counted
-- as uptime and the SLA figures overstated the carrier's availability.
CREATE TABLE "cdr_source_monitoring" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "source_id" UUID NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    CONSTRAINT "cdr_source_monitoring_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "cdr_source_monitoring_period_check" CHECK ("ended_at" IS NULL OR "ended_at" >= "started_at")
);
CREATE INDEX "cdr_source_monitoring_tenant_id_source_id_started_at_idx" ON "cdr_source_monitoring"("tenant_id", "source_id", "started_at");
-- At most one open period per source.
CREATE UNIQUE INDEX "cdr_source_monitoring_one_open" ON "cdr_source_monitoring"("source_id") WHERE "ended_at" IS NULL;
ALTER TABLE "cdr_source_monitoring" ADD CONSTRAINT "cdr_source_monitoring_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "cdr_sources"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "cdr_source_monitoring" ADD CONSTRAINT "cdr_source_monitoring_tenant_source_fkey" FOREIGN KEY ("tenant_id", "source_id") REFERENCES "cdr_sources"("tenant_id", "id") ON DELETE CASCADE;

-- A source enabled today is monitored since it was last turned on (the audit trail records
-- when), or since its creation if the trail has no such entry.
INSERT INTO "cdr_source_monitoring" ("tenant_id", "source_id", "started_at")
SELECT s."tenant_id", s."id",
       COALESCE((SELECT max(a."at") FROM "audit_events" a
                 WHERE a."tenant_id" = s."tenant_id" AND a."target_type" = 'cdr_source' AND a."target_id" = s."id"::text AND a."action" = 'cdr_source.enabled'),
                s."created_at")
FROM "cdr_sources" s
WHERE s."enabled";
