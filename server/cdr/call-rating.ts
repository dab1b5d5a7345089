import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { getDeckMatcher, type TDeckRate } from "@/server/rating/deck-cache";
import type { RateMatcher } from "@/server/rating/matcher";
import { createNumberNormalizer, type NumberingPlan, type NumberNormalizer } from "@/server/rating/normalize";
import { rateCall, type CallToRate, type RatedCall } from "@/server/rating/pricing";
import { DIALLING_PLAN_COLUMNS, numberingPlanOf } from "@/server/tenants/dialling-plan";

/**
 * Who a call belongs to and what it costs, for ingest and re-rating alike. A call is the
 * customer's whose SIP trunk carries its account code; else the customer an admin mapped
 * that account code to; else — inbound and toll-free calls carry no customer account — the
 * customer who holds the called number as a DID (at ingest only, soon after the call: a
 * re-rate finds an ownerless call's owner by account code alone, see rerate.ts). Then it is
 * priced by the trunk's deck (if it overrides) or the customer's, and its cost by the
 * source's BUY deck.
 */

/** Whose a call is, and the SELL deck that prices it (the trunk's, else the customer's). */
export type TCallOwner = Readonly<{ customerId: string; trunkId: string | null; deckId: string | null }>;

export interface TCallRatingContext {
  normalizeNumber: NumberNormalizer;
  /** The call's owner by account code, else (inbound, toll-free) by the called DID; null when unknown. */
  ownerOf(account: string | null, callee: string): TCallOwner | null;
  /**
   * The owner by account code only (a trunk's code, else a mapping): for calls rated after
   * the fact, which the called DID's holder of today may not have held when they were made.
   */
  accountOwner(account: string | null): TCallOwner | null;
  /**
   * The owner a call was stored with, priced with that customer's deck (the trunk's own deck
   * while the trunk is still theirs): re-rating bills whoever the call was made for, even if
   * its trunk, DID or account code has moved to another customer since.
   */
  storedOwner(customerId: string, trunkId: string | null): TCallOwner;
  /**
   * Prices a call for its owner (from {@link ownerOf}). Two calls rather than one result
   * holding both: this runs once per call, and adding the owner to the priced result cost
   * an allocation per call that outlived V8's young generation (~48 MB per million calls).
   */
  rate(call: CallToRate, owner: TCallOwner | null, stored?: TStoredCallee): RatedCall<TDeckRate>;
  /**
   * A stored callee (E.164 digits) as a re-rate passes it to {@link rate}: with "+", so the
   * plan cannot read it as national a second time. Except, as dialled: a short code or local
   * number (a "+" would make 5550101 Brazil), and the digits of a call stored before its
   * owner's trunk was known when they begin with that trunk's tech prefix (still on them).
   */
  storedCallee(digits: string, stored: { shortCode: boolean; trunkId: string | null }, owner: TCallOwner | null): string;
}

/** How a re-rated call's callee was stored (see {@link TCallRatingContext.rate}). */
export type TStoredCallee = {
  /**
   * Stored with its trunk: the trunk's tech prefix came off at ingest. A number passed as
   * dialled (a short code) must not lose its first digits to it again ("911" through a trunk
   * whose prefix is "9" is not "11").
   */
  techPrefixRemoved: boolean;
};

/**
 * Loads what rating a tenant's calls needs — trunks, account-code mappings, DIDs, compiled
 * decks — once, so rating a million calls costs map lookups, not queries.
 */
