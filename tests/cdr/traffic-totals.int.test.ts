import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { ingestCdrFile } from "@/server/cdr/ingest";
import { uploadCdrFile } from "@/server/cdr/upload";
import { addRateForPrefix } from "@/server/cdr/unbillable";
import { rerateUnbillable } from "@/server/cdr/rerate";
import { rebuildTrafficTotals } from "@/server/cdr/traffic-totals";
import { ACTOR, createBillingTenant, deliver, deliverQuietly, syntheticAsteriskFile, TAIWAN_RATE, withJobRunner } from "./ingest-support";
import { expectTrafficTotalsMatchCalls, storedTrafficTotals } from "./traffic-support";

const runner = withJobRunner();

/** A BUY deck pricing NANP numbers only: the synthetic files' US calls get a cost, their UK calls none. */
async function giveCostDeck(tenantId: string, sourceId: string): Promise<void> {
  const carrier = await db().carrier.create({ data: { tenantId, name: "Upstream" } });
  const deck = await db().rateDeck.create({ data: { tenantId, name: "Upstream cost", currency: "USD", kind: "BUY", carrierId: carrier.id } });
  await db().rate.create({
    data: {
      deckId: deck.id,
      prefix: "1",
      description: "NANP",
      category: "LONG_DISTANCE",
      ratePerMinute: 4_000n,
      connectFee: 0n,
      initialIncrement: 6,
      increment: 6,
      graceSeconds: 0,
      effectiveFrom: new Date("2026-01-01T00:00:00Z"),
    },
  });
  await db().cdrSource.update({ where: { id: sourceId }, data: { costDeckId: deck.id } });
}

function asteriskLine(account: string, callee: string, start: string, billsec: number, key: string): string {
  return `"${account}","6135550101","${callee}","from-internal","""Caller"" <6135550101>","SIP/t-1","SIP/c-1","Dial","SIP/c/${callee}","${start}","${start}","${start}",${billsec + 1},${billsec},"ANSWERED","DOCUMENTATION","${key}",""`;
}

describe("traffic totals kept by ingest", () => {
  it("equal the stored calls per bucket after the shared fixtures and a file written by three connections at once", async () => {
    const world = await createBillingTenant();
    await giveCostDeck(world.tenant.id, world.asterisk.id);
    await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master.csv", fixture: "cdr/asterisk-master.csv" });
    await deliver({ tenantId: world.tenant.id, sourceId: world.freeswitch.id, name: "fs.csv", fixture: "cdr/freeswitch-example.csv" });
    await deliver({ tenantId: world.tenant.id, sourceId: world.carrier.id, name: "ld.csv", fixture: "cdr/carrier-ld.csv" });
    await runner.drain(60_000);
    await expectTrafficTotalsMatchCalls(world.tenant.id);

    // Small batches of a file in time order: ~128 calls per bucket, so batches written at once
    // by the three connections add to the same buckets.
    const file = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "busy.csv", content: syntheticAsteriskFile(1_500) });
    const result = await ingestCdrFile({ tenantId: world.tenant.id, fileId: file.id, batchLines: 50 });
    expect(result).toMatchObject({ status: "DONE", writers: 3, batches: 30 });
    await expectTrafficTotalsMatchCalls(world.tenant.id);
    // Both kinds of rated call are in there: with a cost (US) and without one (UK).
    const sums = await pool().query<{ cost: string; without: string }>(
      `SELECT sum(cost)::text AS cost, sum(rated_without_cost)::text AS without FROM cdr_traffic_totals WHERE tenant_id = $1::uuid`,
      [world.tenant.id],
    );
    expect(BigInt(sums.rows[0]!.cost)).toBeGreaterThan(0n);
    expect(BigInt(sums.rows[0]!.without)).toBeGreaterThan(0n);
  });

  it("count calls stored before, by another file or an earlier run, once", async () => {
    const world = await createBillingTenant();
    await giveCostDeck(world.tenant.id, world.asterisk.id);
    const first = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "day.csv", content: syntheticAsteriskFile(300) });
    await ingestCdrFile({ tenantId: world.tenant.id, fileId: first.id, batchLines: 64 });
    const before = await storedTrafficTotals(world.tenant.id);

    // Forced through the pipeline again (as a lost "done" would): every batch meets its calls
    // stored and goes through the staging table, inserting nothing.
    await db().cdrFile.update({ where: { id: first.id }, data: { status: "RECEIVED" } });
    expect((await ingestCdrFile({ tenantId: world.tenant.id, fileId: first.id, batchLines: 64 })).status).toBe("DONE");
    expect(await storedTrafficTotals(world.tenant.id)).toEqual(before);

    // The carrier's next file repeats the day's calls and adds one (unanswered: line 301's billsec is 0).
    const again = `${syntheticAsteriskFile(300)}${syntheticAsteriskFile(301).split("\n")[300]}\n`;
    const second = await deliverQuietly(runner, { tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "day-and-more.csv", content: again });
    expect(await ingestCdrFile({ tenantId: world.tenant.id, fileId: second.id })).toMatchObject({ alreadyPresent: 300, unanswered: 1 });
    await expectTrafficTotalsMatchCalls(world.tenant.id);
    const after = await storedTrafficTotals(world.tenant.id);
    const changed = after.filter((bucket) => JSON.stringify(bucket) !== JSON.stringify(before.find((old) => old.bucket_start.getTime() === bucket.bucket_start.getTime())));
    expect(changed).toHaveLength(1);
    const previous = before.find((old) => old.bucket_start.getTime() === changed[0]!.bucket_start.getTime());
    expect(BigInt(changed[0]!.calls)).toBe(BigInt(previous?.calls ?? "0") + 1n);
    expect(changed[0]!.price).toBe(previous?.price ?? "0");
  });
});

