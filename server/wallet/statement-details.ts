import { z } from "zod";
import type { LedgerKind, RateCategory } from "@/server/db/generated/enums";
import { db } from "@/server/db/client";
import { cdrBatchOf, customerTexts } from "./customer-text";
import { LEDGER_KINDS } from "./wallet";

/**
 * What made up a statement's month, for the PDF and the portal alike: every entry that is not
 * a call charge (top-ups, fees, adjustments, refunds, disputes) as the customer reads it, and
 * the call charges summed by category.
 *
 * Call usage is counted from the period's call-charge entries, not from calls started in the
 * period: a statement's lines are sums of ledger entries by created_at, and a call is billed
 * by the entry of the transaction that priced it (a CDR batch, or a re-rate), which may be
 * weeks after the call. So the usage table adds up, to the micro-unit, to the "Call charges"
 * line. A batch entry's calls are found exactly through its file and line range (its key), as
 * the ledger page finds them (customer-text.ts); a re-rate's key is a digest of its calls, and
 * they could be read back only by scanning the customer's whole history, so re-rated charges
 * are one line of their own.
 *
 * A statement's period has ended when it is written and entries are never back-dated, so its
 * details never change: they are computed once and stored with it (statements.details, see
 * {@link storedStatementDetails}), not at every view.
 */

export type TStatementActivity = { id: bigint; at: Date; kind: LedgerKind; description: string; amount: bigint; balanceAfter: bigint };

export type TStatementUsageRow = {
  /** A rate category; "RERATED" and "OTHER_CHARGES" are call charges whose calls are not listed. */
  key: RateCategory | "UNCATEGORISED" | "RERATED" | "OTHER_CHARGES";
  label: string;
  /** Null where the calls behind the amount are not counted (re-rates, charges without calls). */
  calls: number | null;
  billedSeconds: bigint | null;
  /** billedSeconds as minutes to two decimals, for both renderings to print alike. */
  billedMinutes: string | null;
  amount: bigint;
};

export type TStatementUsage = {
  rows: TStatementUsageRow[];
  /** Sum of the rows: always the statement's "Call charges" line (negative: charges). */
  total: bigint;
  /** Call-charge entries of the period: one per CDR batch and customer, or per re-rate. */
  entries: number;
  /** How the table relates to the calls' own dates, printed under it wherever it is shown. */
  note: string;
};

export type TStatementDetails = { activity: TStatementActivity[]; usage: TStatementUsage };

const CATEGORY_LABELS: Record<RateCategory, string> = {
  LOCAL: "Local",
  LONG_DISTANCE: "Long distance",
  TOLL_FREE: "Toll free",
  INTERNATIONAL: "International",
  MOBILE: "Mobile",
  PREMIUM: "Premium",
  OTHER: "Other calls",
};
const CATEGORY_ORDER = Object.keys(CATEGORY_LABELS) as RateCategory[];

const USAGE_NOTE =
  "Calls are counted on the statement that charged them: a call priced after the month ended (a late CDR file, or a call priced when a rate was added) is on the next statement.";

type TPeriod = { tenantId: string; customerId: string; timeZone: string; start: Date; end: Date };

const entrySelect = {
  id: true,
  kind: true,
  amount: true,
  referenceType: true,
  referenceId: true,
  idempotencyKey: true,
  memo: true,
  createdAt: true,
  balanceAfter: true,
} as const;

/** The period's entries other than call charges, oldest first, with the text the customer reads. */
async function statementActivity(options: TPeriod): Promise<TStatementActivity[]> {
  const entries = await db().ledgerEntry.findMany({
    where: { tenantId: options.tenantId, customerId: options.customerId, createdAt: { gte: options.start, lt: options.end }, kind: { not: "CALL_CHARGES" } },
    select: entrySelect,
    // The order entries were chained in, so each balance follows from the one above it.
    orderBy: { id: "asc" },
  });
  const texts = await customerTexts({ tenantId: options.tenantId, customerId: options.customerId, timeZone: options.timeZone, entries });
  return entries.map((entry) => ({
    id: entry.id,
    at: entry.createdAt,
    kind: entry.kind,
    description: texts.get(entry.id) ?? entry.kind,
    amount: entry.amount,
    balanceAfter: entry.balanceAfter,
  }));
}

type TBatch = { fileId: string; firstLine: number; lastLine: number; postedAt: Date };