export async function loadCallRatingContext(options: { tenantId: string; costDeckId: string | null }): Promise<TCallRatingContext> {
  const { tenantId } = options;
  const tenant = await db().tenant.findUnique({
    where: { id: tenantId },
    select: DIALLING_PLAN_COLUMNS,
  });
  if (!tenant) throw AppError.notFound("Tenant");
  const plan: NumberingPlan = numberingPlanOf(tenant);
  const normalizeNumber = createNumberNormalizer(plan);

  const [customers, trunks, mappings, dids] = await Promise.all([
    db().customer.findMany({ where: { tenantId }, select: { id: true, rateDeckId: true } }),
    db().sipTrunk.findMany({ where: { tenantId }, select: { id: true, customerId: true, accountCode: true, rateDeckId: true, techPrefix: true } }),
    db().accountCodeMapping.findMany({ where: { tenantId }, select: { accountCode: true, customerId: true } }),
    db().did.findMany({ where: { tenantId }, select: { number: true, customerId: true, trunkId: true } }),
  ]);
  const customerDeck = new Map(customers.map((customer) => [customer.id, customer.rateDeckId]));
  const trunkDeck = new Map(trunks.map((trunk) => [trunk.id, trunk.rateDeckId ?? customerDeck.get(trunk.customerId) ?? null]));
  const trunkCustomer = new Map(trunks.map((trunk) => [trunk.id, trunk.customerId]));
  // The customer's equipment dials the trunk's tech prefix in front of the number; compiled
  // once per trunk so a call costs a map lookup, not a normaliser.
  const calleeNormalizerOfTrunk = new Map<string, NumberNormalizer>();
  const techPrefixOfTrunk = new Map<string, string>();
  for (const trunk of trunks) {
    if (!trunk.techPrefix) continue;
    calleeNormalizerOfTrunk.set(trunk.id, createNumberNormalizer(plan, { trunkTechPrefix: trunk.techPrefix }));
    techPrefixOfTrunk.set(trunk.id, trunk.techPrefix);
  }
  const byAccount = new Map<string, TCallOwner>();
  // Codes are unique regardless of case (a switch may change it): the exact map serves nearly
  // every call, the folded one only its misses, so the hot path pays no case folding.
  const byFoldedAccount = new Map<string, TCallOwner>();
  const own = (accountCode: string, owner: TCallOwner) => {
    byAccount.set(accountCode, owner);
    byFoldedAccount.set(accountCode.toLowerCase(), owner);
  };
  for (const mapping of mappings) {
    own(mapping.accountCode, { customerId: mapping.customerId, trunkId: null, deckId: customerDeck.get(mapping.customerId) ?? null });
  }
  // A trunk's own account code wins over a mapping of the same code (which saveTrunk and
  // mapAccountCode no longer let anyone make, but older data may hold).
  for (const trunk of trunks) {
    own(trunk.accountCode, { customerId: trunk.customerId, trunkId: trunk.id, deckId: trunkDeck.get(trunk.id) ?? null });
  }
  const byDid = new Map<string, TCallOwner>();
  for (const did of dids) {
    const deckId = did.trunkId ? (trunkDeck.get(did.trunkId) ?? null) : (customerDeck.get(did.customerId) ?? null);
    byDid.set(did.number, { customerId: did.customerId, trunkId: did.trunkId, deckId });
  }

  const deckIds = new Set<string>();
  for (const owner of [...byAccount.values(), ...byDid.values()]) if (owner.deckId) deckIds.add(owner.deckId);
  for (const deckId of customerDeck.values()) if (deckId) deckIds.add(deckId);
  const matchers = new Map<string, RateMatcher<TDeckRate>>();
  await Promise.all([...deckIds].map(async (deckId) => matchers.set(deckId, await getDeckMatcher(tenantId, deckId))));
  const buyDeck = options.costDeckId ? await getDeckMatcher(tenantId, options.costDeckId) : null;

  function accountOwner(account: string | null): TCallOwner | null {
    if (account === null) return null;
    return byAccount.get(account) ?? byFoldedAccount.get(account.toLowerCase()) ?? null;
  }

  function ownerOf(account: string | null, callee: string): TCallOwner | null {
    const owner = accountOwner(account);
    if (owner) return owner;
    if (byDid.size === 0) return null;
    const normalized = normalizeNumber(callee);
    return normalized.ok ? (byDid.get(normalized.digits) ?? null) : null;
  }

  return {
    normalizeNumber,
    ownerOf,
    accountOwner,
    storedOwner(customerId, trunkId) {
      const trunkStillTheirs = trunkId !== null && trunkCustomer.get(trunkId) === customerId;
      return { customerId, trunkId, deckId: (trunkStillTheirs ? trunkDeck.get(trunkId) : customerDeck.get(customerId)) ?? null };
    },
    storedCallee(digits, stored, owner) {
      // No E.164 number begins with 0: such digits were kept as dialled (a national number read
      // before the plan had its trunk prefix), and are read as dialled again.
      if (stored.shortCode || digits.startsWith("0")) return digits;
      const prefix = stored.trunkId === null && owner?.trunkId ? techPrefixOfTrunk.get(owner.trunkId) : undefined;
      return prefix !== undefined && digits.length > prefix.length && digits.startsWith(prefix) ? digits : `+${digits}`;
    },
    rate(call, owner, stored) {
      // By the trunk the call was stored with (re-rate) or found by, even one moved to another
      // customer since: its prefix is what that customer dialled through it.
      const normalizeCallee =
        owner?.trunkId && !stored?.techPrefixRemoved ? (calleeNormalizerOfTrunk.get(owner.trunkId) ?? normalizeNumber) : normalizeNumber;
      return rateCall(call, {
        normalizeNumber,
        normalizeCallee,
        accountKnown: owner !== null,
        sellDeck: owner?.deckId ? (matchers.get(owner.deckId) ?? null) : null,
        buyDeck,
      });
    },
  };
}
