-- Every index on cdrs costs every ingested call one B-tree insert, the bulk of a load's
-- time. The primary key now leads with (tenant_id, start_at): the same four columns, so the
-- same uniqueness, and in the order calls are listed and paged in (start_at, source_id,
-- record_key), so it also serves what "cdrs_tenant_id_start_at_idx" did, which goes.
ALTER TABLE "cdrs" DROP CONSTRAINT "cdrs_pkey";
ALTER TABLE "cdrs" ADD CONSTRAINT "cdrs_pkey" PRIMARY KEY ("tenant_id", "start_at", "source_id", "record_key");
DROP INDEX "cdrs_tenant_id_start_at_idx";
