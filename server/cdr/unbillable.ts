import { Readable } from "node:stream";
import { durationToMs } from "inngest";
import { z } from "zod";
import { db, pool } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { inngestServerConfigured } from "@/server/env";
import { AppError, isUniqueViolation } from "@/server/errors";
import { RUN_TIMEOUTS } from "@/server/jobs/timeouts";
import { quoteCsvField } from "@/server/rating/csv-text";
import { NATIVE_DECK_COLUMNS } from "@/server/rating/deck-formats";
import { commitDeckImport, discardDeckImport, listDeckImportErrors, previewDeckImport } from "@/server/rating/deck-import";
import { RATE_CATEGORIES } from "@/server/rating/matcher";
import { UNBILLABLE_REASONS } from "@/server/rating/pricing";
import { CLAIM_UNANSWERED_SQL, claimParameters } from "./unanswered-claims";
import { codeAsFound, lockAccountCode, mappingOfCode, trunkWithCode } from "@/server/catalog/account-codes";
import { likeLiteral } from "@/server/db/like";

/**
 * The unbillable queue: calls stored as UNBILLABLE, grouped so an admin sees what to fix
 * (an account code to map, a rate to add, a deck to assign) and what it is worth, then
 * re-rates them (server/cdr/rerate.ts bills each call once).
 *
 * Value at risk is an ESTIMATE. An unbillable call has, by definition, no price: we do not
 * know the missing rate or the unknown customer's deck. We price it at the tenant's average
 * price per billed second of its RATED calls in the files received over the last 30 days
 * (all files when none came in 30 days), taken from the per-file totals (`cdr_files`),
 * so the estimate costs a read of the files table, not a scan of a month of calls:
 *   value at risk ≈ unbillable billsec × Σ price_total / Σ billed_seconds.
 * Zero-rated calls (toll-free) are part of the average, as they are part of the revenue.
 * Null when the tenant has rated nothing yet: there is no basis for a figure.
 */

const ESTIMATE_WINDOW_DAYS = 30;
const DETAIL_LIMIT = 200;

type TPriceBasis = {
  /** Average price per billed second, as a fraction (micros / seconds), or null without basis. */
  priceMicros: bigint;
  seconds: bigint;
  /** 30 (days) or null when the basis is every file the tenant ever ingested. */
  windowDays: number | null;
};

async function priceBasis(tenantId: string): Promise<TPriceBasis | null> {
  const query = async (windowDays: number | null) => {
    const result = await pool().query<{ price: string; seconds: string }>(
      `SELECT COALESCE(SUM(price_total), 0)::text AS price, COALESCE(SUM(billed_seconds), 0)::text AS seconds
       FROM cdr_files
       WHERE tenant_id = $1::uuid AND rated > 0 AND ($2::int IS NULL OR received_at >= now() - make_interval(days => $2::int))`,
      [tenantId, windowDays],
    );
    const row = result.rows[0]!;
    return { priceMicros: BigInt(row.price), seconds: BigInt(row.seconds), windowDays };
  };
  const recent = await query(ESTIMATE_WINDOW_DAYS);
  if (recent.seconds > 0n) return recent;
  const ever = await query(null);
  return ever.seconds > 0n ? ever : null;
}

function valueAt(basis: TPriceBasis | null, billsec: bigint): bigint | null {
  return basis === null ? null : (billsec * basis.priceMicros) / basis.seconds;
}

/** What the estimate is, in words, for the page to show next to the figures. */
function describeBasis(basis: TPriceBasis | null): string {
  if (basis === null) return "No rated calls yet: there is no average price to estimate the value with.";
  const window = basis.windowDays === null ? "all CDR files so far" : `CDR files received in the last ${basis.windowDays} days`;
  return `Estimated at your average price per billed second of rated calls in ${window}, times the unbillable calls' seconds.`;
}

