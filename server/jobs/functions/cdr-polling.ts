import { cron } from "inngest";
import { inngest } from "@/server/jobs/client";
import { CDR_POLL_DEADLINE, RUN_TIMEOUTS } from "@/server/jobs/timeouts";
import { cdrSourcePollRequested } from "@/server/jobs/events";
import { sendEvent } from "@/server/jobs/send";
import { dueSources, pollSource } from "@/server/cdr/polling";

/**
 * Recent new files are listed again this much later; one that changed meanwhile is still
 * being written and is left for the next poll (see filesStillWritten in server/cdr/polling.ts).
 */
const FILE_SETTLE_SECONDS = 30;

/**
 * Every minute: a poll request for each enabled source whose interval has passed. The event
 * id is the source and the minute, so a tick that fires twice (or two schedulers) requests once.
 */
export const scheduleCdrPolls = inngest.createFunction(
  { id: "cdr-schedule-polls", retries: 1, concurrency: 1, timeouts: RUN_TIMEOUTS.schedulerTick, triggers: [cron("* * * * *")] },
  async ({ step }) => {
    const due = await step.run("find-due-sources", () => dueSources(new Date()));
    for (const source of due) {
      await step.run(`request-poll-${source.sourceId}`, () =>
        sendEvent({
          name: "cdr/source.poll-requested",
          id: `cdr-poll-${source.sourceId}-${source.slot}`,
          data: { tenantId: source.tenantId, sourceId: source.sourceId },
        }),
      );
    }
    return { requested: due.length };
  },
);

/**
 * One poll of one source. Concurrency 1 per source here, and the lease inside pollSource
 * makes it hold across processes too. Connection failures are outcomes, not errors: only an
 * unexpected failure (e.g. the database) is retried.
 *
 * The poll stops itself before the run's finish timeout (CDR_POLL_DEADLINE): cancelling the
 * run would not stop it, and it would keep its source's lease.
 */
export const pollCdrSource = inngest.createFunction(
  { id: "cdr-poll-source", retries: 2, concurrency: [{ limit: 1, key: "event.data.sourceId" }], timeouts: RUN_TIMEOUTS.cdrPoll, triggers: [cdrSourcePollRequested] },
  async ({ event, step }) => {
    // Inngest counts the finish timeout from the run's first start, retries included: a step
    // keeps that start across retries. (The embedded runner runs every step again at each
    // attempt and counts from the attempt's start, so there too the deadline is its own.)
    const runStartedAt = await step.run("start", () => Date.now());
    return step.run("poll", async () => {
      const deadline = { signal: AbortSignal.timeout(Math.max(0, runStartedAt + CDR_POLL_DEADLINE.afterMs - Date.now())), limit: CDR_POLL_DEADLINE.limit };
      const summary = await pollSource({ tenantId: event.data.tenantId, sourceId: event.data.sourceId, settleSeconds: FILE_SETTLE_SECONDS, deadline });
      return { ...summary, fetched: summary.fetched.map((file) => ({ name: file.name, fileId: file.fileId, status: file.status })) };
    });
  },
);
