/**
 * Formatting of money held as integer micro-units (1/1,000,000 of the currency unit).
 *
 * Everything here is bigint arithmetic on purpose: balances can exceed 2^53 micro-units
 * (≈ 9 billion units) and a float would silently lose cents. Intl is used only to look up
 * the currency symbol, never to format the amount itself.
 */

export const MICROS_PER_UNIT = 1_000_000n;
/** The number of decimal places carried by a micro-unit amount. */
export const MICRO_DIGITS = 6;

export type TCurrencyDisplay = "symbol" | "code" | "none";

export type TFormatMicrosOptions = {
  /**
   * Decimal places to show, 0–6. Defaults to the currency's standard minor digits
   * (2 for USD/EUR/GBP, 0 for JPY, 3 for BHD); use 4–6 for per-minute rates.
   * Extra digits are rounded half away from zero.
   */
  precision?: number;
  /**
   * Trailing zeros beyond this many decimals are trimmed (default: `precision`, i.e. no
   * trimming). `{ precision: 6, minPrecision: 2 }` shows 12_300n as "$0.0123".
   */
  minPrecision?: number;
  /** "symbol" (default, e.g. "$", "€", "CA$"), "code" ("USD 1.00") or "none" ("1.00"). */
  currencyDisplay?: TCurrencyDisplay;
  /** Group thousands with commas (default true). */
  grouping?: boolean;
  /** Prefix positive amounts with "+" (default false). Zero never carries a sign. */
  signPositive?: boolean;
};

function assertDigits(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MICRO_DIGITS) {
    throw new RangeError(`${name} must be an integer between 0 and ${MICRO_DIGITS}, got ${value}`);
  }
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

type TCurrencyInfo = { symbol: string; digits: number };
const currencyCache = new Map<string, TCurrencyInfo>();

function currencyInfo(currency: string): TCurrencyInfo {
  const code = currency.toUpperCase();
  const cached = currencyCache.get(code);
  if (cached) return cached;
  let info: TCurrencyInfo = { symbol: code, digits: 2 };
  try {
    // A fixed locale keeps server and client output identical (no hydration mismatch).
    const nf = new Intl.NumberFormat("en-US", { style: "currency", currency: code });
    const symbol = nf.formatToParts(0).find((part) => part.type === "currency")?.value ?? code;
    const digits = nf.resolvedOptions().maximumFractionDigits ?? 2;
    info = { symbol, digits: Math.min(Math.max(digits, 0), MICRO_DIGITS) };
  } catch {
    // Not an ISO 4217 code Intl knows: show the code as given with 2 decimals.
  }
  currencyCache.set(code, info);
  return info;
}

/** The standard number of decimals for a currency (2 for USD, 0 for JPY, 3 for BHD). */
export function currencyDigits(currency: string): number {
  return currencyInfo(currency).digits;
}

/**
 * Rounds a micro-unit amount to `precision` decimals, half away from zero, and returns the
 * sign, the integer digits and the fraction digits (exactly `precision` long).
 */
export function splitMicros(
  micros: bigint,
  precision: number,
): { negative: boolean; integer: string; fraction: string } {
  assertDigits("precision", precision);
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const step = 10n ** BigInt(MICRO_DIGITS - precision);
  let scaled = magnitude / step;
  // Half away from zero: we round the magnitude up at exactly half, then re-apply the sign.
  if ((magnitude % step) * 2n >= step) scaled += 1n;
  const unit = 10n ** BigInt(precision);
  const integer = (scaled / unit).toString();
  const fraction = precision === 0 ? "" : (scaled % unit).toString().padStart(precision, "0");
  // A value that rounds to zero is shown without a minus sign ("$0.00", never "-$0.00").
  return { negative: negative && scaled !== 0n, integer, fraction };
}

/**
 * Plain decimal string of a micro-unit amount, e.g. `-1234.5` → "-1234.50" with precision 2.
 * No grouping, no currency: for inputs, CSV cells and API payloads.
 */
export function microsToDecimalString(micros: bigint, precision: number = MICRO_DIGITS): string {
  const { negative, integer, fraction } = splitMicros(micros, precision);
  return `${negative ? "-" : ""}${integer}${fraction ? `.${fraction}` : ""}`;
}

/**
 * Formats integer micro-units for display: `formatMicros(-1_234_567_890n, "USD")` → "-$1,234.57".
 */
export function formatMicros(micros: bigint, currency: string, opts: TFormatMicrosOptions = {}): string {
  const info = currencyInfo(currency);
  const precision = opts.precision ?? info.digits;
  assertDigits("precision", precision);
  const minPrecision = Math.min(opts.minPrecision ?? precision, precision);
  assertDigits("minPrecision", minPrecision);

  const { negative, integer, fraction: fullFraction } = splitMicros(micros, precision);
  let fraction = fullFraction;
  while (fraction.length > minPrecision && fraction.endsWith("0")) fraction = fraction.slice(0, -1);

  const number = `${opts.grouping === false ? integer : groupThousands(integer)}${fraction ? `.${fraction}` : ""}`;
  const isZero = /^[0.]+$/.test(number.replace(/,/g, ""));
  const sign = negative ? "-" : opts.signPositive && !isZero ? "+" : "";

  const display = opts.currencyDisplay ?? "symbol";
  if (display === "none") return `${sign}${number}`;
  const prefix = display === "code" ? currency.toUpperCase() : info.symbol;
  // Alphanumeric symbols ("CHF", "USD") need a separating no-break space; "$" and "€" do not.
  const separator = /[\p{L}\p{N}]$/u.test(prefix) ? "\u00a0" : "";
  return `${sign}${prefix}${separator}${number}`;
}

/**
 * Parses a decimal amount typed by a person ("1,234.50", "-0.0123", "+12") into micro-units.
 * Returns null when the text is not a number or has more than 6 decimals, so a form can
 * show a field error instead of silently rounding someone's money.
 */
export function parseDecimalToMicros(input: string): bigint | null {
  const text = input.trim().replace(/,/g, "");
  const match = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match) return null;
  const [, sign, intDigits = "", fracDigits = ""] = match;
  if (intDigits === "" && fracDigits === "") return null;
  if (fracDigits.length > MICRO_DIGITS) return null;
  const magnitude =
    BigInt(intDigits || "0") * MICROS_PER_UNIT + BigInt(fracDigits.padEnd(MICRO_DIGITS, "0") || "0");
  return sign === "-" ? -magnitude : magnitude;
}
