import { z } from "zod";
import { db, pool } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError, isUniqueViolation } from "@/server/errors";
import { RATE_CATEGORIES } from "./matcher";
import { rateFromRow, type TDeckRate } from "./deck-cache";
import { likeLiteral } from "@/server/db/like";

export const ZDeckFields = z
  .object({
    name: z.string().trim().min(1, "Name is required").max(120),
    kind: z.enum(["SELL", "BUY"]),
    carrierId: z.uuid().nullable().default(null),
    currency: z.string().trim().length(3, "Use a 3-letter currency code").toUpperCase().optional(),
    description: z.string().trim().max(2000).nullable().default(null),
  })
  .superRefine((fields, context) => {
    if (fields.kind === "BUY" && !fields.carrierId) {
      context.addIssue({ code: "custom", path: ["carrierId"], message: "A BUY deck is a carrier's cost: choose the carrier" });
    }
  });
export type TDeckFields = z.input<typeof ZDeckFields>;

export async function listDecks(options: { tenantId: string; kind?: "SELL" | "BUY" | null }) {
  const decks = await db().rateDeck.findMany({
    where: { tenantId: options.tenantId, ...(options.kind ? { kind: options.kind } : {}) },
    orderBy: [{ kind: "desc" }, { name: "asc" }],
    select: {
      id: true,
      name: true,
      kind: true,
      currency: true,
      description: true,
      version: true,
      updatedAt: true,
      carrier: { select: { id: true, name: true } },
      _count: { select: { customers: true, trunks: true } },
    },
  });
  const counts = await pool().query<{ deck_id: string; rates: string; current: string }>(
    `SELECT deck_id, count(*) AS rates, count(*) FILTER (WHERE effective_to IS NULL OR effective_to > now()) AS current
     FROM rates WHERE deck_id = ANY($1::uuid[]) GROUP BY deck_id`,
    [decks.map((deck) => deck.id)],
  );
  const byDeck = new Map(counts.rows.map((row) => [row.deck_id, row]));
  return decks.map((deck) => ({
    ...deck,
    rateCount: Number(byDeck.get(deck.id)?.rates ?? 0),
    currentRateCount: Number(byDeck.get(deck.id)?.current ?? 0),
  }));
}

export async function getDeck(options: { tenantId: string; deckId: string }) {
  const deck = await db().rateDeck.findFirst({
    where: { tenantId: options.tenantId, id: options.deckId },
    include: { carrier: { select: { id: true, name: true } }, _count: { select: { customers: true, trunks: true } } },
  });
  if (!deck) throw AppError.notFound("Rate deck");
  return deck;
}

