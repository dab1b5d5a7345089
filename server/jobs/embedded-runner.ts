import { randomUUID } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { Cron } from "croner";
import { durationToMs, type InngestFunction } from "inngest";
import type { Prisma } from "@/server/db/generated/client";
import { db } from "@/server/db/client";
import { inngest } from "./client";
import { parseEvent, type TEngineEvent } from "./events";

/**
 * Runs Inngest functions in this process when no Inngest server is configured (the
 * embedded default). It is deliberately small:
 *  - an event starts every function it triggers, once per event id (like Inngest's dedupe);
 *  - each run is a row in `job_runs`, which is the queue: a restart picks up what was
 *    queued, retrying or running;
 *  - a failed run is retried with exponential backoff up to the function's `retries`;
 *    a NonRetriableError fails it at once;
 *  - cron triggers fire on schedule (croner);
 *  - a function's `concurrency` limits cap how many of its runs execute at once here,
 *    overall or per key (`event.data.<field>`, e.g. per tenant or per source);
 *  - an attempt still unsettled after the function's `timeouts.finish` is cancelled as Inngest
 *    cancels such a run: recorded FAILED with the limit in its error, not retried, its
 *    concurrency slot given to the next waiting run (see settleWithin); and, as Inngest does, it
 *    emits `inngest/function.cancelled` with the run's triggering event, so a function
 *    triggered by that event can clean up what the run left half done;
 *  - a trigger's `if` expression is refused, not ignored: a function filters in its code.
 * Steps execute through @inngest/test's engine, the SDK's own in-process executor. A retry
 * runs the function again from the top, so every step must be idempotent on its own —
 * which DESIGN.md requires anyway: correctness lives in the database, not in the engine.
 */

type TFunction = InngestFunction.Any;
type TQueuedRun = { fn: TFunction; eventName: string; eventId: string; data: Record<string, unknown> };
type TEventLike = { name: string; data: Record<string, unknown>; id: string; ts: number };
type TErrorLike = { name?: string; message?: string };
type TOutcome = Awaited<ReturnType<InngestTestEngine["execute"]>>;
type TFinishTimeout = { limit: string; ms: number };

export type TRunnerOptions = {
  functions: TFunction[];
  /**
   * The app id serve() is given (server/jobs/client.ts): Inngest knows a function as
   * "<app id>-<function id>", and system events name it so.
   */
  appId?: string;
  /** Delay before retry `attempt` (1-based count of failures so far). */
  backoffMs?: (attempt: number) => number;
  log?: (line: string) => void;
};

const DEFAULT_RETRIES = 4;
const DEFAULT_CONCURRENCY = 4;

function defaultBackoff(attempt: number): number {
  const base = Math.min(2 ** attempt * 1000, 5 * 60 * 1000);
  return base + Math.floor(Math.random() * 250);
}

function eventTriggers(fn: TFunction): string[] {
  return (fn.opts.triggers ?? []).flatMap((trigger: { event?: unknown }) =>
    typeof trigger.event === "string" ? [trigger.event] : [],
  );
}

/**
 * This runner starts a function for every event it names: a trigger's `if` would be ignored,
 * and the function run for events its author meant to skip, so it is refused at start-up.
 */
function refuseTriggerExpressions(fn: TFunction): void {
  const filtered = (fn.opts.triggers ?? []).some((trigger: { if?: unknown }) => trigger.if !== undefined);
  if (filtered) throw new Error(`${fn.id()}: the embedded runner does not support a trigger's if expression; filter in the function`);
}

/**
 * The tenant a run is listed under at /admin/jobs: the event's own `tenantId`, or, for a system
 * event about another run (a cancellation), that run's event's.
 */
function tenantOf(data: Record<string, unknown>): string | null {
  if (typeof data.tenantId === "string") return data.tenantId;
  const carried = data.event as { data?: { tenantId?: unknown } } | undefined;
  return typeof carried?.data?.tenantId === "string" ? carried.data.tenantId : null;
}