export async function unbillableSummary(options: { tenantId: string }) {
  const { tenantId } = options;
  const [tenant, basis, groups] = await Promise.all([
    db().tenant.findUnique({ where: { id: tenantId }, select: { currency: true } }),
    priceBasis(tenantId),
    // The partial index cdrs_unbillable (WHERE status = 'UNBILLABLE') holds exactly these calls.
    pool().query<{ reason: string | null; calls: string; billsec: string; first_seen: Date; last_seen: Date }>(
      `SELECT unbillable_reason AS reason, count(*)::text AS calls, COALESCE(SUM(billsec), 0)::text AS billsec,
              min(start_at) AS first_seen, max(start_at) AS last_seen
       FROM cdrs WHERE tenant_id = $1::uuid AND status = 'UNBILLABLE'
       GROUP BY unbillable_reason ORDER BY count(*) DESC`,
      [tenantId],
    ),
  ]);
  if (!tenant) throw AppError.notFound("Tenant");
  const reasons = groups.rows.map((row) => {
    const billsec = BigInt(row.billsec);
    return {
      reason: row.reason ?? "unknown",
      calls: Number(row.calls),
      billsec,
      valueAtRisk: valueAt(basis, billsec),
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
    };
  });
  const billsec = reasons.reduce((sum, row) => sum + row.billsec, 0n);
  return {
    currency: tenant.currency,
    estimate: {
      description: describeBasis(basis),
      /** Average price per minute behind the estimate (micros), for display. */
      pricePerMinute: basis === null ? null : (basis.priceMicros * 60n) / basis.seconds,
      windowDays: basis?.windowDays ?? null,
    },
    totals: { calls: reasons.reduce((sum, row) => sum + row.calls, 0), billsec, valueAtRisk: valueAt(basis, billsec) },
    reasons,
  };
}

export type TUnbillableSummary = Awaited<ReturnType<typeof unbillableSummary>>;

export const ZRerateImpactInput = z.object({
  /** One reason's calls, or every unbillable call when absent (as ZRerateRequest). */
  reason: z.string().trim().min(1).max(200).nullish(),
});

/**
 * What a re-rate is about to charge, for the confirmation before it: the calls it examines,
 * those that have a customer to charge now (their stored customer, or the owner of their
 * account code — a trunk's code first, then a mapping, regardless of case, as rating finds
 * it), how many customers that is, and how many of them are prepaid (their accounts lock when
 * the balance cannot carry the calls). The amount is the queue's estimate, not the price:
 * which calls find a rate is only known by rating them. One pass over the tenant's entries
 * of the unbillable partial index, like the summary.
 */
export async function rerateImpact(options: { tenantId: string; input: z.input<typeof ZRerateImpactInput> }) {
  const { tenantId } = options;
  const input = ZRerateImpactInput.parse(options.input);
  const [basis, result] = await Promise.all([
    priceBasis(tenantId),
    pool().query<{ calls: string; billsec: string; owned_calls: string; owned_billsec: string; customers: string; prepaid_customers: string }>(
      `WITH owners AS (
         SELECT lower(t.account_code) AS code, t.customer_id, 0 AS rank FROM sip_trunks t WHERE t.tenant_id = $1::uuid
         UNION ALL
         SELECT lower(m.account_code), m.customer_id, 1 FROM account_code_mappings m WHERE m.tenant_id = $1::uuid
       ), chosen AS (
         SELECT DISTINCT ON (code) code, customer_id FROM owners ORDER BY code, rank
       ), queued AS (
         SELECT c.billsec, COALESCE(c.customer_id, o.customer_id) AS owner_id
         FROM cdrs c
         LEFT JOIN chosen o ON c.customer_id IS NULL AND lower(c.account_code) = o.code
         WHERE c.tenant_id = $1::uuid AND c.status = 'UNBILLABLE' AND ($2::text IS NULL OR c.unbillable_reason = $2)
       )
       SELECT count(*)::text AS calls, COALESCE(SUM(q.billsec), 0)::text AS billsec,
              count(q.owner_id)::text AS owned_calls,
              COALESCE(SUM(q.billsec) FILTER (WHERE q.owner_id IS NOT NULL), 0)::text AS owned_billsec,
              count(DISTINCT q.owner_id)::text AS customers,
              count(DISTINCT q.owner_id) FILTER (WHERE cu.billing_type = 'PREPAID')::text AS prepaid_customers
       FROM queued q
       LEFT JOIN customers cu ON cu.id = q.owner_id AND cu.tenant_id = $1::uuid`,
      [tenantId, input.reason ?? null],
    ),
  ]);
  const row = result.rows[0]!;
  const ownedBillsec = BigInt(row.owned_billsec);
  return {
    reason: input.reason ?? null,
    calls: Number(row.calls),
    /** Calls that have a customer to charge; the others stay unbillable whatever the rates. */
    chargeableCalls: Number(row.owned_calls),
    customers: Number(row.customers),
    prepaidCustomers: Number(row.prepaid_customers),
    /** Estimated value of the chargeable calls (see the estimate above); null without basis. */
    estimatedCharge: valueAt(basis, ownedBillsec),
    estimate: { description: describeBasis(basis), windowDays: basis?.windowDays ?? null },
  };
}

