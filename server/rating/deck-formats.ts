/**
 * Streaming rate-deck readers (Trunkline native, ASTPP, MagnusBilling) and the native
 * exporter.
 *
 * Decks come from spreadsheets and other billing systems, so the reader is forgiving about
 * the file (comma, semicolon or tab; BOM; CRLF; quoting; header names in any case and
 * with currency suffixes like "Cost / Min (USD)") and strict about the values: each row
 * yields either a rate or an error naming the line and the column. Amounts go through
 * money.ts, never through floats. An importer refuses the deck if any row is an error.
 *
 * Reading is line-based, for speed (about 700k rows/s on one core, where csv-parse with
 * line tracking managed about 90k): lines are cut at "\n" and split by the CSV field
 * scanner without copying fields the format does not use. Only lines the scanner cannot
 * read — a quoted field running over several lines, or stray quotes — go through a
 * character-level reader that follows csv-parse's rules, so every file reads as it did
 * through csv-parse (a test holds the two together on random input).
 *
 * The native format is what {@link writeDeckCsv} produces, and reading it back gives the
 * same rates (amounts, increments and instants are written exactly).
 */

import { CsvFieldScanner, detectDelimiter, quoteCsvField } from "./csv-text";
import { RATE_CATEGORIES, type Rate, type RateCategory } from "./matcher";
import { formatMicros, tryParseMoneyToMicros } from "./money";
import { createTimestampParser, formatUtcInstant } from "./time-zone";

export const DECK_FORMATS = ["native", "astpp", "magnus"] as const;
export type DeckFormat = (typeof DECK_FORMATS)[number];

export type DeckRow = { line: number; rate: Rate } | { line: number; error: string };

export interface ReadDeckOptions {
  format: DeckFormat;
  /** IANA zone for dates and datetimes written without an offset. Default UTC. */
  timeZone?: string;
  /**
   * Start of validity for rows without an effective date (ASTPP and Magnus exports have
   * none). Default 1970-01-01T00:00:00Z, i.e. the rate applies to any call, which is what
   * re-rating historical CDRs against such a deck needs.
   */
  defaultEffectiveFrom?: Date;
}

/** The file as a whole cannot be read as a deck (no header, missing columns, broken quoting). */
export class DeckFileError extends Error {
  override name = "DeckFileError";
}

type DeckField =
  | "prefix"
  | "description"
  | "category"
  | "ratePerMinute"
  | "connectFee"
  | "initialIncrement"
  | "increment"
  | "graceSeconds"
  | "effectiveFrom"
  | "effectiveTo"
  | "status"
  | "disconnectFee";

interface FormatSpec {
  label: string;
  /** Header keys (see {@link headerKey}) accepted for each field, in order of preference. */
  columns: Partial<Record<DeckField, readonly string[]>>;
  required: readonly DeckField[];
}

/** Column names of the native format, in the order {@link writeDeckCsv} writes them. */
export const NATIVE_DECK_COLUMNS = [
  "prefix",
  "description",
  "category",
  "rate_per_minute",
  "connect_fee",
  "initial_increment",
  "increment",
  "grace_seconds",
  "effective_from",
  "effective_to",
] as const;