describe("traffic totals kept by re-rating", () => {
  it("move unbillable calls into the rated figures once a rate prices them, the calls counted as before", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    // Taiwan has no rate yet: 120 s and 61 s calls, unbillable; one rated call to the US beside them.
    const lines = [
      asteriskLine("acct-1001", "0118869123456", "2026-10-06 10:00:00", 120, "tw.1"),
      asteriskLine("acct-1002", "0118869123457", "2026-10-06 10:05:00", 61, "tw.2"),
      asteriskLine("acct-1001", "12125550100", "2026-10-06 10:06:00", 60, "us.1"),
    ];
    await uploadCdrFile({ tenantId, actor: ACTOR, sourceId: world.asterisk.id, fileName: "taiwan.csv", body: Readable.from([Buffer.from(`${lines.join("\n")}\n`)]) });
    await runner.drain(60_000);
    await expectTrafficTotalsMatchCalls(tenantId);
    const before = await storedTrafficTotals(tenantId);
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ calls: "3", answered: "3", rated: "1", billsec: "241", rated_without_cost: "1" });

    await addRateForPrefix({ tenantId, actor: ACTOR, input: { ...TAIWAN_RATE, deckId: world.deck.id } });
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 2, charged: 120_000n + 120_000n });
    await expectTrafficTotalsMatchCalls(tenantId);
    const [after] = await storedTrafficTotals(tenantId);
    // $0.06/min in 60/60: 120 s bills 120 s, 61 s bills 120 s; $0.12 each.
    // Now rated; the switch's seconds stay what they were.
    expect(after).toMatchObject({ calls: "3", answered: "3", rated: "3", billsec: "241", rated_without_cost: "3" });
    expect(BigInt(after!.billed_seconds) - BigInt(before[0]!.billed_seconds)).toBe(240n);
    expect(BigInt(after!.price) - BigInt(before[0]!.price)).toBe(240_000n);
  });
});

describe("rebuilding a tenant's traffic totals", () => {
  it("recomputes them from its calls and leaves other tenants' alone", async () => {
    const a = await createBillingTenant();
    const b = await createBillingTenant();
    for (const world of [a, b]) {
      await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "syn.csv", content: syntheticAsteriskFile(200) });
    }
    await runner.drain(60_000);
    const ofB = await storedTrafficTotals(b.tenant.id);
    // Calls written behind the writers' back, as bench:cdr-search and some tests write them.
    await pool().query(`UPDATE cdr_traffic_totals SET calls = calls + 5 WHERE tenant_id = $1::uuid`, [a.tenant.id]);
    await pool().query(
      `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, caller, callee, status, category, billed_seconds, price, cost)
       VALUES ($1::uuid, $2::uuid, gen_random_uuid(), 1, 'direct.1', '2026-10-12T08:07:00Z', 60, '1', '1', 'RATED', 'OTHER', 60, 1000, NULL)`,
      [a.tenant.id, a.asterisk.id],
    );
    const { buckets } = await rebuildTrafficTotals(pool(), a.tenant.id);
    expect(buckets).toBe((await storedTrafficTotals(a.tenant.id)).length);
    await expectTrafficTotalsMatchCalls(a.tenant.id);
    expect(await storedTrafficTotals(b.tenant.id)).toEqual(ofB);
    await expectTrafficTotalsMatchCalls(b.tenant.id);
  });
});
