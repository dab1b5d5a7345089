import { readdirSync, readlinkSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { db, pool } from "@/server/db/client";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { ingestCdrFile, SimulatedCrash, UnreadableCdrFile, type TIngestResult } from "@/server/cdr/ingest";
import { releaseHeldFile, resendLostFileEvents, retryFailedFile } from "@/server/cdr/files";
import { postLedgerEntry } from "@/server/wallet/ledger";
import { requestRerate, rerateUnbillable } from "@/server/cdr/rerate";
import { updateDiallingPlan } from "@/server/tenants/dialling-plan";
import { customerTexts } from "@/server/wallet/customer-text";
import { statementDetails } from "@/server/wallet/statement-details";
import { ACTOR, balances, createBillingTenant, withJobRunner, deliver, deliverQuietly, syntheticAsteriskFile } from "./ingest-support";
import { createUser } from "../support/factories";
import { expectTrafficTotalsMatchCalls } from "./traffic-support";

const runner = withJobRunner();

/** This process's open descriptors on a file. */
function descriptorsOn(file: string): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false; // closed meanwhile
    }
  }).length;
}

async function fileRow(fileId: string) {
  return db().cdrFile.findUniqueOrThrow({ where: { id: fileId } });
}

/** Every stored call of a tenant, without ingest-time columns, in a stable order. */
async function storedCalls(tenantId: string) {
  const result = await pool().query(
    `SELECT record_key, start_at, line, status, unbillable_reason, customer_id IS NOT NULL AS owned, callee, billed_seconds, price::text, cost::text
     FROM cdrs WHERE tenant_id = $1 ORDER BY source_id, record_key, start_at`,
    [tenantId],
  );
  return result.rows;
}

/** A file's totals, kept batch by batch, against its stored calls summed afresh. */
async function expectFileTotalsOfStoredCalls(fileId: string): Promise<void> {
  const file = await fileRow(fileId);
  const sums = await pool().query<{ calls: number; billed_seconds: string; price: string; cost: string; first_call_at: Date | null; last_call_at: Date | null }>(
    `SELECT count(*)::int AS calls, COALESCE(SUM(billed_seconds), 0)::text AS billed_seconds, COALESCE(SUM(price), 0)::text AS price,
            COALESCE(SUM(cost), 0)::text AS cost, min(start_at) AS first_call_at, max(start_at) AS last_call_at
     FROM cdrs WHERE file_id = $1::uuid`,
    [fileId],
  );
  const stored = sums.rows[0]!;
  expect({
    calls: file.callsStored,
    billedSeconds: file.billedSeconds.toString(),
    price: file.priceTotal.toString(),
    cost: file.costTotal.toString(),
    first: file.firstCallAt,
    last: file.lastCallAt,
  }).toEqual({ calls: stored.calls, billedSeconds: stored.billed_seconds, price: stored.price, cost: stored.cost, first: stored.first_call_at, last: stored.last_call_at });
}

async function ledgerOf(tenantId: string) {
  const rows = await db().ledgerEntry.findMany({ where: { tenantId }, select: { amount: true, idempotencyKey: true }, orderBy: { idempotencyKey: "asc" } });
  return rows;
}

describe("ingesting the shared fixtures", () => {
  it("accounts for every line of each fixture, keeps the rejected lines with their numbers, and bills the rated calls", async () => {
    const world = await createBillingTenant();
    const asterisk = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master.csv", fixture: "cdr/asterisk-master.csv" });
    const freeswitch = await deliver({ tenantId: world.tenant.id, sourceId: world.freeswitch.id, name: "fs.csv", fixture: "cdr/freeswitch-example.csv" });
    const carrier = await deliver({ tenantId: world.tenant.id, sourceId: world.carrier.id, name: "ld.csv", fixture: "cdr/carrier-ld.csv" });
    await runner.drain(60_000);

    for (const received of [asterisk, freeswitch, carrier]) {
      const file = await fileRow(received.id);
      expect(file.status, file.error ?? "").toBe("DONE");
      expect(file.lines).toBe(file.rated + file.unanswered + file.unbillable + file.rejected);
      await expectFileTotalsOfStoredCalls(received.id);
    }

    const master = await fileRow(asterisk.id);
    expect(master.lines).toBe(9);
    expect(master.unanswered).toBe(1); // Bob's NO ANSWER
    const masterRejects = await db().cdrReject.findMany({ where: { fileId: asterisk.id }, orderBy: { line: "asc" } });
    expect(masterRejects.map((reject) => reject.line)).toEqual([9]);
    expect(masterRejects[0]!.raw).toBe("this line is not a CDR at all");
    expect(masterRejects[0]!.reason).toMatch(/not a CDR/);
    const unknown = await pool().query(`SELECT status, unbillable_reason FROM cdrs WHERE file_id = $1 AND account_code = 'acct-9999'`, [asterisk.id]);
    expect(unknown.rows).toEqual([{ status: "UNBILLABLE", unbillable_reason: "unknown account" }]);

    const ld = await fileRow(carrier.id);
    expect(ld.lines).toBe(6); // the header is line 1 and not a call
    const ldRejects = await db().cdrReject.findMany({ where: { fileId: carrier.id }, orderBy: { line: "asc" } });
    expect(ldRejects.map((reject) => reject.line)).toEqual([6, 7]);
    expect(ldRejects[0]!.reason).toMatch(/called number/);
    expect(ldRejects[1]!.reason).toMatch(/start time/);

    // Balances moved by exactly what the stored rated calls cost, per customer.
    const charged = await pool().query<{ account_number: string; total: string }>(
      `SELECT c.account_number, SUM(d.price)::text AS total FROM cdrs d JOIN customers c ON c.id = d.customer_id
       WHERE d.tenant_id = $1 AND d.status = 'RATED' GROUP BY c.account_number`,
      [world.tenant.id],
    );
    const now = await balances(world.tenant.id);
    for (const row of charged.rows) expect(now[row.account_number]).toBe(-BigInt(row.total));
    expect(now["1001"]).toBeLessThan(0n);

    // The Ottawa call of the Asterisk file: 157 s at $0.0050/min in 60/60 → 180 s → $0.015.
    const ottawa = await pool().query(`SELECT price::text, billed_seconds FROM cdrs WHERE record_key = '1759310102.101'`);
    expect(ottawa.rows).toEqual([{ price: "0", billed_seconds: 180 }]); // 1800 toll-free: zero-rated
    await expectTrafficTotalsMatchCalls(world.tenant.id);
  });
});

