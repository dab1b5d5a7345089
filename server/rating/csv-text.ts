/**
 * Line-level CSV helpers for the rating hot paths.
 *
 * CDR files are read line by line rather than through csv-parse for two reasons:
 * - every physical line must become exactly one CDR record (rejected if malformed), while
 *   a general CSV parser lets one stray quote swallow the following lines into one field,
 *   silently merging calls;
 * - csv-parse with line info reads ~70–85k Asterisk lines/s on one core, far below what
 *   bulk rating needs; splitting on "\n" and scanning fields with indexOf, slicing only the
 *   fields a format uses, yields ~550k complete CDR records/s (npm run bench:rating).
 */
import { isAscii } from "node:buffer";

export type SplitResult = { ok: true; fields: string[] } | { ok: false; error: string };

const QUOTE = 34;

/**
 * Scans CSV lines (RFC 4180 quoting, `""` for a quote inside a quoted field) into field
 * boundaries without creating a string per field; callers slice only the fields they use.
 * A quoted field must close on the same line and be followed by the delimiter or the end
 * of the line; quotes inside an unquoted field are kept as text. One scanner is reused for
 * every line of a file (its state describes the last line scanned).
 */
export class CsvFieldScanner {
  /** Field i spans [bounds[2i], |bounds[2i + 1]|); a negative end marks doubled quotes to unescape. */
  private bounds = new Int32Array(64);
  private readonly delimiterCode: number;
  fieldCount = 0;
  /** Why the last {@link scan} failed. */
  error = "";

  constructor(private readonly delimiter: string) {
    if (delimiter.length !== 1) throw new RangeError(`CSV delimiter must be one character, got ${JSON.stringify(delimiter)}`);
    this.delimiterCode = delimiter.charCodeAt(0);
  }

  private push(start: number, end: number): void {
    if (this.fieldCount * 2 + 2 > this.bounds.length) {
      const grown = new Int32Array(this.bounds.length * 2);
      grown.set(this.bounds);
      this.bounds = grown;
    }
    this.bounds[this.fieldCount * 2] = start;
    this.bounds[this.fieldCount * 2 + 1] = end;
    this.fieldCount++;
  }

  /** Scans `line`; false, with {@link error} set, when its quoting is broken. */
  scan(line: string): boolean {
    const length = line.length;
    this.fieldCount = 0;
    let position = 0;
    for (;;) {
      if (line.charCodeAt(position) === QUOTE) {
        const start = position + 1;
        let search = start;
        let escaped = false;
        let closing: number;
        for (;;) {
          closing = line.indexOf('"', search);
          if (closing === -1) {
            this.error = `unterminated quoted field starting at column ${this.fieldCount + 1}`;
            return false;
          }
          if (line.charCodeAt(closing + 1) !== QUOTE) break;
          escaped = true;
          search = closing + 2;
        }
        this.push(start, escaped ? -closing - 1 : closing);
        position = closing + 1;
        if (position === length) return true;
        if (line.charCodeAt(position) !== this.delimiterCode) {
          this.error = `unexpected text after the closing quote of column ${this.fieldCount}`;
          return false;
        }
        position++;
      } else {
        const next = line.indexOf(this.delimiter, position);
        if (next === -1) {
          this.push(position, length);
          return true;
        }
        this.push(position, next);
        position = next + 1;
      }
      if (position === length) {
        // A trailing delimiter means one more, empty, field.
        this.push(length, length);
        return true;
      }
    }
  }

  /** Text of field `index` of the last line scanned ("" when the line has no such field). */
  field(line: string, index: number): string {
    if (index < 0 || index >= this.fieldCount) return "";
    const start = this.bounds[index * 2]!;
    const end = this.bounds[index * 2 + 1]!;
    return end >= 0 ? line.slice(start, end) : line.slice(start, -end - 1).replaceAll('""', '"');
  }
}

/** Splits one CSV line into its fields; see {@link CsvFieldScanner} for the rules. */
export function splitCsvLine(line: string, delimiter: string): SplitResult {
  const scanner = new CsvFieldScanner(delimiter);
  if (!scanner.scan(line)) return { ok: false, error: scanner.error };
  const fields: string[] = [];
  for (let index = 0; index < scanner.fieldCount; index++) fields.push(scanner.field(line, index));
  return { ok: true, fields };
}

const NEEDS_QUOTING = /[",\r\n]|^\s|\s$/;

/** Quotes a field for comma-separated output when it needs it (RFC 4180). */
export function quoteCsvField(value: string): string {
  return NEEDS_QUOTING.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export const CANDIDATE_DELIMITERS = [",", ";", "\t"] as const;
export type CsvDelimiter = (typeof CANDIDATE_DELIMITERS)[number];

/** The delimiter used by a header line: the most frequent of comma, semicolon and tab outside quotes (comma on ties). */
export function detectDelimiter(headerLine: string): CsvDelimiter {
  const counts = new Map<string, number>();
  let inQuotes = false;
  for (const character of headerLine) {
    if (character === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (character === "," || character === ";" || character === "\t")) {
      counts.set(character, (counts.get(character) ?? 0) + 1);
    }
  }
  let best: CsvDelimiter = ",";
  let bestCount = counts.get(",") ?? 0;
  for (const candidate of CANDIDATE_DELIMITERS) {
    const count = counts.get(candidate) ?? 0;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Physical lines of a byte or text stream, in batches (one per input chunk) to keep the
 * per-line cost low. Handles LF and CRLF, a UTF-8 BOM, multi-byte characters split across
 * chunks, and a last line without a newline. Invalid UTF-8 becomes U+FFFD, never an error.
 */
export async function* readLineBatches(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<string[]> {
  // The BOM is removed below, and only at the start of the file: the decoder would drop one at
  // its own first call, which is mid-file when earlier chunks took the ASCII path.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  // Whether the decoder may hold the first bytes of a character split across chunks.
  let decoderMidCharacter = false;
  let carry = "";
  let atStart = true;
  for await (const chunk of input) {
    // An empty chunk would reset decoderMidCharacter while the decoder still holds a lead byte.
    if (chunk.length === 0) continue;
    let text: string;
    if (typeof chunk === "string") text = chunk;
    else if (!decoderMidCharacter && isAscii(chunk)) {
      // CDR files are nearly always ASCII: checked and copied as Latin-1 several times faster
      // than a UTF-8 decode (a 190 MB file: ~30 ms against ~190 ms), and the same text.
      text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    } else {
      text = decoder.decode(chunk, { stream: true });
      decoderMidCharacter = chunk.byteLength > 0 && chunk[chunk.byteLength - 1]! >= 0x80;
    }
    if (text.length === 0) continue;
    if (atStart) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      atStart = false;
    }
    const pieces = (carry + text).split("\n");
    carry = pieces.pop() ?? "";
    if (pieces.length === 0) continue;
    for (let index = 0; index < pieces.length; index++) {
      const piece = pieces[index]!;
      if (piece.charCodeAt(piece.length - 1) === 13) pieces[index] = piece.slice(0, -1);
    }
    yield pieces;
  }
  carry += decoder.decode();
  if (carry.length > 0) yield [carry.charCodeAt(carry.length - 1) === 13 ? carry.slice(0, -1) : carry];
}
