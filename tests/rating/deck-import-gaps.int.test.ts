import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { commitDeckImport, previewDeckImport } from "@/server/rating/deck-import";
import { saveDeck } from "@/server/rating/decks";
import { priceCallTool } from "@/server/rating/price-call";
import { createWorld } from "../support/factories";

// A row whose terms match the version in force is "unchanged" and skipped; these are the
// imports where skipping it left the prefix without a rate after a shorter version (calls
// then fell to a shorter prefix at another price), or left an ended version ended.

const actor = { userId: null, email: "test@example.test", ip: null };
const HEADER = "prefix,description,category,rate_per_minute,connect_fee,initial_increment,increment,grace_seconds,effective_from,effective_to\n";
const NANP = "1,USA/Canada,LONG_DISTANCE,0.0120,0,60,6,0,2026-01-01T00:00:00Z,\n";
const ottawa = (rate: string, from: string, to = "") => `1613,Canada - Ottawa,LOCAL,${rate},0,60,60,0,${from},${to}\n`;

async function deckWith(text: string) {
  const { tenant } = await createWorld();
  const deck = await saveDeck({ tenantId: tenant.id, actor, fields: { name: `Deck ${Math.random().toString(36).slice(2, 8)}`, kind: "SELL" } });
  const preview = await importFile(tenant.id, deck.id, text);
  await commitDeckImport({ tenantId: tenant.id, actor, importId: preview.id });
  return { tenantId: tenant.id, deckId: deck.id };
}

function importFile(tenantId: string, deckId: string, text: string, effectiveFrom = new Date("2026-01-01T00:00:00Z")) {
  return previewDeckImport({
    tenantId,
    actor,
    request: { deckId, format: "native", fileName: "deck.csv", effectiveFrom },
    file: Readable.from([`${HEADER}${text}`]),
  });
}

async function versionsOf(deckId: string, prefix: string) {
  const rates = await db().rate.findMany({ where: { deckId, prefix }, orderBy: { effectiveFrom: "asc" } });
  return rates.map((rate) => [rate.ratePerMinute, rate.effectiveFrom.toISOString(), rate.effectiveTo?.toISOString() ?? null]);
}

/** A one-minute call to Ottawa: 60/60 bills 60 s, so the price is the rate per minute. */
async function ottawaCall(tenantId: string, deckId: string, at: string) {
  const priced = await priceCallTool({ tenantId, input: { deckId, number: "16135559876", billsec: 60, at: new Date(at) } });
  return { matchedPrefix: priced.matchedPrefix, priceMicros: priced.priceMicros };
}

