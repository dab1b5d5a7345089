import { describe, expect, it, vi } from "vitest";
import type { TAuthContext } from "@/server/auth/context";
import type { LedgerKind } from "@/server/db/generated/enums";
import { db } from "@/server/db/client";
import { findLedgerDrift } from "@/server/wallet/ledger";
import { emailStatement, generateMissingStatements, generateStatement, getStatement, periodBounds, previousPeriod, statementsToEmail } from "@/server/wallet/statements";
import { createCustomer, createWorld } from "../support/factories";

// The PDF routes read the session; the test decides who is signed in.
const session = vi.hoisted(() => ({ auth: null as TAuthContext | null }));
vi.mock("@/server/auth/session", () => ({ currentAuth: () => Promise.resolve(session.auth) }));

const { GET: portalPdf } = await import("@/app/api/portal/statements/[statementId]/pdf/route");
const { GET: adminPdf } = await import("@/app/api/customers/[customerId]/statements/[statementId]/pdf/route");
const { GET: portalCsv } = await import("@/app/api/portal/ledger/route");

/**
 * Past periods cannot be posted through postLedgerEntry (created_at is the time of posting),
 * so the history is written directly, chained like postLedgerEntry would, and the cached
 * balance is set to the last balance_after so the ledger invariant holds.
 */
async function seedLedger(tenantId: string, customerId: string, entries: { at: string; amount: bigint; kind: LedgerKind }[]) {
  let balance = 0n;
  let index = 0;
  for (const entry of entries) {
    balance += entry.amount;
    index += 1;
    await db().ledgerEntry.create({
      data: { tenantId, customerId, amount: entry.amount, kind: entry.kind, idempotencyKey: `seed:${customerId}:${index}`, balanceAfter: balance, createdAt: new Date(entry.at) },
    });
  }
  await db().customer.update({ where: { id: customerId }, data: { balance } });
  return balance;
}

async function authOf(userId: string, tenantId: string): Promise<TAuthContext> {
  const { loadAuthContext } = await import("@/server/auth/context");
  const auth = await loadAuthContext(userId);
  if (!auth || auth.tenantId !== tenantId) throw new Error("no auth");
  return auth;
}

/**
 * A Toronto customer around New Year, with a charge at 02:00Z on 1 January: 21:00 on 31 December
 * in Toronto, but already January in London. `generate` writes one of its months in February.
 */
async function newYearCustomer(name: string) {
  const world = await createWorld();
  const customer = await createCustomer(world.tenant.id, { name });
  await seedLedger(world.tenant.id, customer.id, [
    { at: "2026-12-10T12:00:00Z", amount: 50_000_000n, kind: "TOPUP" },
    { at: "2027-01-01T02:00:00Z", amount: -1_000_000n, kind: "CALL_CHARGES" },
    { at: "2027-01-10T12:00:00Z", amount: -2_000_000n, kind: "CALL_CHARGES" },
  ]);
  return {
    generate: (period: string) => generateStatement({ tenantId: world.tenant.id, customerId: customer.id, period, now: new Date("2027-02-03T12:00:00Z") }),
    moveTo: (timeZone: string) => db().tenant.update({ where: { id: world.tenant.id }, data: { timeZone } }),
    show: (statementId: string) => getStatement({ tenantId: world.tenant.id, customerId: customer.id, statementId }),
  };
}