export type TRerateImpact = Awaited<ReturnType<typeof rerateImpact>>;

export const ZUnbillableDetailInput = z.object({
  reason: z.string().trim().min(1).max(200),
  /** Digits of the called number a "no rate" group shares: the prefix the new rate would get. */
  prefixLength: z.number().int().min(1).max(8).default(4),
  /**
   * Narrows the groups: part of the account code (any case) for unknown accounts, the customer's
   * name or account number for missing decks, the first digits of the called number otherwise.
   */
  search: z.string().trim().max(100).default(""),
});

/** The groups a detail shows, the largest first, and how many there are in all (a window count: no second pass). */
type TGroupRow = { calls: string; billsec: string; first_seen: Date; last_seen: Date; sample_callee: string | null; groups: string };

/** Called numbers are stored as digits: what people type between and before them is dropped. */
function calleeDigits(search: string): string {
  return search.replace(/^\+/, "").replace(/[\s\-.()/]/g, "");
}

function groupsOf(rows: TGroupRow[]): { total: number; limit: number } {
  return { total: rows.length === 0 ? 0 : Number(rows[0]!.groups), limit: DETAIL_LIMIT };
}

function measures(row: TGroupRow, basis: TPriceBasis | null) {
  const billsec = BigInt(row.billsec);
  return {
    calls: Number(row.calls),
    billsec,
    valueAtRisk: valueAt(basis, billsec),
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    sampleCallee: row.sample_callee,
  };
}

const GROUP_MEASURES = `count(*)::text AS calls, COALESCE(SUM(c.billsec), 0)::text AS billsec,
  min(c.start_at) AS first_seen, max(c.start_at) AS last_seen, max(c.callee) AS sample_callee, (count(*) OVER ())::text AS groups`;

