/**
 * Money as integers: every amount in Trunkline is a `bigint` count of micro-units
 * (1/1,000,000 of the currency unit), so `$0.0123` is `12300n`.
 *
 * Parsing works on the decimal text itself and never goes through a JavaScript number:
 * `parseFloat("0.1") * 1e6` is `100000.00000000001`, and a deck of 300,000 rates is
 * exactly where such an error would surface as a one-micro-unit overcharge.
 */

export const MICROS_PER_UNIT = 1_000_000n;

/** Decimal places a micro-unit amount can hold; more significant digits cannot be stored. */
export const MICRO_DECIMALS = 6;

/** Largest amount a PostgreSQL BIGINT column holds (about 9.2 trillion currency units). */
export const MAX_MICROS = 2n ** 63n - 1n;

export class MoneyParseError extends Error {
  override name = "MoneyParseError";
}

export interface ParseMoneyOptions {
  /** Named in the error message, e.g. "rate_per_minute". */
  field?: string;
  /** Negative amounts are refused unless allowed (rates and fees are never negative). */
  allowNegative?: boolean;
}

export type MoneyParseResult = { ok: true; micros: bigint } | { ok: false; error: string };

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_DOT = 46;
const CHAR_MINUS = 45;
const CHAR_PLUS = 43;

function describe(text: string, field: string | undefined): string {
  const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  return field ? `${field}: ${shown}` : shown;
}

/**
 * Parses a plain decimal string ("0.0123", "1", ".5", "-0.01", "12.")
 * into micro-units without floating point. Surrounding whitespace is ignored.
 * Refused: empty text, exponents ("1e-3"), thousands separators or decimal commas
 * ("1,5"), currency symbols, and more than 6 decimals unless the extra ones are zeros
 * ("1.2345670" is fine, "1.2345678" is not, because it cannot be stored exactly).
 */
export function tryParseMoneyToMicros(text: string, options: ParseMoneyOptions = {}): MoneyParseResult {
  const { field, allowNegative = false } = options;
  const trimmed = text.trim();
  if (trimmed.length === 0) {
    return { ok: false, error: `${field ? `${field}: ` : ""}amount is empty` };
  }

  let index = 0;
  let negative = false;
  const first = trimmed.charCodeAt(0);
  if (first === CHAR_MINUS || first === CHAR_PLUS) {
    negative = first === CHAR_MINUS;
    index = 1;
  }

  let whole = 0n;
  let wholeDigits = 0;
  // Accumulate small chunks as numbers and fold them into the bigint, which keeps the
  // common short amounts cheap while staying exact for long ones.
  let chunk = 0;
  let chunkDigits = 0;
  for (; index < trimmed.length; index++) {
    const code = trimmed.charCodeAt(index);
    if (code < CHAR_0 || code > CHAR_9) break;
    chunk = chunk * 10 + (code - CHAR_0);
    chunkDigits++;
    wholeDigits++;
    if (chunkDigits === 15) {
      whole = whole * 10n ** 15n + BigInt(chunk);
      chunk = 0;
      chunkDigits = 0;
    }
  }
  if (chunkDigits > 0) whole = whole * 10n ** BigInt(chunkDigits) + BigInt(chunk);

  let fraction = 0;
  let fractionDigits = 0;
  let sawDot = false;
  if (index < trimmed.length && trimmed.charCodeAt(index) === CHAR_DOT) {
    sawDot = true;
    index++;
    for (; index < trimmed.length; index++) {
      const code = trimmed.charCodeAt(index);
      if (code < CHAR_0 || code > CHAR_9) break;
      if (fractionDigits < MICRO_DECIMALS) {
        fraction = fraction * 10 + (code - CHAR_0);
      } else if (code !== CHAR_0) {
        return {
          ok: false,
          error: `${describe(text, field)} has more than ${MICRO_DECIMALS} decimals; amounts are stored in micro-units (0.000001)`,
        };
      }
      fractionDigits++;
    }
  }

  if (index !== trimmed.length) {
    const offending = trimmed[index] ?? "";
    const hint =
      offending === ","
        ? ' (use "." as the decimal separator and no thousands separators)'
        : offending === "e" || offending === "E"
          ? " (exponent notation is not accepted)"
          : "";
    return {
      ok: false,
      error: `${describe(text, field)} is not a decimal amount: unexpected ${JSON.stringify(offending)}${hint}`,
    };
  }
  if (wholeDigits === 0 && fractionDigits === 0) {
    return { ok: false, error: `${describe(text, field)} is not a decimal amount: no digits${sawDot ? " around the dot" : ""}` };
  }

  for (let pad = Math.min(fractionDigits, MICRO_DECIMALS); pad < MICRO_DECIMALS; pad++) fraction *= 10;
  const magnitude = whole * MICROS_PER_UNIT + BigInt(fraction);
  if (magnitude > MAX_MICROS) {
    return { ok: false, error: `${describe(text, field)} is too large to store` };
  }
  if (negative && magnitude !== 0n && !allowNegative) {
    return { ok: false, error: `${describe(text, field)} must not be negative` };
  }
  return { ok: true, micros: negative ? -magnitude : magnitude };
}

