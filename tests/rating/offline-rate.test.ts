import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { parse } from "csv-parse/sync";
import { afterAll, describe, expect, it } from "vitest";

import { OFFLINE_OUTPUT_COLUMNS, OfflineRateError, rateCdrFileOffline, type OfflineRateOptions } from "@/server/rating/offline-rate";

import { fixturePath, REPO_ROOT } from "./fixtures";

const workDir = mkdtempSync(path.join(tmpdir(), "trunkline-offline-rate-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const RETAIL_DECK = fixturePath("rates/retail-usd.csv");

type OutputRow = Record<(typeof OFFLINE_OUTPUT_COLUMNS)[number], string>;

let runCount = 0;
async function rateFixture(
  cdrFile: string,
  format: OfflineRateOptions["cdrFormat"],
  extra: Partial<OfflineRateOptions> = {},
): Promise<{ rows: OutputRow[]; summary: Awaited<ReturnType<typeof rateCdrFileOffline>>; text: string }> {
  const outPath = path.join(workDir, `out-${++runCount}.csv`);
  const summary = await rateCdrFileOffline({
    deckPath: RETAIL_DECK,
    deckFormat: "native",
    cdrPath: fixturePath(`cdr/${cdrFile}`),
    cdrFormat: format,
    outPath,
    ...extra,
  });
  const text = readFileSync(outPath, "utf8");
  const rows = parse(text, { columns: true }) as OutputRow[];
  return { rows, summary, text };
}

/** The columns that carry the rating outcome, for compact expectations. */
function outcome(row: OutputRow): [string, string, string, string, string] {
  return [row.status, row.matched_prefix, row.billed_seconds, row.price_micros, row.reason];
}

describe("offline rating of asterisk-master.csv with retail-usd.csv (switch clock read as UTC)", async () => {
  const { rows, summary, text } = await rateFixture("asterisk-master.csv", "asterisk");

  it("writes the header and one row per input line", () => {
    expect(text.split("\n")[0]).toBe(OFFLINE_OUTPUT_COLUMNS.join(","));
    expect(rows).toHaveLength(9);
  });

  it("line 1: 18005551234, 157 s → toll-free 1800 (60/60): 60 + ceil(97/60) × 60 = 180 s × $0 = 0", () => {
    expect(rows[0]).toEqual({
      record_key: "1759310102.101",
      account: "acct-1001",
      caller: "16135550101",
      callee: "18005551234",
      start_utc: "2026-10-01T09:15:02Z",
      billsec: "157",
      matched_prefix: "1800",
      category: "TOLL_FREE",
      billed_seconds: "180",
      price_micros: "0",
      status: "RATED",
      reason: "",
    });
  });

  it("line 2: 011 4420718387, 302 s → London 4420 (1/1): 302 s × $0.0180 = ceil(302 × 18000 / 60) = 90600", () => {
    expect(rows[1]!.callee).toBe("4420718387"); // 011 stripped
    expect(outcome(rows[1]!)).toEqual(["RATED", "4420", "302", "90600", ""]);
  });

  it("line 3: 2125550199 starting 2026-10-14 23:59:50 (UTC, before the change) → 1212 old rate (6/6): 63 s → 66 s × $0.0090 = ceil(66 × 9000 / 60) = 9900", () => {
    expect(rows[2]!.start_utc).toBe("2026-10-14T23:59:50Z");
    expect(outcome(rows[2]!)).toEqual(["RATED", "1212", "66", "9900", ""]);
  });

  it("line 4: billsec 0 (NO ANSWER) → UNANSWERED, price 0", () => {
    expect(outcome(rows[3]!)).toEqual(["UNANSWERED", "", "0", "0", "billsec is 0"]);
  });

  it("line 5: 16135557000, 2 s → 1613555 has grace 3 s: 2 ≤ 3 → 0 s, price 0 (no connect fee)", () => {
    expect(outcome(rows[4]!)).toEqual(["RATED", "1613555", "0", "0", ""]);
  });

  it("line 6: 00351912345678 with a NANP plan (only 011 is international) → no rate → UNBILLABLE", () => {
    expect(rows[5]!.callee).toBe("00351912345678");
    expect(outcome(rows[5]!)).toEqual(["UNBILLABLE", "", "", "", "no rate for prefix"]);
  });

  it("line 7: acct-9999 (no customer owns it; offline there are no accounts) 18885550000, 180 s → toll-free 1888 (60/60): 180 s × $0 = 0", () => {
    expect(rows[6]!.account).toBe("acct-9999");
    expect(outcome(rows[6]!)).toEqual(["RATED", "1888", "180", "0", ""]);
  });

  it("line 8: 8869123456 is 10 digits → NANP 18869123456 → catch-all 1 (60/6): 38 s ≤ 60 → 60 s × $0.0120 = ceil(60 × 12000 / 60) = 12000", () => {
    expect(rows[7]!.callee).toBe("18869123456");
    expect(outcome(rows[7]!)).toEqual(["RATED", "1", "60", "12000", ""]);
  });

  it("line 9: not a CDR → REJECTED with the reason", () => {
    expect(rows[8]!.record_key).toMatch(/^sha256:/);
    expect(outcome(rows[8]!)).toEqual(["REJECTED", "", "", "", "not a CDR: expected 16 to 18 Asterisk cdr_csv columns, found 1"]);
  });

  it("summarises: 9 lines, 6 rated, 1 unanswered, 1 unbillable, 1 rejected; 180+302+66+0+180+60 s; 90600+9900+12000 µ", () => {
    expect(summary).toEqual({
      lines: 9,
      rated: 6,
      unanswered: 1,
      unbillable: 1,
      rejected: 1,
      billedSeconds: 180 + 302 + 66 + 0 + 180 + 60,
      totalPriceMicros: 90_600n + 9_900n + 12_000n,
    });
  });
});

describe("offline rating of asterisk-master.csv, switch clock in America/Toronto, 00 also international", async () => {
  const { rows } = await rateFixture("asterisk-master.csv", "asterisk", {
    timeZone: "America/Toronto",
    internationalPrefixes: ["011", "00"],
  });

  it("line 3: 2026-10-14 23:59:50 EDT is 2026-10-15T03:59:50Z, after the change → 1212 new rate: 66 s × $0.0075 = ceil(66 × 7500 / 60) = 8250", () => {
    expect(rows[2]!.start_utc).toBe("2026-10-15T03:59:50Z");
    expect(outcome(rows[2]!)).toEqual(["RATED", "1212", "66", "8250", ""]);
  });

  it("line 6: 00 351912345678 → Portugal mobile 3519 (30/6): 91 s → 30 + ceil(61/6) × 6 = 96 s × $0.0950 = ceil(96 × 95000 / 60) = 152000", () => {
    expect(rows[5]!.callee).toBe("351912345678");
    expect(outcome(rows[5]!)).toEqual(["RATED", "3519", "96", "152000", ""]);
  });

  it("the other lines price as in UTC", () => {
    expect(rows.map((row) => row.price_micros)).toEqual(["0", "90600", "8250", "0", "0", "152000", "0", "12000", ""]);
  });
});

describe("offline rating of freeswitch-example.csv", async () => {
  const { rows, summary } = await rateFixture("freeswitch-example.csv", "freeswitch");

  it("line 1: 442071838750, 306 s → London 4420 (1/1): 306 s × $0.0180 = ceil(306 × 18000 / 60) = 91800", () => {
    expect(rows[0]).toMatchObject({ record_key: "3f0c1a52-5b1e-4c39-9d1e-0b6f3c2a7e01", account: "acct-1001", start_utc: "2026-10-01T09:30:00Z" });
    expect(outcome(rows[0]!)).toEqual(["RATED", "4420", "306", "91800", ""]);
  });

  it("line 2: 4915112345678, 1 s → Germany mobile 4915 (60/1): 1 ≤ 60 → 60 s × $0.1100 = ceil(60 × 110000 / 60) = 110000", () => {
    expect(outcome(rows[1]!)).toEqual(["RATED", "4915", "60", "110000", ""]);
  });

  it("line 3: billsec 0 (NO_ANSWER) → UNANSWERED, price 0", () => {
    expect(outcome(rows[2]!)).toEqual(["UNANSWERED", "", "0", "0", "billsec is 0"]);
  });

  it("line 4: 16135559876, 61 s → 1613555 (30/6, grace 3, connect $0.0100): 30 + ceil(31/6) × 6 = 66 s; ceil(66 × 45000 / 60) = 49500 + 10000 = 59500", () => {
    expect(outcome(rows[3]!)).toEqual(["RATED", "1613555", "66", "59500", ""]);
  });

  it("summarises", () => {
    expect(summary).toEqual({
      lines: 4,
      rated: 3,
      unanswered: 1,
      unbillable: 0,
      rejected: 0,
      billedSeconds: 306 + 60 + 66,
      totalPriceMicros: 91_800n + 110_000n + 59_500n,
    });
  });
});

describe("offline rating of carrier-ld.csv (header CSV, UTC, +E.164, duration only)", async () => {
  const { rows, summary } = await rateFixture("carrier-ld.csv", "csv");

  it("line 2: +12125550100 on 2026-10-08, 45 s → 1212 old rate (6/6): 6 + ceil(39/6) × 6 = 48 s × $0.0090 = ceil(48 × 9000 / 60) = 7200", () => {
    expect(rows[0]).toMatchObject({ record_key: "LD-20261008-000001", caller: "16135550101", callee: "12125550100", billsec: "45" });
    expect(outcome(rows[0]!)).toEqual(["RATED", "1212", "48", "7200", ""]);
  });

  it("line 3: toll-free +18005550111, 600 s → 1800 (60/60): 600 s × $0 = 0", () => {
    expect(outcome(rows[1]!)).toEqual(["RATED", "1800", "600", "0", ""]);
  });

  it("line 4: zero duration → UNANSWERED, price 0", () => {
    expect(outcome(rows[2]!)).toEqual(["UNANSWERED", "", "0", "0", "billsec is 0"]);
  });

  it("line 5: +442071838750, 1 s → London 4420 (1/1): 1 s × $0.0180 = ceil(1 × 18000 / 60) = 300", () => {
    expect(outcome(rows[3]!)).toEqual(["RATED", "4420", "1", "300", ""]);
  });

  it("line 6: malformed number → REJECTED", () => {
    expect(rows[4]!.callee).toBe("not-a-number");
    expect(outcome(rows[4]!)).toEqual(["REJECTED", "", "", "", 'called number "not-a-number": not a phone number (unexpected "n")']);
  });

  it("line 7: malformed timestamp → REJECTED, start empty", () => {
    expect(rows[5]!.start_utc).toBe("");
    expect(outcome(rows[5]!)).toEqual(["REJECTED", "", "", "", 'start time "2026-13-45T99:00:00Z" is not a valid timestamp']);
  });

  it("summarises", () => {
    expect(summary).toEqual({
      lines: 6,
      rated: 3,
      unanswered: 1,
      unbillable: 0,
      rejected: 2,
      billedSeconds: 48 + 600 + 1,
      totalPriceMicros: 7_200n + 300n,
    });
  });
});

describe("offline rating with ASTPP and Magnus decks", () => {
  it.each(["astpp", "magnus"] as const)("%s deck: carrier line 2 → 1 (60/6): 45 s → 60 s × $0.0120 = 12000", async (deckFormat) => {
    const outPath = path.join(workDir, `deck-${deckFormat}.csv`);
    await rateCdrFileOffline({
      deckPath: fixturePath(`rates/${deckFormat}-style.csv`),
      deckFormat,
      cdrPath: fixturePath("cdr/carrier-ld.csv"),
      cdrFormat: "csv",
      outPath,
    });
    const rows = parse(readFileSync(outPath, "utf8"), { columns: true }) as OutputRow[];
    expect(outcome(rows[0]!)).toEqual(["RATED", "1", "60", "12000", ""]);
    // +442071838750, 1 s → 44 (1/1): ceil(1 × 21000 / 60) = 350.
    expect(outcome(rows[3]!)).toEqual(["RATED", "44", "1", "350", ""]);
  });
});

describe("refusals", () => {
  const badDeck = path.join(workDir, "bad-deck.csv");
  writeFileSync(
    badDeck,
    [
      "prefix,description,category,rate_per_minute,connect_fee,initial_increment,increment,grace_seconds,effective_from,effective_to",
      "1,USA/Canada,LONG_DISTANCE,0.0120,0,60,6,0,2026-01-01T00:00:00Z,",
      "1613,Ottawa,LOCAL,0.005O,0,60,60,0,2026-01-01T00:00:00Z,",
      "44,UK,INTERNATIONAL,0.0210,0,1,1,0,2026-01-01T00:00:00Z,",
      "447,UK mobile,MOBILE,0.1450,0.0200,60,,0,2026-01-01T00:00:00Z,",
      "",
    ].join("\n"),
  );
  const overlappingDeck = path.join(workDir, "overlapping-deck.csv");
  writeFileSync(
    overlappingDeck,
    [
      "prefix,rate_per_minute,initial_increment,increment,effective_from,effective_to",
      "1212,0.0090,6,6,2026-01-01,2026-10-16",
      "1,0.0120,60,6,2026-01-01,",
      "1212,0.0075,6,6,2026-10-15,",
    ].join("\n"),
  );

  const options = (deckPath: string): OfflineRateOptions => ({
    deckPath,
    deckFormat: "native",
    cdrPath: fixturePath("cdr/carrier-ld.csv"),
    cdrFormat: "csv",
    outPath: path.join(workDir, "refused.csv"),
  });

  it("refuses a deck with malformed rows, listing each line and column", async () => {
    await expect(rateCdrFileOffline(options(badDeck))).rejects.toThrow(OfflineRateError);
    await expect(rateCdrFileOffline(options(badDeck))).rejects.toThrow(
      /refused: 2 invalid rows \(nothing was rated\)\n {2}line 3: rate_per_minute: "0\.005O" is not a decimal amount: unexpected "O"\n {2}line 5: increment: is empty/,
    );
  });

  it("refuses overlapping versions, naming both lines", async () => {
    await expect(rateCdrFileOffline(options(overlappingDeck))).rejects.toThrow(/line 4: overlapping versions: prefix 1212 .* \(lines 2 and 4\)/);
  });

  it("refuses missing files and unknown zones clearly", async () => {
    await expect(rateCdrFileOffline(options(path.join(workDir, "nope.csv")))).rejects.toThrow(/deck file not found: .*nope\.csv/);
    await expect(rateCdrFileOffline({ ...options(RETAIL_DECK), cdrPath: path.join(workDir, "missing.cdr") })).rejects.toThrow(
      /CDR file not found/,
    );
    await expect(rateCdrFileOffline({ ...options(RETAIL_DECK), timeZone: "Mars/Base" })).rejects.toThrow(/unknown time zone/);
    await expect(rateCdrFileOffline({ ...options(fixturePath("cdr/carrier-ld.csv")) })).rejects.toThrow(
      /is unreadable as a native deck: line 1 \(header\) is not a native deck header/,
    );
  });
});

describe("the trunkline command", () => {
  const tsx = path.join(REPO_ROOT, "node_modules/.bin/tsx");
  const cli = path.join(REPO_ROOT, "scripts/trunkline.ts");
  const run = (args: string[]) => spawnSync(tsx, [cli, ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });

  it("rates a file end to end, prints the summary and exits 0", () => {
    const outPath = path.join(workDir, "cli-out.csv");
    const result = run([
      "rate",
      "--deck",
      RETAIL_DECK,
      "--cdrs",
      fixturePath("cdr/asterisk-master.csv"),
      "--format",
      "asterisk",
      "--tz",
      "America/Toronto",
      "--out",
      outPath,
    ]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("lines:          9");
    expect(result.stdout).toContain("rated:          6");
    expect(result.stdout).toContain("rejected:       1");
    // 90600 + 8250 + 12000 (the 1212 call is after the rate change in Toronto time).
    expect(result.stdout).toContain("total price:    0.11085 (110850 micro-units)");
    const rows = parse(readFileSync(outPath, "utf8"), { columns: true }) as OutputRow[];
    expect(rows.map((row) => row.price_micros)).toEqual(["0", "90600", "8250", "0", "0", "", "0", "12000", ""]);
  }, 60_000);

  it("exits 1 with the offending lines when the deck is refused", () => {
    const badDeck = path.join(workDir, "cli-bad-deck.csv");
    writeFileSync(badDeck, "prefix,rate_per_minute,initial_increment,increment\n1,0.012,60,6\n44,abc,1,1\n");
    const result = run(["rate", "--deck", badDeck, "--cdrs", fixturePath("cdr/carrier-ld.csv"), "--format", "csv", "--out", path.join(workDir, "x.csv")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/refused: 1 invalid row .*\n {2}line 3: rate_per_minute: "abc"/);
  }, 60_000);

  it("exits 1 for a missing file and 2 for wrong usage", () => {
    const missing = run(["rate", "--deck", RETAIL_DECK, "--cdrs", "/nonexistent.csv", "--format", "csv", "--out", path.join(workDir, "y.csv")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("CDR file not found: /nonexistent.csv");
    const usage = run(["rate", "--deck", RETAIL_DECK, "--format", "cisco"]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("--format must be one of asterisk, freeswitch, csv");
  }, 60_000);
});
