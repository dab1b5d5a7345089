/** A saved card as a person names it: "Visa ending 4242". */
export function cardName(card: { brand: string; last4: string }): string {
  return `${card.brand.charAt(0).toUpperCase()}${card.brand.slice(1)} ending ${card.last4}`;
}

type TCard = { id: string; brand: string; last4: string; isDefault: boolean; createdAt: Date };

/**
 * What removing `card` does to auto-recharge, for the confirmation, or null when nothing: only
 * the default card is charged, and on its removal the server makes the newest remaining card
 * the default (payment-methods.ts removePaymentMethod), or leaves none.
 */
export function removalEffect(card: TCard, cards: readonly TCard[], autoRechargeOn: boolean): string | null {
  if (!card.isDefault || !autoRechargeOn) return null;
  const next = cards.filter((other) => other.id !== card.id).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  return next
    ? `Auto-recharge will charge ${cardName(next)} instead.`
    : "Auto-recharge will have no card to charge. Save another card with a top-up to keep it working, or your account may run out of credit.";
}
