import type { LedgerKind } from "@/server/db/generated/enums";
import { db } from "@/server/db/client";

/**
 * What a customer reads for a ledger entry. Memos are written for the tenant's staff (a CDR
 * batch's memo names the carrier's file and its lines; a dispute's carries Stripe's reason
 * code), so the customer's text is built from the entry's kind and reference instead. The one
 * memo written for the customer is an adjustment's: the reason staff typed.
 */

/** The fields of an entry its customer-facing text is built from; never sent to the customer as such. */
export type TEntryForText = {
  id: bigint;
  kind: LedgerKind;
  amount: bigint;
  referenceType: string | null;
  referenceId: string | null;
  idempotencyKey: string;
  memo: string | null;
  createdAt: Date;
};

export const CUSTOMER_TEXT = {
  TOPUP: "Card top-up",
  AUTO_RECHARGE: "Automatic top-up",
  CALL_CHARGES: "Call charges",
  RERATED_CALLS: "Charges for earlier calls, priced later",
  SMS_CHARGES: "Text message charges",
  RECURRING_FEE: "Recurring fee",
  ADJUSTMENT: "Balance adjustment",
  REFUND: "Refund to your card",
  REFUND_RESTORED: "Refund to your card failed: amount returned to your balance",
  CHARGEBACK: "Card payment disputed",
  CHARGEBACK_REVERSED: "Disputed card payment settled: amount returned to your balance",
} as const;

// The shapes ingest.ts (chargeKey) and recurring.ts (keyOf) give their keys: the key is the
// only place a batch's line range and a fee's period are recorded.
// A key ending in a digest charged only some of its range's calls (ingest's insertThroughStaging).
const CDR_BATCH_KEY = /^cdr:[0-9a-f-]{36}:lines-(\d+)-(\d+):[0-9a-f-]{36}(:[0-9a-f]{32})?$/;
const RECURRING_KEY = /^recurring:[0-9a-f-]{36}:(\d{4}-\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The file and line range a CDR batch's charge billed, read from its reference and key; null for
 * any other entry (a re-rate's charge, or one posted by hand).
 */
export function cdrBatchOf(
  entry: Pick<TEntryForText, "kind" | "referenceType" | "referenceId" | "idempotencyKey">,
): { fileId: string; firstLine: number; lastLine: number; partOfRange: boolean } | null {
  if (entry.kind !== "CALL_CHARGES" || entry.referenceType !== "cdr_file" || !entry.referenceId || !UUID.test(entry.referenceId)) return null;
  const lines = CDR_BATCH_KEY.exec(entry.idempotencyKey);
  return lines ? { fileId: entry.referenceId, firstLine: Number(lines[1]), lastLine: Number(lines[2]), partOfRange: lines[3] !== undefined } : null;
}

type TCallSummary = { calls: number; firstDay: string; lastDay: string };

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "2026-10-06" → "06 Oct 2026", as the pages write dates (a calendar day: no zone shifts it). */
export function dayLabel(day: string): string {
  const [year, month, date] = day.split("-");
  return `${date} ${MONTHS[Number(month) - 1] ?? month} ${year}`;
}

/** "2026-10" → "October 2026". */
export function periodLabel(period: string): string {
  const [year, month] = period.split("-").map(Number);
  return new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(year!, month! - 1, 1)));
}

function callChargesText(summary: TCallSummary | undefined): string {
  if (!summary || summary.calls === 0) return CUSTOMER_TEXT.CALL_CHARGES;
  const calls = `${summary.calls} call${summary.calls === 1 ? "" : "s"}`;
  const days = summary.firstDay === summary.lastDay ? `on ${dayLabel(summary.firstDay)}` : `from ${dayLabel(summary.firstDay)} to ${dayLabel(summary.lastDay)}`;
  return `${CUSTOMER_TEXT.CALL_CHARGES}: ${calls} ${days}`;
}

/**
 * The calls each CDR batch entry billed, in one query for the lot (a page, or a CSV batch).
 * A batch billed the customer's priced calls of its file in its line range; they are read
 * through the (tenant, customer, start) index bounded by the file's first and last call, so
 * each file on the page is scanned once for this customer, not once per entry. Calls priced
 * later by a re-rate sit in the same lines but were billed by the re-rate's entry: their
 * rated_at is after the batch's entry was written, and they are left out.
 */
