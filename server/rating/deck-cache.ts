import { db, pool } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { compileRateMatcher, type Rate, type RateCategory, type RateMatcher } from "./matcher";

/**
 * Compiled matchers, one per deck version. A deck's `version` is bumped in the transaction
 * that changes its rates, so a cached matcher is reused until the deck changes and a stale
 * one is never used: every lookup through here checks the version first (one indexed read).
 */

export type TDeckRate = Rate & { id: string };
type TEntry = { version: number; matcher: RateMatcher<TDeckRate> };

const globalForCache = globalThis as unknown as { trunklineDeckCache?: Map<string, Promise<TEntry>> };
const cache = (globalForCache.trunklineDeckCache ??= new Map());

type TRateRow = {
  id: string;
  prefix: string;
  description: string;
  category: RateCategory;
  rate_per_minute: string;
  connect_fee: string;
  initial_increment: number;
  increment: number;
  grace_seconds: number;
  effective_from: Date;
  effective_to: Date | null;
};

export function rateFromRow(row: TRateRow): TDeckRate {
  return {
    id: row.id,
    prefix: row.prefix,
    description: row.description,
    category: row.category,
    ratePerMinuteMicros: BigInt(row.rate_per_minute),
    connectFeeMicros: BigInt(row.connect_fee),
    initialIncrement: row.initial_increment,
    increment: row.increment,
    graceSeconds: row.grace_seconds,
    effectiveFrom: row.effective_from,
    effectiveTo: row.effective_to,
  };
}

async function compile(deckId: string, version: number): Promise<TEntry> {
  const result = await pool().query<TRateRow>(
    `SELECT id::text, prefix, description, category, rate_per_minute::text, connect_fee::text, initial_increment,
            increment, grace_seconds, effective_from, effective_to
     FROM rates WHERE deck_id = $1`,
    [deckId],
  );
  return { version, matcher: compileRateMatcher(result.rows.map(rateFromRow)) };
}

/** The compiled matcher of a tenant's deck, built once per deck version. */
export async function getDeckMatcher(tenantId: string, deckId: string): Promise<RateMatcher<TDeckRate>> {
  const deck = await db().rateDeck.findFirst({ where: { tenantId, id: deckId }, select: { version: true } });
  if (!deck) throw AppError.notFound("Rate deck");
  const cached = cache.get(deckId);
  if (cached) {
    const entry = await cached.catch(() => null);
    if (entry && entry.version === deck.version) return entry.matcher;
  }
  const building = compile(deckId, deck.version);
  cache.set(deckId, building);
  building.catch(() => cache.delete(deckId));
  return (await building).matcher;
}

export function invalidateDeckMatcher(deckId: string): void {
  cache.delete(deckId);
}
