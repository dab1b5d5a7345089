import { randomUUID } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { Cron } from "croner";
import type { InngestFunction } from "inngest";
import type { Prisma } from "@/server/db/generated/client";
import { db } from "@/server/db/client";
import { parseEvent, type TAppEvent } from "./events";

/**
 * Runs Inngest functions in this process when no Inngest server is configured (the
 * embedded default). It is deliberately small:
 *  - an event starts every function it triggers, once per event id (like Inngest's dedupe);
 *  - each run is a row in `job_runs`, which is the queue: a restart picks up what was
 *    queued, retrying or running;
 *  - a failed run is retried with exponential backoff up to the function's `retries`;
 *    a NonRetriableError fails it at once;
 *  - cron triggers fire on schedule (croner);
 *  - a function's `concurrency` limit caps how many of its runs execute at once here.
 * Steps execute through @inngest/test's engine, the SDK's own in-process executor. A retry
 * runs the function again from the top, so every step must be idempotent on its own —
 * which DESIGN.md requires anyway: correctness lives in the database, not in the engine.
 */

type TFunction = InngestFunction.Any;
type TEventLike = { name: string; data: Record<string, unknown>; id: string; ts: number };
type TErrorLike = { name?: string; message?: string };

export type TRunnerOptions = {
  functions: TFunction[];
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

function cronTriggers(fn: TFunction): string[] {
  return (fn.opts.triggers ?? []).flatMap((trigger: { cron?: unknown }) =>
    typeof trigger.cron === "string" ? [trigger.cron] : [],
  );
}

function concurrencyLimit(fn: TFunction): number {
  const option: unknown = fn.opts.concurrency;
  const first = Array.isArray(option) ? option[0] : option;
  if (typeof first === "number") return Math.max(1, first);
  if (first && typeof first === "object" && "limit" in first && typeof first.limit === "number") {
    return Math.max(1, first.limit);
  }
  return DEFAULT_CONCURRENCY;
}

function toJson(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined) return undefined;
  return JSON.parse(JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? inner.toString() : inner))) as Prisma.InputJsonValue;
}

export class EmbeddedRunner {
  private readonly byId: Map<string, TFunction>;
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, string[]>();
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly crons: Cron[] = [];
  private stopped = false;

  constructor(private readonly options: TRunnerOptions) {
    this.byId = new Map(options.functions.map((fn) => [fn.id(), fn]));
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Starts every function the event triggers. Returns the new run ids. */
  async dispatch(input: TAppEvent): Promise<string[]> {
    const event = parseEvent(input);
    const eventId = event.id ?? randomUUID();
    const targets = this.options.functions.filter((fn) => eventTriggers(fn).includes(event.name));
    return this.enqueue(targets, event.name, eventId, event.data as Record<string, unknown>);
  }

  private async enqueue(targets: TFunction[], eventName: string, eventId: string, data: Record<string, unknown>) {
    const runIds: string[] = [];
    const tenantId = typeof data.tenantId === "string" ? data.tenantId : null;
    for (const fn of targets) {
      const duplicate = await db().jobRun.findFirst({ where: { functionId: fn.id(), eventId }, select: { id: true } });
      if (duplicate) continue;
      const run = await db().jobRun.create({
        data: {
          tenantId,
          functionId: fn.id(),
          eventName,
          eventId,
          eventData: toJson(data),
          status: "QUEUED",
          maxAttempts: (fn.opts.retries ?? DEFAULT_RETRIES) + 1,
        },
        select: { id: true },
      });
      runIds.push(run.id);
      this.schedule(fn.id(), run.id, 0);
    }
    return runIds;
  }

  private schedule(functionId: string, runId: string, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(runId);
      this.admit(functionId, runId);
    }, delayMs);
    this.timers.set(runId, timer);
  }

  private admit(functionId: string, runId: string): void {
    const fn = this.byId.get(functionId);
    if (!fn) return;
    if ((this.active.get(functionId) ?? 0) >= concurrencyLimit(fn)) {
      this.waiting.set(functionId, [...(this.waiting.get(functionId) ?? []), runId]);
      return;
    }
    this.active.set(functionId, (this.active.get(functionId) ?? 0) + 1);
    const work = this.attempt(fn, runId)
      .catch((error: unknown) => this.log(`job runner: ${functionId} ${runId}: ${String(error)}`))
      .finally(() => {
        this.pending.delete(work);
        this.active.set(functionId, (this.active.get(functionId) ?? 1) - 1);
        const queue = this.waiting.get(functionId);
        const next = queue?.shift();
        if (next) this.admit(functionId, next);
      });
    this.pending.add(work);
  }

  private async attempt(fn: TFunction, runId: string): Promise<void> {
    const run = await db().jobRun.update({
      where: { id: runId },
      data: { status: "RUNNING", attempts: { increment: 1 }, startedAt: new Date(), nextRunAt: null },
    });
    const event: TEventLike = {
      id: run.eventId ?? run.id,
      name: run.eventName,
      data: (run.eventData ?? {}) as Record<string, unknown>,
      ts: run.createdAt.getTime(),
    };
    const engine = new InngestTestEngine({ function: fn, transformCtx: (ctx) => ctx });
    const outcome = await engine.execute({ events: [event] as never });
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
      this.schedule(fn.id(), runId, delay);
      return;
    }
    await db().jobRun.update({ where: { id: runId }, data: { status: "FAILED", error: message, finishedAt: new Date() } });
    this.log(`job ${fn.id()} failed after ${run.attempts} attempt(s): ${message}`);
  }

  /** Fires cron-triggered functions on schedule, one run per function per tick. */
  startCrons(): void {
    for (const fn of this.options.functions) {
      for (const expression of cronTriggers(fn)) {
        const job = new Cron(expression, { timezone: "UTC", protect: true }, async () => {
          const tick = job.currentRun() ?? new Date();
          await this.enqueue([fn], `cron(${expression})`, `${fn.id()}@${tick.toISOString()}`, {}).catch((error: unknown) =>
            this.log(`cron ${fn.id()}: ${String(error)}`),
          );
        });
        this.crons.push(job);
      }
    }
  }

  /** Re-schedules runs a previous process left queued, retrying or running. */
  async recover(): Promise<number> {
    const runs = await db().jobRun.findMany({
      where: { status: { in: ["QUEUED", "RETRYING", "RUNNING"] } },
      select: { id: true, functionId: true, nextRunAt: true },
    });
    for (const run of runs) {
      const delay = Math.max(0, (run.nextRunAt?.getTime() ?? 0) - Date.now());
      this.schedule(run.functionId, run.id, delay);
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