describe("deck import leaves no gap after an unchanged row", () => {
  it("a promotion followed by a return to the old price keeps the old price after the promotion", async () => {
    const { tenantId, deckId } = await deckWith(NANP + ottawa("0.0050", "2026-01-01T00:00:00Z"));
    const preview = await importFile(tenantId, deckId, ottawa("0.0040", "2026-11-01T00:00:00Z") + ottawa("0.0050", "2026-12-01T00:00:00Z"));
    // December's row restores the old price, but the old version no longer reaches December:
    // it is a change, not "unchanged".
    expect(preview).toMatchObject({ newRows: 0, changedRows: 2, unchangedRows: 0 });

    const committed = await commitDeckImport({ tenantId, actor, importId: preview.id });
    expect(committed).toMatchObject({ inserted: 2, replaced: 0, closed: 1, unchanged: 0 });
    expect(await versionsOf(deckId, "1613")).toEqual([
      [5_000n, "2026-01-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z"],
      [4_000n, "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"],
      [5_000n, "2026-12-01T00:00:00.000Z", null],
    ]);
    expect(await ottawaCall(tenantId, deckId, "2026-11-15T00:00:00Z")).toEqual({ matchedPrefix: "1613", priceMicros: 4_000n });
    expect(await ottawaCall(tenantId, deckId, "2026-12-05T00:00:00Z")).toEqual({ matchedPrefix: "1613", priceMicros: 5_000n });

    // The same file again changes nothing.
    const again = await importFile(tenantId, deckId, ottawa("0.0040", "2026-11-01T00:00:00Z") + ottawa("0.0050", "2026-12-01T00:00:00Z"));
    expect(again).toMatchObject({ newRows: 0, changedRows: 0, unchangedRows: 2 });
    expect(await commitDeckImport({ tenantId, actor, importId: again.id })).toMatchObject({ inserted: 0, replaced: 0, closed: 0 });
    expect(await versionsOf(deckId, "1613")).toHaveLength(3);
  });

  it("a version replaced from its own start and restored later covers the prefix after the restore", async () => {
    const { tenantId, deckId } = await deckWith(NANP + ottawa("0.0050", "2026-01-01T00:00:00Z"));
    const preview = await importFile(tenantId, deckId, ottawa("0.0040", "2026-01-01T00:00:00Z") + ottawa("0.0050", "2026-12-01T00:00:00Z"));
    expect(preview).toMatchObject({ newRows: 0, changedRows: 2, unchangedRows: 0 });

    const committed = await commitDeckImport({ tenantId, actor, importId: preview.id });
    expect(committed).toMatchObject({ inserted: 1, replaced: 1, closed: 0 });
    expect(await versionsOf(deckId, "1613")).toEqual([
      [4_000n, "2026-01-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"],
      [5_000n, "2026-12-01T00:00:00.000Z", null],
    ]);
    expect(await ottawaCall(tenantId, deckId, "2026-12-05T00:00:00Z")).toEqual({ matchedPrefix: "1613", priceMicros: 5_000n });
  });

  it("an open-ended row with the terms of an ended version reopens it", async () => {
    const { tenantId, deckId } = await deckWith(NANP + ottawa("0.0050", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"));
    expect(await ottawaCall(tenantId, deckId, "2026-07-01T00:00:00Z")).toEqual({ matchedPrefix: "1", priceMicros: 12_000n });

    const preview = await importFile(tenantId, deckId, ottawa("0.0050", "2026-01-01T00:00:00Z"));
    expect(preview).toMatchObject({ newRows: 0, changedRows: 1, unchangedRows: 0 });
    expect(await commitDeckImport({ tenantId, actor, importId: preview.id })).toMatchObject({ inserted: 0, replaced: 1, closed: 0 });
    expect(await versionsOf(deckId, "1613")).toEqual([[5_000n, "2026-01-01T00:00:00.000Z", null]]);
    expect(await ottawaCall(tenantId, deckId, "2026-07-01T00:00:00Z")).toEqual({ matchedPrefix: "1613", priceMicros: 5_000n });
  });

  it("an open-ended row without a date, inside an ended version, carries its terms on from the import's date", async () => {
    const { tenantId, deckId } = await deckWith(NANP + ottawa("0.0050", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"));
    const preview = await importFile(tenantId, deckId, "1613,Canada - Ottawa,LOCAL,0.0050,0,60,60,0,,\n", new Date("2026-03-01T00:00:00Z"));
    expect(preview).toMatchObject({ newRows: 0, changedRows: 1, unchangedRows: 0 });
    await commitDeckImport({ tenantId, actor, importId: preview.id });
    expect(await versionsOf(deckId, "1613")).toEqual([
      [5_000n, "2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"],
      [5_000n, "2026-03-01T00:00:00.000Z", null],
    ]);
  });

  it("a row's own end holds when a later row of the file closes the version it replaced", async () => {
    const { tenantId, deckId } = await deckWith(NANP + ottawa("0.0050", "2026-01-01T00:00:00Z"));
    const preview = await importFile(tenantId, deckId, ottawa("0.0040", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z") + ottawa("0.0060", "2026-06-01T00:00:00Z"));
    expect(preview).toMatchObject({ newRows: 0, changedRows: 2, unchangedRows: 0 });
    expect(await commitDeckImport({ tenantId, actor, importId: preview.id })).toMatchObject({ inserted: 1, replaced: 1, closed: 0 });
    // The file ends 0.0040 on 02-01 and says nothing until 06-01: Ottawa has no rate of its own then.
    expect(await versionsOf(deckId, "1613")).toEqual([
      [4_000n, "2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"],
      [6_000n, "2026-06-01T00:00:00.000Z", null],
    ]);
    expect(await ottawaCall(tenantId, deckId, "2026-03-01T00:00:00Z")).toEqual({ matchedPrefix: "1", priceMicros: 12_000n });
  });

  it("a row with an explicit end may end the prefix's rate: the file said so", async () => {
    const { tenantId, deckId } = await deckWith(NANP + ottawa("0.0050", "2026-01-01T00:00:00Z"));
    const preview = await importFile(tenantId, deckId, ottawa("0.0040", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"));
    expect(preview).toMatchObject({ newRows: 0, changedRows: 1, unchangedRows: 0 });
    expect(await commitDeckImport({ tenantId, actor, importId: preview.id })).toMatchObject({ inserted: 1, closed: 1 });
    expect(await versionsOf(deckId, "1613")).toEqual([
      [5_000n, "2026-01-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z"],
      [4_000n, "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"],
    ]);
  });
});
