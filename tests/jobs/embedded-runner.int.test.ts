import { Inngest, NonRetriableError, cron, eventType } from "inngest";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { db } from "@/server/db/client";
import { randomUUID } from "node:crypto";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { sendEvents } from "@/server/jobs/send";
import { functionCancelled } from "@/server/jobs/events";
import { createTenant } from "../support/factories";

const inngest = new Inngest({ id: "runner-test" });
// The runner validates events against the app's schemas; reuse a real event name.
const trigger = eventType("auth/password-reset.requested", { schema: z.object({ userId: z.string(), tenantId: z.string().optional() }) });

let runner: EmbeddedRunner | undefined;
afterEach(() => runner?.stop());

describe("embedded job runner", () => {
  it("runs every function an event triggers, retries failures with backoff, records each run", async () => {
    const tenant = await createTenant();
    let flakyCalls = 0;
    const flaky = inngest.createFunction({ id: "flaky", retries: 3, triggers: [trigger] }, async ({ step }) => {
      return step.run("maybe-fail", () => {
        flakyCalls += 1;
        if (flakyCalls < 3) throw new Error(`transient failure ${flakyCalls}`);
        return { ok: true, calls: flakyCalls };
      });
    });
    const steady = inngest.createFunction({ id: "steady", retries: 0, triggers: [trigger] }, async () => "done");
    const delays: number[] = [];
    runner = new EmbeddedRunner({ functions: [flaky, steady], backoffMs: (attempt) => (delays.push(attempt), 10) });

    const userId = "5b1d2c3b-0a1b-4c5d-8e9f-0123456789ab";
    const runIds = await runner.dispatch({ name: "auth/password-reset.requested", data: { userId, tenantId: tenant.id } });
    expect(runIds).toHaveLength(2);
    await runner.drain();

    const runs = await db().jobRun.findMany({ where: { id: { in: runIds } }, orderBy: { functionId: "asc" } });
    expect(runs.map((run) => [run.functionId, run.status, run.attempts])).toEqual([
      ["flaky", "COMPLETED", 3],
      ["steady", "COMPLETED", 1],
    ]);
    expect(runs[0]?.output).toEqual({ ok: true, calls: 3 });
    expect(runs[0]?.tenantId).toBe(tenant.id);
    expect(delays).toEqual([1, 2]);
  });

  it("limits concurrency per key: one run at a time per tenant, tenants side by side", async () => {
    const [first, second] = await Promise.all([createTenant(), createTenant()]);
    let running = 0;
    const overlapping: string[] = [];
    const active = new Map<string, number>();
    const slow = inngest.createFunction(
      { id: "per-tenant", retries: 0, concurrency: [{ limit: 1, key: "event.data.tenantId" }], triggers: [trigger] },
      async ({ event }) => {
        const tenantId = String(event.data.tenantId);
        running += 1;
        active.set(tenantId, (active.get(tenantId) ?? 0) + 1);
        if (active.get(tenantId)! > 1) overlapping.push(tenantId);
        const peak = running;
        await new Promise((resolve) => setTimeout(resolve, 60));
        running -= 1;
        active.set(tenantId, active.get(tenantId)! - 1);
        return peak;
      },
    );
    runner = new EmbeddedRunner({ functions: [slow] });
    const userId = "5b1d2c3b-0a1b-4c5d-8e9f-0123456789ab";
    const runIds = (
      await Promise.all(
        [first, first, first, second, second].map((tenant) => runner!.dispatch({ name: "auth/password-reset.requested", data: { userId, tenantId: tenant.id } })),
      )
    ).flat();
    await runner.drain();
    const runs = await db().jobRun.findMany({ where: { id: { in: runIds } } });
    expect(runs.every((run) => run.status === "COMPLETED")).toBe(true);
    expect(overlapping).toEqual([]);
    // The two tenants' runs did overlap each other.
    expect(Math.max(...runs.map((run) => Number(run.output)))).toBe(2);
  });

  it("admits a tenant with one waiting run before two tenants' backlogs take every freed slot", async () => {
    const [busyA, busyB, quiet] = await Promise.all([createTenant(), createTenant(), createTenant()]);
    const started: string[] = [];
    // The first runs hold their slots until every event is queued, however slow the machine.
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const fair = inngest.createFunction(
      { id: "fair", retries: 0, concurrency: [{ limit: 2 }, { limit: 1, key: "event.data.tenantId" }], triggers: [trigger] },
      async ({ event }) => {
        started.push(String(event.data.tenantId));
        await gate;
        await new Promise((resolve) => setTimeout(resolve, 10));
      },
    );
    runner = new EmbeddedRunner({ functions: [fair] });
    const userId = "5b1d2c3b-0a1b-4c5d-8e9f-0123456789ab";
    // Sent one after another, so the queue's order is known: A, B, A, B, A, B, then the quiet tenant.
    for (const tenant of [busyA, busyB, busyA, busyB, busyA, busyB, quiet]) {
      await runner.dispatch({ name: "auth/password-reset.requested", data: { userId, tenantId: tenant.id } });
    }
    await expect.poll(() => started.length).toBe(2);
    expect(started).toEqual([busyA.id, busyB.id]);
    openGate();
    await runner.drain();
    expect(started).toHaveLength(7);
    // Served in arrival order it would start last; fairly, it takes one of the two slots freed
    // first (the two freed slots' runs may start in either order on a loaded machine).
    expect(started.slice(2, 4)).toContain(quiet.id);
  });

  it("runs cron functions (as Inngest's scheduled event) once per tick", async () => {
    const ticks: string[] = [];
    const scheduled = inngest.createFunction({ id: "nightly", retries: 0, triggers: [cron("0 3 * * *")] }, async ({ event, step }) =>
      step.run("work", () => {
        ticks.push(event.name);
        return "ran";
      }),
    );
    runner = new EmbeddedRunner({ functions: [scheduled] });
    const tick = new Date("2026-11-22T03:00:00Z");
    const [runId] = await runner.fireCron("nightly", tick);
    expect(await runner.fireCron("nightly", tick)).toEqual([]);
    await runner.drain();
    const run = await db().jobRun.findUniqueOrThrow({ where: { id: runId } });
    expect([run.status, run.eventName, run.output, run.error]).toEqual(["COMPLETED", "cron(0 3 * * *)", "ran", null]);
    expect(ticks).toEqual(["inngest/scheduled.timer"]);
  });

  it("gives up after the function's retries and keeps the error", async () => {
    const failing = inngest.createFunction({ id: "always-fails", retries: 2, triggers: [trigger] }, async () => {
      throw new Error("still broken");
    });
    runner = new EmbeddedRunner({ functions: [failing], backoffMs: () => 5 });
    const [runId] = await runner.dispatch({ name: "auth/password-reset.requested", data: { userId: "11111111-1111-4111-8111-111111111111" } });
    await runner.drain();
    const run = await db().jobRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe("FAILED");
    expect(run.attempts).toBe(3);
    expect(run.error).toContain("still broken");
  });

  it("does not retry a NonRetriableError", async () => {
    const fatal = inngest.createFunction({ id: "fatal", retries: 5, triggers: [trigger] }, async () => {
      throw new NonRetriableError("bad input");
    });
    runner = new EmbeddedRunner({ functions: [fatal], backoffMs: () => 5 });
    const [runId] = await runner.dispatch({ name: "auth/password-reset.requested", data: { userId: "22222222-2222-4222-8222-222222222222" } });
    await runner.drain();
    expect(await db().jobRun.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ status: "FAILED", attempts: 1 });
  });

  it("starts a function once per event id, like Inngest's deduplication", async () => {
    let calls = 0;
    const counted = inngest.createFunction({ id: "counted", triggers: [trigger] }, async () => ++calls);
    runner = new EmbeddedRunner({ functions: [counted] });
    const event = { name: "auth/password-reset.requested" as const, data: { userId: "33333333-3333-4333-8333-333333333333" }, id: "same-event-id" };
    await runner.dispatch(event);
    await runner.dispatch(event);
    await runner.drain();
    expect(calls).toBe(1);
  });

  it("queues a batch of events in one insert, each event once: repeated in the batch, sent again, or by two runners at once", async () => {
    const seen: string[] = [];
    const recorder = inngest.createFunction({ id: "recorder", triggers: [trigger] }, async ({ event }) => {
      seen.push(event.data.userId);
    });
    runner = new EmbeddedRunner({ functions: [recorder] });
    const other = new EmbeddedRunner({ functions: [recorder] });
    try {
      const userOf = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
      const event = (n: number) => ({ name: "auth/password-reset.requested" as const, data: { userId: userOf(n) }, id: `batch-event-${n}` });
      const first = await runner.dispatchMany([event(1), event(2), event(2), event(3)]);
      expect(first).toHaveLength(3);
      // Sent again with a new one, from this runner and another process's at the same time.
      const [again, racing] = await Promise.all([runner.dispatchMany([event(1), event(4)]), other.dispatchMany([event(3), event(4)])]);
      expect(again.length + racing.length).toBe(1);
      await runner.drain();
      await other.drain();
      expect(seen.sort()).toEqual([1, 2, 3, 4].map(userOf));
      expect(await db().jobRun.count({ where: { functionId: recorder.id(), eventId: { startsWith: "batch-event-" } } })).toBe(4);
    } finally {
      other.stop();
    }
  });

  it("takes any number of events in one sendEvents, in chunks the database accepts", async () => {
    const quiet = inngest.createFunction({ id: "many", triggers: [trigger] }, async () => "ok");
    runner = new EmbeddedRunner({ functions: [quiet] });
    setEmbeddedRunner(runner);
    try {
      const events = Array.from({ length: 1_201 }, () => ({ name: "auth/password-reset.requested" as const, data: { userId: randomUUID() }, id: `many-${randomUUID()}` }));
      await sendEvents(events);
      await runner.drain(60_000);
      expect(await db().jobRun.count({ where: { functionId: quiet.id(), status: "COMPLETED" } })).toBe(1_201);
    } finally {
      setEmbeddedRunner(undefined);
    }
  });

  it("cancels a run that outlives its finish timeout, frees its slot once, and ignores its late outcome", async () => {
    const tenant = await createTenant();
    const hungUser = "66666666-6666-4666-8666-666666666666";
    let releaseHung = () => {};
    const hung = new Promise<void>((resolve) => (releaseHung = resolve));
    let running = 0;
    let peak = 0;
    const settledLate: string[] = [];
    const stuck = inngest.createFunction(
      { id: "stuck", retries: 3, concurrency: [{ limit: 1, key: "event.data.tenantId" }], timeouts: { finish: "0.1s" }, triggers: [trigger] },
      async ({ event, step }) =>
        step.run("work", async () => {
          if (event.data.userId === hungUser) {
            await hung;
            settledLate.push(event.data.userId);
            return "late";
          }
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running -= 1;
          return "done";
        }),
    );
    const logs: string[] = [];
    runner = new EmbeddedRunner({ functions: [stuck], backoffMs: () => 5, log: (line) => logs.push(line) });
    const dispatch = (userId: string) => runner!.dispatch({ name: "auth/password-reset.requested", data: { userId, tenantId: tenant.id } });

    const [hungRunId] = await dispatch(hungUser);
    const [queuedRunId] = await dispatch("77777777-7777-4777-8777-777777777777");
    await runner.drain(5_000);

    const cancelled = await db().jobRun.findUniqueOrThrow({ where: { id: hungRunId } });
    expect(cancelled).toMatchObject({ status: "FAILED", attempts: 1, output: null, error: "Cancelled: stuck timed out after 0.1s (timeouts.finish)" });
    expect(cancelled.finishedAt).not.toBeNull();
    expect(await db().jobRun.findUniqueOrThrow({ where: { id: queuedRunId } })).toMatchObject({ status: "COMPLETED", output: "done" });
    expect(logs.some((line) => line.includes("stuck") && line.includes("timed out after 0.1s"))).toBe(true);

    releaseHung();
    await expect.poll(() => logs.some((line) => line.includes(hungRunId!) && line.includes("settled after it timed out"))).toBe(true);
    expect(settledLate).toEqual([hungUser]);
    expect(await db().jobRun.findUniqueOrThrow({ where: { id: hungRunId } })).toEqual(cancelled);

    // A slot freed twice would let the tenant's next runs overlap.
    const moreRunIds = (await Promise.all(["88888888-8888-4888-8888-888888888888", "99999999-9999-4999-8999-999999999999", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"].map(dispatch))).flat();
    await runner.drain(5_000);
    expect(await db().jobRun.count({ where: { id: { in: moreRunIds }, status: "COMPLETED" } })).toBe(3);
    expect(peak).toBe(1);
  });

  it("emits inngest/function.cancelled for a cancelled run, as Inngest does, to every function it triggers, once", async () => {
    const tenant = await createTenant();
    let releaseHung = () => {};
    const hung = new Promise<void>((resolve) => (releaseHung = resolve));
    const hangs = inngest.createFunction({ id: "hangs", retries: 3, timeouts: { finish: "0.1s" }, triggers: [trigger] }, async ({ step }) =>
      step.run("work", async () => {
        await hung;
        return "late";
      }),
    );
    const received: { functionId: string; data: unknown }[] = [];
    const onCancelled = (id: string) =>
      inngest.createFunction({ id, retries: 0, timeouts: { finish: "1m" }, triggers: [functionCancelled] }, async ({ event }) => {
        received.push({ functionId: id, data: event.data });
        return event.data.function_id;
      });
    const logs: string[] = [];
    runner = new EmbeddedRunner({ functions: [hangs, onCancelled("cleanup"), onCancelled("audit")], appId: inngest.id, log: (line) => logs.push(line) });

    const userId = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
    const [hungRunId] = await runner.dispatch({ name: "auth/password-reset.requested", id: "reset-1", data: { userId, tenantId: tenant.id } });
    await runner.drain(5_000);

    const hungRun = await db().jobRun.findUniqueOrThrow({ where: { id: hungRunId } });
    expect([hungRun.status, hungRun.error]).toEqual(["FAILED", "Cancelled: hangs timed out after 0.1s (timeouts.finish)"]);
    // Inngest's payload: the function as "<app id>-<function id>", the run, a fixed error, the triggering event.
    const triggering = { name: "auth/password-reset.requested", id: "reset-1", data: { userId, tenantId: tenant.id }, ts: hungRun.createdAt.getTime() };
    const payload = {
      function_id: "runner-test-hangs",
      run_id: hungRunId!,
      error: { error: "function cancelled", message: "function cancelled", name: "Error" },
      event: triggering,
      events: [triggering],
    };
    expect(received.sort((a, b) => a.functionId.localeCompare(b.functionId))).toEqual([
      { functionId: "audit", data: payload },
      { functionId: "cleanup", data: payload },
    ]);
    const cleanupRuns = await db().jobRun.findMany({ where: { eventName: "inngest/function.cancelled", eventId: `function-cancelled-${hungRunId}` }, orderBy: { functionId: "asc" } });
    // Listed under the tenant of the cancelled run's event.
    expect(cleanupRuns.map((run) => [run.functionId, run.status, run.output, run.tenantId])).toEqual([
      ["audit", "COMPLETED", "runner-test-hangs", tenant.id],
      ["cleanup", "COMPLETED", "runner-test-hangs", tenant.id],
    ]);

    // The same cancellation again (a resumed run cancelled twice) starts nothing new.
    expect(await runner.dispatch({ name: "inngest/function.cancelled", id: `function-cancelled-${hungRunId}`, data: payload })).toEqual([]);
    releaseHung();
    await expect.poll(() => logs.some((line) => line.includes(hungRunId!) && line.includes("settled after it timed out"))).toBe(true);
    expect(received).toHaveLength(2);
  });

  it("refuses a trigger's if expression it would not honour", () => {
    const filtered = inngest.createFunction({ id: "filtered", triggers: [{ event: "inngest/function.cancelled", if: "event.data.function_id == 'x'" }] }, async () => "never");
    expect(() => new EmbeddedRunner({ functions: [filtered] })).toThrow("does not support a trigger's if expression");
  });

  it("gives every application function a finish timeout, which the runner accepts", async () => {
    const { functions } = await import("@/server/jobs/functions/index");
    const withoutFinish = functions.filter((fn) => typeof fn.opts.timeouts?.finish !== "string").map((fn) => fn.id());
    expect(withoutFinish).toEqual([]);
    expect(() => new EmbeddedRunner({ functions }).stop()).not.toThrow();
  });

  it("refuses a start timeout it would not honour", () => {
    const queuedTooLong = inngest.createFunction({ id: "start-timeout", timeouts: { start: "1m" }, triggers: [trigger] }, async () => "never");
    expect(() => new EmbeddedRunner({ functions: [queuedTooLong] })).toThrow("does not support timeouts.start");
  });

  it("resumes runs a previous process left queued", async () => {
    let calls = 0;
    const resumable = inngest.createFunction({ id: "resumable", triggers: [trigger] }, async () => ++calls);
    const run = await db().jobRun.create({
      data: { functionId: resumable.id(), eventName: "auth/password-reset.requested", eventId: "left-over", eventData: { userId: "44444444-4444-4444-8444-444444444444" }, status: "RUNNING", attempts: 1, maxAttempts: 5 },
    });
    runner = new EmbeddedRunner({ functions: [resumable] });
    expect(await runner.recover()).toBeGreaterThanOrEqual(1);
    await runner.drain();
    expect(calls).toBe(1);
    expect(await db().jobRun.findUniqueOrThrow({ where: { id: run.id } })).toMatchObject({ status: "COMPLETED", attempts: 2 });
  });
});