describe("reactions to the charges", () => {
  it("locks a prepaid customer the file runs dry, with a few balance events per customer rather than one per batch", async () => {
    const world = await createBillingTenant();
    // Alice (prepaid) starts with $1: her calls in the file cost more.
    await postLedgerEntry({ tenantId: world.tenant.id, customerId: world.alice.id, amount: 1_000_000n, kind: "TOPUP", idempotencyKey: "reaction-test-topup" });
    await runner.drain(60_000);
    expect((await db().customer.findUniqueOrThrow({ where: { id: world.alice.id } })).status).toBe("ACTIVE");

    await db().customer.update({ where: { id: world.bob.id }, data: { lowBalanceThreshold: -500_000_000n } });
    // Delivered quietly, then ingested here in small batches; the balance events go to the runner.
    const quiet = new EmbeddedRunner({ functions: [] });
    setEmbeddedRunner(quiet);
    const file = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "dry.csv", content: syntheticAsteriskFile(600) }).finally(() => {
      quiet.stop();
      setEmbeddedRunner(runner.current);
    });
    const result = await ingestCdrFile({ tenantId: world.tenant.id, fileId: file.id, batchLines: 50 });
    expect(result.status).toBe("DONE");
    expect(result.batches).toBe(12);
    await runner.drain(60_000);
    const alice = await db().customer.findUniqueOrThrow({ where: { id: world.alice.id } });
    expect(alice.balance).toBeLessThan(0n);
    expect(alice.status).toBe("LOCKED");
    expect(alice.lowBalanceAlerted).toBe(true);
    // Charged in every batch, but only a change her state lags behind gets an event: the
    // first charge (below the $5 low-balance mark), then at most one per 30 s, and at the end
    // of the file the last one held if the state still lags (the first reaction may have found
    // her dry already and locked her; a very slow machine may send one more in between).
    const charges = (customerId: string) => db().ledgerEntry.count({ where: { customerId, kind: "CALL_CHARGES" } });
    const reactions = (customerId: string) =>
      db().jobRun.count({ where: { tenantId: world.tenant.id, functionId: { contains: "balance-changed" }, eventData: { path: ["customerId"], equals: customerId } } });
    expect(await charges(world.alice.id)).toBe(12);
    expect(await reactions(world.alice.id)).toBeGreaterThanOrEqual(2); // the top-up, the first charge
    expect(await reactions(world.alice.id)).toBeLessThanOrEqual(4);
    // Bob (postpaid, $1,000 of credit, alerted below -$500) is charged in every batch too, but
    // nothing about his account lags his balance: no reaction at all.
    expect(await db().customer.findUniqueOrThrow({ where: { id: world.bob.id } })).toMatchObject({ status: "ACTIVE", lowBalanceAlerted: false });
    expect(await charges(world.bob.id)).toBe(12);
    expect(await reactions(world.bob.id)).toBe(0);
  });
});

describe("files arriving at the same moment", () => {
  it("bills the same content once when two sources deliver it at once, and holds the second of two files of one name", async () => {
    const world = await createBillingTenant();
    const content = syntheticAsteriskFile(40);
    const both = await Promise.all(
      [world.asterisk.id, world.freeswitch.id].map((sourceId) => deliver({ tenantId: world.tenant.id, sourceId, name: "same.csv", content })),
    );
    expect(both.map((file) => file.status).sort()).toEqual(["HELD", "RECEIVED"]);

    const named = await Promise.all(
      [syntheticAsteriskFile(10), syntheticAsteriskFile(10, { startMs: Date.UTC(2026, 9, 11) })].map((text) =>
        deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "daily.csv", content: text }),
      ),
    );
    expect(named.map((file) => file.status).sort()).toEqual(["HELD", "RECEIVED"]);
    await runner.drain();
  });
});