const FORMAT_SPECS: Record<DeckFormat, FormatSpec> = {
  native: {
    label: "native",
    columns: {
      prefix: ["prefix"],
      description: ["description"],
      category: ["category"],
      ratePerMinute: ["rateperminute"],
      connectFee: ["connectfee"],
      initialIncrement: ["initialincrement"],
      increment: ["increment"],
      graceSeconds: ["graceseconds", "grace"],
      effectiveFrom: ["effectivefrom"],
      effectiveTo: ["effectiveto"],
    },
    required: ["prefix", "ratePerMinute", "initialIncrement", "increment"],
  },
  // ASTPP rate exports: "Code, Destination, Connection Cost (USD), Grace Time,
  // Cost / Min (USD), Initial Increment, Increment, …, Status". "pattern" is the database
  // column behind "Code" (stored as "^1613.*").
  astpp: {
    label: "ASTPP",
    columns: {
      prefix: ["code", "pattern", "prefix"],
      description: ["destination", "description", "comment"],
      connectFee: ["connectioncost", "connectcost"],
      graceSeconds: ["gracetime", "grace"],
      ratePerMinute: ["costmin", "costperminute", "perminutecost"],
      initialIncrement: ["initialincrement"],
      increment: ["increment"],
      status: ["status"],
    },
    required: ["prefix", "ratePerMinute", "initialIncrement", "increment"],
  },
  // MagnusBilling rate import: dialprefix, destination, rateinitial, initblock,
  // billingblock, minimal_time_charge, connectcharge, disconnectcharge, package_offer.
  // Magnus does not charge calls with sessiontime ≤ minimal_time_charge, which is our grace.
  magnus: {
    label: "MagnusBilling",
    columns: {
      prefix: ["dialprefix", "prefix"],
      description: ["destination", "description"],
      ratePerMinute: ["rateinitial"],
      initialIncrement: ["initblock"],
      increment: ["billingblock"],
      graceSeconds: ["minimaltimecharge"],
      connectFee: ["connectcharge"],
      disconnectFee: ["disconnectcharge"],
    },
    required: ["prefix", "ratePerMinute", "initialIncrement", "increment"],
  },
};

/** "Cost / Min (USD)" → "costmin"; "rate_per_minute" → "rateperminute". */
function headerKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/\([^)]*\)/g, "")
    .replace(/[^a-z0-9]/g, "");
}

const MAX_SECONDS_FIELD = 86_400;
const DEFAULT_EFFECTIVE_FROM = new Date(0);

/** A whole number in [min, max] ("60", "60.0"); an error message naming the column otherwise. */
function parseWholeNumber(text: string, column: string, min: number, max: number): number | string {
  let value = 0;
  let digits = 0;
  for (; digits < text.length; digits++) {
    const code = text.charCodeAt(digits);
    if (code < 48 || code > 57) break;
    value = value * 10 + (code - 48);
  }
  // Common case, 1 to 9 plain digits; anything else takes the full rule.
  if (digits !== text.length || digits === 0 || digits > 9) {
    const match = /^(\d{1,9})(?:\.0*)?$/.exec(text);
    if (!match) return `${column}: ${JSON.stringify(text)} is not a whole number of seconds`;
    value = Number(match[1]);
  }
  if (value < min || value > max) return `${column}: ${value} is out of range (${min} to ${max})`;
  return value;
}