export async function saveDeck(options: { tenantId: string; actor: TActor; deckId?: string; fields: TDeckFields }) {
  const fields = ZDeckFields.parse(options.fields);
  const tenant = await db().tenant.findUniqueOrThrow({ where: { id: options.tenantId }, select: { currency: true } });
  if (fields.carrierId) {
    const carrier = await db().carrier.findFirst({ where: { tenantId: options.tenantId, id: fields.carrierId }, select: { id: true } });
    if (!carrier) throw AppError.invalidField("carrierId", "Choose one of your carriers");
  }
  const data = {
    name: fields.name,
    kind: fields.kind,
    carrierId: fields.kind === "BUY" ? fields.carrierId : null,
    currency: fields.currency ?? tenant.currency,
    description: fields.description,
  };
  try {
    return await db().$transaction(async (tx) => {
      if (options.deckId) {
        const existing = await tx.rateDeck.findFirst({ where: { tenantId: options.tenantId, id: options.deckId } });
        if (!existing) throw AppError.notFound("Rate deck");
        if (existing.kind !== data.kind) throw AppError.invalidField("kind", "A deck's kind cannot change once created");
      }
      const deck = options.deckId
        ? await tx.rateDeck.update({ where: { tenantId_id: { tenantId: options.tenantId, id: options.deckId } }, data })
        : await tx.rateDeck.create({ data: { tenantId: options.tenantId, ...data } });
      await recordAudit(tx, {
        tenantId: options.tenantId,
        actor: options.actor,
        action: options.deckId ? "rate_deck.updated" : "rate_deck.created",
        targetType: "rate_deck",
        targetId: deck.id,
        after: data,
      });
      return deck;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw AppError.invalidField("name", "A deck with this name exists");
    throw error;
  }
}

export const ZRateQuery = z.object({
  deckId: z.uuid(),
  /** Digits search prefixes that start with them; anything else searches descriptions. */
  search: z.string().trim().max(100).default(""),
  category: z.enum(RATE_CATEGORIES).nullable().default(null),
  /** Only versions in force at this instant. */
  effectiveOn: z.coerce.date().nullable().default(null),
  pageSize: z.number().int().min(1).max(500).default(50),
  /** Keyset cursor: continue after (or before) this row. */
  cursor: z
    .object({ prefix: z.string(), effectiveFrom: z.coerce.date(), id: z.string(), direction: z.enum(["after", "before"]) })
    .nullable()
    .default(null),
});
export type TRateQuery = z.input<typeof ZRateQuery>;

/**
 * Rates of a deck in prefix order, keyset-paginated so page 20,000 of a million-row deck
 * costs the same as page 1. The filtered total is exact up to 10,000 and estimated above.
 */
export async function listRates(options: { tenantId: string; query: TRateQuery }) {
  const query = ZRateQuery.parse(options.query);
  await getDeck({ tenantId: options.tenantId, deckId: query.deckId });
  const where: string[] = ["deck_id = $1"];
  const params: unknown[] = [query.deckId];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace("?", `$${params.length}`));
  };
  if (/^\+?\d+$/.test(query.search)) add("prefix LIKE ?", `${query.search.replace("+", "")}%`);
  else if (query.search) add("description ILIKE ?", `%${likeLiteral(query.search)}%`);
  if (query.category) add("category = ?::\"RateCategory\"", query.category);
  if (query.effectiveOn) {
    add("effective_from <= ?", query.effectiveOn);
    add("(effective_to IS NULL OR effective_to > ?)", query.effectiveOn);
  }
  const filter = where.join(" AND ");
  const filterParams = [...params];
  const backwards = query.cursor?.direction === "before";
  if (query.cursor) {
    params.push(query.cursor.prefix, query.cursor.effectiveFrom, query.cursor.id);
    const n = params.length;
    where.push(`(prefix, effective_from, id) ${backwards ? "<" : ">"} ($${n - 2}, $${n - 1}, $${n}::bigint)`);
  }
  const order = backwards ? "DESC" : "ASC";
  params.push(query.pageSize + 1);
  const rows = await pool().query(
    `SELECT id::text, prefix, description, category, rate_per_minute::text, connect_fee::text, initial_increment, increment,
            grace_seconds, effective_from, effective_to
     FROM rates WHERE ${where.join(" AND ")}
     ORDER BY prefix ${order}, effective_from ${order}, id ${order} LIMIT $${params.length}`,
    params,
  );
  const hasMore = rows.rows.length > query.pageSize;
  const page = rows.rows.slice(0, query.pageSize).map(rateFromRow);
  if (backwards) page.reverse();
  const counted = await pool().query<{ total: string }>(
    `SELECT count(*) AS total FROM (SELECT 1 FROM rates WHERE ${filter} LIMIT 10001) limited`,
    filterParams,
  );
  const total = Number(counted.rows[0]?.total ?? 0);
  return {
    rows: page,
    total: Math.min(total, 10_000),
    totalIsLowerBound: total > 10_000,
    hasNextPage: backwards ? query.cursor !== null : hasMore,
    hasPreviousPage: backwards ? hasMore : query.cursor !== null,
  };
}

/** Every rate of a deck in prefix order, read in keyset batches: constant memory for any size. */
export async function* iterateDeckRates(options: { tenantId: string; deckId: string; batchSize?: number }): AsyncGenerator<TDeckRate> {
  await getDeck(options);
  const batchSize = options.batchSize ?? 5000;
  let cursor: { prefix: string; effectiveFrom: Date; id: string } | null = null;
  for (;;) {
    const params: unknown[] = [options.deckId, batchSize];
    let after = "";
    if (cursor) {
      params.push(cursor.prefix, cursor.effectiveFrom, cursor.id);
      after = "AND (prefix, effective_from, id) > ($3, $4, $5::bigint)";
    }
    const batch = await pool().query(
      `SELECT id::text, prefix, description, category, rate_per_minute::text, connect_fee::text, initial_increment, increment,
              grace_seconds, effective_from, effective_to
       FROM rates WHERE deck_id = $1 ${after} ORDER BY prefix, effective_from, id LIMIT $2`,
      params,
    );
    for (const row of batch.rows) yield rateFromRow(row);
    if (batch.rows.length < batchSize) return;
    const last = rateFromRow(batch.rows[batch.rows.length - 1]);
    cursor = { prefix: last.prefix, effectiveFrom: last.effectiveFrom, id: last.id };
  }
}

/** The customer's SELL deck (rate plan). */
export async function assignCustomerDeck(options: { tenantId: string; actor: TActor; customerId: string; deckId: string | null }) {
  return db().$transaction(async (tx) => {
    const customer = await tx.customer.findFirst({ where: { tenantId: options.tenantId, id: options.customerId }, select: { id: true, rateDeckId: true } });
    if (!customer) throw AppError.notFound("Customer");
    if (options.deckId) {
      const deck = await tx.rateDeck.findFirst({ where: { tenantId: options.tenantId, id: options.deckId }, select: { kind: true } });
      if (!deck) throw AppError.invalidField("deckId", "Choose one of your rate decks");
      if (deck.kind !== "SELL") throw AppError.invalidField("deckId", "A customer is priced by a SELL deck");
    }
    const updated = await tx.customer.update({
      where: { tenantId_id: { tenantId: options.tenantId, id: options.customerId } },
      data: { rateDeckId: options.deckId },
      select: { id: true, rateDeckId: true },
    });
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "customer.rate_deck_assigned",
      targetType: "customer",
      targetId: customer.id,
      before: { rateDeckId: customer.rateDeckId },
      after: { rateDeckId: options.deckId },
    });
    return updated;
  });
}
