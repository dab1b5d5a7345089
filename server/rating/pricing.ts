/**
 * Pricing one call, exactly as "Rating semantics (exact)" in DESIGN.md says:
 *
 * - billsec 0 (unanswered) costs nothing, connect fee included;
 * - billsec ≤ grace bills 0 s at price 0;
 * - billed = billsec ≤ initial ? initial : initial + ceil((billsec − initial) / increment) × increment;
 * - price = connect fee + ceil(billed × rate per minute / 60), in micro-units: one rounding
 *   per call, always up, in bigint so no amount ever passes through a float.
 *
 * {@link priceCall} also explains each rule it applied, for the "price a call" screen;
 * {@link computeCallPrice} is the same arithmetic without the explanation, for bulk rating.
 */

import { ceilDiv, formatMicros } from "./money";
import type { NumberNormalizer } from "./normalize";
import type { Rate, RateCategory, RateMatcher } from "./matcher";

/** The parts of a rate that decide a price. */
export type PricingTerms = Pick<
  Rate,
  "ratePerMinuteMicros" | "connectFeeMicros" | "initialIncrement" | "increment" | "graceSeconds"
>;

export type PricingRule =
  | "UNANSWERED"
  | "GRACE"
  | "INITIAL_INCREMENT"
  | "SUBSEQUENT_INCREMENTS"
  | "PER_MINUTE_CHARGE"
  | "CONNECT_FEE"
  | "TOTAL";

export interface PricingStep {
  rule: PricingRule;
  detail: string;
}

export interface CallPrice {
  billedSeconds: number;
  priceMicros: bigint;
}

export interface PricedCall extends CallPrice {
  steps: PricingStep[];
}

const SECONDS_PER_MINUTE = 60n;

function assertValidInput(terms: PricingTerms, billsec: number): void {
  if (!Number.isSafeInteger(billsec) || billsec < 0) {
    throw new RangeError(`billsec must be a whole number of seconds ≥ 0, got ${billsec}`);
  }
  if (!Number.isSafeInteger(terms.initialIncrement) || terms.initialIncrement < 0) {
    throw new RangeError(`initial increment must be a whole number of seconds ≥ 0, got ${terms.initialIncrement}`);
  }
  if (!Number.isSafeInteger(terms.increment) || terms.increment < 1) {
    throw new RangeError(`increment must be a whole number of seconds ≥ 1, got ${terms.increment}`);
  }
  if (!Number.isSafeInteger(terms.graceSeconds) || terms.graceSeconds < 0) {
    throw new RangeError(`grace must be a whole number of seconds ≥ 0, got ${terms.graceSeconds}`);
  }
}

/** Seconds billed for an answered call above grace (rule 4); billsec > 0 is assumed. */
export function billedSecondsFor(terms: Pick<PricingTerms, "initialIncrement" | "increment">, billsec: number): number {
  const initial = terms.initialIncrement;
  if (billsec <= initial) return initial;
  return initial + Math.ceil((billsec - initial) / terms.increment) * terms.increment;
}

/** Rule 5 without the connect fee: ceil(billed × rate / 60) micro-units. */
export function durationChargeMicros(ratePerMinuteMicros: bigint, billedSeconds: number): bigint {
  return ceilDiv(BigInt(billedSeconds) * ratePerMinuteMicros, SECONDS_PER_MINUTE);
}

/** Billed seconds and price of a call; the arithmetic of {@link priceCall} without its explanation. */
export function computeCallPrice(terms: PricingTerms, billsec: number): CallPrice {
  assertValidInput(terms, billsec);
  if (billsec === 0 || billsec <= terms.graceSeconds) return { billedSeconds: 0, priceMicros: 0n };
  const billedSeconds = billedSecondsFor(terms, billsec);
  return {
    billedSeconds,
    priceMicros: terms.connectFeeMicros + durationChargeMicros(terms.ratePerMinuteMicros, billedSeconds),
  };
}

const currencySymbols = new Map<string, string>();