describe("a file whose event was lost", () => {
  /** Runs `action` with an engine that refuses every send, as one unreachable or a crash right after the commit would. */
  async function withEngineDown<T>(action: () => Promise<T>): Promise<unknown> {
    const down = new EmbeddedRunner({ functions: [] });
    down.dispatchMany = () => Promise.reject(new Error("engine unreachable"));
    setEmbeddedRunner(down);
    try {
      await action();
      return null;
    } catch (error) {
      return error;
    } finally {
      down.stop();
      setEmbeddedRunner(runner.current);
    }
  }
  const ingestRuns = (fileId: string) =>
    db().jobRun.findMany({ where: { functionId: "cdr-ingest-file", eventData: { path: ["fileId"], equals: fileId } }, select: { eventId: true } });

  it("is sent again by the sweep under the event id it was given, and billed once", async () => {
    const world = await createBillingTenant();
    const later = () => new Date(Date.now() + 3 * 60_000);
    const failed = await withEngineDown(() => deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master.csv", fixture: "cdr/asterisk-master.csv" }));
    expect(failed).toMatchObject({ message: "engine unreachable" });
    const file = await db().cdrFile.findFirstOrThrow({ where: { tenantId: world.tenant.id, sourceId: world.asterisk.id } });
    expect(file).toMatchObject({ status: "RECEIVED", ingestEventSentAt: null });

    // Within its grace the file is left to the normal path; after it, the sweep sends its event.
    expect(await resendLostFileEvents()).toEqual({ resent: 0, failedStalled: 0, resentStalled: 0 });
    expect(await resendLostFileEvents({ now: later() })).toEqual({ resent: 1, failedStalled: 0, resentStalled: 0 });
    await runner.drain();
    expect(await fileRow(file.id)).toMatchObject({ status: "DONE", rated: 5, ingestEventSentAt: expect.any(Date) });
    const billed = await balances(world.tenant.id);
    expect(await resendLostFileEvents({ now: later() })).toEqual({ resent: 0, failedStalled: 0, resentStalled: 0 });
    // The id a send that happened before a crash would have used: the engine runs it once.
    expect(await ingestRuns(file.id)).toEqual([{ eventId: `cdr-file-${file.id}` }]);

    // A retry whose send is lost is sent again under the retry's own id.
    await db().cdrFile.update({ where: { id: file.id }, data: { status: "FAILED", error: "say the database was down" } });
    expect(await withEngineDown(() => retryFailedFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: file.id }))).toMatchObject({ message: "engine unreachable" });
    const retried = await fileRow(file.id);
    expect(retried).toMatchObject({ status: "RECEIVED", ingestEventId: expect.stringMatching(/-retry-/), ingestEventSentAt: null });
    expect(await resendLostFileEvents({ now: later() })).toEqual({ resent: 1, failedStalled: 0, resentStalled: 0 });
    await runner.drain();
    expect((await ingestRuns(file.id)).map((run) => run.eventId).sort()).toEqual([`cdr-file-${file.id}`, retried.ingestEventId].sort());
    expect(await fileRow(file.id)).toMatchObject({ status: "DONE" });
    expect(await balances(world.tenant.id)).toEqual(billed);
  });
});