function isDigits(text: string, maxLength: number): boolean {
  if (text.length === 0 || text.length > maxLength) return false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

function parsePrefix(text: string, column: string): string | { error: string } {
  if (isDigits(text, 15)) return text;
  let prefix = text;
  if (prefix.startsWith("^")) prefix = prefix.slice(1); // ASTPP patterns: ^1613.*
  if (prefix.endsWith(".*")) prefix = prefix.slice(0, -2);
  if (prefix.startsWith("+")) prefix = prefix.slice(1);
  if (prefix.length === 0) return { error: `${column}: prefix is empty` };
  if (!/^\d{1,15}$/.test(prefix)) return { error: `${column}: ${JSON.stringify(text)} is not a prefix of 1 to 15 digits` };
  return prefix;
}

/** Category for decks that have none, from words in the destination name. */
export function inferCategory(description: string): RateCategory {
  if (/toll[\s-]?free/i.test(description)) return "TOLL_FREE";
  if (/\b(mobile|cellular|wireless)\b/i.test(description)) return "MOBILE";
  if (/\bpremium\b/i.test(description)) return "PREMIUM";
  return "OTHER";
}

const CATEGORY_BY_NAME = new Map<string, RateCategory>(RATE_CATEGORIES.map((category) => [category, category]));

function parseCategory(text: string, column: string): RateCategory | { error: string } {
  const exact = CATEGORY_BY_NAME.get(text);
  if (exact !== undefined) return exact;
  const normalized = text.trim().toUpperCase().replace(/[\s-]+/g, "_");
  const category = RATE_CATEGORIES.find((candidate) => candidate === normalized);
  return category ?? { error: `${column}: ${JSON.stringify(text)} is not a category (${RATE_CATEGORIES.join(", ")})` };
}

interface ResolvedColumns {
  index: Partial<Record<DeckField, number>>;
  /** The header text of each field's column, to name it in errors. */
  name: Partial<Record<DeckField, string>>;
  count: number;
}

function resolveColumns(header: string[], spec: FormatSpec): ResolvedColumns {
  const byKey = new Map<string, number>();
  header.forEach((name, index) => {
    const key = headerKey(name);
    if (key.length > 0 && !byKey.has(key)) byKey.set(key, index);
  });
  const resolved: ResolvedColumns = { index: {}, name: {}, count: header.length };
  for (const [field, keys] of Object.entries(spec.columns) as [DeckField, readonly string[]][]) {
    for (const key of keys) {
      const index = byKey.get(key);
      if (index !== undefined) {
        resolved.index[field] = index;
        resolved.name[field] = (header[index] ?? key).trim();
        break;
      }
    }
  }
  const missing = spec.required.filter((field) => resolved.index[field] === undefined);
  if (missing.length > 0) {
    const wanted = missing.map((field) => spec.columns[field]?.[0] ?? field).join(", ");
    throw new DeckFileError(
      `line 1 (header) is not a ${spec.label} deck header: missing column(s) ${wanted}. Header: ${header.join(",").slice(0, 200)}`,
    );
  }
  return resolved;
}

/** One CSV record as the row reader sees it: how many fields it has and the text of each. */
export interface CsvRecord {
  readonly count: number;
  /** Text of field `index` ("" when the record has no such field). */
  field(index: number): string;
}

class ArrayRecord implements CsvRecord {
  readonly count: number;
  constructor(private readonly fields: readonly string[]) {
    this.count = fields.length;
  }
  field(index: number): string {
    return this.fields[index] ?? "";
  }
}

/** The last line a {@link CsvFieldScanner} scanned, read in place (one instance reused for every line). */
class ScannedRecord implements CsvRecord {
  count = 0;
  private text = "";
  constructor(private readonly scanner: CsvFieldScanner) {}
  set(text: string): void {
    this.text = text;
    this.count = this.scanner.fieldCount;
  }
  field(index: number): string {
    return this.scanner.field(this.text, index);
  }
}

/** A record of nothing but empty or blank cells (spreadsheet residue), which is skipped. */
function isBlankRecord(record: CsvRecord): boolean {
  for (let index = 0; index < record.count; index++) {
    if (record.field(index).trim().length > 0) return false;
  }
  return true;
}

/**
 * A record that the single-line scanner could not read: a quoted field spanning lines, or
 * quoting the scanner refuses. Assembled character by character with the rules of
 * csv-parse under the options the deck reader has always used (`relax_quotes`, `""` as the
 * escaped quote, "\r\n" or "\n" ending records), so such files read exactly as before:
 * - a quote opens a quoted field only as the field's first character; elsewhere it is text;
 * - inside a quoted field, `""` is one quote and line breaks are text;
 * - a closing quote followed by anything but the delimiter or the end of the record ends
 *   the quoting and the field keeps its opening quote and the rest as text.
 */
class QuotedRecord {
  readonly fields: string[] = [];
  /** True when the "record" was only an empty line. */
  empty = false;
  private field = "";
  private quoting = false;
  private wasQuoting = false;
  private escaping = false;
  private linesFed = 0;
  private quoteLine = 0;

  constructor(
    private readonly delimiter: string,
    readonly startLine: number,
  ) {}

  /** Feeds one physical line (without its "\n"); true once the record is complete. */
  feed(line: string, newlineFollows: boolean): boolean {
    const lineNumber = this.startLine + this.linesFed++;
    const text = newlineFollows ? `${line}\n` : line;
    const length = text.length;
    for (let pos = 0; pos < length; pos++) {
      const char = text[pos]!;
      if (this.escaping) {
        this.escaping = false;
        this.field += char;
        continue;
      }
      if (char === '"') {
        if (this.quoting) {
          const next = pos + 1 < length ? text[pos + 1] : undefined;
          if (next === '"') {
            this.escaping = true;
            continue;
          }
          this.quoting = false;
          this.wasQuoting = true;
          if (next === undefined || next === this.delimiter || next === "\n" || (next === "\r" && text[pos + 2] === "\n")) continue;
          // Text after the closing quote: the field is everything as written (relax_quotes).
          this.field = `"${this.field}`;
        } else if (this.field.length === 0) {
          this.quoting = true;
          this.quoteLine = lineNumber;
          continue;
        }
        // Otherwise the quote is text.
      }
      if (!this.quoting) {
        if (char === "\n" || (char === "\r" && text[pos + 1] === "\n")) {
          // Only the end of `text` can be a line break here.
          if (!this.wasQuoting && this.fields.length === 0 && this.field.length === 0) this.empty = true;
          else this.endField();
          return true;
        }
        if (char === this.delimiter) {
          this.endField();
          continue;
        }
      }
      this.field += char;
    }
    return false;
  }

  /** The input ended inside this record. */
  finish(): void {
    if (this.quoting) {
      throw new DeckFileError(`the deck is not readable CSV: Quote Not Closed: the quoted field opened on line ${this.quoteLine} never closes`);
    }
    if (this.wasQuoting || this.fields.length > 0 || this.field.length > 0) this.endField();
    else this.empty = true;
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = "";
    this.wasQuoting = false;
  }
}

/**
 * Splits CSV text into records, each with the 1-based physical line it starts on. Lines
 * are cut at "\n" (a "\r" before it belongs to the line break); a line that the
 * {@link CsvFieldScanner} reads (no quotes, or well-formed quoted fields closing on the
 * line) is a record read in place, without copying its fields. Anything else — a quoted
 * field running over several lines, or stray quoting — goes through {@link QuotedRecord}.
 * Empty lines and records of blank cells are skipped. Text is pushed chunk by chunk, in
 * any sizes; a UTF-8 BOM at the very start is dropped.
 *
 * @internal exported for the tests, which hold it to csv-parse's reading.
 */
export class CsvRecordSplitter {
  private readonly scanner: CsvFieldScanner;
  private readonly scanned: ScannedRecord;
  /** Text after the last "\n" seen, in pieces. */
  private pending: string[] = [];
  /** Number of the next line to complete. */
  private nextLine = 1;
  private quoted: QuotedRecord | null = null;
  private atStart = true;

  constructor(
    private readonly delimiter: string,
    private readonly onRecord: (record: CsvRecord, line: number) => void,
  ) {
    this.scanner = new CsvFieldScanner(delimiter);
    this.scanned = new ScannedRecord(this.scanner);
  }

  push(chunk: string): void {
    let text = chunk;
    if (text.length === 0) return;
    if (this.atStart) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.atStart = false;
    }
    let newline = text.indexOf("\n");
    if (newline === -1) {
      if (text.length > 0) this.pending.push(text);
      return;
    }
    if (this.pending.length > 0) {
      const head = this.pending.join("");
      this.pending = [];
      text = head + text;
      newline += head.length;
    }
    let start = 0;
    while (newline !== -1) {
      this.takeLine(text, start, newline, true);
      start = newline + 1;
      newline = text.indexOf("\n", start);
    }
    if (start < text.length) this.pending.push(text.slice(start));
  }

  /** The input ended: reads the last line (when it has no "\n") and any record still open. */
  end(): void {
    const rest = this.pending.join("");
    this.pending = [];
    if (rest.length > 0) this.takeLine(rest, 0, rest.length, false);
    const quoted = this.quoted;
    if (quoted !== null) {
      this.quoted = null;
      quoted.finish();
      this.emitQuoted(quoted);
    }
  }

  private takeLine(text: string, start: number, end: number, newlineFollows: boolean): void {
    const line = this.nextLine++;
    if (this.quoted !== null) {
      const quoted = this.quoted;
      if (quoted.feed(text.slice(start, end), newlineFollows)) {
        this.quoted = null;
        this.emitQuoted(quoted);
      }
      return;
    }
    // "\r\n" ends a record; a "\r" with no "\n" after it (end of file) is text, as in csv-parse.
    const stop = newlineFollows && end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const lineText = text.slice(start, stop);
    if (this.scanner.scan(lineText)) {
      const record = this.scanned;
      record.set(lineText);
      // Fast check first: the first field of a real row is its prefix.
      if ((record.count > 0 && record.field(0).trim().length > 0) || !isBlankRecord(record)) this.onRecord(record, line);
      return;
    }
    const quoted = new QuotedRecord(this.delimiter, line);
    if (quoted.feed(text.slice(start, end), newlineFollows)) this.emitQuoted(quoted);
    else this.quoted = quoted;
  }

  private emitQuoted(quoted: QuotedRecord): void {
    if (quoted.empty) return;
    const record = new ArrayRecord(quoted.fields);
    if (!isBlankRecord(record)) this.onRecord(record, quoted.startLine);
  }
}