function currencySymbol(currency: string): string {
  const code = currency.toUpperCase();
  let symbol = currencySymbols.get(code);
  if (symbol === undefined) {
    try {
      // A fixed locale, as the browser's formatter uses: "$", "CA$", "€", "CHF".
      symbol = new Intl.NumberFormat("en-US", { style: "currency", currency: code }).formatToParts(0).find((part) => part.type === "currency")?.value ?? code;
    } catch {
      symbol = code;
    }
    currencySymbols.set(code, symbol);
  }
  return symbol;
}

/**
 * An amount as a person reads it, "$0.0132": every significant micro-unit digit is kept
 * (a call's price is often a fraction of a cent, and rounding it here would contradict the
 * arithmetic shown next to it), never fewer decimals than `minFractionDigits`.
 */
export function describeAmount(micros: bigint, currency: string | undefined, minFractionDigits = 2): string {
  const amount = formatMicros(micros < 0n ? -micros : micros, { minFractionDigits });
  if (!currency) return `${micros < 0n ? "-" : ""}${amount}`;
  const symbol = currencySymbol(currency);
  // Letters need a space ("CHF 0.05"); "$" and "€" do not.
  const separator = /[\p{L}\p{N}]$/u.test(symbol) ? "\u00a0" : "";
  return `${micros < 0n ? "-" : ""}${symbol}${separator}${amount}`;
}

/** Per-minute rates read in four decimals at least, as decks write them ("$0.0120/min"). */
const RATE_DIGITS = 4;

/**
 * Prices a call and lists every rule applied, in order, in words a customer can follow;
 * amounts in `currency` (the deck's, which is the tenant's).
 */
export function priceCall(input: { rate: PricingTerms; billsec: number; currency?: string }): PricedCall {
  const { rate, billsec, currency } = input;
  const money = (micros: bigint) => describeAmount(micros, currency);
  assertValidInput(rate, billsec);
  const steps: PricingStep[] = [];

  if (billsec === 0) {
    steps.push({ rule: "UNANSWERED", detail: "billsec is 0: the call was not answered, so it costs nothing (no connect fee either)" });
    return { billedSeconds: 0, priceMicros: 0n, steps };
  }
  if (billsec <= rate.graceSeconds) {
    steps.push({
      rule: "GRACE",
      detail: `billsec ${billsec} s ≤ grace ${rate.graceSeconds} s: billed 0 s, price 0 (no connect fee)`,
    });
    return { billedSeconds: 0, priceMicros: 0n, steps };
  }

  const initial = rate.initialIncrement;
  const increment = rate.increment;
  const billedSeconds = billedSecondsFor(rate, billsec);
  if (billsec <= initial) {
    steps.push({
      rule: "INITIAL_INCREMENT",
      detail: `increments ${initial}/${increment}: billsec ${billsec} s ≤ initial ${initial} s, so ${initial} s are billed`,
    });
  } else {
    const blocks = Math.ceil((billsec - initial) / increment);
    steps.push({
      rule: "SUBSEQUENT_INCREMENTS",
      detail:
        `increments ${initial}/${increment}: billsec ${billsec} s > initial ${initial} s, so ` +
        `${initial} + ceil((${billsec} − ${initial}) / ${increment}) × ${increment} = ` +
        `${initial} + ${blocks} × ${increment} = ${billedSeconds} s are billed`,
    });
  }

  const durationCharge = durationChargeMicros(rate.ratePerMinuteMicros, billedSeconds);
  const exactNumerator = BigInt(billedSeconds) * rate.ratePerMinuteMicros;
  const roundedUp = exactNumerator % SECONDS_PER_MINUTE !== 0n;
  steps.push({
    rule: "PER_MINUTE_CHARGE",
    detail:
      `${billedSeconds} s at ${describeAmount(rate.ratePerMinuteMicros, currency, RATE_DIGITS)}/min: ` +
      `${billedSeconds} × ${describeAmount(rate.ratePerMinuteMicros, currency, RATE_DIGITS)} / 60 = ${money(durationCharge)}` +
      (roundedUp ? ` (rounded up to the next ${describeAmount(1n, currency)}: one rounding per call, always up)` : ""),
  });

  const priceMicros = rate.connectFeeMicros + durationCharge;
  steps.push({
    rule: "CONNECT_FEE",
    detail:
      rate.connectFeeMicros === 0n
        ? "no connect fee"
        : `connect fee ${money(rate.connectFeeMicros)}, charged once because the call was answered`,
  });
  steps.push({ rule: "TOTAL", detail: `price ${money(priceMicros)} for ${billedSeconds} billed seconds` });
  return { billedSeconds, priceMicros, steps };
}

