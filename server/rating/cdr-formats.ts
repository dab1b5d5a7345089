/**
 * Streaming CDR readers for Asterisk cdr_csv, FreeSWITCH mod_cdr_csv ("example" template)
 * and header-row CSV feeds.
 *
 * Contract: every input line (after the header of a header-row CSV) yields exactly one
 * record. A line that cannot be read (wrong column count, broken quoting, bad timestamp,
 * non-numeric billsec, a blank line, a line that is not a CDR at all) becomes a record with
 * `status: "REJECTED"` and a reason, so an import can list it by line number and nothing is
 * lost silently. Phone numbers are passed through as written; normalising them is rating's
 * job (see normalize.ts), which rejects numbers that are not numbers.
 *
 * Throughput matters (bulk imports of millions of lines), so lines are split by hand (see
 * csv-text.ts), timestamps are parsed by a char-code scanner with cached zone offsets (see
 * time-zone.ts), and records are produced in batches, one per input chunk.
 */

import { createHash } from "node:crypto";

import { CsvFieldScanner, detectDelimiter, readLineBatches, splitCsvLine } from "./csv-text";
import { createTimestampParser, resolveTimeZone } from "./time-zone";

export const CDR_FORMATS = ["asterisk", "freeswitch", "csv"] as const;
export type CdrFormat = (typeof CDR_FORMATS)[number];

export interface CdrRecord {
  /** 1-based physical line number in the file (the header of a CSV is line 1). */
  lineNumber: number;
  /** The line as read, without its line terminator. */
  raw: string;
  /** uniqueid / uuid / call_id when the line has one, else "sha256:" + 32 hex of the raw line. */
  recordKey: string;
  account: string | null;
  caller: string;
  callee: string;
  startUtc: Date | null;
  answerUtc: Date | null;
  endUtc: Date | null;
  duration: number | null;
  billsec: number | null;
  disposition: string | null;
  status?: "REJECTED";
  reason?: string;
}

export interface CdrParseOptions {
  format: CdrFormat;
  /** IANA zone of timestamps written without an offset (the switch's local time). Default UTC. */
  timeZone?: string;
}

/** A file-level problem (e.g. a header-row CSV without a called-number column); no record can be read. */
export class CdrFileError extends Error {
  override name = "CdrFileError";
}

/** Where each field sits in a line; -1 = the format has no such column. */
interface CdrLayout {
  formatLabel: string;
  delimiter: string;
  minColumns: number;
  maxColumns: number;
  recordKey: number;
  account: number;
  caller: number;
  callee: number;
  start: number;
  answer: number;
  end: number;
  duration: number;
  billsec: number;
  /** True for feeds with duration only: duration is the billable time. */
  billsecFromDuration: boolean;
  disposition: number;
}

/** Asterisk cdr_csv: 16 columns, plus uniqueid and userfield when loguniqueid/loguserfield are on. */
const ASTERISK_LAYOUT: CdrLayout = {
  formatLabel: "Asterisk cdr_csv",
  delimiter: ",",
  minColumns: 16,
  maxColumns: 18,
  account: 0,
  caller: 1,
  callee: 2,
  start: 9,
  answer: 10,
  end: 11,
  duration: 12,
  billsec: 13,
  disposition: 14,
  recordKey: 16,
  billsecFromDuration: false,
};

/** FreeSWITCH mod_cdr_csv "example" template. */
const FREESWITCH_LAYOUT: CdrLayout = {
  formatLabel: "FreeSWITCH example-template",
  delimiter: ",",
  minColumns: 15,
  maxColumns: 15,
  caller: 1,
  callee: 2,
  start: 4,
  answer: 5,
  end: 6,
  duration: 7,
  billsec: 8,
  disposition: 9,
  recordKey: 10,
  account: 12,
  billsecFromDuration: false,
};

type CsvField = "recordKey" | "account" | "caller" | "callee" | "start" | "answer" | "end" | "duration" | "billsec" | "disposition";

