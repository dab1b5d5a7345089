import { formatMicros, parseDecimalToMicros } from "@/components/ui/money-format";
import { rechargeAmount } from "@/server/payments/recharge-amount";
import { microsPerMinorUnit, minorUnitDigits } from "@/server/payments/stripe-amounts";

// Card amounts follow the server's rule for the currency's minor unit (stripe-amounts.ts), not
// Intl's display decimals: the two differ for a few currencies (HUF, ISK, IQD, LYD), and the
// form must refuse exactly what the server refuses.

/** An example amount for "Enter an amount like …". */
const EXAMPLE_MICROS = 25_000_000n;

/**
 * micro-units → an amount input's value, with the currency's minor-unit decimals ("25.00",
 * "1000" for JPY, "10.125" for BHD), and more only where the amount has them: a threshold
 * saved as 10.005 reads back as it was.
 */
export function microsToInput(micros: bigint, currency: string): string {
  return formatMicros(micros, currency, { precision: 6, minPrecision: minorUnitDigits(currency), currencyDisplay: "none", grouping: false });
}

/** Why a typed card amount cannot be paid, or undefined: it must be a whole number of minor units within the tenant's bounds. */
export function cardAmountError(text: string, options: { currency: string; minimum: bigint; maximum: bigint; verb: string }): string | undefined {
  if (text.trim() === "") return "Enter an amount";
  const micros = parseDecimalToMicros(text);
  if (micros === null || micros % microsPerMinorUnit(options.currency) !== 0n) return `Enter an amount like ${microsToInput(EXAMPLE_MICROS, options.currency)}`;
  if (micros < options.minimum || micros > options.maximum) {
    return `${options.verb} between ${microsToInput(options.minimum, options.currency)} and ${microsToInput(options.maximum, options.currency)} ${options.currency}`;
  }
  return undefined;
}

/**
 * What saving auto-recharge settings charges the card at once, or null. The server recharges on
 * saving when auto-recharge is on and the balance is already below the new threshold
 * (auto-recharge.ts saveAutoRecharge), unless it is paused, has no card to charge or has made
 * today's allowed recharges (claimAutoRecharge).
 */
export function chargeOnSave(options: {
  enabled: boolean;
  paused: boolean;
  hasCard: boolean;
  /** Auto-recharges already made today, and the daily cap as typed: at the cap, nothing is charged. */
  rechargesToday: number;
  maxPerDay: number;
  balance: bigint;
  threshold: string;
  amount: string;
  topUpTo: string | null;
  minimum: bigint;
  maximum: bigint;
  currency: string;
}): bigint | null {
  if (!options.enabled || options.paused || !options.hasCard || options.rechargesToday >= options.maxPerDay) return null;
  const threshold = parseDecimalToMicros(options.threshold);
  const amount = parseDecimalToMicros(options.amount);
  const topUpTo = options.topUpTo === null ? null : parseDecimalToMicros(options.topUpTo);
  if (threshold === null || amount === null || (options.topUpTo !== null && topUpTo === null)) return null;
  if (options.balance >= threshold) return null;
  return rechargeAmount({ balance: options.balance, amount, topUpTo, minimum: options.minimum, maximum: options.maximum, currency: options.currency });
}
