import { microsToMinorCeil, minorToMicros } from "./stripe-amounts";

/**
 * What an auto-recharge charges at a given balance: its fixed amount, or what brings the balance
 * up to its target, kept within the tenant's top-up bounds and rounded up to a whole minor unit.
 * Pure, so the portal can tell a customer what saving settings below their balance charges.
 */
export function rechargeAmount(options: { balance: bigint; amount: bigint; topUpTo: bigint | null; minimum: bigint; maximum: bigint; currency: string }): bigint {
  const wanted = options.topUpTo !== null ? options.topUpTo - options.balance : options.amount;
  // "Top up to" a deeply negative balance would otherwise charge the card any sum off-session;
  // the largest top-up is the cap, and the next balance event recharges again (within the daily cap).
  const bounded = wanted < options.minimum ? options.minimum : wanted > options.maximum ? options.maximum : wanted;
  return minorToMicros(microsToMinorCeil(bounded, options.currency), options.currency);
}
