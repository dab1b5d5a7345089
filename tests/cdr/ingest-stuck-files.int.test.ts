import { randomUUID } from "node:crypto";
import { describe, expect, it, vi, type MockInstance } from "vitest";
import { db, pool } from "@/server/db/client";
import { dismissFile, recoverStalledIngests, resendLostFileEvents, retryFailedFile } from "@/server/cdr/files";
import { ingestCdrFile, isTransientConflict } from "@/server/cdr/ingest";
import { updateCdrSource } from "@/server/cdr/sources";
import { expectStillWaiting } from "../support/waiting";
import { ACTOR, balances, createBillingTenant, deliver, deliverQuietly, syntheticAsteriskFile, withJobRunner } from "./ingest-support";

/**
 * Files that nothing would ever bill or let an admin retry: a file none of whose lines could be
 * read, a file whose ingest died without recording it, a batch that lost a deadlock.
 */
const runner = withJobRunner();

const fileRow = (id: string) => db().cdrFile.findUniqueOrThrow({ where: { id } });
const rejectsOf = (fileId: string) => db().cdrReject.count({ where: { fileId } });
const HOUR_MS = 60 * 60_000;

/** The file as an ingest attempt leaves it when its process dies mid-file: PROCESSING, owned, claimed `agoMs` ago. */
async function leftProcessing(fileId: string, agoMs: number) {
  await db().cdrFile.update({ where: { id: fileId }, data: { status: "PROCESSING", ingestAttemptId: randomUUID(), attempts: 1, startedAt: new Date(Date.now() - agoMs) } });
}

/** Pretends the file's event went out `agoMs` ago. */
async function eventSentAgo(fileId: string, agoMs: number) {
  await db().cdrFile.update({ where: { id: fileId }, data: { ingestEventSentAt: new Date(Date.now() - agoMs) } });
}

describe("a file none of whose lines could be read", () => {
  it("is FAILED with what to check, and once the source's format is fixed its retry bills every call once with counts that add up", async () => {
    const world = await createBillingTenant();
    const content = syntheticAsteriskFile(60);
    // The same content read right, on another tenant: what the retry must end with.
    const control = await createBillingTenant();
    await deliver({ tenantId: control.tenant.id, sourceId: control.asterisk.id, name: "Master.csv", content });
    await runner.drain();

    // Asterisk's CSV on a source set to FreeSWITCH: every line is rejected.
    const delivered = await deliver({ tenantId: world.tenant.id, sourceId: world.freeswitch.id, name: "Master.csv", content });
    await runner.drain();
    const failed = await fileRow(delivered.id);
    expect([failed.status, failed.error]).toEqual([
      "FAILED",
      "No line of this file could be read as freeswitch: every line was rejected (see the rejected lines). Check the source's format, fix it, then retry this file, or dismiss it if it holds no calls.",
    ]);
    expect([failed.lines, failed.rejected, failed.callsStored]).toEqual([60, 60, 0]);
    expect(await rejectsOf(delivered.id)).toBe(60);

    await updateCdrSource({ tenantId: world.tenant.id, actor: ACTOR, sourceId: world.freeswitch.id, fields: { name: world.freeswitch.name, format: "asterisk", timeZone: world.freeswitch.timeZone, filePattern: "*.csv", servers: [] } });
    await retryFailedFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: delivered.id });
    await runner.drain();

    const done = await fileRow(delivered.id);
    const expected = await db().cdrFile.findFirstOrThrow({ where: { tenantId: control.tenant.id } });
    const counts = (file: typeof done) => ({ status: file.status, error: file.error, lines: file.lines, rated: file.rated, unanswered: file.unanswered, unbillable: file.unbillable, rejected: file.rejected, alreadyPresent: file.alreadyPresent, callsStored: file.callsStored, priceTotal: file.priceTotal });
    expect(counts(done)).toEqual(counts(expected));
    expect(done.lines).toBe(done.rated + done.unanswered + done.unbillable + done.rejected + done.alreadyPresent);
    expect(done.rejected).toBe(0);
    expect(await rejectsOf(delivered.id)).toBe(0);
    expect(await balances(world.tenant.id)).toEqual(await balances(control.tenant.id));
    const charged = await db().ledgerEntry.aggregate({ where: { tenantId: world.tenant.id, kind: "CALL_CHARGES" }, _sum: { amount: true } });
    expect(charged._sum.amount).toBe(-done.priceTotal);
  });
});