/** The rows of one reason, grouped by what an admin fixes for it; the largest groups first. */
export async function unbillableDetail(options: { tenantId: string; input: z.input<typeof ZUnbillableDetailInput> }) {
  const { tenantId } = options;
  const input = ZUnbillableDetailInput.parse(options.input);
  const basis = await priceBasis(tenantId);
  const search = input.search === "" ? null : input.search;
  const calleePattern = search === null ? null : `${likeLiteral(calleeDigits(search))}%`;

  if (input.reason === UNBILLABLE_REASONS.unknownAccount) {
    const result = await pool().query<TGroupRow & { account_code: string | null }>(
      `SELECT c.account_code, ${GROUP_MEASURES}
       FROM cdrs c WHERE c.tenant_id = $1::uuid AND c.status = 'UNBILLABLE' AND c.unbillable_reason = $2
         AND ($3::text IS NULL OR c.account_code ILIKE $3)
       GROUP BY c.account_code ORDER BY count(*) DESC, c.account_code LIMIT ${DETAIL_LIMIT}`,
      [tenantId, input.reason, search === null ? null : `%${likeLiteral(search)}%`],
    );
    return {
      kind: "account" as const,
      groups: groupsOf(result.rows),
      rows: result.rows.map((row) => ({ accountCode: row.account_code, ...measures(row, basis) })),
    };
  }

  if (input.reason === UNBILLABLE_REASONS.noRate) {
    // The deck a re-rate prices the call with (storedOwner in call-rating.ts): the trunk's own
    // while the trunk is still the call's customer's, else the customer's. A trunk moved to
    // another customer since would name a deck whose new rate changes nothing for these calls.
    const result = await pool().query<TGroupRow & { customer_id: string | null; deck_id: string | null; prefix: string }>(
      `SELECT c.customer_id,
              CASE WHEN t.customer_id = c.customer_id THEN COALESCE(t.rate_deck_id, cu.rate_deck_id) ELSE cu.rate_deck_id END AS deck_id,
              left(c.callee, $3::int) AS prefix, ${GROUP_MEASURES}
       FROM cdrs c
       LEFT JOIN sip_trunks t ON t.id = c.trunk_id AND t.tenant_id = c.tenant_id
       LEFT JOIN customers cu ON cu.id = c.customer_id AND cu.tenant_id = c.tenant_id
       WHERE c.tenant_id = $1::uuid AND c.status = 'UNBILLABLE' AND c.unbillable_reason = $2
         AND ($4::text IS NULL OR c.callee LIKE $4)
       GROUP BY 1, 2, 3 ORDER BY count(*) DESC, 3 LIMIT ${DETAIL_LIMIT}`,
      [tenantId, input.reason, input.prefixLength, calleePattern],
    );
    const customers = await customerNames(tenantId, result.rows.map((row) => row.customer_id));
    const deckIds = [...new Set(result.rows.map((row) => row.deck_id).filter((id): id is string => id !== null))];
    const decks = new Map(
      (await db().rateDeck.findMany({ where: { tenantId, id: { in: deckIds } }, select: { id: true, name: true } })).map((deck) => [deck.id, deck.name]),
    );
    return {
      kind: "prefix" as const,
      groups: groupsOf(result.rows),
      rows: result.rows.map((row) => ({
        customer: row.customer_id ? (customers.get(row.customer_id) ?? null) : null,
        deck: row.deck_id ? { id: row.deck_id, name: decks.get(row.deck_id) ?? "" } : null,
        prefix: row.prefix,
        ...measures(row, basis),
      })),
    };
  }

  if (input.reason === UNBILLABLE_REASONS.noDeck) {
    const result = await pool().query<TGroupRow & { customer_id: string | null }>(
      `SELECT c.customer_id, ${GROUP_MEASURES}
       FROM cdrs c
       LEFT JOIN customers cu ON cu.id = c.customer_id AND cu.tenant_id = c.tenant_id
       WHERE c.tenant_id = $1::uuid AND c.status = 'UNBILLABLE' AND c.unbillable_reason = $2
         AND ($3::text IS NULL OR cu.name ILIKE $3 OR cu.account_number ILIKE $3)
       GROUP BY c.customer_id ORDER BY count(*) DESC, c.customer_id LIMIT ${DETAIL_LIMIT}`,
      [tenantId, input.reason, search === null ? null : `%${likeLiteral(search)}%`],
    );
    const customers = await customerNames(tenantId, result.rows.map((row) => row.customer_id));
    return {
      kind: "deck" as const,
      groups: groupsOf(result.rows),
      rows: result.rows.map((row) => ({ customer: row.customer_id ? (customers.get(row.customer_id) ?? null) : null, ...measures(row, basis) })),
    };
  }

  // A reason this page has no specific fix for: the called prefixes at least show where the calls went.
  const result = await pool().query<TGroupRow & { prefix: string }>(
    `SELECT left(c.callee, $3::int) AS prefix, ${GROUP_MEASURES}
     FROM cdrs c WHERE c.tenant_id = $1::uuid AND c.status = 'UNBILLABLE' AND c.unbillable_reason = $2
       AND ($4::text IS NULL OR c.callee LIKE $4)
     GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ${DETAIL_LIMIT}`,
    [tenantId, input.reason, input.prefixLength, calleePattern],
  );
  return { kind: "other" as const, groups: groupsOf(result.rows), rows: result.rows.map((row) => ({ prefix: row.prefix, ...measures(row, basis) })) };
}

