import { createReadStream, readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { commitDeckImport, discardDeckImport, listDeckImportErrors, previewDeckImport } from "@/server/rating/deck-import";
import { assignCustomerDeck, iterateDeckRates, listRates, saveDeck } from "@/server/rating/decks";
import { saveCarrier } from "@/server/rating/carriers";
import { priceCallTool } from "@/server/rating/price-call";
import { saveTrunk } from "@/server/catalog/trunks";
import { writeDeckCsv } from "@/server/rating/deck-formats";
import { createWorld } from "../support/factories";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/rates");
const actor = { userId: null, email: "test@example.test", ip: null };

async function newDeck(tenantId: string, name = `Deck ${Math.random().toString(36).slice(2, 8)}`) {
  return saveDeck({ tenantId, actor, fields: { name, kind: "SELL" } });
}

async function importText(tenantId: string, deckId: string, text: string, effectiveFrom = new Date("2026-01-01T00:00:00Z")) {
  const preview = await previewDeckImport({
    tenantId,
    actor,
    request: { deckId, format: "native", fileName: "deck.csv", effectiveFrom },
    file: Readable.from([text]),
  });
  return preview;
}

const HEADER = "prefix,description,category,rate_per_minute,connect_fee,initial_increment,increment,grace_seconds,effective_from,effective_to\n";

describe("deck import", () => {
  it("previews the retail fixture as all new, commits it whole, and a second identical import changes nothing", async () => {
    const { tenant } = await createWorld();
    const deck = await newDeck(tenant.id);
    const preview = await previewDeckImport({
      tenantId: tenant.id,
      actor,
      request: { deckId: deck.id, format: "native", fileName: "retail-usd.csv", effectiveFrom: new Date("2026-01-01T00:00:00Z") },
      file: createReadStream(path.join(FIXTURES, "retail-usd.csv")),
    });
    expect(preview).toMatchObject({ status: "PREVIEWED", totalRows: 14, newRows: 14, changedRows: 0, unchangedRows: 0, invalidRows: 0 });
    expect(await db().rate.count({ where: { deckId: deck.id } })).toBe(0);

    const committed = await commitDeckImport({ tenantId: tenant.id, actor, importId: preview.id });
    expect(committed).toMatchObject({ inserted: 14, replaced: 0, closed: 0 });
    const ottawa = await db().rate.findFirstOrThrow({ where: { deckId: deck.id, prefix: "1613555" } });
    expect(ottawa).toMatchObject({ ratePerMinute: 45_000n, connectFee: 10_000n, initialIncrement: 30, increment: 6, graceSeconds: 3 });
    await expect(commitDeckImport({ tenantId: tenant.id, actor, importId: preview.id })).rejects.toMatchObject({ code: "CONFLICT" });

    const again = await previewDeckImport({
      tenantId: tenant.id,
      actor,
      request: { deckId: deck.id, format: "native", fileName: "retail-usd.csv", effectiveFrom: new Date("2026-01-01T00:00:00Z") },
      file: createReadStream(path.join(FIXTURES, "retail-usd.csv")),
    });
    expect(again).toMatchObject({ newRows: 0, changedRows: 0, unchangedRows: 14 });
    await commitDeckImport({ tenantId: tenant.id, actor, importId: again.id });
    expect(await db().rate.count({ where: { deckId: deck.id } })).toBe(14);
  });

  it("closes the previous rate at the new version's start instead of overwriting history", async () => {
    const { tenant } = await createWorld();
    const deck = await newDeck(tenant.id);
    await commitDeckImport({ tenantId: tenant.id, actor, importId: (await importText(tenant.id, deck.id, `${HEADER}44,UK,INTERNATIONAL,0.0210,0,1,1,0,,\n`)).id });
    const change = await importText(tenant.id, deck.id, `${HEADER}44,UK,INTERNATIONAL,0.0250,0,1,1,0,,\n33,France,INTERNATIONAL,0.0300,0,1,1,0,,\n`, new Date("2026-11-01T00:00:00Z"));
    expect(change).toMatchObject({ newRows: 1, changedRows: 1, unchangedRows: 0 });
    await commitDeckImport({ tenantId: tenant.id, actor, importId: change.id });

    const versions = await db().rate.findMany({ where: { deckId: deck.id, prefix: "44" }, orderBy: { effectiveFrom: "asc" } });
    expect(versions.map((rate) => [rate.ratePerMinute, rate.effectiveFrom.toISOString(), rate.effectiveTo?.toISOString() ?? null])).toEqual([
      [21_000n, "2026-01-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z"],
      [25_000n, "2026-11-01T00:00:00.000Z", null],
    ]);
    // A call before the change keeps the old price; one after gets the new (the matcher cache sees the new version).
    const before = await priceCallTool({ tenantId: tenant.id, input: { deckId: deck.id, number: "011442079460000", billsec: 60, at: new Date("2026-10-31T23:59:59Z") } });
    const after = await priceCallTool({ tenantId: tenant.id, input: { deckId: deck.id, number: "011442079460000", billsec: 60, at: new Date("2026-11-01T00:00:00Z") } });
    expect([before.priceMicros, after.priceMicros]).toEqual([21_000n, 25_000n]);
  });

  it("refuses a deck with malformed rows, listing each by line number, and imports nothing", async () => {
    const { tenant } = await createWorld();
    const deck = await newDeck(tenant.id);
    const text = `${HEADER}1,USA,LONG_DISTANCE,0.0120,0,60,6,0,,\n12x,Bad prefix,LOCAL,0.01,0,60,6,0,,\n1613,Ottawa,LOCAL,abc,0,60,60,0,,\n1,USA again,LONG_DISTANCE,0.0130,0,60,6,0,,\n`;
    const preview = await importText(tenant.id, deck.id, text);
    expect(preview).toMatchObject({ totalRows: 4, invalidRows: 3, newRows: 1 });
    const errors = await listDeckImportErrors({ tenantId: tenant.id, importId: preview.id, page: 0, pageSize: 50 });
    expect(errors.rows.map((row) => row.line)).toEqual([3, 4, 5]);
    expect(errors.rows[0]?.error).toMatch(/prefix/i);
    expect(errors.rows[1]?.error).toMatch(/rate/i);
    expect(errors.rows[2]?.error).toContain("already appears on line 2");
    await expect(commitDeckImport({ tenantId: tenant.id, actor, importId: preview.id })).rejects.toThrow(/3 invalid line/);
    expect(await db().rate.count({ where: { deckId: deck.id } })).toBe(0);
    await discardDeckImport({ tenantId: tenant.id, actor, importId: preview.id });
    expect(await db().deckImportRow.count({ where: { importId: preview.id } })).toBe(0);
  });

  it("reports an unreadable file against the file field", async () => {
    const { tenant } = await createWorld();
    const deck = await newDeck(tenant.id);
    await expect(importText(tenant.id, deck.id, "just,some,columns\n1,2,3\n")).rejects.toMatchObject({ code: "INVALID_INPUT", fieldErrors: { file: [expect.stringMatching(/cannot be read/)] } });
    expect(await db().deckImport.count({ where: { deckId: deck.id } })).toBe(0);
  });

  it("exports a deck that re-imports to the same rates", async () => {
    const { tenant } = await createWorld();
    const deck = await newDeck(tenant.id);
    const preview = await previewDeckImport({
      tenantId: tenant.id,
      actor,
      request: { deckId: deck.id, format: "native", fileName: "retail-usd.csv", effectiveFrom: new Date("2026-01-01T00:00:00Z") },
      file: createReadStream(path.join(FIXTURES, "retail-usd.csv")),
    });
    await commitDeckImport({ tenantId: tenant.id, actor, importId: preview.id });
    let exported = "";
    for await (const line of writeDeckCsv(iterateDeckRates({ tenantId: tenant.id, deckId: deck.id, batchSize: 4 }))) exported += line;
    const copy = await newDeck(tenant.id);
    await commitDeckImport({ tenantId: tenant.id, actor, importId: (await importText(tenant.id, copy.id, exported)).id });
    const strip = (rows: { prefix: string; ratePerMinute: bigint; connectFee: bigint; effectiveFrom: Date; effectiveTo: Date | null; description: string }[]) =>
      rows.map(({ prefix, ratePerMinute, connectFee, effectiveFrom, effectiveTo, description }) => ({ prefix, ratePerMinute, connectFee, effectiveFrom, effectiveTo, description }));
    const order = { orderBy: [{ prefix: "asc" as const }, { effectiveFrom: "asc" as const }] };
    expect(strip(await db().rate.findMany({ where: { deckId: copy.id }, ...order }))).toEqual(strip(await db().rate.findMany({ where: { deckId: deck.id }, ...order })));
    expect(readFileSync(path.join(FIXTURES, "retail-usd.csv"), "utf8").split("\n")[0]).toBe(exported.split("\n")[0]);
  });

  it("pages through rates by keyset and filters by prefix, category and effective date", async () => {
    const { tenant } = await createWorld();
    const deck = await newDeck(tenant.id);
    await commitDeckImport({
      tenantId: tenant.id,
      actor,
      importId: (
        await previewDeckImport({
          tenantId: tenant.id,
          actor,
          request: { deckId: deck.id, format: "native", fileName: "retail-usd.csv", effectiveFrom: new Date("2026-01-01T00:00:00Z") },
          file: createReadStream(path.join(FIXTURES, "retail-usd.csv")),
        })
      ).id,
    });
    const first = await listRates({ tenantId: tenant.id, query: { deckId: deck.id, pageSize: 5 } });
    expect(first.rows.map((rate) => rate.prefix)).toEqual(["1", "1212", "1212", "1613", "1613555"]);
    expect(first).toMatchObject({ total: 14, hasNextPage: true, hasPreviousPage: false });
    const last = first.rows.at(-1)!;
    const second = await listRates({ tenantId: tenant.id, query: { deckId: deck.id, pageSize: 5, cursor: { prefix: last.prefix, effectiveFrom: last.effectiveFrom, id: last.id, direction: "after" } } });
    expect(second.rows.map((rate) => rate.prefix)).toEqual(["1800", "1888", "351", "3519", "44"]);
    const back = second.rows[0]!;
    const previous = await listRates({ tenantId: tenant.id, query: { deckId: deck.id, pageSize: 5, cursor: { prefix: back.prefix, effectiveFrom: back.effectiveFrom, id: back.id, direction: "before" } } });
    expect(previous.rows.map((rate) => rate.prefix)).toEqual(first.rows.map((rate) => rate.prefix));
    const ny = await listRates({ tenantId: tenant.id, query: { deckId: deck.id, search: "1212", effectiveOn: new Date("2026-11-01T00:00:00Z") } });
    expect(ny.rows.map((rate) => rate.ratePerMinuteMicros)).toEqual([7_500n]);
    const mobile = await listRates({ tenantId: tenant.id, query: { deckId: deck.id, category: "MOBILE" } });
    expect(mobile.rows.map((rate) => rate.prefix)).toEqual(["3519", "447", "4915"]);
    const byName = await listRates({ tenantId: tenant.id, query: { deckId: deck.id, search: "ottawa" } });
    expect(byName.total).toBe(2);
  });

  it("prices a customer's call by the trunk's override deck, with cost and margin from the carrier's BUY deck", async () => {
    const { tenant, customer } = await createWorld();
    const retail = await newDeck(tenant.id, "Retail");
    const wholesale = await newDeck(tenant.id, "Wholesale");
    const carrier = await saveCarrier({ tenantId: tenant.id, actor, fields: { name: "Carrier A" } });
    const buy = await saveDeck({ tenantId: tenant.id, actor, fields: { name: "Carrier A cost", kind: "BUY", carrierId: carrier.id } });
    await commitDeckImport({ tenantId: tenant.id, actor, importId: (await importText(tenant.id, retail.id, `${HEADER}1,NANP,LONG_DISTANCE,0.0120,0,60,6,0,,\n`)).id });
    await commitDeckImport({ tenantId: tenant.id, actor, importId: (await importText(tenant.id, wholesale.id, `${HEADER}1,NANP,LONG_DISTANCE,0.0100,0,6,6,0,,\n`)).id });
    await commitDeckImport({ tenantId: tenant.id, actor, importId: (await importText(tenant.id, buy.id, `${HEADER}1,NANP,LONG_DISTANCE,0.0040,0,1,1,0,,\n`)).id });
    await assignCustomerDeck({ tenantId: tenant.id, actor, customerId: customer.id, deckId: retail.id });
    await expect(assignCustomerDeck({ tenantId: tenant.id, actor, customerId: customer.id, deckId: buy.id })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    const trunk = await saveTrunk({ tenantId: tenant.id, actor, fields: { customerId: customer.id, name: "Main", accountCode: "main-1", rateDeckId: wholesale.id, ipAcl: ["203.0.113.10/32"] } });
    await expect(saveTrunk({ tenantId: tenant.id, actor, fields: { customerId: customer.id, name: "Bad", accountCode: "bad", ipAcl: ["300.1.1.1"] } })).rejects.toThrow();

    // 61 s: the customer's 60/6 deck bills 66 s → ceil(66 × 12300 … ) — here 0.0120/min: 66 × 12000 / 60 = 13200.
    const byCustomer = await priceCallTool({ tenantId: tenant.id, input: { customerId: customer.id, buyDeckId: buy.id, number: "6135550100", billsec: 61, at: new Date("2026-11-02T00:00:00Z") } });
    expect(byCustomer).toMatchObject({ status: "RATED", billedSeconds: 66, priceMicros: 13_200n, costMicros: 4_067n, marginMicros: 9_133n, normalizedNumber: "16135550100" });
    // The trunk overrides it with 6/6 at 0.0100/min: 66 s → 11000.
    const byTrunk = await priceCallTool({ tenantId: tenant.id, input: { customerId: customer.id, trunkId: trunk.id, number: "6135550100", billsec: 61, at: new Date("2026-11-02T00:00:00Z") } });
    expect(byTrunk).toMatchObject({ billedSeconds: 66, priceMicros: 11_000n });
    expect(byTrunk.steps[0]?.detail).toContain("Trunk Main overrides");
  });
});