/** Inngest's payload for a cancelled run; its error is always this one. */
const CANCELLATION_ERROR = { error: "function cancelled", message: "function cancelled", name: "Error" };

/**
 * The function's `timeouts.finish`, or null for none. `timeouts.start` (cancel a run queued
 * too long) is refused rather than silently ignored: this runner does not implement it.
 */
function finishTimeout(fn: TFunction): TFinishTimeout | null {
  const { start, finish } = (fn.opts.timeouts ?? {}) as { start?: unknown; finish?: unknown };
  if (start !== undefined) throw new Error(`${fn.id()}: the embedded runner does not support timeouts.start`);
  if (typeof finish !== "string") return null;
  return { limit: finish, ms: durationToMs(finish, { name: `${fn.id()} timeouts.finish` }) };
}

function cronTriggers(fn: TFunction): string[] {
  return (fn.opts.triggers ?? []).flatMap((trigger: { cron?: unknown }) =>
    typeof trigger.cron === "string" ? [trigger.cron] : [],
  );
}

type TLane = { key: string; limit: number };

/**
 * The concurrency lanes a run occupies: one per rule of the function's `concurrency`
 * option. A rule with a `key` ("event.data.tenantId") limits runs sharing that value, as
 * Inngest does; without one it limits all runs of the function. No option → one lane of
 * DEFAULT_CONCURRENCY.
 */
function concurrencyLanes(fn: TFunction, data: Record<string, unknown>): TLane[] {
  const option: unknown = fn.opts.concurrency;
  const rules: unknown[] = option === undefined ? [DEFAULT_CONCURRENCY] : Array.isArray(option) ? option : [option];
  return rules.map((rule, index) => {
    if (typeof rule === "number") return { key: `${fn.id()}#${index}`, limit: Math.max(1, rule) };
    const { limit, key } = (rule ?? {}) as { limit?: unknown; key?: unknown };
    const cap = typeof limit === "number" ? Math.max(1, limit) : DEFAULT_CONCURRENCY;
    if (typeof key !== "string") return { key: `${fn.id()}#${index}`, limit: cap };
    const match = /^event\.data\.([A-Za-z0-9_]+)$/.exec(key);
    if (!match?.[1]) throw new Error(`${fn.id()}: the embedded runner supports concurrency keys of the form event.data.<field>, not ${key}`);
    return { key: `${fn.id()}#${index}=${String(data[match[1]] ?? "")}`, limit: cap };
  });
}

function toJson(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined) return undefined;
  return JSON.parse(JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? inner.toString() : inner))) as Prisma.InputJsonValue;
}

export class EmbeddedRunner {
  private readonly byId: Map<string, TFunction>;
  private readonly finishTimeouts: Map<string, TFinishTimeout | null>;
  /** Runs executing per concurrency lane. */
  private readonly active = new Map<string, number>();
  /** Runs due but held back by a full lane, per function, in arrival order. */
  private readonly waiting = new Map<string, { runId: string; lanes: TLane[] }[]>();
  /** When each lane last had a run admitted (a count of admissions), for fair admission. */
  private readonly admittedAt = new Map<string, number>();
  private admissions = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly crons: Cron[] = [];
  private stopped = false;