export type TUnbillableDetail = Awaited<ReturnType<typeof unbillableDetail>>;

async function customerNames(tenantId: string, ids: (string | null)[]) {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const rows = await db().customer.findMany({
    where: { tenantId, id: { in: wanted } },
    select: { id: true, name: true, accountNumber: true, rateDeckId: true },
  });
  return new Map(rows.map((row) => [row.id, row]));
}

export const ZMappableCustomersInput = z.object({ search: z.string().trim().max(200).default("") });

const MAPPABLE_CUSTOMERS_SHOWN = 50;

/**
 * The customers an account code can be mapped to, for the map dialog's picker: every one but the
 * closed, which mapAccountCode refuses. By name; `more` when the search matches more than shown.
 */
export async function mappableCustomers(options: { tenantId: string; input: z.input<typeof ZMappableCustomersInput> }) {
  const { tenantId } = options;
  const { search } = ZMappableCustomersInput.parse(options.input);
  const rows = await db().customer.findMany({
    where: {
      tenantId,
      status: { not: "CLOSED" },
      ...(search
        ? {
            OR: [
              { name: { contains: search, mode: "insensitive" } },
              { accountNumber: { contains: search, mode: "insensitive" } },
              { contactEmail: { contains: search, mode: "insensitive" } },
            ],
          }
        : {}),
    },
    select: { id: true, name: true, accountNumber: true },
    orderBy: [{ name: "asc" }, { id: "asc" }],
    take: MAPPABLE_CUSTOMERS_SHOWN + 1,
  });
  return { rows: rows.slice(0, MAPPABLE_CUSTOMERS_SHOWN), more: rows.length > MAPPABLE_CUSTOMERS_SHOWN };
}

export const ZMapAccountCode = z.object({
  accountCode: z
    .string()
    .trim()
    .min(1, "Enter the account code")
    .max(100)
    // A CDR field never holds them, so a code with one could only be a typo that maps nothing.
    .regex(/^[^\s\p{Cc}\p{Cf}]+$/u, "An account code cannot contain spaces or control characters"),
  customerId: z.uuid("Choose a customer"),
});

/**
 * Sends an account code's calls to a customer. A SIP trunk's own code already names its
 * customer (and wins over any mapping in rating), so mapping it would change nothing but
 * confuse: refused, saying which trunk has it. Codes are one regardless of case (rating
 * matches them so), so a case variant of a trunk's or a mapping's code is refused the same way.
 */
export async function mapAccountCode(options: { tenantId: string; actor: TActor; input: z.input<typeof ZMapAccountCode> }) {
  const { tenantId, actor } = options;
  const input = ZMapAccountCode.parse(options.input);
  const customer = await db().customer.findFirst({ where: { tenantId, id: input.customerId }, select: { id: true, name: true, accountNumber: true, status: true } });
  if (!customer) throw AppError.invalidField("customerId", "Choose one of your customers");
  if (customer.status === "CLOSED") throw AppError.invalidField("customerId", `${customer.name} is closed: its account cannot take calls.`);
  try {
    return await db().$transaction(async (tx) => {
      // The same lock saveTrunk takes: a trunk saved at this moment with this code sees this mapping, or this sees it.
      await lockAccountCode(tx, tenantId, input.accountCode);
      const trunk = await trunkWithCode(tx, tenantId, input.accountCode);
      if (trunk) {
        throw AppError.invalidField(
          "accountCode",
          `Account code ${codeAsFound(input.accountCode, trunk.accountCode)} is the code of trunk "${trunk.name}" of ${trunk.customerName}: its calls already belong to that customer.`,
        );
      }
      const existing = await mappingOfCode(tx, tenantId, input.accountCode);
      if (existing) {
        throw AppError.invalidField("accountCode", `Account code ${codeAsFound(input.accountCode, existing.accountCode)} is already mapped to ${existing.customerName}.`);
      }
      const mapping = await tx.accountCodeMapping.create({
        data: { tenantId, accountCode: input.accountCode, customerId: customer.id },
        select: { id: true, accountCode: true, customerId: true, createdAt: true },
      });
      // Its unanswered calls are the customer's from now on (its unbillable ones at the re-rate, which charges them).
      await tx.$executeRawUnsafe(CLAIM_UNANSWERED_SQL, ...claimParameters({ tenantId, accountCode: input.accountCode, customerId: customer.id, trunkId: null }));
      await recordAudit(tx, {
        tenantId,
        actor,
        action: "cdr.account_code.mapped",
        targetType: "customer",
        targetId: customer.id,
        after: { accountCode: input.accountCode, customer: customer.accountNumber },
      });
      return mapping;
    });
  } catch (error) {
    // The lock makes this unlikely, not impossible (a mapping written by another path): the index has the last word.
    if (!isUniqueViolation(error)) throw error;
    throw AppError.invalidField("accountCode", `Account code ${input.accountCode} is already mapped to another customer.`);
  }
}

