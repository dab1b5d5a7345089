import { createReadStream, readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
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

// The plan before it became set-based: per staged row, the version in force at its start
// and the next later start, found by lookups. Kept here as the definition the set-based
// plan must agree with. (With fixes made since: it compared an ending row's end with an
// open-ended version's by "=", which is NULL, so such a row was neither unchanged nor
// changed and the commit silently skipped it; and it called a row unchanged on its terms
// alone, though an earlier row of the file could shorten the version in force first — a
// promotion followed by the old price left the prefix without a rate after the promotion —
// or the row could mean to reopen a version that had ended. Now a row is unchanged only
// when no other row starts within the version in force before it and its end would be that
// version's end. And a version a row replaces from its start is no longer also closed by a
// later row: that overwrote the replacing row's own end.)
const LOOKUP_PLAN_SQL = `
  SELECT s.*, cur.id AS cur_id, cur.effective_from AS cur_from, nxt.effective_from AS next_from,
         (cur.id IS NOT NULL
          AND cur.description = s.description AND cur.category = s.category
          AND cur.rate_per_minute = s.rate_per_minute AND cur.connect_fee = s.connect_fee
          AND cur.initial_increment = s.initial_increment AND cur.increment = s.increment
          AND cur.grace_seconds = s.grace_seconds
          AND NOT EXISTS (
            SELECT FROM deck_import_rows o
            WHERE o.import_id = $1 AND o.error IS NULL AND o.prefix = s.prefix
              AND o.effective_from >= cur.effective_from AND o.effective_from < s.effective_from)
          AND (CASE WHEN s.effective_to IS NULL THEN nxt.effective_from WHEN nxt.effective_from IS NULL THEN s.effective_to
                    ELSE LEAST(s.effective_to, nxt.effective_from) END) IS NOT DISTINCT FROM cur.effective_to) AS unchanged
  FROM deck_import_rows s
  LEFT JOIN LATERAL (
    SELECT r.* FROM rates r
    WHERE r.deck_id = $2 AND r.prefix = s.prefix AND r.effective_from <= s.effective_from
      AND (r.effective_to IS NULL OR r.effective_to > s.effective_from)
    ORDER BY r.effective_from DESC LIMIT 1
  ) cur ON true
  LEFT JOIN LATERAL (
    SELECT min(later.effective_from) AS effective_from FROM (
      SELECT r.effective_from FROM rates r
      WHERE r.deck_id = $2 AND r.prefix = s.prefix AND r.effective_from > s.effective_from
      UNION ALL
      SELECT o.effective_from FROM deck_import_rows o
      WHERE o.import_id = $1 AND o.error IS NULL AND o.prefix = s.prefix AND o.effective_from > s.effective_from
    ) later
  ) nxt ON true
  WHERE s.import_id = $1 AND s.error IS NULL`;

/** Applies a previewed import with the lookup plan, as commits did before. */
async function commitWithLookupPlan(importId: string, deckId: string) {
  const client = await pool().connect();
  try {
    await client.query("BEGIN");
    await client.query(`CREATE TEMP TABLE lookup_plan ON COMMIT DROP AS ${LOOKUP_PLAN_SQL}`, [importId, deckId]);
    const counts = await client.query<{ new_rows: string; changed: string; unchanged: string }>(
      `SELECT count(*) FILTER (WHERE cur_id IS NULL) AS new_rows, count(*) FILTER (WHERE cur_id IS NOT NULL AND NOT unchanged) AS changed,
              count(*) FILTER (WHERE unchanged) AS unchanged FROM lookup_plan`,
    );
    const replaced = await client.query(
      `UPDATE rates r SET description = p.description, category = p.category, rate_per_minute = p.rate_per_minute,
              connect_fee = p.connect_fee, initial_increment = p.initial_increment, increment = p.increment,
              grace_seconds = p.grace_seconds, effective_to = LEAST(p.effective_to, p.next_from)
       FROM lookup_plan p WHERE r.id = p.cur_id AND NOT p.unchanged AND p.cur_from = p.effective_from`,
    );
    const closed = await client.query(
      `UPDATE rates r SET effective_to = c.first_from
       FROM (SELECT cur_id, min(effective_from) AS first_from FROM lookup_plan
             WHERE NOT unchanged AND cur_from < effective_from GROUP BY cur_id) c
       WHERE r.id = c.cur_id
         AND NOT EXISTS (SELECT FROM lookup_plan x WHERE x.cur_id = c.cur_id AND x.cur_from = x.effective_from AND NOT x.unchanged)`,
    );
    const inserted = await client.query(
      `INSERT INTO rates (deck_id, prefix, description, category, rate_per_minute, connect_fee, initial_increment,
                          increment, grace_seconds, effective_from, effective_to)
       SELECT $1, p.prefix, p.description, p.category, p.rate_per_minute, p.connect_fee, p.initial_increment,
              p.increment, p.grace_seconds, p.effective_from,
              CASE WHEN p.effective_to IS NULL THEN p.next_from WHEN p.next_from IS NULL THEN p.effective_to
                   ELSE LEAST(p.effective_to, p.next_from) END
       FROM lookup_plan p WHERE p.cur_id IS NULL OR (NOT p.unchanged AND p.cur_from < p.effective_from)`,
      [deckId],
    );
    await client.query(`DELETE FROM deck_import_rows WHERE import_id = $1`, [importId]);
    await client.query("COMMIT");
    const row = counts.rows[0]!;
    return {
      counts: { newRows: Number(row.new_rows), changedRows: Number(row.changed), unchangedRows: Number(row.unchanged) },
      result: { inserted: inserted.rowCount ?? 0, replaced: replaced.rowCount ?? 0, closed: closed.rowCount ?? 0 },
    };
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}

describe("the set-based import plan", () => {
  it("leaves the same versions as the per-row lookups on random decks and files", async () => {
    const { tenant } = await createWorld();
    let seed = 7;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const below = (count: number): number => Math.floor(random() * count);
    const day = (offset: number): string => new Date(Date.UTC(2026, 0, 1 + offset)).toISOString();
    const terms = () => ({ description: below(2) === 0 ? "Dest" : "Dest 2", rate: below(2) === 0 ? "0.0100" : "0.0200", increment: below(3) === 0 ? 1 : 6 });
    const line = (prefix: string, from: number, to: number | null) => {
      const t = terms();
      return `${prefix},${t.description},LOCAL,${t.rate},0,60,${t.increment},0,${day(from)},${to === null ? "" : day(to)}\n`;
    };
    const versionsOf = async (deckId: string) =>
      (
        await db().rate.findMany({ where: { deckId }, orderBy: [{ prefix: "asc" }, { effectiveFrom: "asc" }] })
      ).map((rate) => [rate.prefix, rate.effectiveFrom.toISOString(), rate.effectiveTo?.toISOString() ?? null, rate.description, rate.ratePerMinute, rate.increment]);
    const DAY_MS = 86_400_000;
    const dayOf = (date: Date): number => (date.getTime() - Date.UTC(2026, 0, 1)) / DAY_MS;
    type TSpan = { prefix: string; from: number; to: number | null };
    const spansOf = async (deckId: string): Promise<TSpan[]> =>
      (await db().rate.findMany({ where: { deckId } })).map((rate) => ({
        prefix: rate.prefix,
        from: dayOf(rate.effectiveFrom),
        to: rate.effectiveTo === null ? null : dayOf(rate.effectiveTo),
      }));
    const covers = (spans: TSpan[], prefix: string, at: number): boolean =>
      spans.some((span) => span.prefix === prefix && span.from <= at && (span.to === null || at < span.to));
    // Independent of either plan: an import may take a prefix's rate away at an instant only
    // where the file's last word on the prefix by then is a row's own end.
    const endedByFile = (rows: TSpan[], prefix: string, at: number): boolean => {
      const ends = rows.flatMap((row) => (row.prefix === prefix && row.to !== null && row.to <= at ? [row.to] : []));
      if (ends.length === 0) return false;
      const lastEnd = Math.max(...ends);
      return !rows.some((row) => row.prefix === prefix && row.from >= lastEnd && row.from <= at);
    };

    for (let round = 0; round < 20; round++) {
      // A deck of up to 6 prefixes with chains of versions, some ending early (gaps).
      let deckFile = HEADER;
      for (let prefix = 0; prefix < 6; prefix++) {
        let start = below(10);
        for (let version = below(4); version > 0; version--) {
          const next = start + 1 + below(20);
          deckFile += line(`4${prefix}`, start, version === 1 && below(2) === 0 ? null : below(3) === 0 ? start + 1 + below(next - start) : next);
          start = next + (below(3) === 0 ? below(5) : 0);
        }
      }
      // A file touching those prefixes and new ones, with several versions per prefix.
      let file = HEADER;
      const fileRows: TSpan[] = [];
      for (let prefix = 0; prefix < 9; prefix++) {
        const starts = new Set<number>();
        for (let count = below(4); count > 0; count--) starts.add(below(60));
        for (const start of starts) {
          const end = below(4) === 0 ? start + 1 + below(30) : null;
          fileRows.push({ prefix: `4${prefix}`, from: start, to: end });
          file += line(`4${prefix}`, start, end);
        }
      }

      const decks = [await newDeck(tenant.id), await newDeck(tenant.id)];
      for (const deck of decks) {
        const preview = await importText(tenant.id, deck.id, deckFile);
        await commitDeckImport({ tenantId: tenant.id, actor, importId: preview.id });
      }
      expect(await versionsOf(decks[1]!.id)).toEqual(await versionsOf(decks[0]!.id));

      const before = await spansOf(decks[0]!.id);
      const setBased = await importText(tenant.id, decks[0]!.id, file);
      const lookup = await importText(tenant.id, decks[1]!.id, file);
      const expected = await commitWithLookupPlan(lookup.id, decks[1]!.id);
      expect({ newRows: setBased.newRows, changedRows: setBased.changedRows, unchangedRows: setBased.unchangedRows }, file).toEqual(expected.counts);
      const result = await commitDeckImport({ tenantId: tenant.id, actor, importId: setBased.id });
      expect({ inserted: result.inserted, replaced: result.replaced, closed: result.closed }, file).toEqual(expected.result);
      expect(await versionsOf(decks[0]!.id), `${deckFile}\n${file}`).toEqual(await versionsOf(decks[1]!.id));
      const after = await spansOf(decks[0]!.id);
      const lost: string[] = [];
      for (let prefix = 0; prefix < 6; prefix++) {
        for (let at = 0; at < 130; at++) {
          const name = `4${prefix}`;
          if (covers(before, name, at) && !covers(after, name, at) && !endedByFile(fileRows, name, at)) lost.push(`${name} on day ${at}`);
        }
      }
      expect(lost, `${deckFile}\n${file}`).toEqual([]);
    }
  });
});