  constructor(private readonly options: TRunnerOptions) {
    options.functions.forEach(refuseTriggerExpressions);
    this.byId = new Map(options.functions.map((fn) => [fn.id(), fn]));
    this.finishTimeouts = new Map(options.functions.map((fn) => [fn.id(), finishTimeout(fn)]));
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Starts every function the event triggers. Returns the new run ids. */
  async dispatch(input: TEngineEvent): Promise<string[]> {
    return this.dispatchMany([input]);
  }

  /** Starts every function each event triggers, in one insert for the lot. Returns the new run ids. */
  async dispatchMany(inputs: readonly TEngineEvent[]): Promise<string[]> {
    const runs: TQueuedRun[] = [];
    for (const input of inputs) {
      const event = parseEvent(input);
      const eventId = event.id ?? randomUUID();
      const data = event.data as Record<string, unknown>;
      for (const fn of this.options.functions) {
        if (eventTriggers(fn).includes(event.name)) runs.push({ fn, eventName: event.name, eventId, data });
      }
    }
    return this.enqueue(runs);
  }

  /**
   * Queues runs, once per function and event id: the unique index on (function_id, event_id)
   * drops a run already queued (a resent event, another process's copy), and the insert
   * returns only the new ones, which are then scheduled.
   */
  private async enqueue(runs: TQueuedRun[]): Promise<string[]> {
    if (runs.length === 0) return [];
    const created = await db().jobRun.createManyAndReturn({
      data: runs.map((run) => ({
        tenantId: tenantOf(run.data),
        functionId: run.fn.id(),
        eventName: run.eventName,
        eventId: run.eventId,
        eventData: toJson(run.data),
        status: "QUEUED" as const,
        maxAttempts: (run.fn.opts.retries ?? DEFAULT_RETRIES) + 1,
      })),
      skipDuplicates: true,
      select: { id: true, functionId: true, eventId: true },
    });
    const queued = new Map(runs.map((run) => [`${run.fn.id()}\u0000${run.eventId}`, run]));
    for (const row of created) {
      const run = queued.get(`${row.functionId}\u0000${row.eventId}`)!;
      this.schedule(row.functionId, row.id, 0, run.data);
    }
    return created.map((row) => row.id);
  }

  private schedule(functionId: string, runId: string, delayMs: number, data: Record<string, unknown>): void {
    if (this.stopped) return;
    const fn = this.byId.get(functionId);
    if (!fn) return;
    const lanes = concurrencyLanes(fn, data);
    const timer = setTimeout(() => {
      this.timers.delete(runId);
      this.waiting.set(functionId, [...(this.waiting.get(functionId) ?? []), { runId, lanes }]);
      this.admitWaiting(functionId);
    }, delayMs);
    this.timers.set(runId, timer);
  }

  /**
   * Starts waiting runs of the function while their lanes have room. Of those that fit, the
   * run whose key was served longest ago goes first (the oldest among equals): in arrival
   * order, two tenants with a backlog would take every freed slot in turn, and a third
   * tenant's one file would wait for both backlogs.
   */
  private admitWaiting(functionId: string): void {
    const fn = this.byId.get(functionId);
    const queue = this.waiting.get(functionId);
    if (!fn || !queue) return;
    // A function-wide lane was served at every admission: a keyed lane decides.
    const lastServed = (lanes: TLane[]) => Math.min(...lanes.map((lane) => this.admittedAt.get(lane.key) ?? -1));
    for (;;) {
      let chosen = -1;
      let chosenServed = Infinity;
      queue.forEach((candidate, index) => {
        if (!candidate.lanes.every((lane) => (this.active.get(lane.key) ?? 0) < lane.limit)) return;
        const served = lastServed(candidate.lanes);
        if (served < chosenServed) [chosen, chosenServed] = [index, served];
      });
      if (chosen < 0) return;
      const entry = queue.splice(chosen, 1)[0]!;
      this.admissions++;
      for (const lane of entry.lanes) this.admittedAt.set(lane.key, this.admissions);
      for (const lane of entry.lanes) this.active.set(lane.key, (this.active.get(lane.key) ?? 0) + 1);
      const work = this.attempt(fn, entry.runId)
        .catch((error: unknown) => this.log(`job runner: ${functionId} ${entry.runId}: ${String(error)}`))
        .finally(() => {
          this.pending.delete(work);
          for (const lane of entry.lanes) this.active.set(lane.key, (this.active.get(lane.key) ?? 1) - 1);
          this.admitWaiting(functionId);
        });
      this.pending.add(work);
    }
  }

  private async attempt(fn: TFunction, runId: string): Promise<void> {
    const run = await db().jobRun.update({
      where: { id: runId },
      data: { status: "RUNNING", attempts: { increment: 1 }, startedAt: new Date(), nextRunAt: null },
    });
    const event: TEventLike = {
      id: run.eventId ?? run.id,
      // Cron runs are listed as "cron(<expression>)"; the SDK knows them by the event name
      // Inngest gives scheduled runs, and refuses any other name for a cron-only function.
      name: run.eventName.startsWith("cron(") ? "inngest/scheduled.timer" : run.eventName,
      data: (run.eventData ?? {}) as Record<string, unknown>,
      ts: run.createdAt.getTime(),
    };
    const engine = new InngestTestEngine({ function: fn, transformCtx: (ctx) => ctx });
    const outcome = await this.settleWithin(this.finishTimeouts.get(fn.id()) ?? null, engine.execute({ events: [event] as never }), `${fn.id()} ${runId}`);
    if ("timedOutAfter" in outcome) {
      // Emitted before the run is recorded cancelled: a crash in between leaves the run RUNNING,
      // to be resumed (a second cancellation of it has the same event id, so is handled once),
      // where the other order would lose the event and leave its cleanup undone for good.
      await this.dispatch({
        name: "inngest/function.cancelled",
        id: `function-cancelled-${runId}`,
        data: { function_id: fn.id(this.options.appId ?? inngest.id), run_id: runId, error: CANCELLATION_ERROR, event, events: [event] },
      });
      const message = `Cancelled: ${fn.id()} timed out after ${outcome.timedOutAfter} (timeouts.finish)`;
      await db().jobRun.update({ where: { id: runId }, data: { status: "FAILED", error: message, finishedAt: new Date() } });
      this.log(`job ${fn.id()} ${runId} cancelled: timed out after ${outcome.timedOutAfter} on attempt ${run.attempts}; its slot goes to the next run, its work may still finish in the background`);
      return;
    }
    if (!outcome.error) {
      await db().jobRun.update({
        where: { id: runId },
        data: { status: "COMPLETED", output: toJson(outcome.result), error: null, finishedAt: new Date() },
      });
      return;
    }
    const error = outcome.error as TErrorLike;
    const message = `${error.name ?? "Error"}: ${error.message ?? String(outcome.error)}`;
    const retryable = error.name !== "NonRetriableError" && run.attempts < run.maxAttempts;
    if (retryable) {
      const delay = (this.options.backoffMs ?? defaultBackoff)(run.attempts);
      await db().jobRun.update({
        where: { id: runId },
        data: { status: "RETRYING", error: message, nextRunAt: new Date(Date.now() + delay) },
      });
      this.schedule(fn.id(), runId, delay, event.data);
      return;
    }
    await db().jobRun.update({ where: { id: runId }, data: { status: "FAILED", error: message, finishedAt: new Date() } });
    this.log(`job ${fn.id()} failed after ${run.attempts} attempt(s): ${message}`);
  }

  /**
   * The attempt's outcome, or the limit it exceeded once its finish timeout passes first. JS cannot
   * cancel the execution: it is abandoned, not stopped, and may still settle later. Its late
   * outcome reaches no one but the log — the attempt has returned, so its slot was freed once,
   * by admitWaiting, and its record written once, as cancelled. Inngest too lets a step that
   * is executing finish; what both must guarantee is that the work is safe to leave running
   * beside the next run of the same concurrency key, and it is for every function we have:
   * money moves only under idempotency keys (ledger entries are unique per tenant and key;
   * CDRs are unique per source, record key and start; a re-rate switches only calls still
   * UNBILLABLE, rows locked), account state changes only by conditional updates, a poll stops
   * itself before its timeout (CDR_POLL_DEADLINE: it closes its sessions and releases its
   * source's lease), an ingest attempt owns its file only until another claims it, and statements
   * are unique per customer and period, mailed once under a row lock. Cancellation is not retried, so the non-idempotent mails (a new token
   * each run) are not sent twice either.
   *
   * The limit is counted from this attempt's start, where Inngest counts from the run's first
   * start, retries included: a retry, and a run resumed after a restart, get a whole window
   * here. The limits in timeouts.ts cover every retry, so the two cancel the same hung runs.
   */
  private async settleWithin(timeout: TFinishTimeout | null, execution: Promise<TOutcome>, label: string): Promise<TOutcome | { timedOutAfter: string }> {
    if (!timeout) return execution;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ timedOutAfter: string }>((resolve) => (timer = setTimeout(() => resolve({ timedOutAfter: timeout.limit }), timeout.ms)));
    try {
      const first = await Promise.race([execution, deadline]);
      if ("timedOutAfter" in first) {
        execution.then(
          (late) => this.log(`job ${label} settled after it timed out (${late.error ? "failed" : "completed"}); its cancellation stands`),
          (error: unknown) => this.log(`job ${label} failed after it timed out: ${String(error)}; its cancellation stands`),
        );
      }
      return first;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Queues the run a cron function's tick at `tick` starts (once per function and tick). */
  async fireCron(functionId: string, tick: Date = new Date()): Promise<string[]> {
    const fn = this.byId.get(functionId);
    const expression = fn ? cronTriggers(fn)[0] : undefined;
    if (!fn || expression === undefined) throw new Error(`${functionId} is not a cron function`);
    return this.enqueue([{ fn, eventName: `cron(${expression})`, eventId: `${fn.id()}@${tick.toISOString()}`, data: {} }]);
  }

  /** Fires cron-triggered functions on schedule, one run per function per tick. */
  startCrons(): void {
    for (const fn of this.options.functions) {
      for (const expression of cronTriggers(fn)) {
        const job = new Cron(expression, { timezone: "UTC", protect: true }, async () => {
          await this.fireCron(fn.id(), job.currentRun() ?? new Date()).catch((error: unknown) => this.log(`cron ${fn.id()}: ${String(error)}`));
        });
        this.crons.push(job);
      }
    }
  }

  /** Re-schedules runs a previous process left queued, retrying or running. */
  async recover(): Promise<number> {
    const runs = await db().jobRun.findMany({
      where: { status: { in: ["QUEUED", "RETRYING", "RUNNING"] } },
      select: { id: true, functionId: true, nextRunAt: true, eventData: true },
    });
    for (const run of runs) {
      const delay = Math.max(0, (run.nextRunAt?.getTime() ?? 0) - Date.now());
      this.schedule(run.functionId, run.id, delay, (run.eventData ?? {}) as Record<string, unknown>);
    }
    return runs.length;
  }

  /** Waits until nothing is running or scheduled (tests, graceful shutdown). */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 || this.timers.size > 0 || [...this.waiting.values()].some((queue) => queue.length > 0)) {
      if (Date.now() > deadline) throw new Error(`job runner did not drain in time: ${this.pending.size} running, ${this.timers.size} scheduled, ${[...this.waiting.values()].flat().length} waiting`);
      // Always yield to the timer queue: scheduled runs start from timers.
      const tick = new Promise((resolve) => setTimeout(resolve, 10));
      await (this.pending.size > 0 ? Promise.race([Promise.allSettled([...this.pending]).then(() => tick), tick]) : tick);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const job of this.crons) job.stop();
    this.crons.length = 0;
  }
}

const globalForRunner = globalThis as unknown as { trunklineRunner?: Promise<EmbeddedRunner> };

/** The process-wide runner, created on first use with every registered function. */
export function embeddedRunner(): Promise<EmbeddedRunner> {
  globalForRunner.trunklineRunner ??= import("./functions/index").then(
    ({ functions }) => new EmbeddedRunner({ functions, log: (line) => console.error(line) }),
  );
  return globalForRunner.trunklineRunner;
}

/** Replaces the process-wide runner (tests use a short backoff). */
export function setEmbeddedRunner(runner: EmbeddedRunner | undefined): void {
  globalForRunner.trunklineRunner = runner ? Promise.resolve(runner) : undefined;
}
