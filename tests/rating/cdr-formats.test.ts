import { describe, expect, it } from "vitest";

import { CdrFileError, createCdrLineParser, parseCdrStream, type CdrRecord } from "@/server/rating/cdr-formats";
import { readLineBatches } from "@/server/rating/csv-text";

import { chunked, collect, readFixture } from "./fixtures";

async function parseFixture(name: string, options: Parameters<typeof parseCdrStream>[1]): Promise<CdrRecord[]> {
  return collect(parseCdrStream(chunked(readFixture(`cdr/${name}`), 64 * 1024), options));
}

async function parseText(text: string, options: Parameters<typeof parseCdrStream>[1]): Promise<CdrRecord[]> {
  return collect(parseCdrStream(chunked(text, 7), options));
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

describe("Asterisk cdr_csv (asterisk-master.csv)", () => {
  it("reads every line, one record each, in order", async () => {
    const records = await parseFixture("asterisk-master.csv", { format: "asterisk" });
    expect(records.map((record) => record.lineNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(records.map((record) => record.status ?? "OK")).toEqual(["OK", "OK", "OK", "OK", "OK", "OK", "OK", "OK", "REJECTED"]);
  });

  it("maps the 18 columns", async () => {
    const [first] = await parseFixture("asterisk-master.csv", { format: "asterisk" });
    expect(first).toEqual({
      lineNumber: 1,
      raw: expect.stringMatching(/^"acct-1001","6135550101","18005551234",.*"1759310102.101",""$/),
      recordKey: "1759310102.101",
      account: "acct-1001",
      caller: "6135550101",
      callee: "18005551234",
      startUtc: new Date("2026-10-01T09:15:02Z"),
      answerUtc: new Date("2026-10-01T09:15:07Z"),
      endUtc: new Date("2026-10-01T09:17:44Z"),
      duration: 162,
      billsec: 157,
      disposition: "ANSWERED",
    });
    expect(first!.raw.endsWith("\r")).toBe(false); // CRLF stripped
  });

  it("keeps quoted commas and doubled quotes inside clid from shifting columns", async () => {
    const records = await parseFixture("asterisk-master.csv", { format: "asterisk" });
    const bob = records[3]!; // clid is "Bob, Accounts" <6135550188>
    expect(bob).toMatchObject({ account: "acct-1002", callee: "6135551234", billsec: 0, disposition: "NO ANSWER", answerUtc: null });
  });

  it("reads local switch time in the given zone (the call across the rate change)", async () => {
    const utc = await parseFixture("asterisk-master.csv", { format: "asterisk" });
    const toronto = await parseFixture("asterisk-master.csv", { format: "asterisk", timeZone: "America/Toronto" });
    expect(iso(utc[2]!.startUtc)).toBe("2026-10-14T23:59:50.000Z");
    expect(iso(toronto[2]!.startUtc)).toBe("2026-10-15T03:59:50.000Z");
    expect(iso(toronto[2]!.endUtc)).toBe("2026-10-15T04:01:01.000Z");
  });

  it("rejects the line that is not a CDR, with a reason and a stable hash key", async () => {
    const records = await parseFixture("asterisk-master.csv", { format: "asterisk" });
    const junk = records[8]!;
    expect(junk).toMatchObject({
      lineNumber: 9,
      raw: "this line is not a CDR at all",
      status: "REJECTED",
      reason: "not a CDR: expected 16 to 18 Asterisk cdr_csv columns, found 1",
      startUtc: null,
      billsec: null,
    });
    expect(junk.recordKey).toMatch(/^sha256:[0-9a-f]{32}$/);
    const again = await parseFixture("asterisk-master.csv", { format: "asterisk" });
    expect(again[8]!.recordKey).toBe(junk.recordKey);
  });

  it("accepts 16 and 17 columns; without uniqueid the key is a hash of the line", async () => {
    const sixteen = '"a1","100","200","ctx","clid","SIP/1","SIP/2","Dial","x","2026-10-01 09:00:00","2026-10-01 09:00:01","2026-10-01 09:00:11",11,10,"ANSWERED","DOCUMENTATION"';
    const seventeen = `${sixteen},"1759.9"`;
    const records = await parseText(`${sixteen}\n${seventeen}\n`, { format: "asterisk" });
    expect(records[0]!.status).toBeUndefined();
    expect(records[0]!.recordKey).toMatch(/^sha256:/);
    expect(records[1]!.recordKey).toBe("1759.9");
  });

  it.each([
    ['"a","1","2","c","d","e","f","g","h","2026-10-01 09:00:00","","2026-10-01 09:00:05",5,"x5","NO ANSWER","DOC","u1",""', /billsec "x5" is not a whole number/],
    ['"a","1","2","c","d","e","f","g","h","2026-10-01 09:00:00","","2026-10-01 09:00:05",5,-1,"NO ANSWER","DOC","u1",""', /billsec "-1"/],
    ['"a","1","2","c","d","e","f","g","h","2026-10-01 09:00:00","","2026-10-01 09:00:05",5,"12.5","NO ANSWER","DOC","u1",""', /billsec "12.5" is not a whole number/],
    ['"a","1","2","c","d","e","f","g","h","2026-10-01 09:00:00","","2026-10-01 09:00:05",5,99999999999,"ANSWERED","DOC","u1",""', /billsec "99999999999" is longer than 604800 s/],
    ['"a","1","2","c","d","e","f","g","h","2026-10-01 9:00","","2026-10-01 09:00:05",5,0,"NO ANSWER","DOC","u1",""', /start time "2026-10-01 9:00" is not a valid timestamp/],
    ['"a","1","2","c","d","e","f","g","h","","","2026-10-01 09:00:05",5,0,"NO ANSWER","DOC","u1",""', /start time is empty/],
    ['"a","1","2","c","d","e","f","g","h","2026-10-01 09:00:00","yesterday","2026-10-01 09:00:05",5,0,"NO ANSWER","DOC","u1",""', /answer time "yesterday"/],
    ['"a","1","2","c","d","e","f","g","h","2026-10-01 09:00:00","","2026-10-01 09:00:05",5,0,"NO ANSWER","DOC","u1","","extra"', /found 19/],
    ['"a","1","2","c","d ,"e","f"', /not a CDR: unexpected text after the closing quote of column 5/],
    ['"a","1","2","c","unterminated', /unterminated quoted field starting at column 5/],
    ["   ", /blank line/],
  ])("rejects %s", async (line, reason) => {
    const records = await parseText(`${line}\r\n`, { format: "asterisk" });
    expect(records).toHaveLength(1);
    expect(records[0]!.status).toBe("REJECTED");
    expect(records[0]!.reason).toMatch(reason);
  });

  it("keeps what it could read of a rejected line with the right shape", async () => {
    const [record] = await parseText(
      '"acct-7","100","200","c","d","e","f","g","h","2026-10-01 09:00:00","","",5,"abc","NO ANSWER","DOC","u-42",""',
      { format: "asterisk" },
    );
    expect(record).toMatchObject({ status: "REJECTED", recordKey: "u-42", account: "acct-7", caller: "100", callee: "200" });
  });

  it("reads the same records whatever the chunk boundaries (1-byte chunks)", async () => {
    const whole = await parseFixture("asterisk-master.csv", { format: "asterisk" });
    const bytewise = await collect(parseCdrStream(chunked(readFixture("cdr/asterisk-master.csv"), 1), { format: "asterisk" }));
    expect(bytewise).toEqual(whole);
  });

  it("decodes multi-byte UTF-8 split across chunks", async () => {
    const line = '"a","1","2","c","""Zoë Ståhl"" <1>","e","f","g","h","2026-10-01 09:00:00","","2026-10-01 09:00:05",5,0,"NO ANSWER","DOC","u1",""';
    const records = await collect(parseCdrStream(chunked(`${line}\n`, 1), { format: "asterisk" }));
    expect(records[0]!.raw).toBe(line);
  });
});

describe("readLineBatches", () => {
  async function linesOf(chunks: Uint8Array[]): Promise<string[]> {
    const lines: string[] = [];
    for await (const batch of readLineBatches((async function* () { yield* chunks; })())) lines.push(...batch);
    return lines;
  }

  it("reads ASCII chunks and UTF-8 chunks alike, whatever the boundaries, an invalid byte as U+FFFD", async () => {
    const bytes = Buffer.concat([
      Buffer.from("\ufeffplain ascii line\r\nZoë Ståhl, 📞 +44\n"),
      Buffer.from([0x61, 0xff, 0x62, 0x0a]), // a, an invalid byte, b
      Buffer.from("ascii after\n\ufeffmid-file no-break space\nlast without a break é"),
    ]);
    const expected = ["plain ascii line", "Zoë Ståhl, 📞 +44", "a\ufffdb", "ascii after", "\ufeffmid-file no-break space", "last without a break é"];
    for (const size of [1, 2, 3, 5, 7, 64, bytes.length]) {
      const chunks: Uint8Array[] = [];
      for (let offset = 0; offset < bytes.length; offset += size) {
        // Views into one buffer (as a file stream's are) and standalone arrays.
        const view = bytes.subarray(offset, offset + size);
        chunks.push(size % 2 === 1 ? view : new Uint8Array(view));
      }
      expect(await linesOf(chunks), `chunks of ${size} bytes`).toEqual(expected);
    }
    // A lone first byte of a character, an empty chunk, then ASCII: the byte is U+FFFD where it stood.
    expect(await linesOf([Buffer.from([0x78, 0x2c, 0xe2]), new Uint8Array(0), Buffer.from("abc\n")])).toEqual(["x,\ufffdabc"]);
  });
});

describe("FreeSWITCH example template (freeswitch-example.csv)", () => {
  it("maps the 15 quoted columns", async () => {
    const records = await parseFixture("freeswitch-example.csv", { format: "freeswitch" });
    expect(records).toHaveLength(4);
    expect(records[0]).toMatchObject({
      lineNumber: 1,
      recordKey: "3f0c1a52-5b1e-4c39-9d1e-0b6f3c2a7e01",
      account: "acct-1001",
      caller: "6135550101",
      callee: "442071838750",
      startUtc: new Date("2026-10-01T09:30:00Z"),
      answerUtc: new Date("2026-10-01T09:30:05Z"),
      endUtc: new Date("2026-10-01T09:35:11Z"),
      duration: 311,
      billsec: 306,
      disposition: "NORMAL_CLEARING",
    });
    expect(records[1]).toMatchObject({ callee: "4915112345678", billsec: 1 });
    expect(records[2]).toMatchObject({ callee: "351213456789", billsec: 0, answerUtc: null, disposition: "NO_ANSWER" });
    expect(records[3]).toMatchObject({ callee: "16135559876", billsec: 61 });
    expect(records.every((record) => record.status === undefined)).toBe(true);
  });

  it("rejects an Asterisk line fed as FreeSWITCH", async () => {
    const asteriskLine = readFixture("cdr/asterisk-master.csv").toString("utf8").split("\r\n")[0]!;
    const [record] = await parseText(asteriskLine, { format: "freeswitch" });
    expect(record).toMatchObject({ status: "REJECTED", reason: "not a CDR: expected 15 FreeSWITCH example-template columns, found 18" });
  });
});

describe("header-row CSV (carrier-ld.csv)", () => {
  it("finds columns by name; duration only is the billable time", async () => {
    const records = await parseFixture("carrier-ld.csv", { format: "csv" });
    // The header is line 1 and yields no record; data lines are 2–7.
    expect(records.map((record) => record.lineNumber)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(records[0]).toEqual({
      lineNumber: 2,
      raw: "LD-20261008-000001,acct-1001,+16135550101,+12125550100,2026-10-08T13:00:00Z,45,LD,TRK-OTT-01",
      recordKey: "LD-20261008-000001",
      account: "acct-1001",
      caller: "+16135550101",
      callee: "+12125550100",
      startUtc: new Date("2026-10-08T13:00:00Z"),
      answerUtc: null,
      endUtc: null,
      duration: 45,
      billsec: 45,
      disposition: null,
    });
    expect(records[2]).toMatchObject({ billsec: 0, duration: 0 });
  });

  it("passes the malformed number through (rating rejects it) and rejects the malformed timestamp", async () => {
    const records = await parseFixture("carrier-ld.csv", { format: "csv" });
    expect(records[4]).toMatchObject({ lineNumber: 6, callee: "not-a-number", billsec: 12 });
    expect(records[4]!.status).toBeUndefined();
    expect(records[5]).toMatchObject({
      lineNumber: 7,
      recordKey: "LD-20261008-000006",
      status: "REJECTED",
      reason: 'start time "2026-13-45T99:00:00Z" is not a valid timestamp',
      startUtc: null,
    });
  });

  it("accepts synonyms, semicolons, a BOM and a billsec column", async () => {
    const text =
      "\uFEFFUniqueID;AccountCode;src;dst;Start_Stamp;Answer;End;Duration;BillSec;Hangup_Cause\r\n" +
      "u-1;acct-1;6135550101;2125550199;2026-10-14 23:59:50;2026-10-14 23:59:58;2026-10-15 00:01:01;71;63;NORMAL_CLEARING\r\n" +
      "u-2;acct-1;6135550101;2125550199;2026-10-14 23:59:50;;;71\r\n";
    const records = await parseText(text, { format: "csv", timeZone: "America/Toronto" });
    expect(records[0]).toMatchObject({
      lineNumber: 2,
      recordKey: "u-1",
      account: "acct-1",
      caller: "6135550101",
      callee: "2125550199",
      startUtc: new Date("2026-10-15T03:59:50Z"),
      duration: 71,
      billsec: 63,
      disposition: "NORMAL_CLEARING",
    });
    expect(records[1]).toMatchObject({ lineNumber: 3, status: "REJECTED", reason: "not a CDR: expected 10 CSV columns, found 8" });
  });

  it("refuses a header that is not a CDR header, naming what is missing", async () => {
    await expect(parseText("name,phone\nAlice,6135550101\n", { format: "csv" })).rejects.toThrow(CdrFileError);
    await expect(parseText("name,phone\nAlice,6135550101\n", { format: "csv" })).rejects.toThrow(
      /missing a called-number column \(one of callednumber, dst, destinationnumber, callee\); a start-time column/,
    );
    await expect(parseText("", { format: "csv" })).rejects.toThrow(/empty/);
  });

  it("refuses an unknown time zone before reading", async () => {
    await expect(parseText("x\n", { format: "asterisk", timeZone: "Mars/Base" })).rejects.toThrow(/unknown time zone/);
  });
});

describe("createCdrLineParser", () => {
  it("parses single lines (e.g. for a 'check this CDR' form)", () => {
    const parser = createCdrLineParser({ format: "csv", headerLine: "call_id,called_number,start,billsec" });
    expect(parser.parseLine("c1,+442071838750,2026-10-08T13:20:00Z,1", 2)).toMatchObject({
      recordKey: "c1",
      callee: "+442071838750",
      billsec: 1,
      account: null,
    });
  });
});