// ---------------------------------------------------------------------------------------
// Rating a call: normalisation + deck lookup + pricing
// ---------------------------------------------------------------------------------------

export type RatingStatus = "RATED" | "UNANSWERED" | "UNBILLABLE" | "REJECTED";

export const UNBILLABLE_REASONS = {
  unknownAccount: "unknown account",
  noDeck: "no rate deck assigned",
  noRate: "no rate for prefix",
  /**
   * A short code or local number ("911", "5550101") and no rate for the whole number. One
   * reason for all of them, not one per number: the unbillable list groups by reason, and a
   * reason per local number dialled would bury the others (the detail shows the numbers).
   */
  noShortCodeRate: "no rate for short code",
} as const;

export interface CallToRate {
  caller: string;
  callee: string;
  /** Rates are chosen by the call's start; null only for records that are already rejected. */
  startUtc: Date | null;
  /** Billable seconds; null only for records that are already rejected. */
  billsec: number | null;
  /** Set when the CDR parser already rejected the line; the call is passed through as REJECTED. */
  rejectedReason?: string | null;
}

export interface RateCallOptions<TRate extends Rate = Rate> {
  normalizeNumber: NumberNormalizer;
  /** Normaliser of the called number when it differs (it strips the call's trunk's tech prefix); default `normalizeNumber`. */
  normalizeCallee?: NumberNormalizer;
  /** False when no customer owns the call's account code → UNBILLABLE "unknown account". Default true. */
  accountKnown?: boolean;
  /** The customer's SELL deck; null when none is assigned → UNBILLABLE "no rate deck assigned". */
  sellDeck: RateMatcher<TRate> | null;
  /** The carrier's BUY deck, to compute cost and margin. */
  buyDeck?: RateMatcher<TRate> | null;
  /** Include the pricing explanation (slower; for the "price a call" screen). */
  explain?: boolean;
  /** Currency of the explanation's amounts (the deck's); bare decimals without it. */
  currency?: string;
}

export interface RatedCall<TRate extends Rate = Rate> {
  status: RatingStatus;
  /** Why the call is not RATED (or why it has no cost); null when nothing to say. */
  reason: string | null;
  /** E.164 digits when the number normalised; otherwise the number as received. */
  caller: string;
  callee: string;
  /**
   * The callee is a short code or local number, its digits as dialled rather than E.164
   * (see NormalizeResult.shortCode); false when it did not normalise. Stored with the call, so
   * a re-rate reads those digits as dialled again whatever made the call unbillable.
   */
  calleeShortCode: boolean;
  rate: TRate | null;
  matchedPrefix: string | null;
  category: RateCategory | null;
  /** Null when the call could not be priced (REJECTED, UNBILLABLE). */
  billedSeconds: number | null;
  priceMicros: bigint | null;
  buyRate: TRate | null;
  /** Null without a BUY deck or when it has no rate for the number. */
  costMicros: bigint | null;
  /** price − cost; null when either is unknown. */
  marginMicros: bigint | null;
  /** Why there is no cost although a BUY deck was given. */
  costReason: string | null;
  /** The pricing explanation, when `explain` was requested and the call was priced. */
  steps: PricingStep[] | null;
}

function unpriced<TRate extends Rate>(
  status: RatingStatus,
  reason: string,
  caller: string,
  callee: string,
  calleeShortCode = false,
): RatedCall<TRate> {
  return {
    status,
    reason,
    caller,
    callee,
    calleeShortCode,
    rate: null,
    matchedPrefix: null,
    category: null,
    billedSeconds: null,
    priceMicros: null,
    buyRate: null,
    costMicros: null,
    marginMicros: null,
    costReason: null,
    steps: null,
  };
}

/**
 * The rate for `digits` at `atMs`. A short code may only be priced by a rate for the whole
 * number: its leading digits are not a country code, so a shorter prefix ("91" for "911")
 * would bill it as a call abroad. The trie walk already found the longest prefix in force,
 * so an exact rate, if there is one, is the one it returned.
 */