type RowReader = (record: CsvRecord) => Rate | string;

/** Text of a column, trimmed; null when the format's header has no such column. */
function columnText(record: CsvRecord, index: number): string | null {
  return index < 0 ? null : record.field(index).trim();
}

function createRowReader(spec: FormatSpec, columns: ResolvedColumns, options: ReadDeckOptions): RowReader {
  const parseDate = createTimestampParser({ timeZone: options.timeZone ?? "UTC", allowDateOnly: true });
  const defaultFrom = options.defaultEffectiveFrom ?? DEFAULT_EFFECTIVE_FROM;
  const at = (field: DeckField): number => columns.index[field] ?? -1;
  const name = (field: DeckField): string => columns.name[field] ?? field;
  const required = (field: DeckField): boolean => spec.required.includes(field);

  const prefixColumn = { index: at("prefix"), name: name("prefix") };
  const descriptionIndex = at("description");
  const categoryColumn = { index: at("category"), name: name("category") };
  const moneyColumn = (field: DeckField) => ({ index: at(field), name: name(field), required: required(field) });
  const ratePerMinuteColumn = moneyColumn("ratePerMinute");
  const connectFeeColumn = moneyColumn("connectFee");
  const disconnectFeeColumn = moneyColumn("disconnectFee");
  const secondsColumn = (field: DeckField, min: number, fallback: number) => ({ index: at(field), name: name(field), required: required(field), min, fallback });
  const initialIncrementColumn = secondsColumn("initialIncrement", 0, 0);
  const incrementColumn = secondsColumn("increment", 1, 1);
  const graceColumn = secondsColumn("graceSeconds", 0, 0);
  const effectiveFromColumn = { index: at("effectiveFrom"), name: name("effectiveFrom") };
  const effectiveToColumn = { index: at("effectiveTo"), name: name("effectiveTo") };
  const statusColumn = { index: at("status"), name: name("status") };

  const money = (record: CsvRecord, column: { index: number; name: string; required: boolean }, errors: string[]): bigint => {
    const text = columnText(record, column.index);
    if (text === null || text.length === 0) {
      if (column.required) errors.push(`${column.name}: amount is empty`);
      return 0n;
    }
    const parsed = tryParseMoneyToMicros(text, { field: column.name });
    if (parsed.ok) return parsed.micros;
    errors.push(parsed.error);
    return 0n;
  };
  const seconds = (record: CsvRecord, column: { index: number; name: string; required: boolean; min: number; fallback: number }, errors: string[]): number => {
    const text = columnText(record, column.index);
    if (text === null || text.length === 0) {
      if (column.required) errors.push(`${column.name}: is empty`);
      return column.fallback;
    }
    const parsed = parseWholeNumber(text, column.name, column.min, MAX_SECONDS_FIELD);
    if (typeof parsed === "string") {
      errors.push(parsed);
      return column.fallback;
    }
    return parsed;
  };
  // A deck's rows mostly share their dates: the last text of each column and its value are kept.
  let lastDateText = "";
  let lastDateMs = Number.NaN;
  const date = (record: CsvRecord, column: { index: number; name: string }, errors: string[]): Date | null => {
    const text = columnText(record, column.index);
    if (text === null || text.length === 0) return null;
    let ms: number;
    if (text === lastDateText) ms = lastDateMs;
    else {
      ms = parseDate(text);
      lastDateText = text;
      lastDateMs = ms;
    }
    if (Number.isNaN(ms)) {
      errors.push(`${column.name}: ${JSON.stringify(text)} is not an ISO date or date-time`);
      return null;
    }
    return new Date(ms);
  };

  return (record: CsvRecord): Rate | string => {
    if (record.count !== columns.count) {
      return `expected ${columns.count} columns as in the header, found ${record.count}`;
    }
    const errors: string[] = [];

    const prefix = parsePrefix(columnText(record, prefixColumn.index) ?? "", prefixColumn.name);
    if (typeof prefix !== "string") errors.push(prefix.error);
    const description = columnText(record, descriptionIndex) ?? "";

    let category: RateCategory = "OTHER";
    const categoryText = columnText(record, categoryColumn.index);
    if (categoryText) {
      const parsed = parseCategory(categoryText, categoryColumn.name);
      if (typeof parsed === "string") category = parsed;
      else errors.push(parsed.error);
    } else {
      category = inferCategory(description);
    }

    const ratePerMinuteMicros = money(record, ratePerMinuteColumn, errors);
    const connectFeeMicros = money(record, connectFeeColumn, errors);
    const disconnectFeeMicros = money(record, disconnectFeeColumn, errors);
    if (disconnectFeeMicros !== 0n) {
      errors.push(
        `${disconnectFeeColumn.name}: ${formatMicros(disconnectFeeMicros)} is not supported (Trunkline has no disconnect fee); add it to the connect fee or set it to 0`,
      );
    }

    const initialIncrement = seconds(record, initialIncrementColumn, errors);
    const increment = seconds(record, incrementColumn, errors);
    const graceSeconds = seconds(record, graceColumn, errors);

    const effectiveFrom = date(record, effectiveFromColumn, errors) ?? new Date(defaultFrom.getTime());
    const effectiveTo = date(record, effectiveToColumn, errors);
    if (effectiveTo !== null && effectiveTo.getTime() <= effectiveFrom.getTime()) {
      errors.push(`${effectiveToColumn.name}: ${effectiveTo.toISOString()} is not after effective_from ${effectiveFrom.toISOString()}`);
    }

    // ASTPP exports print "Active"/"Inactive"; its database stores 0 for active, so bare
    // numbers are ambiguous and refused rather than guessed.
    const status = columnText(record, statusColumn.index);
    if (status && !/^active$/i.test(status)) {
      errors.push(`${statusColumn.name}: ${JSON.stringify(status)}: only Active rates can be imported; remove the row or set it to Active`);
    }

    if (errors.length > 0 || typeof prefix !== "string") return errors.join("; ");
    return {
      prefix,
      description,
      category,
      ratePerMinuteMicros,
      connectFeeMicros,
      initialIncrement,
      increment,
      graceSeconds,
      effectiveFrom,
      effectiveTo,
    };
  };
}