describe("a file whose lines were all refused", () => {
  it("is FAILED with what to check when the lines were read as CDRs and every one refused after (a far start), not blamed on the format", async () => {
    const world = await createBillingTenant();
    const farAhead = Date.now() + 30 * 24 * HOUR_MS;
    const delivered = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-future.csv", content: syntheticAsteriskFile(5, { startMs: farAhead }) });
    await runner.drain();
    const file = await fileRow(delivered.id);
    expect([file.status, file.error, file.lines, file.rejected]).toEqual([
      "FAILED",
      "Every line of this file was refused (see the rejected lines): if its numbers are unreadable, check the dialling plan in Settings; fix the cause, then retry this file, or dismiss it if it holds no calls.",
      5,
      5,
    ]);
  });

  it("when FAILED having stored calls, cannot be dismissed (it would stop guarding its content while its calls stay billed): it is retried", async () => {
    const world = await createBillingTenant();
    const delivered = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-partial.csv", content: syntheticAsteriskFile(10) });
    // As a file left by an ingest that stored part of it and then failed.
    await db().cdrFile.update({ where: { id: delivered.id }, data: { status: "FAILED", callsStored: 4, error: "connection lost" } });
    await expect(dismissFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: delivered.id, reason: "looks odd" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "This file stored 4 calls before it failed: retry it to read the rest (what it stored is not billed again). It cannot be dismissed.",
    });
    expect((await fileRow(delivered.id)).status).toBe("FAILED");
  });

  it("when FAILED for its format, can be dismissed with a reason, taken from any attempt, and then waits for no one", async () => {
    const world = await createBillingTenant();
    const delivered = await deliver({ tenantId: world.tenant.id, sourceId: world.freeswitch.id, name: "not-cdrs.csv", content: syntheticAsteriskFile(3) });
    await runner.drain();
    expect((await fileRow(delivered.id)).status).toBe("FAILED");
    await expect(dismissFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: delivered.id, reason: "  " })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    // Another tenant cannot.
    const stranger = await createBillingTenant();
    await expect(dismissFile({ tenantId: stranger.tenant.id, actor: ACTOR, fileId: delivered.id, reason: "mine now" })).rejects.toMatchObject({ code: "CONFLICT" });

    await dismissFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: delivered.id, reason: "a test export, not CDRs" });
    const dismissed = await fileRow(delivered.id);
    expect([dismissed.status, dismissed.ingestAttemptId, dismissed.note]).toEqual(["DISMISSED", null, `Dismissed by ${ACTOR.email}: a test export, not CDRs`]);
    expect(await db().auditEvent.count({ where: { tenantId: world.tenant.id, action: "cdr.file.dismiss", targetId: delivered.id } })).toBe(1);
    // Neither a dismissed nor a finished file can be dismissed (again).
    await expect(dismissFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: delivered.id, reason: "again" })).rejects.toMatchObject({ code: "CONFLICT" });
    const done = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-ok.csv", content: syntheticAsteriskFile(3) });
    await runner.drain();
    await expect(dismissFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: done.id, reason: "no" })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});