describe("files exactly once", () => {
  it("bills a file once when it is delivered twice or renamed, and holds changed content under a known name", async () => {
    const world = await createBillingTenant();
    const first = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master.csv", fixture: "cdr/asterisk-master.csv" });
    await runner.drain(60_000);
    const after = await balances(world.tenant.id);
    const calls = await storedCalls(world.tenant.id);

    const again = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master.csv", fixture: "cdr/asterisk-master.csv" });
    const renamed = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-copy.csv", fixture: "cdr/asterisk-master.csv" });
    expect(again.status).toBe("DUPLICATE");
    expect(renamed.status).toBe("DUPLICATE");
    expect((await fileRow(renamed.id)).duplicateOfId).toBe(first.id);
    // The same file under another source (an upload with the wrong source chosen): held, not billed.
    const elsewhere = await deliver({ tenantId: world.tenant.id, sourceId: world.freeswitch.id, name: "Master.csv", fixture: "cdr/asterisk-master.csv" });
    expect(elsewhere.status).toBe("HELD");
    expect(elsewhere.note).toMatch(/source Switch \(Asterisk\).*bill its calls again/);

    const changed = await deliver({
      tenantId: world.tenant.id,
      sourceId: world.asterisk.id,
      name: "Master.csv",
      content: syntheticAsteriskFile(20),
    });
    expect(changed.status).toBe("HELD");
    await runner.drain(60_000);
    expect(await balances(world.tenant.id)).toEqual(after);
    expect(await storedCalls(world.tenant.id)).toEqual(calls);

    // Released by an admin: its own calls are billed, nothing already stored is billed again.
    await releaseHeldFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: changed.id });
    await runner.drain(60_000);
    expect((await fileRow(changed.id)).status).toBe("DONE");
    expect((await storedCalls(world.tenant.id)).length).toBeGreaterThan(calls.length);
    await expectFileTotalsOfStoredCalls(changed.id);
    await expectFileTotalsOfStoredCalls(first.id);
  });

  it("bills a released re-issue only for the calls the earlier file did not have, even when the carrier changed their start times", async () => {
    const world = await createBillingTenant();
    const base = Date.UTC(2026, 9, 10, 12, 0, 0);
    const first = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-day.csv", content: syntheticAsteriskFile(20, { startMs: base }) });
    await runner.drain(60_000);
    const callsBefore = await storedCalls(world.tenant.id);
    expect(callsBefore).toHaveLength(20);

    // The carrier re-issues the day: the same 20 calls (same call ids) a second later each, and 3 more.
    const reissued = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-day.csv", content: syntheticAsteriskFile(23, { startMs: base + 1000 }) });
    expect(reissued.status).toBe("HELD");
    expect(reissued.note).toMatch(/known by its call id even if its start time changed/);
    await releaseHeldFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: reissued.id });
    await runner.drain(60_000);

    const done = await fileRow(reissued.id);
    expect([done.status, done.lines, done.alreadyPresent, done.callsStored]).toEqual(["DONE", 23, 20, 3]);
    expect(done.lines).toBe(done.rated + done.unanswered + done.unbillable + done.rejected + done.alreadyPresent);
    const calls = await storedCalls(world.tenant.id);
    expect(calls).toHaveLength(23);
    const fromReissue = await pool().query<{ record_key: string }>(`SELECT record_key FROM cdrs WHERE tenant_id = $1 AND file_id = $2 ORDER BY record_key`, [world.tenant.id, reissued.id]);
    expect(fromReissue.rows.map((row) => row.record_key)).toEqual(["syn.20", "syn.21", "syn.22"]);
    const charged = async () => (await db().ledgerEntry.aggregate({ where: { tenantId: world.tenant.id, kind: "CALL_CHARGES" }, _sum: { amount: true } }))._sum.amount;
    expect(await charged()).toBe(-((await fileRow(first.id)).priceTotal + done.priceTotal));
    await expectFileTotalsOfStoredCalls(reissued.id);

    // Run again (a lost "done"): nothing moves.
    const ledgerBefore = await ledgerOf(world.tenant.id);
    await db().cdrFile.update({ where: { id: reissued.id }, data: { status: "RECEIVED" } });
    expect((await ingestCdrFile({ tenantId: world.tenant.id, fileId: reissued.id })).status).toBe("DONE");
    expect(await storedCalls(world.tenant.id)).toEqual(calls);
    expect(await ledgerOf(world.tenant.id)).toEqual(ledgerBefore);
  });

  it("bills a re-issue of a re-issue only for calls no earlier issue had, and releases a re-issue only once the earlier files finished", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    const base = Date.UTC(2026, 9, 10, 12, 0, 0);
    const issue = (count: number, shiftMs: number) => ({ tenantId, sourceId: world.asterisk.id, name: "Master-day.csv", content: syntheticAsteriskFile(count, { startMs: base + shiftMs }) });
    const charged = async () => (await db().ledgerEntry.aggregate({ where: { tenantId, kind: "CALL_CHARGES" }, _sum: { amount: true } }))._sum.amount ?? 0n;

    // The first issue arrives and is not read yet (a large file): a re-issue cannot be released meanwhile.
    const first = await deliverQuietly(runner, issue(20, 0));
    const second = await deliver(issue(20, 1000));
    expect(second.status).toBe("HELD");
    await expect(releaseHeldFile({ tenantId, actor: ACTOR, fileId: second.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/^The earlier Master-day\.csv received .* is still being read: release this one once it is done/),
    });
    // It fails before storing everything: still refused, with what to do.
    await expect(ingestCdrFile({ tenantId, fileId: first.id, batchLines: 10, crashAfterBatches: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
    expect((await fileRow(first.id)).status).toBe("FAILED");
    await expect(releaseHeldFile({ tenantId, actor: ACTOR, fileId: second.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/failed: retry it/) });
    await retryFailedFile({ tenantId, actor: ACTOR, fileId: first.id });
    await runner.drain(60_000);
    expect((await fileRow(first.id)).status).toBe("DONE");

    // Second issue: the same calls a second later. Third: 2 seconds later, and 3 more calls. Each
    // is held against the latest file of the name, the third against the second, which stored none.
    await releaseHeldFile({ tenantId, actor: ACTOR, fileId: second.id });
    await runner.drain(60_000);
    expect(await fileRow(second.id)).toMatchObject({ status: "DONE", callsStored: 0, alreadyPresent: 20 });
    const third = await deliver(issue(23, 2000));
    expect(third.status).toBe("HELD");
    expect((await fileRow(third.id)).duplicateOfId).toBe(second.id);
    await releaseHeldFile({ tenantId, actor: ACTOR, fileId: third.id });
    await runner.drain(60_000);

    expect(await fileRow(third.id)).toMatchObject({ status: "DONE", lines: 23, callsStored: 3, alreadyPresent: 20 });
    expect(await storedCalls(tenantId)).toHaveLength(23);
    expect(await charged()).toBe(-((await fileRow(first.id)).priceTotal + (await fileRow(third.id)).priceTotal));
    // A fourth issue knows the third's new calls too.
    const fourth = await deliver(issue(23, 3000));
    await releaseHeldFile({ tenantId, actor: ACTOR, fileId: fourth.id });
    await runner.drain(60_000);
    expect(await fileRow(fourth.id)).toMatchObject({ status: "DONE", callsStored: 0, alreadyPresent: 23 });
    expect(await storedCalls(tenantId)).toHaveLength(23);
  });

  it("re-running a finished file changes nothing", async () => {
    const world = await createBillingTenant();
    const file = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "syn.csv", content: syntheticAsteriskFile(500) });
    await runner.drain(60_000);
    const before = { balances: await balances(world.tenant.id), calls: await storedCalls(world.tenant.id), ledger: await ledgerOf(world.tenant.id) };
    const done = await fileRow(file.id);

    expect((await ingestCdrFile({ tenantId: world.tenant.id, fileId: file.id })).status).toBe("SKIPPED");
    // Even forced through the whole pipeline again (as a lost "done" would), nothing moves.
    await db().cdrFile.update({ where: { id: file.id }, data: { status: "RECEIVED" } });
    const rerun = await ingestCdrFile({ tenantId: world.tenant.id, fileId: file.id, batchLines: 64 });
    expect(rerun.status).toBe("DONE");
    expect(rerun.writers).toBe(3); // the batches went through three connections at once
    expect({ balances: await balances(world.tenant.id), calls: await storedCalls(world.tenant.id), ledger: await ledgerOf(world.tenant.id) }).toEqual(before);
    const again = await fileRow(file.id);
    expect([again.lines, again.rated, again.unanswered, again.unbillable, again.rejected, again.priceTotal]).toEqual([
      done.lines,
      done.rated,
      done.unanswered,
      done.unbillable,
      done.rejected,
      done.priceTotal,
    ]);
    // Every batch of the re-run met calls already stored: the file's totals did not grow.
    expect(again.callsStored).toBe(done.callsStored);
    expect(again.alreadyPresent).toBe(0);
    await expectFileTotalsOfStoredCalls(file.id);
    await expectTrafficTotalsMatchCalls(world.tenant.id);
  });
});