/** Header names per field, compared after lower-casing and dropping everything but letters and digits. */
const CSV_HEADER_SYNONYMS: Record<CsvField, readonly string[]> = {
  recordKey: ["callid", "uniqueid", "uuid", "calluuid", "cdrid"],
  account: ["account", "accountcode", "accountid"],
  caller: ["callingnumber", "src", "calleridnumber", "caller", "callernumber", "ani", "cli", "anumber", "from"],
  callee: ["callednumber", "dst", "destinationnumber", "callee", "calleenumber", "dnis", "cld", "bnumber", "dialednumber", "to"],
  start: ["start", "starttime", "starttimeutc", "startstamp", "startutc", "calldate", "callstart"],
  answer: ["answer", "answertime", "answertimeutc", "answerstamp", "answerutc", "connecttime"],
  end: ["end", "endtime", "endtimeutc", "endstamp", "endutc", "hanguptime"],
  duration: ["duration", "durationsec", "durationsecs", "durationseconds"],
  // Not "billed_seconds"/"billed_duration": a carrier's own rounding (e.g. 60/60) already
  // applied, which our increments would round up again. Such a header is refused below.
  billsec: [
    "billsec",
    "billsecs",
    "billablesec",
    "billableseconds",
    "billablesecs",
    "billableduration",
    "talktime",
    "talktimesec",
    "talktimeseconds",
    "conversationtime",
    "conversationseconds",
    "connectedseconds",
    "connectedtime",
  ],
  disposition: ["disposition", "hangupcause", "callstatus"],
};

/** Header keys (see {@link headerKey}) that suggest billable time when no billsec column is recognised. */
const BILLABLE_LOOKING = /bill|talk|conversation/;
/** "billing_account", "bill_to_account": names, not times, so no reason to refuse the file. */
const NOT_A_TIME = /account/;

function headerKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Builds the layout of a header-row CSV from its header line; throws CdrFileError if it cannot be a CDR file. */
function layoutFromHeader(headerLine: string): CdrLayout {
  const delimiter = detectDelimiter(headerLine);
  const split = splitCsvLine(headerLine, delimiter);
  if (!split.ok) throw new CdrFileError(`line 1 (header): ${split.error}`);
  const columnByKey = new Map<string, number>();
  split.fields.forEach((name, index) => {
    const key = headerKey(name);
    if (key.length > 0 && !columnByKey.has(key)) columnByKey.set(key, index);
  });
  const find = (field: CsvField): number => {
    for (const synonym of CSV_HEADER_SYNONYMS[field]) {
      const index = columnByKey.get(synonym);
      if (index !== undefined) return index;
    }
    return -1;
  };
  const layout: CdrLayout = {
    formatLabel: "CSV",
    delimiter,
    minColumns: split.fields.length,
    maxColumns: split.fields.length,
    recordKey: find("recordKey"),
    account: find("account"),
    caller: find("caller"),
    callee: find("callee"),
    start: find("start"),
    answer: find("answer"),
    end: find("end"),
    duration: find("duration"),
    billsec: find("billsec"),
    billsecFromDuration: false,
    disposition: find("disposition"),
  };
  const missing: string[] = [];
  const expect = (field: CsvField, label: string): void => {
    if (layout[field] === -1) missing.push(`${label} (one of ${CSV_HEADER_SYNONYMS[field].slice(0, 4).join(", ")})`);
  };
  expect("callee", "a called-number column");
  expect("start", "a start-time column");
  if (layout.billsec === -1) {
    if (layout.duration === -1) missing.push("a billsec or duration column");
    else {
      // Total duration includes ringing. A column that looks like billable time under a
      // name we do not know would be ignored for it, billing every call's ring time.
      const mapped = new Set((Object.keys(CSV_HEADER_SYNONYMS) as CsvField[]).map((field) => layout[field]));
      const suspect = split.fields.findIndex((name, index) => {
        const key = headerKey(name);
        return !mapped.has(index) && BILLABLE_LOOKING.test(key) && !NOT_A_TIME.test(key);
      });
      if (suspect !== -1) {
        throw new CdrFileError(
          `line 1 (header): column ${suspect + 1} ${JSON.stringify(split.fields[suspect]!.trim())} looks like billable seconds ` +
            `but is not a name we read as billsec (one of ${CSV_HEADER_SYNONYMS.billsec.slice(0, 6).join(", ")}), ` +
            `so calls would be billed by total duration, ringing included: rename it to billsec if it holds the answered ` +
            `seconds before any rounding, or remove it to bill by duration`,
        );
      }
      layout.billsecFromDuration = true;
    }
  }
  if (missing.length > 0) {
    throw new CdrFileError(`line 1 (header) is not a CDR header: missing ${missing.join("; ")}. Header: ${headerLine.slice(0, 200)}`);
  }
  return layout;
}