/** Money and counts as typed in the form; the deck import validates them exactly as in a file. */
const ZTypedValue = z.string().trim().max(40);

export const ZAddRate = z.object({
  deckId: z.uuid("Choose a rate deck"),
  prefix: z.string().trim().min(1, "Enter the prefix").max(20),
  description: z.string().trim().min(1, "Enter a description").max(200),
  category: z.enum(RATE_CATEGORIES),
  ratePerMinute: ZTypedValue.min(1, "Enter the price per minute"),
  connectFee: ZTypedValue.default("0"),
  initialIncrement: ZTypedValue.default("60"),
  increment: ZTypedValue.default("60"),
  graceSeconds: ZTypedValue.default("0"),
  effectiveFrom: z.coerce.date("Enter the date from which the rate applies"),
});

/** Form field of each native deck column, to put an import's line error next to its input. */
const FIELD_OF_COLUMN: Record<(typeof NATIVE_DECK_COLUMNS)[number], string> = {
  prefix: "prefix",
  description: "description",
  category: "category",
  rate_per_minute: "ratePerMinute",
  connect_fee: "connectFee",
  initial_increment: "initialIncrement",
  increment: "increment",
  grace_seconds: "graceSeconds",
  effective_from: "effectiveFrom",
  effective_to: "effectiveFrom",
};

/**
 * Adds one rate (a new number range, or a new version of a prefix) to a deck by importing a
 * one-line native deck file: validation, versioning (an existing prefix is closed at the new
 * start, not overwritten), the deck's version bump, cache invalidation and the audit entry
 * are exactly those of a file import.
 */