describe("a file the parser cannot read", () => {
  it("fails with the reason, naming the line, and stores and bills nothing", async () => {
    const world = await createBillingTenant();
    const file = await deliver({ tenantId: world.tenant.id, sourceId: world.carrier.id, name: "not-cdrs.csv", content: "name,email\nAlice,alice@example.test\n" });
    await runner.drain(60_000);
    // Run again directly, with one-line batches: the error reaches the caller as what it is.
    await expect(ingestCdrFile({ tenantId: world.tenant.id, fileId: file.id, batchLines: 1 })).rejects.toBeInstanceOf(UnreadableCdrFile);
    const failed = await fileRow(file.id);
    expect(failed.status).toBe("FAILED");
    expect(failed.error).toMatch(/^line 1 \(header\) is not a CDR header/);
    expect(await storedCalls(world.tenant.id)).toEqual([]);
    expect(await ledgerOf(world.tenant.id)).toEqual([]);
  });
});

describe("a worker killed mid-file", () => {
  it("yields, once re-run, the same calls and balances as an uninterrupted run", async () => {
    const content = syntheticAsteriskFile(2_000);
    const whole = await createBillingTenant();
    const crashed = await createBillingTenant();
    // Not through the runner: this test drives the worker itself.
    setEmbeddedRunner(undefined);
    const quiet = new EmbeddedRunner({ functions: [] });
    setEmbeddedRunner(quiet);
    try {
      const wholeFile = await deliver({ tenantId: whole.tenant.id, sourceId: whole.asterisk.id, name: "big.csv", content });
      const crashedFile = await deliver({ tenantId: crashed.tenant.id, sourceId: crashed.asterisk.id, name: "big.csv", content });
      await ingestCdrFile({ tenantId: whole.tenant.id, fileId: wholeFile.id, batchLines: 300 });

      for (const crashAfterBatches of [2, 3]) {
        await expect(ingestCdrFile({ tenantId: crashed.tenant.id, fileId: crashedFile.id, batchLines: 300, crashAfterBatches })).rejects.toBeInstanceOf(SimulatedCrash);
        const stopped = await fileRow(crashedFile.id);
        expect(stopped.status).toBe("FAILED");
        // The spooled file, left unread past the crash, is closed rather than left to the garbage collector.
        await vi.waitFor(() => expect(descriptorsOn(stopped.spoolPath!)).toBe(0), { timeout: 500 });
      }
      const partial = await storedCalls(crashed.tenant.id);
      expect(partial.length).toBeGreaterThan(0);
      // The crashed runs' committed batches are in the file's totals, and nothing more; so in the traffic totals.
      await expectFileTotalsOfStoredCalls(crashedFile.id);
      await expectTrafficTotalsMatchCalls(crashed.tenant.id);
      expect((await fileRow(crashedFile.id)).callsStored).toBe(partial.length);
      expect(partial.length).toBeLessThan((await storedCalls(whole.tenant.id)).length);

      const result = await ingestCdrFile({ tenantId: crashed.tenant.id, fileId: crashedFile.id, batchLines: 300 });
      expect(result.status).toBe("DONE");
      expect(await storedCalls(crashed.tenant.id)).toEqual(await storedCalls(whole.tenant.id));
      expect(await balances(crashed.tenant.id)).toEqual(await balances(whole.tenant.id));
      const [a, b] = [await fileRow(wholeFile.id), await fileRow(crashedFile.id)];
      expect([b.lines, b.rated, b.unanswered, b.unbillable, b.rejected, b.priceTotal, b.alreadyPresent]).toEqual([
        a.lines,
        a.rated,
        a.unanswered,
        a.unbillable,
        a.rejected,
        a.priceTotal,
        0,
      ]);
      await expectFileTotalsOfStoredCalls(wholeFile.id);
      await expectFileTotalsOfStoredCalls(crashedFile.id);
      expect(b.callsStored).toBe(a.callsStored);
      await expectTrafficTotalsMatchCalls(crashed.tenant.id);
      await expectTrafficTotalsMatchCalls(whole.tenant.id);
      // Charges are per batch and customer; the re-run posted only what the crashed run had not.
      const ledger = await ledgerOf(crashed.tenant.id);
      expect(new Set(ledger.map((entry) => entry.idempotencyKey)).size).toBe(ledger.length);
      expect(ledger.reduce((sum, entry) => sum + entry.amount, 0n)).toBe((await ledgerOf(whole.tenant.id)).reduce((sum, entry) => sum + entry.amount, 0n));
    } finally {
      quiet.stop();
      setEmbeddedRunner(runner.current);
    }
  });

  it("bills, on a retry after the dialling plan is fixed, lines a committed batch had rejected, beside that batch's calls already billed", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    // Line 3 (acct-1001, answered) dials London with Australia's exit code, unknown to the NANP plan.
    const lines = syntheticAsteriskFile(20).split("\n");
    lines[2] = lines[2]!.replaceAll("442071800002", "0011442071800002");
    const file = await deliverQuietly(runner, { tenantId, sourceId: world.asterisk.id, name: "exit-code.csv", content: lines.join("\n") });
    await expect(ingestCdrFile({ tenantId, fileId: file.id, batchLines: 10, crashAfterBatches: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
    // Batch 1 (lines 1–10) committed, with line 3 rejected (the other writers may have committed batch 2 too).
    expect(await fileRow(file.id)).toMatchObject({ status: "FAILED", rejected: 1 });
    const firstCharges = await ledgerOf(tenantId);

    await updateDiallingPlan({ tenantId, actor: ACTOR, input: { countryCode: "1", internationalPrefixes: ["011", "0011"], nationalNumberLength: 10, nationalTrunkPrefix: "", techPrefixes: [] } });
    // The retry cuts the same batches: batch 1 again holds lines 1–10.
    const quiet = new EmbeddedRunner({ functions: [] });
    setEmbeddedRunner(quiet);
    try {
      await retryFailedFile({ tenantId, actor: ACTOR, fileId: file.id });
    } finally {
      setEmbeddedRunner(runner.current);
      quiet.stop();
    }
    expect((await ingestCdrFile({ tenantId, fileId: file.id, batchLines: 10 })).status).toBe("DONE");
    await runner.drain(60_000);

    const done = await fileRow(file.id);
    expect(done).toMatchObject({ status: "DONE", lines: 20, callsStored: 20, rejected: 0, alreadyPresent: 0 });
    const recovered = await pool().query<{ callee: string; status: string; price: string }>(`SELECT callee, status, price::text FROM cdrs WHERE tenant_id = $1 AND line = 3`, [tenantId]);
    expect(recovered.rows).toEqual([{ callee: "442071800002", status: "RATED", price: expect.stringMatching(/^[1-9]/) }]);
    // The batch's first charge stands; the recovered call is charged once more, under a key of its own.
    const ledger = await ledgerOf(tenantId);
    expect(ledger).toEqual(expect.arrayContaining(firstCharges));
    const charged = ledger.reduce((sum, entry) => sum + entry.amount, 0n);
    expect(charged).toBe(-done.priceTotal);
    await expectFileTotalsOfStoredCalls(file.id);

    // The customer reads the part charge as calls priced later, on the page and on the statement,
    // which lists by category only the calls of the batch's first charge, each once, with nothing
    // left unexplained. (Its month may be a later one than the first charge's.)
    const part = await db().ledgerEntry.findFirstOrThrow({ where: { tenantId, idempotencyKey: { notIn: firstCharges.map((entry) => entry.idempotencyKey) } } });
    expect(part.idempotencyKey).toMatch(/^cdr:[0-9a-f-]{36}:lines-1-10:[0-9a-f-]{36}:[0-9a-f]{32}$/);
    const texts = await customerTexts({ tenantId, customerId: part.customerId, timeZone: "UTC", entries: [part] });
    expect(texts.get(part.id)).toBe("Charges for earlier calls, priced later");
    const now = new Date();
    const usage = (await statementDetails({ tenantId, customerId: part.customerId, timeZone: "UTC", start: new Date(now.getTime() - 3_600_000), end: new Date(now.getTime() + 60_000) })).usage;
    const priced = await pool().query<{ n: number }>(`SELECT count(*)::int AS n FROM cdrs WHERE tenant_id = $1 AND customer_id = $2 AND status = 'RATED' AND price > 0`, [tenantId, part.customerId]);
    expect(usage.rows.map((row) => row.key)).not.toContain("OTHER_CHARGES");
    expect(usage.rows.find((row) => row.key === "RERATED")?.amount).toBe(part.amount);
    expect(usage.rows.reduce((sum, row) => sum + (row.calls ?? 0), 0)).toBe(priced.rows[0]!.n - 1);
    // A statement of the retry's period alone: the part charge only, not the batch's earlier calls.
    const later = (await statementDetails({ tenantId, customerId: part.customerId, timeZone: "UTC", start: new Date(part.createdAt.getTime() - 1), end: new Date(now.getTime() + 60_000) })).usage;
    expect(later.rows.filter((row) => row.key === "RERATED" || row.key === "OTHER_CHARGES").map((row) => [row.key, row.amount])).toEqual([["RERATED", part.amount]]);

    // And a rerun moves nothing.
    await db().cdrFile.update({ where: { id: file.id }, data: { status: "RECEIVED" } });
    expect((await ingestCdrFile({ tenantId, fileId: file.id, batchLines: 10 })).status).toBe("DONE");
    expect(await ledgerOf(tenantId)).toEqual(ledger);
  });

  it("creates the month's partition when a call falls outside the prepared months", async () => {
    const world = await createBillingTenant();
    // A file that arrives in 2031 (calls may not start long after their file arrived).
    const quiet = new EmbeddedRunner({ functions: [] });
    setEmbeddedRunner(quiet);
    const file = await deliver({
      tenantId: world.tenant.id,
      sourceId: world.asterisk.id,
      name: "future.csv",
      content: syntheticAsteriskFile(30, { startMs: Date.UTC(2031, 4, 31, 23, 59, 0) }), // local time: crosses into June in UTC
    }).finally(() => {
      quiet.stop();
      setEmbeddedRunner(runner.current);
    });
    await db().cdrFile.update({ where: { id: file.id }, data: { receivedAt: new Date("2031-06-01T12:00:00Z") } });
    expect((await ingestCdrFile({ tenantId: world.tenant.id, fileId: file.id })).status).toBe("DONE");
    expect((await fileRow(file.id)).rejected).toBe(0);
    const partitions = await pool().query(`SELECT to_regclass('cdrs_2031_06') IS NOT NULL AS june, to_regclass('cdrs_2031_07') IS NOT NULL AS july`);
    expect(partitions.rows[0]).toEqual({ june: true, july: false });
  });
});

describe("re-rating the unbillable queue", () => {
  it("bills calls of an unknown account once after the code is mapped, however often re-rating runs", async () => {
    const world = await createBillingTenant();
    await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "syn.csv", content: syntheticAsteriskFile(400) });
    await runner.drain(60_000);
    const queued = await db().cdr.count({ where: { tenantId: world.tenant.id, status: "UNBILLABLE", unbillableReason: "unknown account" } });
    expect(queued).toBeGreaterThan(0);
    const before = await balances(world.tenant.id);

    // Re-rating before the fix changes nothing.
    expect((await rerateUnbillable({ tenantId: world.tenant.id })).rated).toBe(0);
    expect(await balances(world.tenant.id)).toEqual(before);

    await db().accountCodeMapping.create({ data: { tenantId: world.tenant.id, accountCode: "acct-7777", customerId: world.bob.id } });
    const results = await Promise.all([rerateUnbillable({ tenantId: world.tenant.id }), rerateUnbillable({ tenantId: world.tenant.id })]);
    expect(results[0]!.rated + results[1]!.rated).toBe(queued);
    const charged = await pool().query<{ total: string }>(
      `SELECT SUM(price)::text AS total FROM cdrs WHERE tenant_id = $1 AND account_code = 'acct-7777' AND status = 'RATED'`,
      [world.tenant.id],
    );
    const after = await balances(world.tenant.id);
    expect(after["1002"]).toBe(before["1002"]! - BigInt(charged.rows[0]!.total));
    expect(after["1001"]).toBe(before["1001"]);

    // Again, through the job: nothing left to price.
    await expect(requestRerate({ tenantId: world.tenant.id, actor: ACTOR, request: {} })).rejects.toThrow(/no unbillable calls/);
    expect(await balances(world.tenant.id)).toEqual(after);
    const files = await db().cdrFile.findMany({ where: { tenantId: world.tenant.id } });
    for (const file of files) expect(file.unbillable).toBe(0);
    // The two concurrent re-rates moved each call's figures once.
    await expectTrafficTotalsMatchCalls(world.tenant.id);
  });
});

