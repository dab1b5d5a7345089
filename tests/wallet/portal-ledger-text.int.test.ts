import { Readable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import type { TAuthContext } from "@/server/auth/context";
import { uploadCdrFile } from "@/server/cdr/upload";
import { addRateForPrefix } from "@/server/cdr/unbillable";
import { rerateUnbillable } from "@/server/cdr/rerate";
import { postLedgerEntry } from "@/server/wallet/ledger";
import { postRecurringFees, saveRecurringCharge } from "@/server/wallet/recurring";
import { callerAs, createUser } from "../support/factories";
import { ACTOR, createBillingTenant, TAIWAN_RATE, withJobRunner } from "../cdr/ingest-support";

// The CSV route reads the session; the test decides who is signed in.
const session = vi.hoisted(() => ({ auth: null as TAuthContext | null }));
vi.mock("@/server/auth/session", () => ({ currentAuth: () => Promise.resolve(session.auth) }));

const { GET: portalCsv } = await import("@/app/api/portal/ledger/route");

const runner = withJobRunner();

const FILE_NAME = "Master-today.csv";

function line(account: string, callee: string, start: string, billsec: number, key: string): string {
  const end = start.replace(/:(\d\d)$/, (_, s: string) => `:${String(Math.min(59, Number(s) + 1)).padStart(2, "0")}`);
  return `"${account}","6135550101","${callee}","from-internal","""Caller"" <6135550101>","SIP/t-1","SIP/c-1","Dial","SIP/c/${callee}","${start}","${start}","${end}",${billsec + 1},${billsec},"ANSWERED","DOCUMENTATION","${key}",""`;
}

async function authOf(userId: string): Promise<TAuthContext> {
  const { loadAuthContext } = await import("@/server/auth/context");
  const auth = await loadAuthContext(userId);
  if (!auth) throw new Error("no auth");
  return auth;
}

/**
 * A customer with one entry of every kind, posted as the code that posts each kind does (the
 * payment and dispute entries with the kinds, references and memos of crediting.ts and
 * webhooks.ts, whose Stripe flows are tested elsewhere).
 */
async function customerWithEveryKind() {
  const world = await createBillingTenant();
  const tenantId = world.tenant.id;
  const customerId = world.alice.id;
  // Two priced calls on two days (Toronto) and one with no rate yet, for the re-rate.
  await uploadCdrFile({
    tenantId,
    actor: ACTOR,
    sourceId: world.asterisk.id,
    fileName: FILE_NAME,
    body: Readable.from([
      Buffer.from(
        `${[
          line("acct-1001", "12125550100", "2026-10-06 10:00:00", 60, "text.1"),
          line("acct-1001", "12125550101", "2026-10-07 11:00:00", 120, "text.2"),
          line("acct-1001", "0118869123456", "2026-10-07 12:00:00", 60, "text.3"),
        ].join("\n")}\n`,
      ),
    ]),
  });
  await runner.drain(60_000);
  await addRateForPrefix({ tenantId, actor: ACTOR, input: { ...TAIWAN_RATE, deckId: world.deck.id } });
  await rerateUnbillable({ tenantId });

  const payment = crypto.randomUUID();
  const post = (kind: "TOPUP" | "AUTO_RECHARGE" | "REFUND" | "CHARGEBACK", amount: bigint, memo: string) =>
    postLedgerEntry({ tenantId, customerId, amount, kind, idempotencyKey: `test:${crypto.randomUUID()}`, reference: { type: "payment", id: payment }, memo });
  await post("TOPUP", 20_000_000n, "Card top-up");
  await post("AUTO_RECHARGE", 10_000_000n, "Automatic card top-up");
  await post("REFUND", -5_000_000n, "Card payment refunded");
  await post("REFUND", 5_000_000n, "Card refund failed: amount restored");
  await post("CHARGEBACK", -10_000_000n, "Card payment disputed (fraudulent)");
  await post("CHARGEBACK", 10_000_000n, "Dispute won: funds reinstated");

  await saveRecurringCharge({
    tenantId,
    actor: ACTOR,
    charge: { customerId, description: "Hosted PBX seat", amount: "4.00", startsOn: new Date("2026-01-01T00:00:00Z") },
  });
  await postRecurringFees({ tenantId, now: new Date("2026-10-15T12:00:00Z") });

  const admin = await createUser({ tenantId, role: "TENANT_ADMIN" });
  const staff = await callerAs(admin.user.id);
  await staff.wallet.adjust({ customerId, amount: "3.00", reason: "Goodwill credit for outage", requestId: crypto.randomUUID() });

  const customerAdmin = await createUser({ tenantId, role: "CUSTOMER_ADMIN", customerId });
  return { world, customerId, staff, customerAdmin };
}

describe("what a customer reads of their ledger", () => {
  it("describes each kind for the customer, never by a CDR file name or a staff memo, in the portal and its CSV", async () => {
    const { customerId, staff, customerAdmin } = await customerWithEveryKind();

    // Staff keep the memos as posted.
    const staffView = await staff.wallet.ledger({ customerId, pageSize: 50 });
    expect(staffView.rows.map((row) => row.memo)).toContain(`Calls in ${FILE_NAME}, lines 1–3`);
    const staffMemos = staffView.rows.filter((row) => row.kind !== "ADJUSTMENT").map((row) => row.memo).filter((memo): memo is string => memo !== null);
    expect(staffMemos.length).toBeGreaterThanOrEqual(9);

    const mine = await (await callerAs(customerAdmin.user.id)).wallet.myLedger({ pageSize: 50 });
    expect(mine.total).toBe(staffView.total);
    const described = mine.rows.map((row) => `${row.kind} ${row.amount} ${row.description}`).sort();
    expect(described).toEqual(
      [
        "ADJUSTMENT 3000000 Goodwill credit for outage",
        "AUTO_RECHARGE 10000000 Automatic top-up",
        // 0.009/min (New York) for 1 and 2 minutes; the Taiwan call is billed by the re-rate, not here.
        "CALL_CHARGES -27000 Call charges: 2 calls from 06 Oct 2026 to 07 Oct 2026",
        "CALL_CHARGES -60000 Charges for earlier calls, priced later",
        "CHARGEBACK -10000000 Card payment disputed",
        "CHARGEBACK 10000000 Disputed card payment settled: amount returned to your balance",
        "RECURRING_FEE -4000000 Hosted PBX seat (October 2026)",
        "REFUND -5000000 Refund to your card",
        "REFUND 5000000 Refund to your card failed: amount returned to your balance",
        "TOPUP 20000000 Card top-up",
      ].sort(),
    );
    // Nothing internal travels to the browser: no memo, reference or key.
    for (const row of mine.rows) expect(Object.keys(row).sort()).toEqual(["amount", "balanceAfter", "createdAt", "description", "id", "kind"]);
    const portalJson = JSON.stringify(mine, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));

    session.auth = await authOf(customerAdmin.user.id);
    const response = await portalCsv(new Request("http://localhost/api/portal/ledger"));
    session.auth = null;
    expect(response.status).toBe(200);
    const csv = await response.text();
    const csvLines = csv.split("\n").filter(Boolean);
    expect(csvLines[0]).toBe("created_at,kind,amount,balance_after,description,time_zone");
    expect(csvLines).toHaveLength(mine.total + 1);
    expect(csv).toContain(",CALL_CHARGES,-0.027000,");
    expect(csv).toContain("Call charges: 2 calls from 06 Oct 2026 to 07 Oct 2026");
    expect(csv).toContain("Goodwill credit for outage");

    for (const text of [portalJson, csv]) {
      expect(text).not.toContain(FILE_NAME);
      expect(text).not.toContain("Master-today");
      for (const memo of staffMemos) {
        // Two memos happen to be the customer's text too; the rest are staff's only.
        if (memo === "Card top-up") continue;
        expect(text).not.toContain(memo);
      }
    }
  });

  it("describes each page with a fixed number of queries, whatever its size", async () => {
    const { customerAdmin } = await customerWithEveryKind();
    const caller = await callerAs(customerAdmin.user.id);
    const { db } = await import("@/server/db/client");
    const spy = vi.spyOn(db(), "$queryRawUnsafe");
    try {
      await caller.wallet.myLedger({ pageSize: 50 });
      const callQueries = spy.mock.calls.filter(([sql]) => typeof sql === "string" && sql.includes("FROM cdrs"));
      expect(callQueries).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });
});