describe("a file whose ingest died without recording it", () => {
  it("is FAILED by the sweep once PROCESSING past the finish timeout and its margin, taken from its dead attempt; then retried once", async () => {
    const world = await createBillingTenant();
    const delivered = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-dead.csv", content: syntheticAsteriskFile(30) });
    await leftProcessing(delivered.id, HOUR_MS + 10 * 60_000);
    expect(await recoverStalledIngests()).toEqual({ failed: 0, resent: 0 });
    expect((await fileRow(delivered.id)).status).toBe("PROCESSING");

    await leftProcessing(delivered.id, HOUR_MS + 16 * 60_000);
    const dead = await fileRow(delivered.id);
    expect(await recoverStalledIngests()).toEqual({ failed: 1, resent: 0 });
    const failed = await fileRow(delivered.id);
    expect([failed.status, failed.ingestAttemptId, failed.error]).toEqual([
      "FAILED",
      null,
      "The ingest stopped without finishing: no attempt was left working on this file 1h after the last one started. Retry it when the cause is fixed.",
    ]);
    // The dead attempt's run, retried by the engine after all, no longer owns the file.
    expect(await ingestCdrFile({ tenantId: world.tenant.id, fileId: delivered.id, ingestEventId: dead.ingestEventId ?? `cdr-file-${delivered.id}` })).toMatchObject({ status: "SUPERSEDED" });

    await retryFailedFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: delivered.id });
    await runner.drain();
    const done = await fileRow(delivered.id);
    expect([done.status, done.error, done.lines]).toEqual(["DONE", null, 30]);
    const charged = await db().ledgerEntry.aggregate({ where: { tenantId: world.tenant.id, kind: "CALL_CHARGES" }, _sum: { amount: true } });
    expect(charged._sum.amount).toBe(-done.priceTotal);
  });

  it("is sent again under a new event id when RECEIVED long after its event went out, unless every slot it could run in is taken (its run may be waiting its turn); then billed once", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    const file = (name: string, day: number) => deliverQuietly(runner, { tenantId, sourceId: world.asterisk.id, name, content: syntheticAsteriskFile(10, { startMs: Date.UTC(2026, 9, day) }) });
    const waiting = await file("Master-waiting.csv", 10);
    const running = [await file("Master-running-1.csv", 11), await file("Master-running-2.csv", 12)];
    await eventSentAgo(waiting.id, HOUR_MS + 16 * 60_000);
    // Both of the tenant's slots are taken: its run may be queued behind them.
    for (const each of running) await leftProcessing(each.id, 5 * 60_000);
    expect(await recoverStalledIngests()).toEqual({ failed: 0, resent: 0 });
    const lost = await fileRow(waiting.id);
    expect(lost.status).toBe("RECEIVED");

    // One of them died: a slot of the tenant is free, so the engine would have started the run.
    await leftProcessing(running[0]!.id, HOUR_MS + 16 * 60_000);
    expect(await recoverStalledIngests()).toEqual({ failed: 1, resent: 1 });
    const resent = await fileRow(waiting.id);
    expect([resent.status, resent.ingestEventSentAt]).toEqual(["RECEIVED", null]);
    expect(resent.ingestEventId).not.toBe(lost.ingestEventId);
    expect((await fileRow(running[0]!.id)).status).toBe("FAILED");
    // The old event's run, should it still come, finds another event's file.
    expect(await ingestCdrFile({ tenantId, fileId: waiting.id, ingestEventId: lost.ingestEventId ?? `cdr-file-${waiting.id}` })).toMatchObject({ status: "SUPERSEDED" });

    // The lost-event sweep (the same cron, right after) sends it. (Its grace is counted from the
    // file's arrival, which in life is over an hour ago; here it was a moment ago.)
    expect(await resendLostFileEvents({ now: new Date(Date.now() + 3 * 60_000) })).toMatchObject({ resent: 1 });
    await leftProcessing(running[1]!.id, HOUR_MS + 16 * 60_000);
    await runner.drain();
    const done = await fileRow(waiting.id);
    expect([done.status, done.lines]).toEqual(["DONE", 10]);
    const charged = await db().ledgerEntry.aggregate({ where: { tenantId, kind: "CALL_CHARGES", referenceId: waiting.id }, _sum: { amount: true } });
    expect(charged._sum.amount).toBe(-done.priceTotal);
    expect(await recoverStalledIngests()).toMatchObject({ failed: 1 });

    // Other tenants' ingests take every slot of the engine: this file's run may wait in its queue.
    const others = [await createBillingTenant(), await createBillingTenant()];
    const othersRunning = [];
    for (const other of others) {
      for (const day of [14, 15]) {
        othersRunning.push(await deliverQuietly(runner, { tenantId: other.tenant.id, sourceId: other.asterisk.id, name: `Master-${day}.csv`, content: syntheticAsteriskFile(5, { startMs: Date.UTC(2026, 9, day) }) }));
      }
    }
    const queued = await file("Master-queued.csv", 13);
    await eventSentAgo(queued.id, HOUR_MS + 16 * 60_000);
    for (const each of othersRunning) await leftProcessing(each.id, 5 * 60_000);
    expect(await recoverStalledIngests()).toEqual({ failed: 0, resent: 0 });
    await leftProcessing(othersRunning[0]!.id, HOUR_MS + 16 * 60_000);
    expect(await recoverStalledIngests()).toEqual({ failed: 1, resent: 1 });

    // Recently sent: left alone.
    const fresh = await file("Master-fresh.csv", 16);
    expect(await recoverStalledIngests()).toEqual({ failed: 0, resent: 0 });
    expect((await fileRow(fresh.id)).status).toBe("RECEIVED");
  });

  it("is FAILED for the run's retry when the pool gives no connection after the claim", async () => {
    const world = await createBillingTenant();
    const delivered = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-pool.csv", content: syntheticAsteriskFile(20) });
    const connect = pool().connect.bind(pool()) as (callback?: unknown) => unknown;
    let refused: MockInstance | undefined;
    // From just before the claim: the claim's query takes its connection with a callback, and
    // the next connection asked for without one is the attempt's first writer's.
    const refuseNextConnection = async () => {
      refused = vi.spyOn(pool(), "connect").mockImplementation(((callback?: unknown) => {
        if (callback !== undefined) return connect(callback);
        refused?.mockRestore();
        return Promise.reject(new Error("timeout exceeded when trying to connect"));
      }) as never);
    };
    try {
      await expect(ingestCdrFile({ tenantId: world.tenant.id, fileId: delivered.id, ingestEventId: `cdr-file-${delivered.id}`, beforeClaim: refuseNextConnection })).rejects.toThrow(
        "timeout exceeded when trying to connect",
      );
    } finally {
      refused?.mockRestore();
    }
    const failed = await fileRow(delivered.id);
    expect([failed.status, failed.error]).toEqual(["FAILED", "timeout exceeded when trying to connect"]);
    expect(failed.ingestAttemptId).not.toBeNull();
    // The run's next attempt resumes it.
    expect(await ingestCdrFile({ tenantId: world.tenant.id, fileId: delivered.id, ingestEventId: `cdr-file-${delivered.id}` })).toMatchObject({ status: "DONE", lines: 20 });
  });
});