describe("a fix made while a file is being read", () => {
  it("gets the calls the file stores after it billed too: a re-rate asked for meanwhile is followed by one more, once", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    const admin = await createUser({ tenantId, role: "TENANT_ADMIN" });
    const adminActor = { userId: admin.user.id, email: admin.user.email, ip: null };
    // acct-7777, known to no one, dials on lines 50, 100, … 400: one call in each batch of 50.
    const file = await deliverQuietly(runner, { tenantId, sourceId: world.asterisk.id, name: "syn.csv", content: syntheticAsteriskFile(400) });
    const unknown = () => db().cdr.count({ where: { tenantId, accountCode: "acct-7777", status: "UNBILLABLE" } });
    // After the first batch committed, the admin maps the code and re-rates what is in the queue
    // so far; every writer waits at its next batch until that re-rate is done.
    let fixed: Promise<void> | null = null;
    const fix = async () => {
      await db().accountCodeMapping.create({ data: { tenantId, accountCode: "acct-7777", customerId: world.bob.id } });
      await requestRerate({ tenantId, actor: adminActor, request: { reason: "unknown account" } });
      await runner.drain(60_000);
    };
    const result = await ingestCdrFile({ tenantId, fileId: file.id, batchLines: 50, afterBatch: () => (fixed ??= fix()) });
    expect(result.status).toBe("DONE");
    await runner.drain(60_000);
    expect(await unknown()).toBe(0);
    // The rest of the file was rated with the context read before the fix: the follow-up priced it.
    const followUps = await db().rerateRequest.findMany({ where: { tenantId, requestedById: null }, select: { reason: true, status: true, rated: true } });
    expect(followUps).toEqual([{ reason: "unknown account", status: "COMPLETED", rated: expect.any(Number) }]);
    expect(followUps[0]!.rated).toBeGreaterThan(0);
    const billed = await pool().query<{ total: string }>(`SELECT SUM(price)::text AS total FROM cdrs WHERE tenant_id = $1 AND status = 'RATED'`, [tenantId]);
    const charged = await db().ledgerEntry.aggregate({ where: { tenantId, kind: "CALL_CHARGES" }, _sum: { amount: true } });
    expect(charged._sum.amount).toBe(-BigInt(billed.rows[0]!.total));

    // A file read after the fix needs no follow-up.
    await deliver({ tenantId, sourceId: world.asterisk.id, name: "later.csv", content: syntheticAsteriskFile(100, { startMs: Date.UTC(2026, 9, 11) }) });
    await runner.drain(60_000);
    expect(await db().rerateRequest.count({ where: { tenantId } })).toBe(2);
  });
});

