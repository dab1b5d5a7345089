import { durationToMs, type TimeStr } from "inngest";

/**
 * Every function's `timeouts` option comes from here, one entry per kind of work, so the
 * limits can be compared side by side. A run still unfinished this long after it started is
 * cancelled, not retried: by an Inngest server (`timeouts.finish`) and by the embedded
 * runner alike. Without a limit, one step that never settles would hold its concurrency slot
 * for good and stop its tenant's, source's or cron's queue without telling anyone.
 *
 * Inngest counts the limit from the run's first start, retries and their backoff included, so
 * each value covers every retry of a slow but healthy run: a limit is there to catch a hang,
 * never to cut short work that is merely big.
 */
export const RUN_TIMEOUTS = {
  /** One mail: seconds when the relay is well; nodemailer itself gives a dead socket 10 minutes. */
  mail: { finish: "15m" },
  /** One customer's reaction to a balance change, or one Stripe charge (30 s timeout, 2 network retries). */
  reaction: { finish: "15m" },
  /** The every-minute poll scheduler: a few queries and events. */
  schedulerTick: { finish: "5m" },
  /** Sweeps every 5 to 60 minutes over what is due or lagging, bounded per run. */
  sweep: { finish: "30m" },
  /** The cleanup after another run was cancelled: a conditional update or two. */
  cancellationCleanup: { finish: "15m" },
  /** One CDR file: millions of lines take minutes; retries start the file again. */
  cdrIngest: { finish: "1h" },
  /** One poll of one source: downloads of up to 2 GB over a slow link. */
  cdrPoll: { finish: "2h" },
  /** A tenant's whole unbillable queue priced again. */
  cdrRerate: { finish: "2h" },
  /** Daily housekeeping over whole tables (partitions, spool, ledger check, pruning). */
  maintenance: { finish: "1h" },
  /** Every customer's monthly statement written and mailed, all tenants in one run. */
  statements: { finish: "6h" },
} as const satisfies Record<string, { finish: TimeStr }>;

/**
 * How long before its run's finish timeout a CDR poll stops itself (pollSource's `deadline`).
 * A cancelled run's work goes on in the background (JS cannot stop it), and a poll left running
 * would renew its source's lease for good: the source would never be polled again. The margin
 * is the poll's winding down after its SFTP sessions are ended: recording the outcome, mailing
 * the alerts owed, freeing the source.
 */
const CDR_POLL_WIND_DOWN_MS = 10 * 60_000;

/** When a poll gives up, counted from its run's start, and the run's limit in words for the source's error. */
export const CDR_POLL_DEADLINE = {
  afterMs: durationToMs(RUN_TIMEOUTS.cdrPoll.finish) - CDR_POLL_WIND_DOWN_MS,
  limit: RUN_TIMEOUTS.cdrPoll.finish,
} as const;