/** Longer "calls" are corrupt records (or a counter gone wild), not something to bill. */
const MAX_CALL_SECONDS = 7 * 24 * 3600;
const NOT_SECONDS = -1;
const TOO_LONG = -2;

/** Whole seconds ("45", " 45 ", "45.000"); NOT_SECONDS or TOO_LONG otherwise. */
function parseSeconds(text: string): number {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) === 32) start++;
  while (end > start && text.charCodeAt(end - 1) === 32) end--;
  if (start === end) return -1;
  let value = 0;
  let index = start;
  for (; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code < 48 || code > 57) break;
    value = value * 10 + (code - 48);
  }
  if (index === start) return NOT_SECONDS;
  if (index < end) {
    if (text.charCodeAt(index) !== 46) return NOT_SECONDS;
    for (index++; index < end; index++) if (text.charCodeAt(index) !== 48) return NOT_SECONDS;
  }
  return value > MAX_CALL_SECONDS ? TOO_LONG : value;
}

function secondsProblem(column: string, text: string, parsed: number): string {
  return parsed === TOO_LONG
    ? `${column} ${shown(text)} is longer than ${MAX_CALL_SECONDS} s (7 days)`
    : `${column} ${shown(text)} is not a whole number of seconds`;
}

function hashRecordKey(raw: string): string {
  return `sha256:${createHash("sha256").update(raw).digest("hex").slice(0, 32)}`;
}

function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/** Parses single lines of one CDR format; the streaming readers are built on it. */
export interface CdrLineParser {
  /** Parses data line `raw` found at `lineNumber`. */
  parseLine(raw: string, lineNumber: number): CdrRecord;
}

function isBlank(line: string): boolean {
  return line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim().length === 0);
}

function createLineParserForLayout(layout: CdrLayout, timeZone: string): CdrLineParser {
  const parseTimestamp = createTimestampParser({ timeZone });
  const scanner = new CsvFieldScanner(layout.delimiter);
  const columnsExpected =
    layout.minColumns === layout.maxColumns ? `${layout.minColumns}` : `${layout.minColumns} to ${layout.maxColumns}`;

  /** Trimmed text of a column of the line just scanned; "" for a column the format lacks. */
  function text(raw: string, index: number): string {
    return index >= 0 ? scanner.field(raw, index).trim() : "";
  }

  /** A REJECTED record keeping what could be read; `scanned` = the line's columns are usable. */
  function rejected(raw: string, lineNumber: number, reason: string, scanned: boolean): CdrRecord {
    const key = scanned ? text(raw, layout.recordKey) : "";
    const account = scanned ? text(raw, layout.account) : "";
    const disposition = scanned ? text(raw, layout.disposition) : "";
    return {
      lineNumber,
      raw,
      recordKey: key.length > 0 ? key : hashRecordKey(raw),
      account: account.length > 0 ? account : null,
      caller: scanned ? text(raw, layout.caller) : "",
      callee: scanned ? text(raw, layout.callee) : "",
      startUtc: null,
      answerUtc: null,
      endUtc: null,
      duration: null,
      billsec: null,
      disposition: disposition.length > 0 ? disposition : null,
      status: "REJECTED",
      reason,
    };
  }

  return {
    parseLine(raw: string, lineNumber: number): CdrRecord {
      if (isBlank(raw)) return rejected(raw, lineNumber, "blank line", false);
      if (!scanner.scan(raw)) return rejected(raw, lineNumber, `not a CDR: ${scanner.error}`, false);
      const columns = scanner.fieldCount;
      if (columns < layout.minColumns || columns > layout.maxColumns) {
        return rejected(raw, lineNumber, `not a CDR: expected ${columnsExpected} ${layout.formatLabel} columns, found ${columns}`, false);
      }

      const startText = text(raw, layout.start);
      if (startText.length === 0) return rejected(raw, lineNumber, "start time is empty", true);
      const startMs = parseTimestamp(startText);
      if (Number.isNaN(startMs)) return rejected(raw, lineNumber, `start time ${shown(startText)} is not a valid timestamp`, true);

      const answerText = text(raw, layout.answer);
      let answerMs = NaN;
      if (answerText.length > 0) {
        answerMs = parseTimestamp(answerText);
        if (Number.isNaN(answerMs)) return rejected(raw, lineNumber, `answer time ${shown(answerText)} is not a valid timestamp`, true);
      }
      const endText = text(raw, layout.end);
      let endMs = NaN;
      if (endText.length > 0) {
        endMs = parseTimestamp(endText);
        if (Number.isNaN(endMs)) return rejected(raw, lineNumber, `end time ${shown(endText)} is not a valid timestamp`, true);
      }

      let duration: number | null = null;
      if (layout.duration >= 0) {
        const durationText = text(raw, layout.duration);
        if (durationText.length > 0 || layout.billsecFromDuration) {
          duration = parseSeconds(durationText);
          if (duration < 0) return rejected(raw, lineNumber, secondsProblem("duration", durationText, duration), true);
        }
      }
      let billsec: number;
      if (layout.billsecFromDuration) {
        billsec = duration ?? 0;
      } else {
        const billsecText = text(raw, layout.billsec);
        billsec = parseSeconds(billsecText);
        if (billsec < 0) return rejected(raw, lineNumber, secondsProblem("billsec", billsecText, billsec), true);
      }

      const key = text(raw, layout.recordKey);
      const account = text(raw, layout.account);
      const disposition = text(raw, layout.disposition);
      return {
        lineNumber,
        raw,
        recordKey: key.length > 0 ? key : hashRecordKey(raw),
        account: account.length > 0 ? account : null,
        caller: text(raw, layout.caller),
        callee: text(raw, layout.callee),
        startUtc: new Date(startMs),
        answerUtc: Number.isNaN(answerMs) ? null : new Date(answerMs),
        endUtc: Number.isNaN(endMs) ? null : new Date(endMs),
        duration,
        billsec,
        disposition: disposition.length > 0 ? disposition : null,
      };
    },
  };
}