async function callSummaries(options: { tenantId: string; customerId: string; timeZone: string; entries: readonly TEntryForText[] }): Promise<Map<bigint, TCallSummary>> {
  const batches: { id: bigint; fileId: string; firstLine: number; lastLine: number; createdAt: Date }[] = [];
  for (const entry of options.entries) {
    const batch = cdrBatchOf(entry);
    // Which of its range's calls a partial charge billed is not recorded: it reads as calls priced
    // later (textOf), as on the statement, rather than with the range's count.
    if (batch && !batch.partOfRange) batches.push({ id: entry.id, fileId: batch.fileId, firstLine: batch.firstLine, lastLine: batch.lastLine, createdAt: entry.createdAt });
  }
  if (batches.length === 0) return new Map();
  const rows = await db().$queryRawUnsafe<{ entry_id: string; calls: number; first_day: string; last_day: string }[]>(
    `WITH e AS (
       SELECT * FROM unnest($3::bigint[], $4::uuid[], $5::int[], $6::int[], $7::timestamptz[])
         AS e(entry_id, file_id, first_line, last_line, created_at)
     ),
     files AS (
       SELECT f.id, f.first_call_at, f.last_call_at FROM cdr_files f
       WHERE f.tenant_id = $1::uuid AND f.id IN (SELECT DISTINCT file_id FROM e) AND f.first_call_at IS NOT NULL
     ),
     calls AS (
       SELECT c.file_id, c.line, c.start_at, c.rated_at
       FROM files f
       CROSS JOIN LATERAL (
         SELECT c.file_id, c.line, c.start_at, c.rated_at FROM cdrs c
         WHERE c.tenant_id = $1::uuid AND c.customer_id = $2::uuid
           AND c.start_at BETWEEN f.first_call_at AND f.last_call_at
           AND c.file_id = f.id AND c.status = 'RATED' AND c.price > 0
       ) c
     )
     SELECT e.entry_id::text AS entry_id, count(*)::int AS calls,
            to_char(min(c.start_at) AT TIME ZONE $8, 'YYYY-MM-DD') AS first_day,
            to_char(max(c.start_at) AT TIME ZONE $8, 'YYYY-MM-DD') AS last_day
     FROM e JOIN calls c ON c.file_id = e.file_id AND c.line BETWEEN e.first_line AND e.last_line AND c.rated_at <= e.created_at
     GROUP BY e.entry_id`,
    options.tenantId,
    options.customerId,
    batches.map((batch) => batch.id.toString()),
    batches.map((batch) => batch.fileId),
    batches.map((batch) => batch.firstLine),
    batches.map((batch) => batch.lastLine),
    batches.map((batch) => batch.createdAt.toISOString()),
    options.timeZone,
  );
  return new Map(rows.map((row) => [BigInt(row.entry_id), { calls: row.calls, firstDay: row.first_day, lastDay: row.last_day }]));
}

/** Today's descriptions of the customer's recurring fees on the page, in one query. */
async function feeDescriptions(options: { tenantId: string; customerId: string; entries: readonly TEntryForText[] }): Promise<Map<string, string>> {
  const ids = [
    ...new Set(
      options.entries
        .filter((entry) => entry.kind === "RECURRING_FEE" && entry.referenceType === "recurring_fee" && entry.referenceId && UUID.test(entry.referenceId))
        .map((entry) => entry.referenceId!),
    ),
  ];
  if (ids.length === 0) return new Map();
  const fees = await db().recurringCharge.findMany({
    where: { tenantId: options.tenantId, customerId: options.customerId, id: { in: ids } },
    select: { id: true, description: true },
  });
  return new Map(fees.map((fee) => [fee.id, fee.description]));
}

function textOf(entry: TEntryForText, calls: Map<bigint, TCallSummary>, fees: Map<string, string>): string {
  switch (entry.kind) {
    case "TOPUP":
      return CUSTOMER_TEXT.TOPUP;
    case "AUTO_RECHARGE":
      return CUSTOMER_TEXT.AUTO_RECHARGE;
    case "CALL_CHARGES":
      if (entry.referenceType === "cdr_rerate" || cdrBatchOf(entry)?.partOfRange) return CUSTOMER_TEXT.RERATED_CALLS;
      return callChargesText(calls.get(entry.id));
    case "SMS_CHARGES":
      return CUSTOMER_TEXT.SMS_CHARGES;
    case "RECURRING_FEE": {
      const description = (entry.referenceId ? fees.get(entry.referenceId) : undefined) ?? CUSTOMER_TEXT.RECURRING_FEE;
      const period = RECURRING_KEY.exec(entry.idempotencyKey)?.[1];
      return period ? `${description} (${periodLabel(period)})` : description;
    }
    case "ADJUSTMENT":
      // The adjust dialog's reason is the one memo staff write for the customer to read.
      return entry.memo?.trim() || CUSTOMER_TEXT.ADJUSTMENT;
    case "REFUND":
      // A positive refund entry is a failed refund putting the money back (webhooks.ts).
      return entry.amount > 0n ? CUSTOMER_TEXT.REFUND_RESTORED : CUSTOMER_TEXT.REFUND;
    case "CHARGEBACK":
      // A positive chargeback entry reinstates the funds of a dispute the tenant won.
      return entry.amount > 0n ? CUSTOMER_TEXT.CHARGEBACK_REVERSED : CUSTOMER_TEXT.CHARGEBACK;
  }
}

/**
 * The customer-facing text of each entry, by id. Entries must all be the customer's: the
 * lookups are filtered by tenantId and customerId regardless. At most two queries whatever
 * the number of entries.
 */
export async function customerTexts(options: { tenantId: string; customerId: string; timeZone: string; entries: readonly TEntryForText[] }): Promise<Map<bigint, string>> {
  const [calls, fees] = await Promise.all([callSummaries(options), feeDescriptions(options)]);
  return new Map(options.entries.map((entry) => [entry.id, textOf(entry, calls, fees)]));
}