/** Longest first line looked at to choose the delimiter. */
const MAX_HEADER_PEEK = 1_000_000;

/**
 * Reads a deck CSV in batches: the rows of each input chunk, in file order, as
 * {@link readDeckCsv} yields them one by one. Faster for bulk consumers (one await per
 * chunk rather than per row); the input is released when the caller stops early.
 */
export async function* readDeckBatches(input: AsyncIterable<Uint8Array | string>, options: ReadDeckOptions): AsyncGenerator<DeckRow[]> {
  const spec = FORMAT_SPECS[options.format];
  // Validates the zone before any reading.
  createTimestampParser({ timeZone: options.timeZone ?? "UTC" });

  let readRow: RowReader | null = null;
  let batch: DeckRow[] = [];
  const onRecord = (record: CsvRecord, line: number): void => {
    if (readRow === null) {
      const header: string[] = [];
      for (let index = 0; index < record.count; index++) header.push(record.field(index));
      readRow = createRowReader(spec, resolveColumns(header, spec), options);
      return;
    }
    const result = readRow(record);
    batch.push(typeof result === "string" ? { line, error: result } : { line, rate: result });
  };

  const decoder = new TextDecoder("utf-8");
  let splitter: CsvRecordSplitter | null = null;
  // Text read before the first line is complete; its first line chooses the delimiter.
  let head = "";
  const start = (text: string): CsvRecordSplitter => {
    const newline = text.indexOf("\n");
    const firstLine = (newline === -1 ? text : text.slice(0, newline)).replace(/^\uFEFF/, "").replace(/\r$/, "");
    if (firstLine.trim().length === 0) throw new DeckFileError("the deck is empty or its first line is blank; line 1 must be the header");
    const created = new CsvRecordSplitter(detectDelimiter(firstLine), onRecord);
    created.push(text);
    return created;
  };

  for await (const chunk of input as AsyncIterable<unknown>) {
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
      throw new DeckFileError("deck input must be a stream of bytes or text");
    }
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    if (splitter === null) {
      head += text;
      if (!head.includes("\n") && head.length <= MAX_HEADER_PEEK) continue;
      splitter = start(head);
      head = "";
    } else {
      splitter.push(text);
    }
    if (batch.length > 0) {
      const rows = batch;
      batch = [];
      yield rows;
    }
  }
  const rest = decoder.decode();
  if (splitter === null) splitter = start(head + rest);
  else splitter.push(rest);
  splitter.end();
  if (batch.length > 0) yield batch;
  if (readRow === null) throw new DeckFileError("the deck has no header line");
}

