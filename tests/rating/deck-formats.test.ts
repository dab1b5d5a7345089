import { createReadStream } from "node:fs";

import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";

import {
  CsvRecordSplitter,
  DeckFileError,
  formatNativeDeckRow,
  inferCategory,
  readDeck,
  readDeckBatches,
  readDeckCsv,
  writeDeckCsv,
  type DeckRow,
  type ReadDeckOptions,
} from "@/server/rating/deck-formats";
import type { Rate } from "@/server/rating/matcher";

import { chunked, collect, fixturePath, readFixture } from "./fixtures";

const EPOCH = new Date(0);
const JAN_1 = new Date("2026-01-01T00:00:00Z");
const RATE_CHANGE = new Date("2026-10-15T00:00:00Z");

function readText(text: string | Buffer, options: ReadDeckOptions, chunkSize = 5): Promise<DeckRow[]> {
  return collect(readDeckCsv(chunked(text, chunkSize), options));
}

async function ratesOf(text: string | Buffer, options: ReadDeckOptions): Promise<Rate[]> {
  const { rates, errors } = await readDeck(chunked(text, 64), options);
  expect(errors).toEqual([]);
  return rates.map((row) => row.rate);
}

function errorsOf(rows: DeckRow[]): { line: number; error: string }[] {
  return rows.filter((row): row is { line: number; error: string } => "error" in row);
}

const NATIVE_HEADER = "prefix,description,category,rate_per_minute,connect_fee,initial_increment,increment,grace_seconds,effective_from,effective_to";