/** Like {@link tryParseMoneyToMicros} but throws a {@link MoneyParseError} naming what was wrong. */
export function parseMoneyToMicros(text: string, options: ParseMoneyOptions = {}): bigint {
  const result = tryParseMoneyToMicros(text, options);
  if (!result.ok) throw new MoneyParseError(result.error);
  return result.micros;
}

export interface FormatMicrosOptions {
  /** Keep at least this many decimals ("1.00" with 2); trailing zeros beyond it are dropped. Default 0. */
  minFractionDigits?: number;
}

/**
 * Formats micro-units as an exact decimal string: 12300n → "0.0123", 1000000n → "1",
 * -10000n → "-0.01". The output parses back to the same value with {@link parseMoneyToMicros}.
 */
export function formatMicros(micros: bigint, options: FormatMicrosOptions = {}): string {
  const minFractionDigits = Math.min(Math.max(options.minFractionDigits ?? 0, 0), MICRO_DECIMALS);
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const whole = magnitude / MICROS_PER_UNIT;
  let fraction = (magnitude % MICROS_PER_UNIT).toString().padStart(MICRO_DECIMALS, "0");
  let end = fraction.length;
  while (end > minFractionDigits && fraction.charCodeAt(end - 1) === CHAR_0) end--;
  fraction = fraction.slice(0, end);
  const body = fraction.length > 0 ? `${whole}.${fraction}` : whole.toString();
  return negative ? `-${body}` : body;
}

/** "12.50 USD": an amount for people to read (mail, errors, statements), at least to the cent. */
export function formatAmount(micros: bigint, currency: string): string {
  return `${formatMicros(micros, { minFractionDigits: 2 })} ${currency}`;
}

/** Whole currency units to micro-units: `microsFromUnits(5)` → 5000000n. Integers only. */
export function microsFromUnits(units: number | bigint): bigint {
  if (typeof units === "number" && !Number.isSafeInteger(units)) {
    throw new RangeError(`microsFromUnits takes a whole number of units, got ${units}; parse decimals with parseMoneyToMicros`);
  }
  return BigInt(units) * MICROS_PER_UNIT;
}

/** Integer division rounding towards +infinity, for a positive divisor. */
export function ceilDiv(dividend: bigint, divisor: bigint): bigint {
  if (divisor <= 0n) throw new RangeError(`ceilDiv needs a positive divisor, got ${divisor}`);
  const quotient = dividend / divisor;
  // bigint division truncates towards zero, so only positive remainders need bumping.
  return dividend % divisor > 0n ? quotient + 1n : quotient;
}

export function sumMicros(amounts: Iterable<bigint>): bigint {
  let total = 0n;
  for (const amount of amounts) total += amount;
  return total;
}

/**
 * An exact running sum of micro-amounts that allocates no BigInt per addition: amounts add up
 * in a double while the total stays a safe integer (2^53 micros is $9 billion), and move into
 * a BigInt only when it would not. For hot loops (a CDR batch's totals): a BigInt per call
 * is garbage that makes V8 grow its young generation.
 */
export class MicrosSum {
  private small = 0;
  private large = 0n;

  add(amount: bigint): void {
    const value = Number(amount);
    if (!Number.isSafeInteger(value)) {
      this.large += amount;
      return;
    }
    if (!Number.isSafeInteger(this.small + value)) {
      this.large += BigInt(this.small);
      this.small = 0;
    }
    this.small += value;
  }

  get total(): bigint {
    return this.large + BigInt(this.small);
  }
}