/**
 * Priced calls of the given batch entries, by category. Each file is read once, through the
 * (tenant, customer, start) index between its first and last call; a call finds its batch by a
 * binary search of the file's batch starts (width_bucket), not by joining every call to every
 * batch. A call in a batch's lines that was priced after the batch posted was billed by a
 * re-rate, not by the batch, and is left out, as in customer-text.ts.
 */
async function batchUsage(options: TPeriod, batches: readonly TBatch[]) {
  if (batches.length === 0) return [];
  return db().$queryRawUnsafe<{ category: RateCategory | null; calls: number; billed_seconds: string; price: string }[]>(
    `WITH b AS (
       SELECT * FROM unnest($3::uuid[], $4::int[], $5::int[], $6::timestamptz[]) AS b(file_id, first_line, last_line, posted_at)
     ),
     files AS (
       SELECT b.file_id, array_agg(b.first_line ORDER BY b.first_line) AS firsts, array_agg(b.last_line ORDER BY b.first_line) AS lasts,
              array_agg(b.posted_at ORDER BY b.first_line) AS posted, f.first_call_at, f.last_call_at
       FROM b JOIN cdr_files f ON f.tenant_id = $1::uuid AND f.id = b.file_id AND f.first_call_at IS NOT NULL
       GROUP BY b.file_id, f.first_call_at, f.last_call_at
     )
     SELECT c.category::text AS category, sum(c.calls)::int AS calls, coalesce(sum(c.billed_seconds), 0)::text AS billed_seconds, sum(c.price)::text AS price
     FROM files f
     CROSS JOIN LATERAL (
       -- Summed per file, so no sort or hash ever holds a month of calls.
       SELECT c.category, count(*) AS calls, sum(c.billed_seconds) AS billed_seconds, sum(c.price) AS price
       FROM (
         SELECT c.category, c.billed_seconds, c.price, c.line, c.rated_at, width_bucket(c.line, f.firsts) AS batch
         FROM cdrs c
         WHERE c.tenant_id = $1::uuid AND c.customer_id = $2::uuid
           AND c.start_at BETWEEN f.first_call_at AND f.last_call_at
           AND c.file_id = f.file_id AND c.status = 'RATED' AND c.price > 0
       ) c
       WHERE c.batch > 0 AND c.line <= f.lasts[c.batch] AND c.rated_at <= f.posted[c.batch]
       GROUP BY c.category
     ) c
     GROUP BY c.category`,
    options.tenantId,
    options.customerId,
    batches.map((batch) => batch.fileId),
    batches.map((batch) => batch.firstLine),
    batches.map((batch) => batch.lastLine),
    batches.map((batch) => batch.postedAt.toISOString()),
  );
}

/** The period's call charges by category; the rows sum to the period's call-charge entries. */
async function statementUsage(options: TPeriod): Promise<TStatementUsage> {
  const entries = await db().ledgerEntry.findMany({
    where: { tenantId: options.tenantId, customerId: options.customerId, createdAt: { gte: options.start, lt: options.end }, kind: "CALL_CHARGES" },
    select: { kind: true, amount: true, referenceType: true, referenceId: true, idempotencyKey: true, createdAt: true },
  });
  const batches: TBatch[] = [];
  let rerated = 0n;
  let total = 0n;
  for (const entry of entries) {
    total += entry.amount;
    const batch = cdrBatchOf(entry);
    // A part of a batch's range charged on a later read of its file (lines it had rejected, read
    // after a fix) bills calls priced after the batch, as a re-rate does; which of the range's
    // calls it billed is not recorded, so it is not listed by category.
    if (batch && !batch.partOfRange) {
      batches.push({ fileId: batch.fileId, firstLine: batch.firstLine, lastLine: batch.lastLine, postedAt: entry.createdAt });
    } else if (entry.referenceType === "cdr_rerate" || batch?.partOfRange) rerated += entry.amount;
  }
  const grouped = await batchUsage(options, batches);
  const rows: TStatementUsageRow[] = [];
  let listed = 0n;
  const byCategory = new Map(grouped.map((row) => [row.category ?? "UNCATEGORISED", row]));
  for (const key of [...CATEGORY_ORDER, "UNCATEGORISED" as const]) {
    const row = byCategory.get(key);
    if (!row) continue;
    // Entries are signed (a charge is negative); prices are positive.
    const amount = -BigInt(row.price);
    listed += amount;
    const billedSeconds = BigInt(row.billed_seconds);
    const label = key === "UNCATEGORISED" ? "Uncategorised calls" : CATEGORY_LABELS[key];
    rows.push({ key, label, calls: row.calls, billedSeconds, billedMinutes: billedMinutes(billedSeconds), amount });
  }
  if (rerated !== 0n) rows.push({ key: "RERATED", label: "Earlier calls, priced later", calls: null, billedSeconds: null, billedMinutes: null, amount: rerated });
  // Whatever the calls found do not explain (a charge posted by hand; calls since removed) is
  // shown rather than dropped, so the table still adds up to the Call charges line.
  const unexplained = total - listed - rerated;
  if (unexplained !== 0n) rows.push({ key: "OTHER_CHARGES", label: "Other call charges", calls: null, billedSeconds: null, billedMinutes: null, amount: unexplained });
  return { rows, total, entries: entries.length, note: USAGE_NOTE };
}