describe("a batch that loses a deadlock", () => {
  it("is run again, so the file is DONE and billed once", async () => {
    const world = await createBillingTenant({ timeZone: "UTC" });
    const delivered = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-deadlock.csv", content: syntheticAsteriskFile(10) });
    const other = await pool().connect();
    try {
      // Another writer holds Alice's row, which the batch locks to charge her once its calls are in.
      await other.query("BEGIN");
      await other.query("SELECT id FROM customers WHERE id = $1 FOR UPDATE", [world.alice.id]);
      const ingest = ingestCdrFile({ tenantId: world.tenant.id, fileId: delivered.id });
      await expectStillWaiting(ingest, other);
      // …and now stores a call the batch has inserted (line 1: syn.0 at 12:00 UTC): it waits for
      // the batch, which waits for it. PostgreSQL ends the batch's transaction, which waited first.
      await other.query(
        `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, caller, callee, status)
         VALUES ($1, $2, $3, 1, 'syn.0', '2026-10-10T12:00:00Z', 0, '6135550101', '12125550000', 'UNANSWERED')`,
        [world.tenant.id, world.asterisk.id, delivered.id],
      );
      await other.query("ROLLBACK");
      expect(await ingest).toMatchObject({ status: "DONE", lines: 10, rejected: 0, alreadyPresent: 0 });
    } finally {
      other.release();
    }
    const done = await fileRow(delivered.id);
    expect(done.callsStored).toBe(10);
    const charged = await db().ledgerEntry.aggregate({ where: { tenantId: world.tenant.id, kind: "CALL_CHARGES" }, _sum: { amount: true } });
    expect(charged._sum.amount).toBe(-done.priceTotal);
    expect(done.priceTotal).toBeGreaterThan(0n);
  });

  it("counts deadlocks and serialization failures as conflicts worth another run, and nothing else", () => {
    expect(isTransientConflict({ code: "40P01" })).toBe(true);
    expect(isTransientConflict({ code: "40001" })).toBe(true);
    expect(isTransientConflict({ code: "23505" })).toBe(false);
    expect(isTransientConflict(new Error("connection terminated"))).toBe(false);
  });
});