export async function addRateForPrefix(options: { tenantId: string; actor: TActor; input: z.input<typeof ZAddRate> }) {
  const { tenantId, actor } = options;
  const input = ZAddRate.parse(options.input);
  // A version of the prefix starting at the same moment would be replaced in place, changing
  // the terms behind calls already rated with it: a new rate starts later, as a new version.
  const sameStart = await db().rate.findFirst({
    where: { deckId: input.deckId, deck: { tenantId }, prefix: input.prefix.replace(/^\+/, ""), effectiveFrom: input.effectiveFrom },
    select: { id: true },
  });
  if (sameStart) {
    throw AppError.invalidField("effectiveFrom", `The deck already has a rate for ${input.prefix} from this moment. Choose a later start: the new rate becomes a new version.`);
  }
  const row = [
    input.prefix,
    input.description,
    input.category,
    input.ratePerMinute,
    input.connectFee || "0",
    input.initialIncrement,
    input.increment,
    input.graceSeconds || "0",
    input.effectiveFrom.toISOString(),
    "",
  ].map(quoteCsvField);
  const file = `${NATIVE_DECK_COLUMNS.join(",")}\n${row.join(",")}\n`;
  const preview = await previewDeckImport({
    tenantId,
    actor,
    request: { deckId: input.deckId, format: "native", fileName: `rate-${input.prefix.replace(/[^0-9A-Za-z]+/g, "")}.csv`, effectiveFrom: input.effectiveFrom },
    file: Readable.from([file]),
  }).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "NOT_FOUND") throw AppError.invalidField("deckId", "Choose one of your rate decks");
    throw error;
  });
  if (preview.invalidRows > 0) {
    const errors = await listDeckImportErrors({ tenantId, importId: preview.id, page: 0, pageSize: 10 });
    await discardDeckImport({ tenantId, actor, importId: preview.id });
    const fieldErrors: Record<string, string[]> = {};
    for (const { error } of errors.rows) {
      const column = error.split(":", 1)[0]!.trim() as (typeof NATIVE_DECK_COLUMNS)[number];
      const field = FIELD_OF_COLUMN[column] ?? "_form";
      const message = field === "_form" ? error : error.slice(column.length + 1).trim();
      (fieldErrors[field] ??= []).push(message.charAt(0).toUpperCase() + message.slice(1));
    }
    const first = Object.values(fieldErrors)[0]?.[0] ?? "The rate is not valid.";
    throw new AppError("INVALID_INPUT", first, { fieldErrors });
  }
  if (preview.unchangedRows > 0) {
    await discardDeckImport({ tenantId, actor, importId: preview.id });
    throw new AppError("CONFLICT", `The deck already has exactly this rate for ${input.prefix} from that date: nothing to add. Re-rate the calls if they are still unbillable.`);
  }
  const committed = await commitDeckImport({ tenantId, actor, importId: preview.id });
  const deck = await db().rateDeck.findFirst({ where: { tenantId, id: input.deckId }, select: { id: true, name: true, version: true } });
  return { ...committed, deck };
}

export const ZRerateStatusInput = z.object({ requestId: z.uuid() });

/** Inngest cancels a run this long after its first start, retries included (timeouts.ts). */
const RERATE_RUN_LIMIT_MS = durationToMs(RUN_TIMEOUTS.cdrRerate.finish);

/**
 * Progress of a re-rate: its request, as the re-rate writes it (server/cdr/rerate.ts) under
 * either engine, and the calls of its reason still unbillable, which fall as the batches commit.
 * A run cancelled for its time limit never writes its end: past that limit, a request still
 * RUNNING reads as failed.
 */
export async function rerateStatus(options: { tenantId: string; input: z.input<typeof ZRerateStatusInput> }) {
  const { tenantId } = options;
  const input = ZRerateStatusInput.parse(options.input);
  const request = await db().rerateRequest.findFirst({
    where: { tenantId, id: input.requestId },
    select: { status: true, reason: true, rated: true, stillUnbillable: true, charged: true, error: true, requestedAt: true, startedAt: true, attemptStartedAt: true, finishedAt: true },
  });
  if (!request) throw AppError.notFound("Re-rate request");
  const remaining = await db().cdr.count({ where: { tenantId, status: "UNBILLABLE", ...(request.reason ? { unbillableReason: request.reason } : {}) } });
  const now = Date.now();
  // The embedded runner gives each attempt a limit of its own; an Inngest server, the whole run.
  const limitFrom = inngestServerConfigured() ? request.startedAt : request.attemptStartedAt;
  const cancelled = request.status === "RUNNING" && limitFrom !== null && now - limitFrom.getTime() > RERATE_RUN_LIMIT_MS;
  // Queued behind at most one other re-rate of the tenant (one runs at a time, and the page starts
  // one at a time): past two runs' limits its event was lost (a process died before sending it).
  const neverStarted = request.status === "QUEUED" && now - request.requestedAt.getTime() > 2 * RERATE_RUN_LIMIT_MS;
  const status = cancelled || neverStarted ? ("FAILED" as const) : request.status;
  const error = cancelled
    ? `Cancelled: the re-rate did not finish within ${RUN_TIMEOUTS.cdrRerate.finish}${request.error ? ` (last error: ${request.error})` : ""}`
    : neverStarted
      ? "Never started: the request was not handed to the job engine. Nothing was billed; run it again."
      : request.error;
  return {
    ...request,
    status,
    error,
    remaining,
    done: status === "COMPLETED" || status === "FAILED",
  };
}
