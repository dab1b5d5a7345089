import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { commitDeckImport, listDeckImportChanges, previewDeckImport } from "@/server/rating/deck-import";
import { saveDeck } from "@/server/rating/decks";
import { createWorld } from "../support/factories";

const actor = { userId: null, email: "test@example.test", ip: null };
const HEADER = "prefix,description,category,rate_per_minute,connect_fee,initial_increment,increment,grace_seconds,effective_from,effective_to\n";
const JAN = new Date("2026-01-01T00:00:00Z");
const NOV = new Date("2026-11-01T00:00:00Z");

async function preview(tenantId: string, deckId: string, text: string, effectiveFrom: Date) {
  return previewDeckImport({ tenantId, actor, request: { deckId, format: "native", fileName: "deck.csv", effectiveFrom }, file: Readable.from([text]) });
}

describe("the rows an import would apply", () => {
  it("lists new and changed rates with the version they replace, filters them, pages them, and stays in its tenant", async () => {
    const { tenant } = await createWorld();
    const deck = await saveDeck({ tenantId: tenant.id, actor, fields: { name: "Retail", kind: "SELL" } });
    const first = await preview(
      tenant.id,
      deck.id,
      `${HEADER}44,UK,INTERNATIONAL,0.0200,0,1,1,0,,\n33,France,INTERNATIONAL,0.0300,0,1,1,0,,\n49,Germany,INTERNATIONAL,0.0400,0,1,1,0,,\n`,
      JAN,
    );
    // A first import touches nothing in the deck: every row is new, read in file order.
    const fresh = await listDeckImportChanges({ tenantId: tenant.id, query: { importId: first.id, pageSize: 2 } });
    expect(fresh.total).toBe(3);
    expect(fresh.rows.map((row) => [row.line, row.kind, row.prefix, row.ratePerMinuteMicros, row.previous])).toEqual([
      [2, "NEW", "44", 20_000n, null],
      [3, "NEW", "33", 30_000n, null],
    ]);
    expect((await listDeckImportChanges({ tenantId: tenant.id, query: { importId: first.id, page: 1, pageSize: 2 } })).rows.map((row) => row.prefix)).toEqual(["49"]);
    expect(await listDeckImportChanges({ tenantId: tenant.id, query: { importId: first.id, kind: "CHANGED" } })).toMatchObject({ rows: [], total: 0 });
    await commitDeckImport({ tenantId: tenant.id, actor, importId: first.id });

    // UK up 50 %, France down, Germany unchanged, Japan new.
    const update = await preview(
      tenant.id,
      deck.id,
      `${HEADER}44,United Kingdom,INTERNATIONAL,0.0300,0,1,1,0,,\n33,France,INTERNATIONAL,0.0250,0.0100,1,1,0,,\n49,Germany,INTERNATIONAL,0.0400,0,1,1,0,,\n81,Japan,INTERNATIONAL,0.0500,0,1,1,0,,\n`,
      NOV,
    );
    expect(update).toMatchObject({ newRows: 1, changedRows: 2, unchangedRows: 1 });
    const all = await listDeckImportChanges({ tenantId: tenant.id, query: { importId: update.id } });
    expect(all.total).toBe(3);
    expect(all.rows).toEqual([
      {
        line: 2,
        kind: "CHANGED",
        prefix: "44",
        description: "United Kingdom",
        category: "INTERNATIONAL",
        ratePerMinuteMicros: 30_000n,
        connectFeeMicros: 0n,
        effectiveFrom: NOV,
        effectiveTo: null,
        previous: { description: "UK", ratePerMinuteMicros: 20_000n, connectFeeMicros: 0n, effectiveFrom: JAN },
      },
      expect.objectContaining({ line: 3, kind: "CHANGED", prefix: "33", ratePerMinuteMicros: 25_000n, connectFeeMicros: 10_000n, previous: expect.objectContaining({ ratePerMinuteMicros: 30_000n }) }),
      expect.objectContaining({ line: 5, kind: "NEW", prefix: "81", previous: null }),
    ]);
    const changed = await listDeckImportChanges({ tenantId: tenant.id, query: { importId: update.id, kind: "CHANGED" } });
    expect([changed.total, changed.rows.map((row) => row.prefix)]).toEqual([2, ["44", "33"]]);
    const rises = await listDeckImportChanges({ tenantId: tenant.id, query: { importId: update.id, kind: "INCREASED" } });
    expect([rises.total, rises.rows.map((row) => row.prefix)]).toEqual([1, ["44"]]);
    const added = await listDeckImportChanges({ tenantId: tenant.id, query: { importId: update.id, kind: "NEW" } });
    expect([added.total, added.rows.map((row) => row.prefix)]).toEqual([1, ["81"]]);
    // Pages of the planned rows, with the total on each.
    const second = await listDeckImportChanges({ tenantId: tenant.id, query: { importId: update.id, page: 1, pageSize: 2 } });
    expect([second.total, second.rows.map((row) => row.prefix)]).toEqual([3, ["81"]]);

    // Another tenant cannot read it; a committed import has no staged rows left to list.
    const other = await createWorld();
    await expect(listDeckImportChanges({ tenantId: other.tenant.id, query: { importId: update.id } })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await commitDeckImport({ tenantId: tenant.id, actor, importId: update.id });
    expect(await listDeckImportChanges({ tenantId: tenant.id, query: { importId: update.id } })).toMatchObject({ rows: [], total: 0 });
  });
});
