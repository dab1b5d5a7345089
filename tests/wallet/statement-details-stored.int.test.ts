import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { postLedgerEntry } from "@/server/wallet/ledger";
import { billingPeriod } from "@/server/wallet/recurring";
import { statementDetails } from "@/server/wallet/statement-details";
import { generateStatement, getStatement, periodBounds } from "@/server/wallet/statements";
import { createBillingTenant, deliver, syntheticAsteriskFile, withJobRunner } from "../cdr/ingest-support";

const runner = withJobRunner();

/** Above 2^53: a JSON number (a double) could not hold these micro-units exactly. */
const HUGE_TOPUP = 2n ** 54n + 3n;
const HUGE_CHARGE = -(2n ** 53n + 5n);

/**
 * Alice's month, billed now (entries are dated when posted, so it is this month in Toronto):
 * a CDR file's calls, a top-up and a charge beyond 2^53 micro-units, and an adjustment whose
 * reason is the text the customer reads. `generate` writes its statement after the month.
 */
async function billedMonth() {
  const world = await createBillingTenant();
  const tenantId = world.tenant.id;
  const customerId = world.alice.id;
  const { period } = billingPeriod(new Date(), "America/Toronto");
  const bounds = periodBounds(period, "America/Toronto");
  await deliver({ tenantId, sourceId: world.asterisk.id, name: "Master-stored.csv", content: syntheticAsteriskFile(40) });
  await runner.drain(60_000);
  await postLedgerEntry({ tenantId, customerId, amount: HUGE_TOPUP, kind: "TOPUP", idempotencyKey: `t:${crypto.randomUUID()}` });
  await postLedgerEntry({ tenantId, customerId, amount: HUGE_CHARGE, kind: "CALL_CHARGES", idempotencyKey: `c:${crypto.randomUUID()}` });
  const adjustment = await postLedgerEntry({ tenantId, customerId, amount: -3_000_000n, kind: "ADJUSTMENT", idempotencyKey: `a:${crypto.randomUUID()}`, memo: "Porting fee" });
  const scope = { tenantId, customerId };
  return {
    ...scope,
    generate: () => generateStatement({ ...scope, period, now: new Date(bounds.end.getTime() + 2 * 3_600_000) }),
    show: (statementId: string) => getStatement({ ...scope, statementId }),
    /** What the ledger gives now, over the statement's bounds. */
    compute: (statement: { periodStart: Date; periodEnd: Date }) =>
      statementDetails({ ...scope, timeZone: "America/Toronto", start: statement.periodStart, end: statement.periodEnd }),
    /** The customer's text of the adjustment changes (its memo is its source). */
    rewordAdjustment: (memo: string) => db().ledgerEntry.update({ where: { id: adjustment.entry.id }, data: { memo } }),
    stored: async (statementId: string) => (await db().statement.findUniqueOrThrow({ where: { id: statementId }, select: { details: true } })).details,
  };
}

function descriptions(details: { activity: { kind: string; description: string }[] }) {
  return details.activity.filter((entry) => entry.kind === "ADJUSTMENT").map((entry) => entry.description);
}

describe("a statement's stored details", () => {
  it("are stored when the statement is written, exactly as computed, and a view reads them rather than the ledger and calls", async () => {
    const month = await billedMonth();
    const written = await month.generate();
    const computed = await month.compute(written);
    expect(computed.usage.rows.filter((row) => row.calls !== null).length).toBeGreaterThan(0);

    const stored = (await month.stored(written.id)) as { version: number; activity: Record<string, unknown>[]; usage: { total: unknown; rows: Record<string, unknown>[] } };
    expect(stored.version).toBe(1);
    // Money is decimal strings, never JSON numbers; instants are ISO strings.
    const topup = stored.activity.find((entry) => entry.kind === "TOPUP")!;
    expect(topup.amount).toBe(HUGE_TOPUP.toString());
    expect(typeof topup.balanceAfter).toBe("string");
    expect(topup.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(typeof stored.usage.total).toBe("string");
    for (const row of stored.usage.rows) expect(typeof row.amount).toBe("string");

    const shown = await month.show(written.id);
    expect({ activity: shown.activity, usage: shown.usage }).toEqual(computed);
    expect(shown).not.toHaveProperty("details");
    // Beyond 2^53, to the micro-unit.
    expect(shown.activity.find((entry) => entry.kind === "TOPUP")!.amount).toBe(HUGE_TOPUP);
    expect(shown.usage.rows.find((row) => row.key === "OTHER_CHARGES")!.amount).toBe(HUGE_CHARGE);
    expect(shown.usage.total).toBe(shown.sections.find((section) => section.key === "calls")!.amount);

    // The sources change (a memo reworded, the month's calls gone): the statement keeps what it
    // was written with, while computing afresh would not.
    await month.rewordAdjustment("Reworded later");
    await db().cdr.deleteMany({ where: { tenantId: month.tenantId, customerId: month.customerId } });
    const recomputed = await month.compute(written);
    expect(descriptions(recomputed)).toEqual(["Reworded later"]);
    expect(recomputed.usage.rows).not.toEqual(computed.usage.rows);
    const again = await month.show(written.id);
    expect(descriptions(again)).toEqual(["Porting fee"]);
    expect({ activity: again.activity, usage: again.usage }).toEqual(computed);
  });

  it("are replaced when the statement is regenerated", async () => {
    const month = await billedMonth();
    const written = await month.generate();
    await month.rewordAdjustment("Porting fee for 2 numbers");
    expect(descriptions(await month.show(written.id))).toEqual(["Porting fee"]);
    const rewritten = await month.generate();
    expect(rewritten.id).toBe(written.id);
    const shown = await month.show(written.id);
    expect(descriptions(shown)).toEqual(["Porting fee for 2 numbers"]);
    expect({ activity: shown.activity, usage: shown.usage }).toEqual(await month.compute(written));

    // Concurrent first generations (the losers of the insert update): each stores its details.
    await db().statement.delete({ where: { id: written.id } });
    await month.rewordAdjustment("Written by a race");
    const raced = await Promise.all(Array.from({ length: 3 }, () => month.generate()));
    expect(new Set(raced.map((statement) => statement.id)).size).toBe(1);
    expect(descriptions(await month.show(raced[0]!.id))).toEqual(["Written by a race"]);
  });

  it("of a statement written before they were stored are computed at its first view and stored once, concurrent views alike", async () => {
    const month = await billedMonth();
    const written = await month.generate();
    await db().$executeRaw`UPDATE statements SET details = NULL WHERE id = ${written.id}::uuid`;
    await month.rewordAdjustment("Computed at the first view");

    const views = await Promise.all(Array.from({ length: 4 }, () => month.show(written.id)));
    const computed = await month.compute(written);
    for (const view of views) expect({ activity: view.activity, usage: view.usage }).toEqual(computed);
    expect(descriptions(views[0]!)).toEqual(["Computed at the first view"]);
    expect(await month.stored(written.id)).toMatchObject({ version: 1 });

    // Stored now: later views read what the first one stored.
    await month.rewordAdjustment("Too late");
    expect(descriptions(await month.show(written.id))).toEqual(["Computed at the first view"]);

    // A shape of a later version is not read, nor overwritten: the view computes its details.
    await db().$executeRaw`UPDATE statements SET details = '{"version": 2}'::jsonb WHERE id = ${written.id}::uuid`;
    expect(descriptions(await month.show(written.id))).toEqual(["Too late"]);
    expect(await month.stored(written.id)).toEqual({ version: 2 });
  });
});
