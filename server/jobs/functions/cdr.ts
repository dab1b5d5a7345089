import { cron, NonRetriableError } from "inngest";
import { inngest } from "@/server/jobs/client";
import { RUN_TIMEOUTS } from "@/server/jobs/timeouts";
import { cdrFileReceived, cdrRerateRequested, functionCancelled, parseCarriedEvent } from "@/server/jobs/events";
import { ingestCdrFile, UnreadableCdrFile } from "@/server/cdr/ingest";
import { ensureUpcomingPartitions } from "@/server/cdr/partitions";
import { RERATE_RETRIES, runRerateRequest } from "@/server/cdr/rerate";
import { failFileOfCancelledIngest, INGEST_SLOTS, removeAbandonedSpoolParts, resendLostFileEvents } from "@/server/cdr/files";

// Several files at once overall, two per tenant: no tenant takes more than half the slots,
// and a tenant's files do not queue behind each other one by one. The embedded runner gives a
// freed slot to the tenant served longest ago, so a third tenant's file does not wait for two
// others' backlogs; an Inngest server does the same with key queues (an Enterprise feature
// today), else it starts waiting runs oldest first.
export const ingestFile = inngest.createFunction(
  {
    id: "cdr-ingest-file",
    retries: 5,
    concurrency: [{ limit: INGEST_SLOTS.overall }, { limit: INGEST_SLOTS.perTenant, key: "event.data.tenantId" }],
    timeouts: RUN_TIMEOUTS.cdrIngest,
    triggers: [cdrFileReceived],
  },
  async ({ event, step }) =>
    step.run("ingest", async () => {
      try {
        // The run's event: an attempt of a run whose file was retried since must not take it back.
        const result = await ingestCdrFile({ tenantId: event.data.tenantId, fileId: event.data.fileId, ingestEventId: event.id });
        return { ...result, priceTotal: result.priceTotal.toString() };
      } catch (error) {
        // A file that cannot be read stays FAILED with its reason; retrying changes nothing.
        if (error instanceof UnreadableCdrFile) throw new NonRetriableError(error.message);
        throw error;
      }
    }),
);

// An ingest cancelled for outliving its finish timeout hung where its own error handling never
// runs: its file would stay PROCESSING, which no one can retry. Every cancellation of every
// function arrives here (the embedded runner has no trigger `if`), so others are skipped in code.
export const ingestCancelled = inngest.createFunction(
  { id: "cdr-ingest-cancelled", retries: 5, timeouts: RUN_TIMEOUTS.cancellationCleanup, triggers: [functionCancelled] },
  async ({ event, step }) => {
    if (event.data.function_id !== ingestFile.id(inngest.id)) return { skipped: "not an ingest" };
    const ingest = parseCarriedEvent("cdr/file.received", event.data.event);
    const ingestEventId = event.data.event.id;
    if (!ingest || !ingestEventId) return { skipped: "no file in the cancelled run's event" };
    return step.run("fail-cancelled-file", () =>
      failFileOfCancelledIngest({ tenantId: ingest.tenantId, fileId: ingest.fileId, ingestEventId, limit: RUN_TIMEOUTS.cdrIngest.finish }),
    );
  },
);

export const rerateCalls = inngest.createFunction(
  {
    id: "cdr-rerate",
    retries: RERATE_RETRIES,
    concurrency: [{ limit: 1, key: "event.data.tenantId" }],
    timeouts: RUN_TIMEOUTS.cdrRerate,
    triggers: [cdrRerateRequested],
  },
  async ({ event, step }) =>
    step.run("rerate-unbillable", async () => {
      const result = await runRerateRequest({ tenantId: event.data.tenantId, requestId: event.data.requestId, reason: event.data.reason ?? null });
      return { ...result, charged: result.charged.toString() };
    }),
);

// Every 5 minutes: files whose ingest died without a word are failed (for an admin to retry),
// and files whose `cdr/file.received` event was lost between their commit and its send get it again.
export const cdrLostFileEvents = inngest.createFunction(
  { id: "cdr-resend-lost-file-events", retries: 2, concurrency: 1, timeouts: RUN_TIMEOUTS.sweep, triggers: [cron("*/5 * * * *")] },
  async ({ step }) => step.run("resend-lost-file-events", () => resendLostFileEvents()),
);

// Daily: temp files of transfers a killed process abandoned.
export const cdrSpoolCleanup = inngest.createFunction(
  { id: "cdr-spool-cleanup", retries: 2, concurrency: 1, timeouts: RUN_TIMEOUTS.maintenance, triggers: [cron("20 2 * * *")] },
  async ({ step }) => step.run("remove-abandoned-parts", () => removeAbandonedSpoolParts()),
);

// Daily: months ahead exist long before the first call lands in them.
export const cdrPartitions = inngest.createFunction(
  { id: "cdr-partitions", retries: 3, concurrency: 1, timeouts: RUN_TIMEOUTS.maintenance, triggers: [cron("10 2 * * *")] },
  async ({ step }) => step.run("ensure-upcoming-partitions", () => ensureUpcomingPartitions({ monthsAhead: 3 })),
);