describe("native deck (retail-usd.csv)", () => {
  it("reads every row with its file line", async () => {
    const rows = await readText(readFixture("rates/retail-usd.csv"), { format: "native" }, 64);
    expect(errorsOf(rows)).toEqual([]);
    expect(rows.map((row) => row.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it("maps amounts to micro-units and keeps the nested prefixes, the rate change and grace", async () => {
    const rates = await ratesOf(readFixture("rates/retail-usd.csv"), { format: "native" });
    const byPrefix = (prefix: string): Rate[] => rates.filter((rate) => rate.prefix === prefix);
    expect(byPrefix("1613555")).toEqual([
      {
        prefix: "1613555",
        description: "Canada - Ottawa premium block",
        category: "LONG_DISTANCE",
        ratePerMinuteMicros: 45_000n,
        connectFeeMicros: 10_000n,
        initialIncrement: 30,
        increment: 6,
        graceSeconds: 3,
        effectiveFrom: JAN_1,
        effectiveTo: null,
      },
    ]);
    expect(byPrefix("1212").map((rate) => [rate.ratePerMinuteMicros, rate.effectiveFrom, rate.effectiveTo])).toEqual([
      [9_000n, JAN_1, RATE_CHANGE],
      [7_500n, RATE_CHANGE, null],
    ]);
    expect(byPrefix("1800")[0]).toMatchObject({ category: "TOLL_FREE", ratePerMinuteMicros: 0n, initialIncrement: 60, increment: 60 });
    expect(byPrefix("447")[0]).toMatchObject({ category: "MOBILE", ratePerMinuteMicros: 145_000n, connectFeeMicros: 20_000n, increment: 1 });
  });

  it("round-trips losslessly through the native exporter", async () => {
    const original = await ratesOf(readFixture("rates/retail-usd.csv"), { format: "native" });
    const exported = (await collect(writeDeckCsv(original))).join("");
    expect(exported.split("\n")[0]).toBe(NATIVE_HEADER);
    expect(exported.split("\n")[1]).toBe("1,USA/Canada - other,LONG_DISTANCE,0.0120,0.0000,60,6,0,2026-01-01T00:00:00Z,");
    expect(await ratesOf(exported, { format: "native" })).toEqual(original);
  });

  it("round-trips awkward values: quotes, commas, micro-units, milliseconds", async () => {
    const awkward: Rate = {
      prefix: "4420",
      description: 'London "City", inner',
      category: "INTERNATIONAL",
      ratePerMinuteMicros: 123_456_789n,
      connectFeeMicros: 1n,
      initialIncrement: 0,
      increment: 1,
      graceSeconds: 5,
      effectiveFrom: new Date("2026-03-08T07:30:00.123Z"),
      effectiveTo: new Date("2027-01-01T00:00:00Z"),
    };
    expect(formatNativeDeckRow(awkward)).toBe(
      '4420,"London ""City"", inner",INTERNATIONAL,123.456789,0.000001,0,1,5,2026-03-08T07:30:00.123Z,2027-01-01T00:00:00Z',
    );
    expect(await ratesOf((await collect(writeDeckCsv([awkward]))).join(""), { format: "native" })).toEqual([awkward]);
  });

  it("detects semicolon and tab delimiters, with BOM and CRLF", async () => {
    const original = await ratesOf(readFixture("rates/retail-usd.csv"), { format: "native" });
    const text = readFixture("rates/retail-usd.csv").toString("utf8");
    const semicolons = `\uFEFF${text.replaceAll(",", ";").replaceAll("\n", "\r\n")}`;
    const tabs = text.replaceAll(",", "\t");
    expect(await ratesOf(semicolons, { format: "native" })).toEqual(original);
    expect(await ratesOf(tabs, { format: "native" })).toEqual(original);
  });

  it("reads dates without a zone in the given zone", async () => {
    const text = `${NATIVE_HEADER}\n1212,NY,LONG_DISTANCE,0.0090,0,6,6,0,2026-01-01,2026-10-15 00:00\n`;
    const [utc] = await ratesOf(text, { format: "native" });
    const [toronto] = await ratesOf(text, { format: "native", timeZone: "America/Toronto" });
    expect(utc!.effectiveTo).toEqual(new Date("2026-10-15T00:00:00Z"));
    expect(toronto!.effectiveFrom).toEqual(new Date("2026-01-01T05:00:00Z"));
    expect(toronto!.effectiveTo).toEqual(new Date("2026-10-15T04:00:00Z"));
  });

  it("needs only the core columns; the others default", async () => {
    const [rate] = await ratesOf("Prefix,Rate_Per_Minute,Initial_Increment,Increment\n+44,0.021,1,1\n", { format: "native" });
    expect(rate).toEqual({
      prefix: "44",
      description: "",
      category: "OTHER",
      ratePerMinuteMicros: 21_000n,
      connectFeeMicros: 0n,
      initialIncrement: 1,
      increment: 1,
      graceSeconds: 0,
      effectiveFrom: EPOCH,
      effectiveTo: null,
    });
  });

  it("reports every bad row with its line and the column at fault", async () => {
    const text = [
      NATIVE_HEADER,
      "1,ok,LONG_DISTANCE,0.0120,0,60,6,0,2026-01-01T00:00:00Z,",
      "1613,comma decimal,LOCAL,\"0,0050\",0,60,60,0,2026-01-01T00:00:00Z,",
      "1614,too precise,LOCAL,0.0050001,0,60,60,0,2026-01-01T00:00:00Z,",
      "16x5,bad prefix,LOCAL,0.0050,0,60,60,0,2026-01-01T00:00:00Z,",
      "1616,bad category,CHEAP,0.0050,0,60,60,0,2026-01-01T00:00:00Z,",
      "1617,zero increment,LOCAL,0.0050,0,60,0,0,2026-01-01T00:00:00Z,",
      "1618,bad date,LOCAL,0.0050,0,60,60,0,2026-02-30,",
      "1619,inverted window,LOCAL,0.0050,0,60,60,0,2026-10-15T00:00:00Z,2026-01-01T00:00:00Z",
      "1620,negative,LOCAL,-0.0050,0,60,60,0,2026-01-01T00:00:00Z,",
      "1621,short row,LOCAL",
      "1622,two problems,LOCAL,abc,0,sixty,60,0,2026-01-01T00:00:00Z,",
      ",,,,,,,,,", // a row of empty cells (spreadsheet residue) is skipped, not an error
      "",
      '"1623","multi',
      'line",LOCAL,0.0050,0,60,60,0,2026-01-01T00:00:00Z,',
      "1624,after multi-line,LOCAL,0.0050,0,60,60,0,2026-01-01T00:00:00Z,",
    ].join("\r\n");
    const rows = await readText(text, { format: "native" });
    expect(errorsOf(rows)).toEqual([
      { line: 3, error: 'rate_per_minute: "0,0050" is not a decimal amount: unexpected "," (use "." as the decimal separator and no thousands separators)' },
      { line: 4, error: 'rate_per_minute: "0.0050001" has more than 6 decimals; amounts are stored in micro-units (0.000001)' },
      { line: 5, error: 'prefix: "16x5" is not a prefix of 1 to 15 digits' },
      { line: 6, error: 'category: "CHEAP" is not a category (LOCAL, LONG_DISTANCE, TOLL_FREE, INTERNATIONAL, MOBILE, PREMIUM, OTHER)' },
      { line: 7, error: "increment: 0 is out of range (1 to 86400)" },
      { line: 8, error: 'effective_from: "2026-02-30" is not an ISO date or date-time' },
      { line: 9, error: "effective_to: 2026-01-01T00:00:00.000Z is not after effective_from 2026-10-15T00:00:00.000Z" },
      { line: 10, error: 'rate_per_minute: "-0.0050" must not be negative' },
      { line: 11, error: "expected 10 columns as in the header, found 3" },
      { line: 12, error: 'rate_per_minute: "abc" is not a decimal amount: unexpected "a"; initial_increment: "sixty" is not a whole number of seconds' },
    ]);
    const good = rows.filter((row): row is { line: number; rate: Rate } => "rate" in row);
    expect(good.map((row) => [row.line, row.rate.prefix, row.rate.description])).toEqual([
      [2, "1", "ok"],
      [15, "1623", "multi\r\nline"], // a quoted field spanning lines reports its first line
      [17, "1624", "after multi-line"],
    ]);
  });

  it("closes its input when the caller stops reading early", async () => {
    const stream = createReadStream(fixturePath("rates/retail-usd.csv"), { highWaterMark: 64 });
    for await (const row of readDeckCsv(stream, { format: "native" })) {
      expect(row.line).toBe(2);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stream.destroyed).toBe(true);
  });

  it("refuses files that cannot be a deck", async () => {
    await expect(readText("", { format: "native" })).rejects.toThrow(DeckFileError);
    await expect(readText("name,price\nx,1\n", { format: "native" })).rejects.toThrow(
      /not a native deck header: missing column\(s\) prefix, rateperminute, initialincrement, increment/,
    );
    await expect(readText(`${NATIVE_HEADER}\n"1,unclosed,LOCAL,0,0,60,60,0,2026-01-01,\n`, { format: "native" })).rejects.toThrow(
      /not readable CSV: Quote Not Closed/,
    );
    await expect(readText(NATIVE_HEADER, { format: "native", timeZone: "Nowhere/Town" })).rejects.toThrow(/unknown time zone/);
  });
});

describe("ASTPP and MagnusBilling decks", () => {
  const expectedRates: Rate[] = [
    { prefix: "1", description: "USA/Canada", category: "OTHER", ratePerMinuteMicros: 12_000n, connectFeeMicros: 0n, initialIncrement: 60, increment: 6, graceSeconds: 0, effectiveFrom: EPOCH, effectiveTo: null },
    { prefix: "1613", description: "Canada Ottawa", category: "OTHER", ratePerMinuteMicros: 5_000n, connectFeeMicros: 0n, initialIncrement: 60, increment: 60, graceSeconds: 0, effectiveFrom: EPOCH, effectiveTo: null },
    { prefix: "44", description: "United Kingdom", category: "OTHER", ratePerMinuteMicros: 21_000n, connectFeeMicros: 0n, initialIncrement: 1, increment: 1, graceSeconds: 0, effectiveFrom: EPOCH, effectiveTo: null },
    { prefix: "447", description: "United Kingdom Mobile", category: "MOBILE", ratePerMinuteMicros: 145_000n, connectFeeMicros: 20_000n, initialIncrement: 60, increment: 1, graceSeconds: 0, effectiveFrom: EPOCH, effectiveTo: null },
  ];

  it("ASTPP: Code, Destination, Connection Cost, Grace Time, Cost / Min, Initial Increment, Increment", async () => {
    const rows = await readText(readFixture("rates/astpp-style.csv"), { format: "astpp" });
    expect(rows.map((row) => row.line)).toEqual([2, 3, 4, 5]);
    expect(await ratesOf(readFixture("rates/astpp-style.csv"), { format: "astpp" })).toEqual(expectedRates);
  });

  it("MagnusBilling: dialprefix, rateinitial, initblock, billingblock, connectcharge; minimal_time_charge is grace", async () => {
    expect(await ratesOf(readFixture("rates/magnus-style.csv"), { format: "magnus" })).toEqual(expectedRates);
    const [withMinimum] = await ratesOf(
      "dialprefix,destination,rateinitial,initblock,billingblock,minimal_time_charge,connectcharge,disconnectcharge\n49,Germany,0.025,60,1,5,0,0\n",
      { format: "magnus" },
    );
    expect(withMinimum!.graceSeconds).toBe(5);
  });

  it("both export to native and back unchanged, with a chosen start of validity", async () => {
    const from = new Date("2026-11-01T00:00:00Z");
    const astpp = await ratesOf(readFixture("rates/astpp-style.csv"), { format: "astpp", defaultEffectiveFrom: from });
    expect(astpp.every((rate) => rate.effectiveFrom.getTime() === from.getTime())).toBe(true);
    const native = (await collect(writeDeckCsv(astpp))).join("");
    expect(await ratesOf(native, { format: "native" })).toEqual(astpp);
  });

  it("reads real ASTPP export headers with currency suffixes and extra columns", async () => {
    const text =
      "Code,Destination,Country,Connection Cost (USD),Grace Time,Cost / Min (USD),Initial Increment,Increment,Priority,Status\n" +
      "^4420.*,London,United Kingdom,0.0000,0,0.0180,1,1,1,Active\n" +
      "4421,Birmingham,United Kingdom,0.0000,0,0.0180,1,1,1,Inactive\n";
    const rows = await readText(text, { format: "astpp" });
    expect(rows[0]).toMatchObject({ line: 2, rate: { prefix: "4420", ratePerMinuteMicros: 18_000n } });
    expect(rows[1]).toEqual({ line: 3, error: 'Status: "Inactive": only Active rates can be imported; remove the row or set it to Active' });
  });

  it("refuses a Magnus disconnect charge rather than dropping money", async () => {
    const rows = await readText(
      "dialprefix;destination;rateinitial;initblock;billingblock;connectcharge;disconnectcharge\n49;Germany;0.025;60;1;0;0.05\n",
      { format: "magnus" },
    );
    expect(rows).toEqual([{ line: 2, error: expect.stringMatching(/^disconnectcharge: 0.05 is not supported/) }]);
  });

  it("infers categories from destination names when the format has none", () => {
    expect(inferCategory("United Kingdom Mobile")).toBe("MOBILE");
    expect(inferCategory("USA Toll-Free")).toBe("TOLL_FREE");
    expect(inferCategory("Premium services")).toBe("PREMIUM");
    expect(inferCategory("Canada Ottawa")).toBe("OTHER");
  });
});

describe("line numbers in large decks", () => {
  it("stay right past the point where the line tracker compacts (65,536 lines)", async () => {
    const { readDeckCsv } = await import("@/server/rating/deck-formats");
    const header = "prefix,description,category,rate_per_minute,connect_fee,initial_increment,increment,grace_seconds,effective_from,effective_to\n";
    const lines: string[] = [header];
    for (let index = 0; index < 70_000; index++) lines.push(`${1000 + index},Block ${index},LOCAL,0.01,0,60,6,0,2026-01-01T00:00:00Z,\n`);
    lines.push("bad-prefix,Broken,LOCAL,0.01,0,60,6,0,2026-01-01T00:00:00Z,\n");
    const chunks: Buffer[] = [];
    const whole = Buffer.from(lines.join(""));
    for (let offset = 0; offset < whole.length; offset += 65_536) chunks.push(whole.subarray(offset, offset + 65_536));
    let last = 0;
    let errorLine = 0;
    async function* chunked() {
      yield* chunks;
    }
    for await (const row of readDeckCsv(chunked(), { format: "native" })) {
      expect(row.line).toBe(last === 0 ? 2 : last + 1);
      last = row.line;
      if ("error" in row) errorLine = row.line;
    }
    expect(last).toBe(70_002);
    expect(errorLine).toBe(70_002);
  });
});

describe("the record splitter reads CSV exactly as csv-parse did", () => {
  // The options the deck reader used with csv-parse before it had its own splitter.
  const csvParseOptions = (delimiter: string) => ({
    bom: true,
    delimiter,
    record_delimiter: ["\r\n", "\n"],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
  });

  function split(text: string, delimiter: string, chunkSize: number): string[][] {
    const records: string[][] = [];
    const splitter = new CsvRecordSplitter(delimiter, (record) => {
      const fields: string[] = [];
      for (let index = 0; index < record.count; index++) fields.push(record.field(index));
      records.push(fields);
    });
    for (let offset = 0; offset < text.length; offset += chunkSize) splitter.push(text.slice(offset, offset + chunkSize));
    splitter.end();
    return records;
  }

  it("agrees on random documents full of quotes, delimiters and line breaks, in any chunking", () => {
    let seed = 20261122;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const pieces = ['"', '""', ",", ";", "\t", "\r", "\n", "\r\n", " ", "x", "é", "1613", '"a,b"', '"multi\nline"', '"q""q"', '"ab"c', "\uFEFF", ""];
    let compared = 0;
    for (let round = 0; round < 3000; round++) {
      const delimiter = pick([",", ";", "\t"]);
      let text = random() < 0.2 ? "\uFEFF" : "";
      const length = Math.floor(random() * 40);
      for (let index = 0; index < length; index++) text += random() < 0.3 ? delimiter : pick(pieces);
      let expected: string[][] | "error";
      try {
        expected = parse(text, csvParseOptions(delimiter)) as string[][];
      } catch {
        expected = "error";
      }
      const chunkSize = pick([1, 2, 3, 7, 1000]);
      if (expected === "error") {
        expect(() => split(text, delimiter, chunkSize), JSON.stringify(text)).toThrow(/Quote Not Closed/);
      } else {
        expect(split(text, delimiter, chunkSize), JSON.stringify(text)).toEqual(expected);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(2000);
  });
});

describe("line numbers and chunk boundaries", () => {
  it("counts every physical line, across quoted line breaks split between chunks", async () => {
    const text = [
      NATIVE_HEADER,
      '1,"two\r\nlines",LOCAL,0.01,0,60,6,0,2026-01-01,',
      "",
      '2,"three\n\nlines",LOCAL,0.01,0,60,6,0,2026-01-01,',
      "3,plain,LOCAL,0.01,0,60,6,0,2026-01-01,",
      '4,"a ""quoted"" word",LOCAL,0.01,0,60,6,0,2026-01-01,',
      '5,"ab"c,LOCAL,0.01,0,60,6,0,2026-01-01,',
    ].join("\r\n");
    for (const chunkSize of [1, 2, 3, 5, 16, 4096]) {
      const rows = await readText(text, { format: "native" }, chunkSize);
      expect(rows.map((row) => [row.line, "rate" in row ? row.rate.description : row.error])).toEqual([
        [2, "two\r\nlines"],
        [5, "three\n\nlines"],
        [8, "plain"],
        [9, 'a "quoted" word'],
        // Text after a closing quote: the field is kept as written (csv-parse's relax_quotes).
        [10, '"ab"c'],
      ]);
    }
  });

  it("handles a BOM and multi-byte characters split across chunks, and a last line without a line break", async () => {
    const bytes = Buffer.from(`\uFEFF${NATIVE_HEADER}\n33,Française – été,LOCAL,0.01,0,60,6,0,2026-01-01,\n34,Ελλάδα,LOCAL,0.02,0,60,6,0,2026-01-01,`);
    for (const chunkSize of [1, 2, 3]) {
      const rows = await readText(bytes, { format: "native" }, chunkSize);
      expect(rows.map((row) => [row.line, "rate" in row ? row.rate.description : row.error])).toEqual([
        [2, "Française – été"],
        [3, "Ελλάδα"],
      ]);
    }
  });

  it("names the line where a quote opens and never closes", async () => {
    const text = `${NATIVE_HEADER}\n1,ok,LOCAL,0.01,0,60,6,0,2026-01-01,\n2,"open,LOCAL,0.01,0,60,6,0,2026-01-01,\n3,more,LOCAL\n`;
    await expect(readText(text, { format: "native" })).rejects.toThrow(/not readable CSV: Quote Not Closed: the quoted field opened on line 3 never closes/);
  });

  it("yields the same rows in batches as one by one", async () => {
    const text = readFixture("rates/retail-usd.csv");
    const batched: DeckRow[] = [];
    for await (const batch of readDeckBatches(chunked(text, 50), { format: "native" })) batched.push(...batch);
    expect(batched).toEqual(await readText(text, { format: "native" }, 50));
  });
});
