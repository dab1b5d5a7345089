import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { ingestCdrFile } from "@/server/cdr/ingest";
import { balances, createBillingTenant, deliver, withJobRunner } from "./ingest-support";

const runner = withJobRunner();

/**
 * When the file arrived. In the past on purpose: a check against the run's clock instead of
 * the file's arrival would let the three-days-ahead call through.
 */
const ARRIVED_AT = new Date("2026-11-02T01:00:00Z");

/** An answered Asterisk Master.csv line of Alice's to New York; `start` in the source's local time (Toronto). */
function aliceCall(recordKey: string, start: string, answer: string, end: string, billsec: number): string {
  return (
    `"acct-1001","6135550101","2125550199","from-internal","""Alice Martin"" <6135550101>","SIP/trunk1001-1","SIP/carrier-2","Dial",` +
    `"SIP/carrier/12125550199,60","${start}","${answer}","${end}",${billsec + 5},${billsec},"ANSWERED","DOCUMENTATION","${recordKey}",""`
  );
}

const LINES = [
  aliceCall("normal.1", "2026-11-01 09:00:00", "2026-11-01 09:00:05", "2026-11-01 09:02:05", 120),
  // A typo'd year: 10:00 EDT is 14:00 UTC.
  aliceCall("typo.2", "2062-10-05 10:00:00", "2062-10-05 10:00:05", "2062-10-05 10:01:05", 60),
  // 20:00 EST on Nov 2 is 01:00 UTC on Nov 3: one day after arrival.
  aliceCall("day-ahead.3", "2026-11-02 20:00:00", "2026-11-02 20:00:05", "2026-11-02 20:01:35", 90),
  // Exactly two days after arrival: still within the limit.
  aliceCall("two-days.4", "2026-11-03 20:00:00", "2026-11-03 20:00:05", "2026-11-03 20:00:35", 30),
  // Three days after arrival.
  aliceCall("three-days.5", "2026-11-04 20:00:00", "2026-11-04 20:00:05", "2026-11-04 20:00:35", 30),
];

/** Every stored call of a tenant, in a stable order. */
async function storedCalls(tenantId: string) {
  const result = await pool().query<{ record_key: string; line: number; status: string; price: string | null }>(
    `SELECT record_key, line, status, price::text FROM cdrs WHERE tenant_id = $1 ORDER BY line`,
    [tenantId],
  );
  return result.rows;
}

async function ledgerOf(tenantId: string) {
  return db().ledgerEntry.findMany({ where: { tenantId }, select: { customerId: true, amount: true, idempotencyKey: true }, orderBy: { idempotencyKey: "asc" } });
}

async function rejectsOf(fileId: string) {
  return db().cdrReject.findMany({ where: { fileId }, select: { line: true, raw: true, reason: true }, orderBy: { line: "asc" } });
}

/** The partitions of `cdrs` among the given names. */
async function partitionsNamed(names: string[]): Promise<string[]> {
  const result = await pool().query<{ name: string }>(
    `SELECT child.relname AS name FROM pg_inherits
     JOIN pg_class child ON child.oid = pg_inherits.inhrelid
     JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
     WHERE parent.relname = 'cdrs' AND child.relname = ANY($1::text[])
     ORDER BY child.relname`,
    [names],
  );
  return result.rows.map((row) => row.name);
}

describe("a call that starts implausibly long after its file arrived", () => {
  it("is rejected with the start and the limit, while the rest of the file is stored and billed once, and no far partition is made", async () => {
    const world = await createBillingTenant();
    // Delivered quietly, given a known arrival, then ingested here.
    const quiet = new EmbeddedRunner({ functions: [] });
    setEmbeddedRunner(quiet);
    const delivered = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "typo.csv", content: `${LINES.join("\n")}\n` }).finally(() => {
      quiet.stop();
      setEmbeddedRunner(runner.current);
    });
    await db().cdrFile.update({ where: { id: delivered.id }, data: { receivedAt: ARRIVED_AT } });

    const result = await ingestCdrFile({ tenantId: world.tenant.id, fileId: delivered.id });
    expect(result.status).toBe("DONE");

    const limit = "more than 2 days after the file arrived (2026-11-02T01:00:00Z)";
    expect(await rejectsOf(delivered.id)).toEqual([
      { line: 2, raw: LINES[1], reason: `start 2062-10-05T14:00:00Z is ${limit}` },
      { line: 5, raw: LINES[4], reason: `start 2026-11-05T01:00:00Z is ${limit}` },
    ]);

    const file = await db().cdrFile.findUniqueOrThrow({ where: { id: delivered.id } });
    expect({ lines: file.lines, rated: file.rated, unanswered: file.unanswered, unbillable: file.unbillable, rejected: file.rejected }).toEqual({
      lines: 5,
      rated: 3,
      unanswered: 0,
      unbillable: 0,
      rejected: 2,
    });
    expect(file.lines).toBe(file.rated + file.unanswered + file.unbillable + file.rejected);
    expect(file.lastCallAt).toEqual(new Date("2026-11-04T01:00:00Z"));

    const calls = await storedCalls(world.tenant.id);
    expect(calls.map((call) => [call.line, call.record_key, call.status])).toEqual([
      [1, "normal.1", "RATED"],
      [3, "day-ahead.3", "RATED"],
      [4, "two-days.4", "RATED"],
    ]);
    for (const call of calls) expect(BigInt(call.price!)).toBeGreaterThan(0n);

    // Alice is charged exactly the stored calls, and her balance is her ledger's sum.
    const charged = calls.reduce((sum, call) => sum + BigInt(call.price!), 0n);
    expect(file.priceTotal).toBe(charged);
    const ledger = await ledgerOf(world.tenant.id);
    expect(ledger.every((entry) => entry.customerId === world.alice.id)).toBe(true);
    expect(ledger.reduce((sum, entry) => sum + entry.amount, 0n)).toBe(-charged);
    expect((await balances(world.tenant.id))["1001"]).toBe(-charged);

    expect(await partitionsNamed(["cdrs_2026_11", "cdrs_2062_10"])).toEqual(["cdrs_2026_11"]);

    // Forced through the whole pipeline again (as a lost "done" would), in one-line batches:
    // the same lines are rejected and nothing moves.
    const before = { balances: await balances(world.tenant.id), calls, ledger, rejects: await rejectsOf(delivered.id) };
    await db().cdrFile.update({ where: { id: delivered.id }, data: { status: "RECEIVED" } });
    const rerun = await ingestCdrFile({ tenantId: world.tenant.id, fileId: delivered.id, batchLines: 1 });
    expect(rerun).toMatchObject({ status: "DONE", lines: 5, rated: 3, rejected: 2, alreadyPresent: 0 });
    expect({
      balances: await balances(world.tenant.id),
      calls: await storedCalls(world.tenant.id),
      ledger: await ledgerOf(world.tenant.id),
      rejects: await rejectsOf(delivered.id),
    }).toEqual(before);
    const again = await db().cdrFile.findUniqueOrThrow({ where: { id: delivered.id } });
    expect([again.lines, again.rated, again.rejected, again.callsStored, again.priceTotal]).toEqual([file.lines, file.rated, file.rejected, file.callsStored, file.priceTotal]);
    expect(await partitionsNamed(["cdrs_2062_10"])).toEqual([]);
  });
});
