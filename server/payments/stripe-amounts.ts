import { AppError } from "@/server/errors";

/**
 * Stripe counts money in the currency's minor unit (cents for USD); Trunkline counts
 * micro-units (1/1,000,000). The conversion happens here and only here, in bigint: a float
 * would turn 19.99 into 1998 cents one day.
 */

// https://docs.stripe.com/currencies#zero-decimal and #three-decimal
const ZERO_DECIMAL = new Set(["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]);
const THREE_DECIMAL = new Set(["BHD", "JOD", "KWD", "OMR", "TND"]);

export function minorUnitDigits(currency: string): 0 | 2 | 3 {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** Micro-units in one minor unit: 10,000 for 2-decimal currencies. */
export function microsPerMinorUnit(currency: string): bigint {
  return 10n ** BigInt(6 - minorUnitDigits(currency));
}

/** A Stripe amount (an integer in minor units, as JSON gives it) to micro-units. */
export function minorToMicros(minor: number | bigint, currency: string): bigint {
  if (typeof minor === "number" && !Number.isSafeInteger(minor)) {
    throw new RangeError(`A Stripe amount must be a whole number of minor units, got ${minor}`);
  }
  return BigInt(minor) * microsPerMinorUnit(currency);
}

/** Micro-units to a Stripe amount; refuses amounts that are not whole minor units. */
export function microsToMinor(micros: bigint, currency: string): number {
  const per = microsPerMinorUnit(currency);
  if (micros % per !== 0n) {
    throw AppError.invalidField("amount", `The amount must be a whole number of ${minorUnitDigits(currency) === 0 ? "units" : "cents"}`);
  }
  return toSafeNumber(micros / per);
}

/** Micro-units to a Stripe amount, rounding up to the next minor unit (what is owed is never undercharged). */
export function microsToMinorCeil(micros: bigint, currency: string): number {
  const per = microsPerMinorUnit(currency);
  const quotient = micros / per;
  return toSafeNumber(micros % per > 0n ? quotient + 1n : quotient);
}

function toSafeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`Amount ${value} is out of range for Stripe`);
  }
  return Number(value);
}