/**
 * A line parser for a headerless format (asterisk, freeswitch), or for a header-row CSV
 * given its header line. Throws CdrFileError for a header that is not a CDR header, and a
 * TimeZoneError for an unknown zone.
 */
export function createCdrLineParser(options: CdrParseOptions & { headerLine?: string }): CdrLineParser {
  const timeZone = options.timeZone ?? "UTC";
  switch (options.format) {
    case "asterisk":
      return createLineParserForLayout(ASTERISK_LAYOUT, timeZone);
    case "freeswitch":
      return createLineParserForLayout(FREESWITCH_LAYOUT, timeZone);
    case "csv":
      if (options.headerLine === undefined) throw new CdrFileError("a CSV CDR parser needs the header line");
      return createLineParserForLayout(layoutFromHeader(options.headerLine), timeZone);
  }
}

/**
 * Reads a CDR stream as batches of records (one batch per input chunk), which is the
 * cheapest way to feed bulk inserts. Validates the zone before reading; throws CdrFileError
 * for an empty header-row CSV or a header that is not a CDR header.
 */
export async function* parseCdrBatches(
  input: AsyncIterable<Uint8Array | string>,
  options: CdrParseOptions,
): AsyncGenerator<CdrRecord[]> {
  // Fail on an unknown zone before reading anything.
  resolveTimeZone(options.timeZone ?? "UTC");
  let parser: CdrLineParser | null = options.format === "csv" ? null : createCdrLineParser(options);
  let lineNumber = 0;
  for await (const lines of readLineBatches(input)) {
    const records: CdrRecord[] = [];
    for (const line of lines) {
      lineNumber++;
      if (parser === null) {
        if (isBlank(line)) throw new CdrFileError("line 1 must be the CSV header, found a blank line");
        parser = createCdrLineParser({ ...options, headerLine: line });
        continue;
      }
      records.push(parser.parseLine(line, lineNumber));
    }
    if (records.length > 0) yield records;
  }
  if (options.format === "csv" && parser === null) throw new CdrFileError("the CSV file is empty: no header line");
}

/** Reads a CDR stream record by record; see {@link parseCdrBatches}. */
export async function* parseCdrStream(
  input: AsyncIterable<Uint8Array | string>,
  options: CdrParseOptions,
): AsyncGenerator<CdrRecord> {
  for await (const batch of parseCdrBatches(input, options)) yield* batch;
}
