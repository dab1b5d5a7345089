import { Readable } from "node:stream";
import { InngestTestEngine } from "@inngest/test";
import { afterEach, describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { uploadCdrFile } from "@/server/cdr/upload";
import { addRateForPrefix, rerateStatus } from "@/server/cdr/unbillable";
import { requestRerate, runRerateRequest } from "@/server/cdr/rerate";
import { rerateCalls } from "@/server/jobs/functions/cdr";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { ACTOR, balances, createBillingTenant, TAIWAN_RATE, withJobRunner } from "./ingest-support";

const runner = withJobRunner();

function line(account: string, callee: string, start: string, billsec: number, key: string): string {
  const end = start.replace(/:(\d\d)$/, (_, s: string) => `:${String(Math.min(59, Number(s) + 1)).padStart(2, "0")}`);
  return `"${account}","6135550101","${callee}","from-internal","""Caller"" <6135550101>","SIP/t-1","SIP/c-1","Dial","SIP/c/${callee}","${start}","${start}","${end}",${billsec + 1},${billsec},"ANSWERED","DOCUMENTATION","${key}",""`;
}

/** Alice's two calls to Taiwan (no rate until TAIWAN_RATE is added) and one of an account nobody owns. */
async function queueWithTaiwanRate() {
  const world = await createBillingTenant();
  const tenantId = world.tenant.id;
  const lines = [
    line("acct-1001", "0118869123456", "2026-10-06 10:00:00", 120, "r.1"),
    line("acct-1001", "0118862555000", "2026-10-06 11:00:00", 60, "r.2"),
    line("acct-4444", "0118862555001", "2026-10-06 12:00:00", 60, "r.3"),
  ];
  await uploadCdrFile({ tenantId, actor: ACTOR, sourceId: world.asterisk.id, fileName: "queue.csv", body: Readable.from([Buffer.from(`${lines.join("\n")}\n`)]) });
  await runner.drain(60_000);
  await addRateForPrefix({ tenantId, actor: ACTOR, input: { ...TAIWAN_RATE, deckId: world.deck.id } });
  return { tenantId };
}

/**
 * Makes the re-rate's batch fail (as a lost connection or a full disk would) the first `times`
 * times it writes a file's counters. A sequence, not a table: the failed transaction rolls back
 * whatever it wrote, but not nextval.
 */
async function failRerateBatches(times: number) {
  await pool().query(`CREATE SEQUENCE IF NOT EXISTS test_rerate_failures`);
  await pool().query(`ALTER SEQUENCE test_rerate_failures RESTART`);
  await pool().query(
    `CREATE OR REPLACE FUNCTION test_fail_rerate() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF nextval('test_rerate_failures') <= ${times} THEN RAISE EXCEPTION 'disk full'; END IF;
       RETURN NEW;
     END $$`,
  );
  await pool().query(`DROP TRIGGER IF EXISTS test_fail_rerate ON cdr_files`);
  // Only a re-rate lowers a file's unbillable count.
  await pool().query(`CREATE TRIGGER test_fail_rerate BEFORE UPDATE ON cdr_files FOR EACH ROW WHEN (NEW.unbillable < OLD.unbillable) EXECUTE FUNCTION test_fail_rerate()`);
}

/** Requests a re-rate that no engine here runs, as when an Inngest server has it: no job_runs row is written. */
async function requestOutsideTheEmbeddedRunner(tenantId: string) {
  const external = new EmbeddedRunner({ functions: [] });
  setEmbeddedRunner(external);
  try {
    return await requestRerate({ tenantId, actor: ACTOR, request: { reason: "no rate for prefix" } });
  } finally {
    external.stop();
    setEmbeddedRunner(runner.current);
  }
}

/** One attempt of the cdr-rerate function, run by the SDK's executor as an Inngest server would. */
async function attempt(tenantId: string, requestId: string) {
  const engine = new InngestTestEngine({ function: rerateCalls });
  const event = { name: "cdr/rerate.requested", id: `cdr-rerate-${requestId}`, data: { tenantId, requestId, reason: "no rate for prefix" }, ts: Date.now() };
  return engine.execute({ events: [event] as never });
}

// A test that fails before dropping its trigger must not fail the next one's re-rates.
afterEach(async () => {
  await pool().query(`DROP TRIGGER IF EXISTS test_fail_rerate ON cdr_files`);
});

describe("a re-rate request", () => {
  it("goes from QUEUED to COMPLETED with what it billed, written by the re-rate itself: no job_runs row is involved", async () => {
    const { tenantId } = await queueWithTaiwanRate();
    const before = await balances(tenantId);
    const request = await requestOutsideTheEmbeddedRunner(tenantId);
    expect(request.queued).toBe(2);

    expect(await rerateStatus({ tenantId, input: { requestId: request.requestId } })).toMatchObject({
      status: "QUEUED",
      reason: "no rate for prefix",
      done: false,
      rated: 0,
      charged: 0n,
      stillUnbillable: null,
      remaining: 2,
    });

    const outcome = await attempt(tenantId, request.requestId);
    expect(outcome.error).toBeUndefined();
    // Alice: 120 s + 60 s at $0.06/min in 60/60 → $0.18.
    expect(await rerateStatus({ tenantId, input: { requestId: request.requestId } })).toMatchObject({
      status: "COMPLETED",
      done: true,
      rated: 2,
      charged: 180_000n,
      stillUnbillable: 0,
      error: null,
      remaining: 0,
    });
    expect(before["1001"]! - (await balances(tenantId))["1001"]!).toBe(180_000n);
    expect(await db().jobRun.count({ where: { tenantId, eventName: "cdr/rerate.requested" } })).toBe(0);
    expect(await db().rerateRequest.findFirst({ where: { tenantId, id: request.requestId }, select: { attempts: true, startedAt: true, finishedAt: true } })).toMatchObject({
      attempts: 1,
      startedAt: expect.any(Date),
      finishedAt: expect.any(Date),
    });

    // Another tenant cannot read it.
    const other = await createBillingTenant();
    await expect(rerateStatus({ tenantId: other.tenant.id, input: { requestId: request.requestId } })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("stays RUNNING with the error while the function will retry, and ends COMPLETED when a retry succeeds, billing once", async () => {
    const { tenantId } = await queueWithTaiwanRate();
    const before = await balances(tenantId);
    const request = await requestOutsideTheEmbeddedRunner(tenantId);
    await failRerateBatches(1);

    const failed = await attempt(tenantId, request.requestId);
    expect(failed.error).toBeDefined();
    expect(await rerateStatus({ tenantId, input: { requestId: request.requestId } })).toMatchObject({
      status: "RUNNING",
      done: false,
      rated: 0,
      charged: 0n,
      error: "disk full",
      remaining: 2,
    });
    expect(await balances(tenantId)).toEqual(before);

    const retried = await attempt(tenantId, request.requestId);
    expect(retried.error).toBeUndefined();
    expect(await rerateStatus({ tenantId, input: { requestId: request.requestId } })).toMatchObject({
      status: "COMPLETED",
      done: true,
      rated: 2,
      charged: 180_000n,
      stillUnbillable: 0,
      error: null,
    });
    expect(before["1001"]! - (await balances(tenantId))["1001"]!).toBe(180_000n);
  });

  it("ends FAILED with its error when the last attempt the function allows fails, having billed nothing", async () => {
    const { tenantId } = await queueWithTaiwanRate();
    const before = await balances(tenantId);
    await failRerateBatches(1_000);
    // Run by the embedded runner, whose retries are the function's.
    const request = await requestRerate({ tenantId, actor: ACTOR, request: { reason: "no rate for prefix" } });
    await runner.drain(60_000);

    const run = await db().jobRun.findFirst({ where: { tenantId, eventName: "cdr/rerate.requested" }, select: { status: true, attempts: true } });
    expect(run?.status).toBe("FAILED");
    expect(await rerateStatus({ tenantId, input: { requestId: request.requestId } })).toMatchObject({
      status: "FAILED",
      done: true,
      error: "disk full",
      rated: 0,
      charged: 0n,
      finishedAt: expect.any(Date),
      remaining: 2,
    });
    expect((await db().rerateRequest.findFirst({ where: { tenantId, id: request.requestId }, select: { attempts: true } }))?.attempts).toBe(run?.attempts);
    expect(await balances(tenantId)).toEqual(before);
  });

  it("ends FAILED when no attempt could even record its start, each failure counted all the same", async () => {
    const { tenantId } = await queueWithTaiwanRate();
    // Every attempt's start is refused (a full disk, a lost connection): only its failure is recorded.
    await pool().query(
      `CREATE OR REPLACE FUNCTION test_refuse_rerate_start() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'disk full'; END $$`,
    );
    await pool().query(
      `CREATE TRIGGER test_refuse_rerate_start BEFORE UPDATE ON rerate_requests FOR EACH ROW WHEN (NEW.status = 'RUNNING' AND OLD.status <> 'RUNNING') EXECUTE FUNCTION test_refuse_rerate_start()`,
    );
    try {
      const request = await requestRerate({ tenantId, actor: ACTOR, request: { reason: "no rate for prefix" } });
      await runner.drain(60_000);
      const run = await db().jobRun.findFirst({ where: { tenantId, eventName: "cdr/rerate.requested" }, select: { status: true, attempts: true } });
      expect(run?.status).toBe("FAILED");
      expect(await db().rerateRequest.findFirst({ where: { tenantId, id: request.requestId }, select: { status: true, attempts: true, error: true } })).toEqual({
        status: "FAILED",
        attempts: run?.attempts,
        error: "disk full",
      });
    } finally {
      await pool().query(`DROP TRIGGER IF EXISTS test_refuse_rerate_start ON rerate_requests`);
    }
  });

  it("reads as failed once its run has outlived the function's time limit, which cancels it without a word", async () => {
    const { tenantId } = await queueWithTaiwanRate();
    const request = await requestOutsideTheEmbeddedRunner(tenantId);
    await db().rerateRequest.update({
      where: { id: request.requestId },
      data: { status: "RUNNING", attempts: 1, startedAt: new Date(Date.now() - 2 * 3_600_000 - 60_000), attemptStartedAt: new Date(Date.now() - 2 * 3_600_000 - 60_000), error: "disk full" },
    });
    expect(await rerateStatus({ tenantId, input: { requestId: request.requestId } })).toMatchObject({
      status: "FAILED",
      done: true,
      error: "Cancelled: the re-rate did not finish within 2h (last error: disk full)",
    });
    await db().rerateRequest.update({ where: { id: request.requestId }, data: { startedAt: new Date(Date.now() - 3_600_000), attemptStartedAt: new Date(Date.now() - 3_600_000) } });
    expect(await rerateStatus({ tenantId, input: { requestId: request.requestId } })).toMatchObject({ status: "RUNNING", done: false });
  });

  it("is judged by its current attempt's start: a retry that began after the first attempt failed has a time limit of its own", async () => {
    const { tenantId } = await queueWithTaiwanRate();
    const request = await requestOutsideTheEmbeddedRunner(tenantId);
    // Attempt 1 started 2 h 10 min ago and failed after 1 h 50 min; the retry started 20 minutes ago.
    await db().rerateRequest.update({ where: { id: request.requestId }, data: { status: "RUNNING", attempts: 1, startedAt: new Date(Date.now() - 130 * 60_000), error: "deadlock detected" } });
    // The retry's start is recorded as it begins (it then completes here).
    await runRerateRequest({ tenantId, requestId: request.requestId, reason: null });
    const row = await db().rerateRequest.findUniqueOrThrow({ where: { id: request.requestId } });
    expect(row.attemptStartedAt!.getTime()).toBeGreaterThan(row.startedAt!.getTime());
    await db().rerateRequest.update({ where: { id: request.requestId }, data: { status: "RUNNING", attemptStartedAt: new Date(Date.now() - 20 * 60_000) } });
    expect(await rerateStatus({ tenantId, input: { requestId: request.requestId } })).toMatchObject({ status: "RUNNING", done: false, startedAt: row.startedAt });
  });

  it("reads as failed when it never started within two runs' limits (its event was never handed over), and as queued before", async () => {
    const { tenantId } = await queueWithTaiwanRate();
    const request = await requestOutsideTheEmbeddedRunner(tenantId);
    // Behind another re-rate of the tenant, which may take its whole 2 hours.
    await db().rerateRequest.update({ where: { id: request.requestId }, data: { requestedAt: new Date(Date.now() - 3 * 3_600_000) } });
    expect(await rerateStatus({ tenantId, input: { requestId: request.requestId } })).toMatchObject({ status: "QUEUED", done: false });
    await db().rerateRequest.update({ where: { id: request.requestId }, data: { requestedAt: new Date(Date.now() - 4 * 3_600_000 - 60_000) } });
    expect(await rerateStatus({ tenantId, input: { requestId: request.requestId } })).toMatchObject({
      status: "FAILED",
      done: true,
      error: "Never started: the request was not handed to the job engine. Nothing was billed; run it again.",
    });
  });
});