/**
 * Activity and call usage of one customer's statement period. Every query is scoped by the
 * tenant and the customer; the caller passes the statement's own bounds (statementBounds).
 */
export async function statementDetails(options: TPeriod): Promise<TStatementDetails> {
  const [activity, usage] = await Promise.all([statementActivity(options), statementUsage(options)]);
  return { activity, usage };
}

/** Billed seconds as minutes to two decimals, rounded half up ("90" → "1.50"), exactly. */
function billedMinutes(seconds: bigint): string {
  const hundredths = (seconds * 100n + 30n) / 60n;
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, "0")}`;
}

/**
 * The stored form of a statement's details (statements.details, JSONB). JSON has no BigInt and
 * no Date: money, seconds and entry ids are decimal strings, instants ISO strings. `version`
 * tells a later shape from this one; a row of a version this code does not know is not read.
 */
const STORED_DETAILS_VERSION = 1;

const ZInteger = z.string().regex(/^-?\d+$/).transform((value) => BigInt(value));
const ZUsageKey = z.enum([...(CATEGORY_ORDER as [RateCategory, ...RateCategory[]]), "UNCATEGORISED", "RERATED", "OTHER_CHARGES"]);

const ZStoredDetails = z.object({
  version: z.literal(STORED_DETAILS_VERSION),
  activity: z.array(
    z.object({
      id: ZInteger,
      at: z.iso.datetime().transform((value) => new Date(value)),
      kind: z.enum(LEDGER_KINDS),
      description: z.string(),
      amount: ZInteger,
      balanceAfter: ZInteger,
    }),
  ),
  usage: z.object({
    rows: z.array(
      z.object({
        key: ZUsageKey,
        label: z.string(),
        calls: z.number().int().nullable(),
        billedSeconds: ZInteger.nullable(),
        billedMinutes: z.string().nullable(),
        amount: ZInteger,
      }),
    ),
    total: ZInteger,
    entries: z.number().int(),
    note: z.string(),
  }),
});

export type TStoredStatementDetails = z.input<typeof ZStoredDetails>;

/** A statement's details as stored (statements.details). */
export function storedStatementDetails(details: TStatementDetails): TStoredStatementDetails {
  return {
    version: STORED_DETAILS_VERSION,
    activity: details.activity.map((entry) => ({
      id: entry.id.toString(),
      at: entry.at.toISOString(),
      kind: entry.kind,
      description: entry.description,
      amount: entry.amount.toString(),
      balanceAfter: entry.balanceAfter.toString(),
    })),
    usage: {
      rows: details.usage.rows.map((row) => ({
        key: row.key,
        label: row.label,
        calls: row.calls,
        billedSeconds: row.billedSeconds === null ? null : row.billedSeconds.toString(),
        billedMinutes: row.billedMinutes,
        amount: row.amount.toString(),
      })),
      total: details.usage.total.toString(),
      entries: details.usage.entries,
      note: details.usage.note,
    },
  };
}

/**
 * Stored details read back, exactly as {@link statementDetails} returned them; null for none
 * (a statement written before they were stored) or for a shape this code cannot read.
 */
export function parseStoredStatementDetails(value: unknown): TStatementDetails | null {
  if (value === null || value === undefined) return null;
  const parsed = ZStoredDetails.safeParse(value);
  if (!parsed.success) return null;
  return parsed.data;
}
