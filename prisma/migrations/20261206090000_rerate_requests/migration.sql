-- Each re-rate of the unbillable queue someone asks for (server/cdr/rerate.ts): created with
-- the request, then written by the re-rate itself as it starts, commits its batches (rated and
-- charged move in the batch's own transaction) and ends. The page follows it, under an Inngest
-- server as under the embedded runner: job_runs has rows only under the latter.
CREATE TYPE "RerateStatus" AS ENUM ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED');

CREATE TABLE "rerate_requests" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "reason" TEXT,
    "status" "RerateStatus" NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "rated" INTEGER NOT NULL DEFAULT 0,
    "charged" BIGINT NOT NULL DEFAULT 0,
    "still_unbillable" INTEGER,
    "error" TEXT,
    "requested_by_id" UUID,
    "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "rerate_requests_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "rerate_requests_tenant_id_requested_at_idx" ON "rerate_requests"("tenant_id", "requested_at");
ALTER TABLE "rerate_requests" ADD CONSTRAINT "rerate_requests_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
