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
 * The native format is what {@link writeDeckCsv} produces, and reading it back gives the
 * same rates (amounts, increments and instants are written exactly).
 */

import { Readable } from "node:stream";
import { CsvError, parse } from "csv-parse";

import { detectDelimiter, quoteCsvField } from "./csv-text";
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
  const match = /^(\d{1,9})(?:\.0*)?$/.exec(text);
  if (!match) return `${column}: ${JSON.stringify(text)} is not a whole number of seconds`;
  const value = Number(match[1]);
  if (value < min || value > max) return `${column}: ${value} is out of range (${min} to ${max})`;
  return value;
}

function parsePrefix(text: string, column: string): string | { error: string } {
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

function parseCategory(text: string, column: string): RateCategory | { error: string } {
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

function createRowReader(spec: FormatSpec, columns: ResolvedColumns, options: ReadDeckOptions): (record: string[]) => Rate | string {
  const parseDate = createTimestampParser({ timeZone: options.timeZone ?? "UTC", allowDateOnly: true });
  const defaultFrom = options.defaultEffectiveFrom ?? DEFAULT_EFFECTIVE_FROM;
  const value = (record: string[], field: DeckField): string | null => {
    const index = columns.index[field];
    return index === undefined ? null : (record[index] ?? "").trim();
  };
  const name = (field: DeckField): string => columns.name[field] ?? field;

  return (record: string[]): Rate | string => {
    const errors: string[] = [];
    if (record.length !== columns.count) {
      return `expected ${columns.count} columns as in the header, found ${record.length}`;
    }

    const prefix = parsePrefix(value(record, "prefix") ?? "", name("prefix"));
    if (typeof prefix !== "string") errors.push(prefix.error);
    const description = value(record, "description") ?? "";

    let category: RateCategory = "OTHER";
    const categoryText = value(record, "category");
    if (categoryText) {
      const parsed = parseCategory(categoryText, name("category"));
      if (typeof parsed === "string") category = parsed;
      else errors.push(parsed.error);
    } else {
      category = inferCategory(description);
    }

    const money = (field: DeckField): bigint => {
      const text = value(record, field);
      if (text === null || text.length === 0) {
        if (spec.required.includes(field)) errors.push(`${name(field)}: amount is empty`);
        return 0n;
      }
      const parsed = tryParseMoneyToMicros(text, { field: name(field) });
      if (parsed.ok) return parsed.micros;
      errors.push(parsed.error);
      return 0n;
    };
    const ratePerMinuteMicros = money("ratePerMinute");
    const connectFeeMicros = money("connectFee");
    const disconnectFeeMicros = money("disconnectFee");
    if (disconnectFeeMicros !== 0n) {
      errors.push(
        `${name("disconnectFee")}: ${formatMicros(disconnectFeeMicros)} is not supported (Trunkline has no disconnect fee); add it to the connect fee or set it to 0`,
      );
    }

    const seconds = (field: DeckField, min: number, fallback: number): number => {
      const text = value(record, field);
      if (text === null || text.length === 0) {
        if (spec.required.includes(field)) errors.push(`${name(field)}: is empty`);
        return fallback;
      }
      const parsed = parseWholeNumber(text, name(field), min, MAX_SECONDS_FIELD);
      if (typeof parsed === "string") {
        errors.push(parsed);
        return fallback;
      }
      return parsed;
    };
    const initialIncrement = seconds("initialIncrement", 0, 0);
    const increment = seconds("increment", 1, 1);
    const graceSeconds = seconds("graceSeconds", 0, 0);

    const date = (field: DeckField): Date | null => {
      const text = value(record, field);
      if (text === null || text.length === 0) return null;
      const ms = parseDate(text);
      if (Number.isNaN(ms)) {
        errors.push(`${name(field)}: ${JSON.stringify(text)} is not an ISO date or date-time`);
        return null;
      }
      return new Date(ms);
    };
    const effectiveFrom = date("effectiveFrom") ?? defaultFrom;
    const effectiveTo = date("effectiveTo");
    if (effectiveTo !== null && effectiveTo.getTime() <= effectiveFrom.getTime()) {
      errors.push(`${name("effectiveTo")}: ${effectiveTo.toISOString()} is not after effective_from ${effectiveFrom.toISOString()}`);
    }

    // ASTPP exports print "Active"/"Inactive"; its database stores 0 for active, so bare
    // numbers are ambiguous and refused rather than guessed.
    const status = value(record, "status");
    if (status && !/^active$/i.test(status)) {
      errors.push(`${name("status")}: ${JSON.stringify(status)}: only Active rates can be imported; remove the row or set it to Active`);
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

/**
 * Physical line numbers of records. csv-parse's own `info.lines` counts a CRLF inside a
 * quoted field as two lines (and the error then carries over to every later row), so
 * lines are counted here from the bytes: every "\n" offset seen in the input is recorded,
 * and a record ending at byte offset E (csv-parse's `info.bytes`, just past its line
 * terminator) ends on the line holding byte E − 1.
 */
class LineTracker {
  private readonly newlineOffsets: number[] = [];
  private head = 0;
  /** Newlines already dropped from the front of `newlineOffsets`. */
  private dropped = 0;
  private bytesSeen = 0;

  observe(chunk: Uint8Array): void {
    for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) {
      this.newlineOffsets.push(this.bytesSeen + index);
    }
    this.bytesSeen += chunk.length;
  }

  /** 1-based line of the first byte of a record that ends at `endOffset` and contains `innerNewlines` line breaks. */
  startLine(endOffset: number, innerNewlines: number): number {
    const offsets = this.newlineOffsets;
    while (this.head < offsets.length && offsets[this.head]! < endOffset) this.head++;
    const terminated = this.head > 0 && offsets[this.head - 1] === endOffset - 1;
    const endLine = 1 + this.dropped + this.head - (terminated ? 1 : 0);
    if (this.head > 65_536) {
      // Records arrive in order, so offsets behind the head are never needed again; the one
      // just behind it is kept for the `terminated` check of the next record.
      const drop = this.head - 1;
      offsets.splice(0, drop);
      this.dropped += drop;
      this.head = 1;
    }
    return endLine - innerNewlines;
  }
}

/** Reads the first line's bytes (to choose the delimiter) and replays everything. */
async function peekFirstLine(
  input: AsyncIterable<Uint8Array | string>,
): Promise<{ firstLine: string; replay: AsyncIterable<Uint8Array | string> }> {
  const iterator = input[Symbol.asyncIterator]();
  const buffered: (Uint8Array | string)[] = [];
  let bufferedBytes = 0;
  let text = "";
  const decoder = new TextDecoder("utf-8");
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk: unknown = next.value;
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
      throw new DeckFileError("deck input must be a stream of bytes or text");
    }
    buffered.push(chunk);
    text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    bufferedBytes += chunk.length;
    if (text.includes("\n") || bufferedBytes > 1_000_000) break;
  }
  const newline = text.indexOf("\n");
  const firstLine = (newline === -1 ? text : text.slice(0, newline)).replace(/^\uFEFF/, "").replace(/\r$/, "");
  async function* replay(): AsyncGenerator<Uint8Array | string> {
    try {
      yield* buffered;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Closes the underlying stream when reading stops early.
      await iterator.return?.();
    }
  }
  return { firstLine, replay: replay() };
}

/**
 * Reads a deck CSV row by row. Yields `{ line, rate }` or `{ line, error }` (1-based file
 * line, the header being line 1; a quoted field spanning lines reports its first line).
 * Blank rows and rows of empty cells are skipped. Throws {@link DeckFileError} when the
 * file cannot be a deck at all: empty, header without the required columns, or quoting
 * that never closes.
 */
export async function* readDeckCsv(input: AsyncIterable<Uint8Array | string>, options: ReadDeckOptions): AsyncGenerator<DeckRow> {
  const spec = FORMAT_SPECS[options.format];
  // Validates the zone before any reading.
  createTimestampParser({ timeZone: options.timeZone ?? "UTC" });
  const { firstLine, replay } = await peekFirstLine(input);
  if (firstLine.trim().length === 0) throw new DeckFileError("the deck is empty or its first line is blank; line 1 must be the header");

  const lines = new LineTracker();
  async function* observed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of replay) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      lines.observe(bytes);
      yield bytes;
    }
  }
  const source = Readable.from(observed());
  const parser = source.pipe(
    parse({
      bom: true,
      delimiter: detectDelimiter(firstLine),
      record_delimiter: ["\r\n", "\n"],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      info: true,
    }),
  );

  // pipe() does not forward errors; a failing read must end the iteration, not hang it.
  source.on("error", (error) => parser.destroy(error));

  let readRow: ((record: string[]) => Rate | string) | null = null;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      let innerNewlines = 0;
      for (const field of item.record) {
        for (let index = field.indexOf("\n"); index !== -1; index = field.indexOf("\n", index + 1)) innerNewlines++;
      }
      const line = lines.startLine(item.info.bytes, innerNewlines);
      if (readRow === null) {
        readRow = createRowReader(spec, resolveColumns(item.record, spec), options);
        continue;
      }
      const result = readRow(item.record);
      yield typeof result === "string" ? { line, error: result } : { line, rate: result };
    }
  } catch (error) {
    if (error instanceof CsvError) throw new DeckFileError(`the deck is not readable CSV: ${error.message}`);
    throw error;
  } finally {
    // Also when the caller stops early: release the input (e.g. close the file).
    source.destroy();
  }
  if (readRow === null) throw new DeckFileError("the deck has no header line");
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