function lookupRate<TRate extends Rate>(deck: RateMatcher<TRate>, digits: string, shortCode: boolean, atMs: number): TRate | null {
  const rate = deck.lookup(digits, atMs);
  return rate !== null && shortCode && rate.prefix.length !== digits.length ? null : rate;
}

/**
 * Rates one call. The checks run in this order, first match wins:
 * REJECTED (parser rejected it, no start/billsec, callee is not a number) →
 * UNANSWERED (billsec 0: free whatever the account or destination) →
 * UNBILLABLE (unknown account, no deck, no rate for the number at the call's start — for a
 * short code, none for the whole number) →
 * RATED (price by the SELL deck, cost and margin by the BUY deck when given).
 * The caller number is normalised best-effort only: a withheld or odd caller ID must not
 * make a billable call unbillable.
 */
export function rateCall<TRate extends Rate = Rate>(call: CallToRate, options: RateCallOptions<TRate>): RatedCall<TRate> {
  const normalizedCaller = options.normalizeNumber(call.caller);
  const caller = normalizedCaller.ok ? normalizedCaller.digits : call.caller;

  if (call.rejectedReason) return unpriced("REJECTED", call.rejectedReason, caller, call.callee);
  if (call.startUtc === null || Number.isNaN(call.startUtc.getTime())) {
    return unpriced("REJECTED", "start time is missing", caller, call.callee);
  }
  if (call.billsec === null || !Number.isSafeInteger(call.billsec) || call.billsec < 0) {
    return unpriced("REJECTED", "billsec is missing or not a whole number ≥ 0", caller, call.callee);
  }
  const normalizedCallee = (options.normalizeCallee ?? options.normalizeNumber)(call.callee);
  if (!normalizedCallee.ok) {
    const shownCallee = JSON.stringify(call.callee.length > 40 ? `${call.callee.slice(0, 40)}…` : call.callee);
    return unpriced("REJECTED", `called number ${shownCallee}: ${normalizedCallee.reason}`, caller, call.callee);
  }
  const callee = normalizedCallee.digits;
  const shortCode = normalizedCallee.shortCode;

  if (call.billsec === 0) {
    return {
      ...unpriced<TRate>("UNANSWERED", "billsec is 0", caller, callee, shortCode),
      billedSeconds: 0,
      priceMicros: 0n,
      costMicros: options.buyDeck ? 0n : null,
      marginMicros: options.buyDeck ? 0n : null,
    };
  }
  if (options.accountKnown === false) return unpriced("UNBILLABLE", UNBILLABLE_REASONS.unknownAccount, caller, callee, shortCode);
  if (options.sellDeck === null) return unpriced("UNBILLABLE", UNBILLABLE_REASONS.noDeck, caller, callee, shortCode);

  const startMs = call.startUtc.getTime();
  const rate = lookupRate(options.sellDeck, callee, shortCode, startMs);
  if (rate === null) {
    return unpriced("UNBILLABLE", shortCode ? UNBILLABLE_REASONS.noShortCodeRate : UNBILLABLE_REASONS.noRate, caller, callee, shortCode);
  }

  let billedSeconds: number;
  let priceMicros: bigint;
  let steps: PricingStep[] | null = null;
  if (options.explain) {
    const priced = priceCall({ rate, billsec: call.billsec, currency: options.currency });
    ({ billedSeconds, priceMicros, steps } = priced);
  } else {
    ({ billedSeconds, priceMicros } = computeCallPrice(rate, call.billsec));
  }

  let buyRate: TRate | null = null;
  let costMicros: bigint | null = null;
  let costReason: string | null = null;
  if (options.buyDeck) {
    buyRate = lookupRate(options.buyDeck, callee, shortCode, startMs);
    if (buyRate === null) costReason = shortCode ? "no buy rate for short code" : "no buy rate for prefix";
    else costMicros = computeCallPrice(buyRate, call.billsec).priceMicros;
  }

  return {
    status: "RATED",
    reason: null,
    caller,
    callee,
    calleeShortCode: shortCode,
    rate,
    matchedPrefix: rate.prefix,
    category: rate.category,
    billedSeconds,
    priceMicros,
    buyRate,
    costMicros,
    marginMicros: costMicros === null ? null : priceMicros - costMicros,
    costReason,
    steps,
  };
}
