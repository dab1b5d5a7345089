import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { db } from "@/server/db/client";
import { uploadCdrFile } from "@/server/cdr/upload";
import { addRateForPrefix } from "@/server/cdr/unbillable";
import { rerateUnbillable } from "@/server/cdr/rerate";
import { postLedgerEntry } from "@/server/wallet/ledger";
import { billingPeriod } from "@/server/wallet/recurring";
import { statementDetails } from "@/server/wallet/statement-details";
import { generateStatement, getStatement, periodBounds, statementPdf } from "@/server/wallet/statements";
import { callerAs, createCustomer, createUser, createWorld } from "../support/factories";
import { ACTOR, createBillingTenant, TAIWAN_RATE, withJobRunner } from "../cdr/ingest-support";

const runner = withJobRunner();

/** An answered Asterisk Master.csv line; `start` is the source's (Toronto) wall time. */
function call(account: string, callee: string, start: string, billsec: number, key: string): string {
  return `"${account}","6135550101","${callee}","from-internal","""Caller"" <6135550101>","SIP/t-1","SIP/c-1","Dial","SIP/c/${callee}","${start}","${start}","${start}",${billsec + 1},${billsec},"ANSWERED","DOCUMENTATION","${key}",""`;
}

/**
 * Entries dated in another month, which posting cannot write (it dates an entry now): inserted
 * chained after the customer's last entry, the cached balance following, so the ledger
 * invariant holds. Only for dates after every existing entry, or before the first one.
 */
async function postDated(tenantId: string, customerId: string, entries: { at: Date; amount: bigint; kind: "TOPUP" | "ADJUSTMENT" | "CALL_CHARGES" }[]) {
  const customer = await db().customer.findUniqueOrThrow({ where: { id: customerId }, select: { balance: true } });
  let balance = customer.balance;
  for (const [index, entry] of entries.entries()) {
    balance += entry.amount;
    await db().ledgerEntry.create({
      data: { tenantId, customerId, amount: entry.amount, kind: entry.kind, idempotencyKey: `dated:${customerId}:${entry.at.toISOString()}:${index}`, balanceAfter: balance, createdAt: entry.at },
    });
  }
  await db().customer.update({ where: { id: customerId }, data: { balance } });
}

/** The text of each page, in reading order, as a PDF reader extracts it. */
async function pdfPages(doc: PDFKit.PDFDocument): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of doc as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  const pdf = await getDocument({ data: new Uint8Array(Buffer.concat(chunks)), useSystemFonts: false, isEvalSupported: false }).promise;
  const pages: string[] = [];
  for (let number = 1; number <= pdf.numPages; number++) {
    const content = await (await pdf.getPage(number)).getTextContent();
    pages.push(content.items.map((item) => ("str" in item ? item.str : "")).join(" ").replace(/\s+/g, " "));
  }
  await pdf.destroy();
  return pages;
}