describe("a file's counters", () => {

  /** Counters against the file's stored calls and rejects, and every line accounted for. */
  async function expectCountersOfStoredRows(fileId: string) {
    const file = await fileRow(fileId);
    const byStatus = await pool().query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM cdrs WHERE file_id = $1::uuid GROUP BY status`, [fileId]);
    const stored = Object.fromEntries(byStatus.rows.map((row) => [row.status, row.n]));
    const rejects = await db().cdrReject.count({ where: { fileId } });
    expect({ rated: file.rated, unanswered: file.unanswered, unbillable: file.unbillable, rejected: file.rejected }).toEqual({
      rated: stored.RATED ?? 0,
      unanswered: stored.UNANSWERED ?? 0,
      unbillable: stored.UNBILLABLE ?? 0,
      rejected: rejects,
    });
    expect(file.lines).toBe(file.rated + file.unanswered + file.unbillable + file.rejected + file.alreadyPresent);
    return file;
  }

  it("are counted once when two runs of the file overlap", async () => {
    const world = await createBillingTenant();
    const file = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "twice.csv", content: `${syntheticAsteriskFile(400)}not a CDR\n` });
    // A rerun taking the file over while an earlier attempt is still writing it: the earlier
    // attempt's later batches find the file taken and roll back whole; the rerun finishes it.
    let rerun: Promise<TIngestResult> | undefined;
    const first = await ingestCdrFile({
      tenantId: world.tenant.id,
      fileId: file.id,
      batchLines: 50,
      afterBatch: async (batches) => {
        if (batches === 1) await (rerun = ingestCdrFile({ tenantId: world.tenant.id, fileId: file.id, batchLines: 50 }));
      },
    });
    expect([first.status, (await rerun!).status]).toEqual(["SUPERSEDED", "DONE"]);
    const counted = await expectCountersOfStoredRows(file.id);
    expect(counted).toMatchObject({ lines: 401, rejected: 1, alreadyPresent: 0 });
    expect(counted.unbillable).toBe(8); // acct-7777
    await expectFileTotalsOfStoredCalls(file.id);
    // The superseded attempt's rolled-back batches left nothing there either.
    await expectTrafficTotalsMatchCalls(world.tenant.id);
  });

  it("follow the stored calls when a rate is added between a crash and the rerun", async () => {
    const world = await createBillingTenant();
    const file = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "fixed.csv", content: syntheticAsteriskFile(400) });
    await expect(ingestCdrFile({ tenantId: world.tenant.id, fileId: file.id, batchLines: 100, crashAfterBatches: 2 })).rejects.toBeInstanceOf(SimulatedCrash);
    // Batches in flight when it stopped may have committed too: whatever it stored counts.
    const storedUnbillable = await db().cdr.count({ where: { tenantId: world.tenant.id, fileId: file.id, status: "UNBILLABLE" } });
    expect(storedUnbillable).toBeGreaterThan(0);
    // The unknown account is mapped before the rerun: the rerun rates the later batches' calls
    // of acct-7777, while the crashed run's stay stored unbillable, for a re-rate to bill.
    await db().accountCodeMapping.create({ data: { tenantId: world.tenant.id, accountCode: "acct-7777", customerId: world.bob.id } });
    expect((await ingestCdrFile({ tenantId: world.tenant.id, fileId: file.id, batchLines: 100 })).status).toBe("DONE");
    const rerun = await expectCountersOfStoredRows(file.id);
    expect(rerun.unbillable).toBe(storedUnbillable);
    expect(rerun.alreadyPresent).toBe(0);
    expect((await rerateUnbillable({ tenantId: world.tenant.id })).rated).toBe(storedUnbillable);
    expect(await expectCountersOfStoredRows(file.id)).toMatchObject({ unbillable: 0, lines: 400 });
    await expectTrafficTotalsMatchCalls(world.tenant.id);
  });

  it("leave calls stored by another file to that file", async () => {
    const world = await createBillingTenant();
    const first = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "day.csv", content: syntheticAsteriskFile(100) });
    await ingestCdrFile({ tenantId: world.tenant.id, fileId: first.id });
    // The carrier's next file repeats the day's calls and adds one (unanswered: its billsec is 0).
    const again = `${syntheticAsteriskFile(100)}${syntheticAsteriskFile(101).split("\n")[100]}\n`;
    const second = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "day-and-more.csv", content: again });
    const result = await ingestCdrFile({ tenantId: world.tenant.id, fileId: second.id });
    expect(result).toMatchObject({ lines: 101, alreadyPresent: 100, rated: 0, unanswered: 1, unbillable: 0 });
    expect(await expectCountersOfStoredRows(second.id)).toMatchObject({ lines: 101, alreadyPresent: 100, unanswered: 1 });
    expect(await expectCountersOfStoredRows(first.id)).toMatchObject({ lines: 100, alreadyPresent: 0 });
    await expectTrafficTotalsMatchCalls(world.tenant.id);
  });
});

describe("fields too long to store", () => {
  it("rejects a line whose call id or account code is absurdly long, and stores the rest of the file", async () => {
    const world = await createBillingTenant();
    const emoji = "📞".repeat(300); // 300 characters, 600 UTF-16 units: stored
    const lines = syntheticAsteriskFile(4).split("\n");
    lines[0] = lines[0]!.replace('"syn.0"', `"${"x".repeat(513)}"`);
    lines[1] = lines[1]!.replace('"syn.1"', `"${emoji}"`);
    lines[2] = lines[2]!.replace('"acct-1001"', `"${"a".repeat(600)}"`);
    const content = lines.join("\n");
    const file = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "long.csv", content });
    await runner.drain(60_000);
    const done = await fileRow(file.id);
    expect(done).toMatchObject({ status: "DONE", lines: 4, rejected: 2 });
    const rejects = await db().cdrReject.findMany({ where: { fileId: file.id }, orderBy: { line: "asc" } });
    expect(rejects.map((reject) => [reject.line, reject.reason])).toEqual([
      [1, "call id is longer than 512 characters"],
      [3, "account code is longer than 512 characters"],
    ]);
    expect(await db().cdr.count({ where: { fileId: file.id, recordKey: emoji } })).toBe(1);
  });
});