/**
 * Reads a deck CSV row by row. Yields `{ line, rate }` or `{ line, error }` (1-based file
 * line, the header being line 1; a quoted field spanning lines reports its first line).
 * Blank rows and rows of empty cells are skipped. Throws {@link DeckFileError} when the
 * file cannot be a deck at all: empty, header without the required columns, or quoting
 * that never closes.
 */
export async function* readDeckCsv(input: AsyncIterable<Uint8Array | string>, options: ReadDeckOptions): AsyncGenerator<DeckRow> {
  for await (const rows of readDeckBatches(input, options)) yield* rows;
}

export interface DeckReadResult {
  /** Rates in file order, each with the line it came from. */
  rates: { line: number; rate: Rate }[];
  errors: { line: number; error: string }[];
}

/** Reads a whole deck into memory, separating good rows from errors. */
export async function readDeck(input: AsyncIterable<Uint8Array | string>, options: ReadDeckOptions): Promise<DeckReadResult> {
  const result: DeckReadResult = { rates: [], errors: [] };
  for await (const row of readDeckCsv(input, options)) {
    if ("rate" in row) result.rates.push(row);
    else result.errors.push(row);
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Native export
// ---------------------------------------------------------------------------------------

/** One native-format CSV row (without line terminator). */
export function formatNativeDeckRow(rate: Rate): string {
  return [
    rate.prefix,
    quoteCsvField(rate.description),
    rate.category,
    formatMicros(rate.ratePerMinuteMicros, { minFractionDigits: 4 }),
    formatMicros(rate.connectFeeMicros, { minFractionDigits: 4 }),
    String(rate.initialIncrement),
    String(rate.increment),
    String(rate.graceSeconds),
    formatUtcInstant(rate.effectiveFrom),
    rate.effectiveTo === null ? "" : formatUtcInstant(rate.effectiveTo),
  ].join(",");
}

/**
 * Streams any deck as native CSV: the header line, then one line per rate, each ending in
 * "\n". Reading the output with `format: "native"` gives back the same rates.
 */
export async function* writeDeckCsv(rates: Iterable<Rate> | AsyncIterable<Rate>): AsyncGenerator<string> {
  yield `${NATIVE_DECK_COLUMNS.join(",")}\n`;
  for await (const rate of rates) yield `${formatNativeDeckRow(rate)}\n`;
}