describe("what a statement lists", () => {
  it("lists the month's non-call entries as the customer reads them, and its call charges by category, adding up to the Call charges line", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    const alice = world.alice.id;
    // Billed now (entries are dated when posted), so the statement is this month's in Toronto.
    const { period } = billingPeriod(new Date(), "America/Toronto");
    const bounds = periodBounds(period, "America/Toronto");
    // A top-up of an earlier month: its opening balance, not its activity.
    await postDated(tenantId, alice, [{ at: new Date(bounds.start.getTime() - 5 * 86_400_000), amount: 100_000_000n, kind: "TOPUP" }]);

    // October's calls, billed this month: the statement that charged them lists them.
    await uploadCdrFile({
      tenantId,
      actor: ACTOR,
      sourceId: world.asterisk.id,
      fileName: "Master-statement.csv",
      body: Readable.from([
        Buffer.from(
          `${[
            call("acct-1001", "12125550100", "2026-10-06 10:00:00", 60, "st.1"),
            call("acct-1001", "12125550101", "2026-10-07 11:00:00", 120, "st.2"),
            call("acct-1001", "16132220199", "2026-10-08 09:00:00", 61, "st.3"),
            call("acct-1001", "442071838750", "2026-10-08 10:00:00", 30, "st.4"),
            call("acct-1001", "0118869123456", "2026-10-08 11:00:00", 60, "st.5"),
            call("acct-1002", "12125550102", "2026-10-08 12:00:00", 300, "st.6"),
          ].join("\n")}\n`,
        ),
      ]),
    });
    await runner.drain(60_000);
    // Taiwan had no rate: priced by the re-rate, on its own entry.
    await addRateForPrefix({ tenantId, actor: ACTOR, input: { ...TAIWAN_RATE, deckId: world.deck.id } });
    await rerateUnbillable({ tenantId });

    await postLedgerEntry({ tenantId, customerId: alice, amount: 20_000_000n, kind: "TOPUP", idempotencyKey: `t:${crypto.randomUUID()}`, memo: "Staff-only note 4711" });
    const admin = await createUser({ tenantId, role: "TENANT_ADMIN" });
    await (await callerAs(admin.user.id)).wallet.adjust({ customerId: alice, amount: "-3.00", reason: "Porting fee for 2 numbers", requestId: crypto.randomUUID() });
    // Another customer's top-up in the same month, and another tenant's.
    await postLedgerEntry({ tenantId, customerId: world.bob.id, amount: 7_000_000n, kind: "TOPUP", idempotencyKey: `t:${crypto.randomUUID()}` });
    const stranger = await createWorld();
    await postLedgerEntry({ tenantId: stranger.tenant.id, customerId: stranger.customer.id, amount: 9_000_000n, kind: "TOPUP", idempotencyKey: `t:${crypto.randomUUID()}` });
    // Next month's adjustment: on the next statement.
    await postDated(tenantId, alice, [{ at: new Date(bounds.end.getTime() + 86_400_000), amount: -1_000_000n, kind: "ADJUSTMENT" }]);

    const written = await generateStatement({ tenantId, customerId: alice, period, now: new Date(bounds.end.getTime() + 2 * 3_600_000) });
    const statement = await getStatement({ tenantId, customerId: alice, statementId: written.id });

    // The calls were charged before the top-up: its balance is after them.
    const afterCalls = statement.openingBalance + statement.sections.find((section) => section.key === "calls")!.amount;
    expect(statement.activity.map((entry) => [entry.kind, entry.description, entry.amount, entry.balanceAfter])).toEqual([
      ["TOPUP", "Card top-up", 20_000_000n, afterCalls + 20_000_000n],
      ["ADJUSTMENT", "Porting fee for 2 numbers", -3_000_000n, afterCalls + 17_000_000n],
    ]);
    expect(statement.openingBalance).toBe(100_000_000n);
    expect(JSON.stringify(statement.activity, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value))).not.toContain("4711");
    for (const entry of statement.activity) expect(entry.at >= statement.periodStart && entry.at < statement.periodEnd).toBe(true);

    // New York 0.0090/min by 6 s (before 15 Oct), Ottawa 0.0050/min by 60 s, London 0.0180/min by 1 s.
    expect(statement.usage.rows).toEqual([
      { key: "LOCAL", label: "Local", calls: 1, billedSeconds: 120n, billedMinutes: "2.00", amount: -10_000n },
      { key: "LONG_DISTANCE", label: "Long distance", calls: 2, billedSeconds: 180n, billedMinutes: "3.00", amount: -27_000n },
      { key: "INTERNATIONAL", label: "International", calls: 1, billedSeconds: 30n, billedMinutes: "0.50", amount: -9_000n },
      { key: "RERATED", label: "Earlier calls, priced later", calls: null, billedSeconds: null, billedMinutes: null, amount: -60_000n },
    ]);
    const callCharges = statement.sections.find((section) => section.key === "calls")!.amount;
    expect(callCharges).toBe(-106_000n);
    expect(statement.usage.total).toBe(callCharges);
    expect(statement.usage.rows.reduce((sum, row) => sum + row.amount, 0n)).toBe(callCharges);
    // What the priced calls themselves say (Bob's call is his).
    const priced = await db().cdr.aggregate({ where: { tenantId, customerId: alice, status: "RATED" }, _sum: { price: true } });
    expect(-priced._sum.price!).toBe(callCharges);

    // The same details for the other customer and for another tenant: nothing of Alice's.
    const bobs = await statementDetails({ tenantId, customerId: world.bob.id, timeZone: "America/Toronto", start: statement.periodStart, end: statement.periodEnd });
    expect(bobs.activity.map((entry) => entry.amount)).toEqual([7_000_000n]);
    expect(bobs.usage.rows).toEqual([{ key: "LONG_DISTANCE", label: "Long distance", calls: 1, billedSeconds: 300n, billedMinutes: "5.00", amount: -45_000n }]);
    const crossTenant = await statementDetails({ tenantId: stranger.tenant.id, customerId: alice, timeZone: "UTC", start: statement.periodStart, end: statement.periodEnd });
    expect(crossTenant).toMatchObject({ activity: [], usage: { rows: [], total: 0n, entries: 0 } });
    await expect(getStatement({ tenantId: stranger.tenant.id, customerId: alice, statementId: written.id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    // The portal reads the same through tRPC.
    const customerAdmin = await createUser({ tenantId, role: "CUSTOMER_ADMIN", customerId: alice });
    const viaTrpc = await (await callerAs(customerAdmin.user.id)).statements.get({ statementId: written.id });
    expect(viaTrpc.activity).toEqual(statement.activity);
    expect(viaTrpc.usage).toEqual(statement.usage);

    const pages = await pdfPages(statementPdf(statement));
    const text = pages.join("\n");
    for (const expected of ["Call usage", "Long distance", "Earlier calls, priced later", "-0.106 USD", "Porting fee for 2 numbers", "Card top-up", "Page 1 of"]) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain("4711");
    expect(text).not.toContain("Master-statement");
  });

  it("prints names in any script, and pages a long month with its header and page numbers on every page", async () => {
    const world = await createWorld("Łódź Telekom");
    const customer = await createCustomer(world.tenant.id, { name: "Łódź Telekom Ελλάς Связь 東京" });
    const start = periodBounds("2026-10", "America/Toronto").start.getTime();
    await postDated(
      world.tenant.id,
      customer.id,
      [
        ...Array.from({ length: 80 }, (_, index) => ({ at: new Date(start + (index + 1) * 8 * 3_600_000), amount: 1_000_000n + BigInt(index + 1), kind: "TOPUP" as const })),
        // A call charge with no CDR batch behind it (posted by hand): shown, not lost.
        { at: new Date(start + 81 * 8 * 3_600_000), amount: -500_000n, kind: "CALL_CHARGES" as const },
      ],
    );
    const written = await generateStatement({ tenantId: world.tenant.id, customerId: customer.id, period: "2026-10", now: new Date("2026-11-05T00:00:00Z") });
    const statement = await getStatement({ tenantId: world.tenant.id, customerId: customer.id, statementId: written.id });
    expect(statement.activity).toHaveLength(80);
    expect(statement.usage.rows).toEqual([{ key: "OTHER_CHARGES", label: "Other call charges", calls: null, billedSeconds: null, billedMinutes: null, amount: -500_000n }]);
    expect(statement.usage.total).toBe(statement.sections.find((section) => section.key === "calls")!.amount);

    const pages = await pdfPages(statementPdf(statement));
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages[0]).toContain("Łódź Telekom Ελλάς Связь");
    expect(pages[0]).toContain("Other call charges");
    pages.forEach((page, index) => {
      expect(page).toContain(`Page ${index + 1} of ${pages.length}`);
      // The footer names the customer on every page.
      expect(page).toContain("Łódź Telekom Ελλάς Связь");
    });
    // Continued pages repeat the table's header.
    expect(pages[1]).toContain("Activity (continued)");
    expect(pages[1]).toContain("Balance after");
    // The 80th top-up, and the balance it left: 80 × 1 + (1 + … + 80) micro-units.
    const last = pages[pages.length - 1]!;
    expect(last).toContain("1.00008 USD");
    expect(last).toContain("80.00324 USD");
  });
});
