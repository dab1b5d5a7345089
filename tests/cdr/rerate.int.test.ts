import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { getCdrFile } from "@/server/cdr/file-queries";
import { uploadCdrFile } from "@/server/cdr/upload";
import { addRateForPrefix, mapAccountCode } from "@/server/cdr/unbillable";
import { rerateUnbillable, type TRerateResult } from "@/server/cdr/rerate";
import { createCustomer } from "../support/factories";
import { ACTOR, balances, createBillingTenant, TAIWAN_RATE, withJobRunner } from "./ingest-support";
import { expectStillWaiting } from "../support/waiting";

const runner = withJobRunner();

function line(account: string, callee: string, start: string, billsec: number, key: string): string {
  const end = start.replace(/:(\d\d)$/, (_, s: string) => `:${String(Math.min(59, Number(s) + 1)).padStart(2, "0")}`);
  return `"${account}","6135550101","${callee}","from-internal","""Caller"" <6135550101>","SIP/t-1","SIP/c-1","Dial","SIP/c/${callee}","${start}","${start}","${end}",${billsec + 1},${billsec},"ANSWERED","DOCUMENTATION","${key}",""`;
}

async function ingest(tenantId: string, sourceId: string, name: string, lines: string[]) {
  const received = await uploadCdrFile({ tenantId, actor: ACTOR, sourceId, fileName: name, body: Readable.from([Buffer.from(`${lines.join("\n")}\n`)]) });
  await runner.drain(60_000);
  return received;
}


describe("re-rating while an ingest batch of the same file commits", () => {
  it("takes the customer's lock before the traffic totals' and the file's rows, as the ingest does, so neither waits for the other in a cycle", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    const file = await ingest(tenantId, world.asterisk.id, "lock-order.csv", [line("acct-1001", "0118869123456", "2026-10-06 10:00:00", 120, "lock.1")]);
    expect(await getCdrFile({ tenantId, fileId: file.id })).toMatchObject({ rated: 0, unbillable: 1 });
    await addRateForPrefix({ tenantId, actor: ACTOR, input: { ...TAIWAN_RATE, deckId: world.deck.id } });

    // An ingest batch of this file as ingest.ts commits it: the ledger post locks the
    // customer, then the file's counters are updated, in one transaction.
    const ingestBatch = await pool().connect();
    try {
      await ingestBatch.query("BEGIN");
      await ingestBatch.query(`SELECT id FROM customers WHERE tenant_id = $1::uuid AND id = $2::uuid FOR UPDATE`, [tenantId, world.alice.id]);

      const rerate: Promise<TRerateResult | Error> = rerateUnbillable({ tenantId }).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      // The re-rate reaches the customer's lock and waits for the batch.
      await expectStillWaiting(rerate, ingestBatch);
      // Had the re-rate updated the traffic totals or the file's row before locking the
      // customer, these would wait for it while it waits for us: PostgreSQL would abort one
      // after deadlock_timeout. The batch's traffic, then its file, as ingest.ts writes them.
      await ingestBatch.query(`UPDATE cdr_traffic_totals SET calls = calls WHERE tenant_id = $1::uuid`, [tenantId]);
      await ingestBatch.query(`UPDATE cdr_files SET lines = lines WHERE tenant_id = $1::uuid AND id = $2::uuid`, [tenantId, file.id]);
      await ingestBatch.query("COMMIT");

      const outcome = await rerate;
      if (outcome instanceof Error) throw outcome;
      expect(outcome).toMatchObject({ rated: 1, charged: 120_000n });
    } catch (error) {
      await ingestBatch.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      ingestBatch.release();
    }
    expect(await getCdrFile({ tenantId, fileId: file.id })).toMatchObject({ rated: 1, unbillable: 0, priceTotal: 120_000n });
  });
});

describe("re-rating a call of an unknown account", () => {
  it("does not give it to whoever holds the called number now; an account-code mapping still finds its owner", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    // acct-9999 is nobody's, and nobody holds 16135550123 when the call is made and ingested.
    await ingest(tenantId, world.asterisk.id, "unknown.csv", [line("acct-9999", "16135550123", "2026-10-06 10:00:00", 60, "own.1")]);
    const stored = async () =>
      (
        await pool().query<{ customer_id: string | null; trunk_id: string | null; status: string; unbillable_reason: string | null; price: string | null }>(
          `SELECT customer_id, trunk_id, status::text, unbillable_reason, price::text FROM cdrs WHERE tenant_id = $1::uuid AND record_key = 'own.1'`,
          [tenantId],
        )
      ).rows[0];
    expect(await stored()).toEqual({ customer_id: null, trunk_id: null, status: "UNBILLABLE", unbillable_reason: "unknown account", price: null });

    // Weeks later the number becomes a DID of a new customer, with a deck that prices the call.
    const newcomer = await createCustomer(tenantId, { accountNumber: "1003", name: "Eve Co" });
    await db().customer.update({ where: { id: newcomer.id }, data: { rateDeckId: world.deck.id } });
    await db().did.create({ data: { tenantId, number: "16135550123", customerId: newcomer.id } });

    const before = await balances(tenantId);
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ examined: 1, rated: 0, stillUnbillable: 1, charged: 0n });
    expect(await stored()).toEqual({ customer_id: null, trunk_id: null, status: "UNBILLABLE", unbillable_reason: "unknown account", price: null });
    expect(await balances(tenantId)).toEqual(before);

    await mapAccountCode({ tenantId, actor: ACTOR, input: { accountCode: "acct-9999", customerId: world.alice.id } });
    const result = await rerateUnbillable({ tenantId });
    expect(result).toMatchObject({ rated: 1, stillUnbillable: 0 });
    const rated = await stored();
    expect(rated).toMatchObject({ customer_id: world.alice.id, trunk_id: null, status: "RATED", unbillable_reason: null });
    expect(BigInt(rated!.price!)).toBeGreaterThan(0n);
    const after = await balances(tenantId);
    expect(before["1001"]! - after["1001"]!).toBe(BigInt(rated!.price!));
    expect(after["1003"]).toBe(before["1003"]);
  });
});