describe("monthly statements", () => {
  it("computes periods in the tenant's time zone", () => {
    // America/Toronto is UTC-4 in October 2026 and UTC-5 in November.
    expect(periodBounds("2026-10", "America/Toronto")).toEqual({ start: new Date("2026-10-01T04:00:00Z"), end: new Date("2026-11-01T04:00:00Z") });
    expect(periodBounds("2026-12", "UTC")).toEqual({ start: new Date("2026-12-01T00:00:00Z"), end: new Date("2027-01-01T00:00:00Z") });
    expect(previousPeriod(new Date("2026-11-01T02:00:00Z"), "America/Toronto")).toBe("2026-09");
    expect(previousPeriod(new Date("2026-11-01T14:00:00Z"), "America/Toronto")).toBe("2026-10");
    expect(previousPeriod(new Date("2026-01-01T14:00:00Z"), "UTC")).toBe("2025-12");
  });

  it("sums the period by kind, chains opening to closing, regenerates idempotently and emails once", async () => {
    const { tenant, customer, otherCustomer } = await createWorld();
    // Customers created after a period get no statement for it; these two are older.
    await db().customer.updateMany({ where: { tenantId: tenant.id }, data: { createdAt: new Date("2026-01-01T00:00:00Z") } });
    const final = await seedLedger(tenant.id, customer.id, [
      // September (Toronto): the opening balance of October.
      { at: "2026-09-10T12:00:00Z", amount: 50_000_000n, kind: "TOPUP" },
      { at: "2026-09-20T12:00:00Z", amount: -1_250_000n, kind: "CALL_CHARGES" },
      // 2026-10-01T02:00Z is still September 30 in Toronto.
      { at: "2026-10-01T02:00:00Z", amount: -250_000n, kind: "SMS_CHARGES" },
      // October.
      { at: "2026-10-01T05:00:00Z", amount: -2_000_000n, kind: "RECURRING_FEE" },
      { at: "2026-10-03T10:00:00Z", amount: 25_000_000n, kind: "TOPUP" },
      { at: "2026-10-05T10:00:00Z", amount: 10_000_000n, kind: "AUTO_RECHARGE" },
      { at: "2026-10-10T10:00:00Z", amount: -3_456_789n, kind: "CALL_CHARGES" },
      { at: "2026-10-11T10:00:00Z", amount: -123_456n, kind: "SMS_CHARGES" },
      { at: "2026-10-12T10:00:00Z", amount: -1_000_000n, kind: "ADJUSTMENT" },
      { at: "2026-10-15T10:00:00Z", amount: -5_000_000n, kind: "REFUND" },
      { at: "2026-10-16T10:00:00Z", amount: -10_000_000n, kind: "CHARGEBACK" },
      // 2026-11-01T03:00Z is still October 31 in Toronto.
      { at: "2026-11-01T03:00:00Z", amount: -100_000n, kind: "CALL_CHARGES" },
      // November.
      { at: "2026-11-02T10:00:00Z", amount: -7_000_000n, kind: "CALL_CHARGES" },
    ]);
    expect(final).toBe(54_819_755n);
    expect(await findLedgerDrift({ tenantId: tenant.id })).toEqual([]);

    const now = new Date("2026-11-01T14:00:00Z");
    const first = await generateMissingStatements({ now, tenantId: tenant.id });
    // Both customers get a statement; the other one is empty.
    expect(first.written).toHaveLength(2);
    const statement = await db().statement.findUniqueOrThrow({ where: { tenantId_customerId_period: { tenantId: tenant.id, customerId: customer.id, period: "2026-10" } } });
    expect(statement.openingBalance).toBe(48_500_000n);
    expect(statement.totals).toEqual({
      TOPUP: "25000000",
      AUTO_RECHARGE: "10000000",
      CALL_CHARGES: "-3556789",
      SMS_CHARGES: "-123456",
      RECURRING_FEE: "-2000000",
      ADJUSTMENT: "-1000000",
      REFUND: "-5000000",
      CHARGEBACK: "-10000000",
    });
    // Closing = opening + movements = the balance after October's last entry.
    expect(statement.closingBalance).toBe(61_819_755n);
    expect(statement.closingBalance).toBe(final + 7_000_000n);
    const empty = await db().statement.findUniqueOrThrow({ where: { tenantId_customerId_period: { tenantId: tenant.id, customerId: otherCustomer.id, period: "2026-10" } } });
    expect(empty).toMatchObject({ openingBalance: 0n, closingBalance: 0n });

    // A rerun (or the 14:00 run after the 02:00 one) writes nothing; a regeneration by hand rewrites the same numbers.
    expect((await generateMissingStatements({ now, tenantId: tenant.id })).written).toHaveLength(0);
    const again = await generateStatement({ tenantId: tenant.id, customerId: customer.id, period: "2026-10", now });
    expect(again).toMatchObject({ id: statement.id, openingBalance: 48_500_000n, closingBalance: 61_819_755n, totals: statement.totals });
    expect(await db().statement.count({ where: { tenantId: tenant.id } })).toBe(2);
    // An unfinished month cannot be generated.
    await expect(generateStatement({ tenantId: tenant.id, customerId: customer.id, period: "2026-11", now })).rejects.toMatchObject({ code: "INVALID_INPUT" });

    // Email once, even when the emailing runs twice and concurrently.
    const pending = await statementsToEmail({ now, tenantId: tenant.id });
    expect(pending).toHaveLength(2);
    const results = await Promise.all([...pending, ...pending].map((item) => emailStatement(item)));
    expect(results.filter((result) => result.emailed)).toHaveLength(2);
    expect(await statementsToEmail({ now, tenantId: tenant.id })).toEqual([]);
    const mails = await db().outboundEmail.findMany({ where: { tenantId: tenant.id, to: customer.contactEmail, subject: { contains: "2026-10" } } });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(`/portal/statements/${statement.id}`);
    expect(mails[0]!.text).toContain("61.819755 USD");
    const emailedAt = (await db().statement.findUniqueOrThrow({ where: { id: statement.id } })).emailedAt;
    expect(emailedAt).not.toBeNull();
    // Regenerating keeps emailedAt: no second mail.
    await generateStatement({ tenantId: tenant.id, customerId: customer.id, period: "2026-10", now });
    expect((await db().statement.findUniqueOrThrow({ where: { id: statement.id } })).emailedAt).toEqual(emailedAt);
    expect(await emailStatement({ tenantId: tenant.id, statementId: statement.id })).toEqual({ emailed: false });

    const detail = await getStatement({ tenantId: tenant.id, customerId: customer.id, statementId: statement.id });
    expect(detail.sections.map((section) => [section.key, section.amount])).toEqual([
      ["topups", 35_000_000n],
      ["calls", -3_556_789n],
      ["sms", -123_456n],
      ["recurring", -2_000_000n],
      ["adjustments", -1_000_000n],
      ["refunds", -15_000_000n],
    ]);
    expect(detail.openingBalance + detail.sections.reduce((sum, section) => sum + section.amount, 0n)).toBe(detail.closingBalance);
    expect(await findLedgerDrift({ tenantId: tenant.id })).toEqual([]);
  });

  it("keeps each statement's period when the tenant's zone moves: the next month starts where the last ended", async () => {
    const customer = await newYearCustomer("Zone Mover");
    // Toronto's December ends at 05:00Z on 1 January; London's January starts at 00:00Z.
    const december = await customer.generate("2026-12");
    expect(december).toMatchObject({ periodStart: new Date("2026-12-01T05:00:00Z"), periodEnd: new Date("2027-01-01T05:00:00Z"), closingBalance: 49_000_000n });

    await customer.moveTo("Europe/London");
    const january = await customer.generate("2027-01");
    // Not London's midnight (00:00Z), which would count the 02:00Z charge in both months.
    expect(january).toMatchObject({ periodStart: new Date("2027-01-01T05:00:00Z"), periodEnd: new Date("2027-02-01T00:00:00Z"), openingBalance: 49_000_000n, closingBalance: 47_000_000n });
    expect(january.totals).toMatchObject({ CALL_CHARGES: "-2000000" });

    // December rewritten after the move keeps the bounds its totals were summed over, and says so.
    const again = await customer.generate("2026-12");
    expect(again).toMatchObject({ periodStart: december.periodStart, periodEnd: december.periodEnd, closingBalance: 49_000_000n });
    const shown = await customer.show(december.id);
    expect({ start: shown.periodStart, end: shown.periodEnd }).toEqual({ start: december.periodStart, end: december.periodEnd });
  });

  it("a month written late, after the next one and a move of the zone, ends where the next one starts", async () => {
    const customer = await newYearCustomer("Late December");
    // December failed on its day; January was written in Toronto's zone.
    const january = await customer.generate("2027-01");
    expect(january).toMatchObject({ periodStart: new Date("2027-01-01T05:00:00Z"), openingBalance: 49_000_000n });
    // Then the tenant moved to London and December was written.
    await customer.moveTo("Europe/London");
    const december = await customer.generate("2026-12");
    // Not London's New Year (00:00Z), which would leave the 02:00Z charge on no statement.
    expect(december).toMatchObject({ periodEnd: january.periodStart, closingBalance: january.openingBalance });
  });

  it("refuses a statement that does not reconcile with the ledger chain", async () => {
    const { tenant, customer } = await createWorld();
    await db().ledgerEntry.create({ data: { tenantId: tenant.id, customerId: customer.id, amount: 5_000_000n, kind: "TOPUP", idempotencyKey: "broken-1", balanceAfter: 5_000_000n, createdAt: new Date("2026-10-05T12:00:00Z") } });
    await db().ledgerEntry.create({ data: { tenantId: tenant.id, customerId: customer.id, amount: -1_000_000n, kind: "CALL_CHARGES", idempotencyKey: "broken-2", balanceAfter: 3_000_000n, createdAt: new Date("2026-10-06T12:00:00Z") } });
    await expect(generateStatement({ tenantId: tenant.id, customerId: customer.id, period: "2026-10", now: new Date("2026-12-01T00:00:00Z") })).rejects.toThrow(/does not reconcile/);
    // Repair the seed so the ledger invariant of this tenant holds again.
    await db().ledgerEntry.deleteMany({ where: { tenantId: tenant.id } });
  });

  it("serves the PDF to the customer who owns it and to tenant staff, and to no one else", async () => {
    const world = await createWorld();
    const stranger = await createWorld();
    await seedLedger(world.tenant.id, world.customer.id, [{ at: "2026-09-15T12:00:00Z", amount: 12_000_000n, kind: "TOPUP" }]);
    const statement = await generateStatement({ tenantId: world.tenant.id, customerId: world.customer.id, period: "2026-09", now: new Date("2026-10-02T00:00:00Z") });
    const params = { params: Promise.resolve({ statementId: statement.id }) };

    session.auth = await authOf(world.customerAdmin.user.id, world.tenant.id);
    const response = await portalPdf(new Request("http://localhost/api/portal/statements/x/pdf"), params);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toContain(`-2026-09.pdf`);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("%PDF");
    expect(bytes.subarray(-6).toString("latin1")).toContain("%%EOF");

    // Another customer of the same tenant, an admin of another tenant, nobody: refused.
    session.auth = await authOf(world.otherCustomerAdmin.user.id, world.tenant.id);
    expect((await portalPdf(new Request("http://localhost/x"), params)).status).toBe(404);
    session.auth = await authOf(stranger.admin.user.id, stranger.tenant.id);
    expect((await portalPdf(new Request("http://localhost/x"), params)).status).toBe(403);
    const adminParams = { params: Promise.resolve({ customerId: world.customer.id, statementId: statement.id }) };
    expect((await adminPdf(new Request("http://localhost/x"), adminParams)).status).toBe(404);
    session.auth = null;
    expect((await portalPdf(new Request("http://localhost/x"), params)).status).toBe(401);

    // Tenant staff (support included) read it through the admin route.
    session.auth = await authOf(world.support.user.id, world.tenant.id);
    const staff = await adminPdf(new Request("http://localhost/x"), adminParams);
    expect(staff.status).toBe(200);
    expect(Buffer.from(await staff.arrayBuffer()).subarray(0, 4).toString("latin1")).toBe("%PDF");
    // …but not as a customer.
    expect((await portalPdf(new Request("http://localhost/x"), params)).status).toBe(403);
  });

  it("streams the customer's own ledger as CSV, scoped by the session", async () => {
    const world = await createWorld();
    const intruder = await createCustomer(world.tenant.id);
    await seedLedger(world.tenant.id, world.customer.id, [
      { at: "2026-09-15T12:00:00Z", amount: 12_000_000n, kind: "TOPUP" },
      { at: "2026-09-16T12:00:00Z", amount: -1_500_000n, kind: "CALL_CHARGES" },
    ]);
    session.auth = await authOf(world.customerAdmin.user.id, world.tenant.id);
    // A customerId in the query is ignored: the session decides.
    const response = await portalCsv(new Request(`http://localhost/api/portal/ledger?kind=CALL_CHARGES&customerId=${intruder.id}`));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/csv");
    const text = await response.text();
    expect(text.split("\n").filter(Boolean)).toEqual([
      // No references or memos (the tenant's internal records): a description written for the customer.
      "created_at,kind,amount,balance_after,description,time_zone",
      // The tenant's wall time (Toronto, EDT) with its offset, to the second.
      "2026-09-16 08:00:00-04:00,CALL_CHARGES,-1.500000,10.500000,Call charges,America/Toronto",
    ]);
    expect((await portalCsv(new Request("http://localhost/api/portal/ledger?kind=NOPE"))).status).toBe(400);
    session.auth = await authOf(world.admin.user.id, world.tenant.id);
    expect((await portalCsv(new Request("http://localhost/api/portal/ledger"))).status).toBe(403);
    session.auth = null;
  });
});
