import { z } from "zod";
import { Prisma } from "@/server/db/generated/client";
import type { LedgerKind } from "@/server/db/generated/enums";
import { db } from "@/server/db/client";
import { AppError, errorMessage, isUniqueViolation } from "@/server/errors";
import { sendMail } from "@/server/mail/mailer";
import { appUrl } from "@/server/mail/templates";
import { formatAmount } from "@/server/rating/money";
import { getZoneConverter } from "@/server/rating/time-zone";
import { billingPeriod } from "./recurring";
import { parseStoredStatementDetails, statementDetails, storedStatementDetails, type TStatementDetails } from "./statement-details";
import { LEDGER_KINDS } from "./wallet";

// The PDF routes take the statement and its rendering from here.
export { statementPdf } from "./statement-pdf";

/**
 * Monthly statements. A statement summarises one customer's ledger over one billing period
 * ("YYYY-MM" in the tenant's time zone, its instants kept on the statement): the opening balance (the balance after the last
 * entry before the period), the period's entries summed by kind, and the closing balance,
 * which must equal the balance after the period's last entry. Entries are never back-dated
 * (created_at is the clock time of the insert, taken under the customer's row lock, so a
 * customer's entries are in the same order by created_at as by id), so a settled period's
 * statement never changes and regenerating it is free; (tenant, customer, period) is unique.
 * Nor do its details (activity and call usage, statement-details.ts): they are stored with it
 * when it is written, and a view reads them rather than a month of calls.
 */

/**
 * How long after a period's end its statement waits. An entry's created_at is the time it was
 * inserted, but it becomes visible only when its transaction commits: a CDR batch that posts
 * at 23:59:59.9 may commit seconds (or, loading a large file, minutes) later. A snapshot
 * taken an hour after the end sees every entry dated in the period, because no posting
 * transaction runs that long; a statement read earlier could miss one and be wrong forever.
 */
export const STATEMENT_GRACE_MS = 60 * 60 * 1000;

export const ZPeriod = z.string().trim().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "Enter a period like 2026-10");

/** Totals by ledger kind, decimal strings of micro-units (JSON has no BigInt). */
export type TStatementTotals = Record<LedgerKind, string>;

/** The UTC instants a period starts and ends at (end exclusive), in the tenant's time zone. */
export function periodBounds(period: string, timeZone: string): { start: Date; end: Date } {
  const parsed = ZPeriod.parse(period);
  const year = Number(parsed.slice(0, 4));
  const month = Number(parsed.slice(5, 7)) - 1;
  const zone = getZoneConverter(timeZone);
  return { start: new Date(zone.wallClockToUtc(Date.UTC(year, month, 1))), end: new Date(zone.wallClockToUtc(Date.UTC(year, month + 1, 1))) };
}

/** "2026-11" before "2026-12". */
function periodBefore(period: string): string {
  const year = Number(period.slice(0, 4));
  const month = Number(period.slice(5, 7));
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, "0")}`;
}

/** The last period that has fully ended at `now`, in the tenant's time zone. */
export function previousPeriod(now: Date, timeZone: string): string {
  return periodBefore(billingPeriod(now, timeZone).period);
}

/**
 * The last period whose statement can be written at `now`: it ended at least
 * {@link STATEMENT_GRACE_MS} ago, in the tenant's time zone.
 */
export function settledPeriod(now: Date, timeZone: string): string {
  return previousPeriod(new Date(now.getTime() - STATEMENT_GRACE_MS), timeZone);
}

/** Reads the totals column back, tolerating kinds added after a statement was written. */
export function parseTotals(value: unknown): Record<LedgerKind, bigint> {
  const source = value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  const totals = {} as Record<LedgerKind, bigint>;
  for (const kind of LEDGER_KINDS) {
    const raw = source[kind];
    totals[kind] = typeof raw === "string" && /^-?\d+$/.test(raw) ? BigInt(raw) : 0n;
  }
  return totals;
}

export class StatementReconciliationError extends Error {
  override name = "StatementReconciliationError";
}

/** Opening, totals by kind and closing of one customer's period, from the ledger. */
export async function computeStatement(options: { tenantId: string; customerId: string; start: Date; end: Date }) {
  const scope = { tenantId: options.tenantId, customerId: options.customerId };
  const inPeriod = { ...scope, createdAt: { gte: options.start, lt: options.end } };
  // One snapshot for the three reads: separate ones could each see a different set of
  // committed entries, and the check below would fail on a ledger that is fine.
  // id order is the order entries were chained in (each posting holds the customer's row lock).
  const [before, grouped, last] = await db().$transaction(
    async (tx) => [
      await tx.ledgerEntry.findFirst({ where: { ...scope, createdAt: { lt: options.start } }, orderBy: { id: "desc" }, select: { balanceAfter: true } }),
      await tx.ledgerEntry.groupBy({ by: ["kind"], where: inPeriod, _sum: { amount: true }, _count: { _all: true } }),
      await tx.ledgerEntry.findFirst({ where: inPeriod, orderBy: { id: "desc" }, select: { balanceAfter: true } }),
    ] as const,
    { isolationLevel: "RepeatableRead" },
  );
  const openingBalance = before?.balanceAfter ?? 0n;
  const totals = {} as TStatementTotals;
  let movement = 0n;
  let entryCount = 0;
  for (const kind of LEDGER_KINDS) totals[kind] = "0";
  for (const group of grouped) {
    const sum = group._sum.amount ?? 0n;
    totals[group.kind] = sum.toString();
    movement += sum;
    entryCount += group._count._all;
  }
  const closingBalance = openingBalance + movement;
  if (last && last.balanceAfter !== closingBalance) {
    throw new StatementReconciliationError(
      `Statement of customer ${options.customerId} does not reconcile: opening ${openingBalance} + movements ${movement} = ${closingBalance}, but the last entry left ${last.balanceAfter}`,
    );
  }
  return { openingBalance, closingBalance, totals, entryCount };
}

/** "2027-01" after "2026-12". */
function periodAfter(period: string): string {
  const year = Number(period.slice(0, 4));
  const month = Number(period.slice(5, 7));
  return month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, "0")}`;
}

/**
 * The instants a statement's period runs between. A statement written before keeps its own:
 * its totals were summed over them. A new one runs from the month's start to its end in the
 * tenant's zone now, except where a neighbouring month's statement is already written: it
 * starts where the previous one ended and ends where the next one starts (a month written
 * late, after a failure). So a change of the tenant's zone between two months neither counts
 * the hours between the two midnights twice nor drops them, and each opening balance is the
 * previous closing balance.
 */
async function statementBounds(options: { tenantId: string; customerId: string; period: string; timeZone: string }): Promise<{ start: Date; end: Date }> {
  const scope = { tenantId: options.tenantId, customerId: options.customerId };
  const [written, previous, next] = await Promise.all([
    db().statement.findUnique({ where: { tenantId_customerId_period: { ...scope, period: options.period } }, select: { periodStart: true, periodEnd: true } }),
    db().statement.findUnique({ where: { tenantId_customerId_period: { ...scope, period: periodBefore(options.period) } }, select: { periodEnd: true } }),
    db().statement.findUnique({ where: { tenantId_customerId_period: { ...scope, period: periodAfter(options.period) } }, select: { periodStart: true } }),
  ]);
  if (written) return { start: written.periodStart, end: written.periodEnd };
  const local = periodBounds(options.period, options.timeZone);
  const start = previous && previous.periodEnd < local.end ? previous.periodEnd : local.start;
  const end = next && next.periodStart > start ? next.periodStart : local.end;
  return { start, end };
}

/**
 * Writes (or rewrites) the statement of one customer for one finished period, with its details
 * (computed over the same bounds, stored in the same statement as its totals). Keeps
 * `emailedAt`: regenerating never sends the statement again.
 */
export async function generateStatement(options: { tenantId: string; customerId: string; period: string; now?: Date }) {
  const period = ZPeriod.parse(options.period);
  const customer = await db().customer.findFirst({
    where: { tenantId: options.tenantId, id: options.customerId },
    select: { id: true, tenant: { select: { timeZone: true } } },
  });
  if (!customer) throw AppError.notFound("Customer");
  const { start, end } = await statementBounds({ tenantId: options.tenantId, customerId: customer.id, period, timeZone: customer.tenant.timeZone });
  if (end.getTime() + STATEMENT_GRACE_MS > (options.now ?? new Date()).getTime()) {
    throw AppError.invalidField("period", "A statement can be generated an hour after its month has ended");
  }
  const [computed, details] = await Promise.all([
    computeStatement({ tenantId: options.tenantId, customerId: customer.id, start, end }),
    statementDetails({ tenantId: options.tenantId, customerId: customer.id, timeZone: customer.tenant.timeZone, start, end }),
  ]);
  const data = {
    openingBalance: computed.openingBalance,
    closingBalance: computed.closingBalance,
    totals: computed.totals,
    details: storedStatementDetails(details),
  };
  const where = { tenantId_customerId_period: { tenantId: options.tenantId, customerId: customer.id, period } };
  const select = { id: true, period: true, periodStart: true, periodEnd: true, openingBalance: true, closingBalance: true, totals: true, generatedAt: true, emailedAt: true } as const;
  try {
    return await db().statement.upsert({
      where,
      create: { tenantId: options.tenantId, customerId: customer.id, period, periodStart: start, periodEnd: end, ...data },
      // The bounds too: totals and details are always stored with the instants they were summed
      // over, even when two first generations of a statement raced on different bounds.
      update: { ...data, periodStart: start, periodEnd: end, generatedAt: new Date() },
      select,
    });
  } catch (error) {
    // Two generations of the same statement raced to create it: the loser updates.
    if (!isUniqueViolation(error)) throw error;
    return db().statement.update({ where, data: { ...data, periodStart: start, periodEnd: end, generatedAt: new Date() }, select });
  }
}

export type TStatementFailure = { tenantId: string; customerId: string; period: string; error: string };

/**
 * The monthly run: for every active tenant whose month has settled at `now` (in its own zone,
 * {@link settledPeriod}), writes the missing statements of that period. Existing statements
 * are left alone (a settled period cannot change), so running this several times, or on two
 * days so that zones west of UTC have finished their month, writes each statement once.
 * A customer whose statement cannot be written (a ledger that does not reconcile) is
 * reported in `failed` and skipped, so the others still get theirs; a later run of the same
 * period tries it again.
 */
export async function generateMissingStatements(options: { now?: Date; tenantId?: string } = {}) {
  const now = options.now ?? new Date();
  const tenants = await db().tenant.findMany({
    where: { status: "ACTIVE", ...(options.tenantId ? { id: options.tenantId } : {}) },
    select: { id: true, timeZone: true },
    orderBy: { createdAt: "asc" },
  });
  const written: { tenantId: string; statementId: string; period: string }[] = [];
  const failed: TStatementFailure[] = [];
  for (const tenant of tenants) {
    const period = settledPeriod(now, tenant.timeZone);
    const { end } = periodBounds(period, tenant.timeZone);
    const customers = await db().customer.findMany({
      where: { tenantId: tenant.id, createdAt: { lt: end }, statements: { none: { period } } },
      select: { id: true },
      orderBy: { createdAt: "asc" },
    });
    for (const customer of customers) {
      try {
        const statement = await generateStatement({ tenantId: tenant.id, customerId: customer.id, period, now });
        written.push({ tenantId: tenant.id, statementId: statement.id, period });
      } catch (error) {
        const message = errorMessage(error);
        console.error(`[statements] statement ${period} of customer ${customer.id} (tenant ${tenant.id}) failed: ${message}`);
        failed.push({ tenantId: tenant.id, customerId: customer.id, period, error: message });
      }
    }
  }
  return { written, failed };
}

/** Active tenants, for a run that works on them one at a time. */
export async function activeTenantIds(): Promise<string[]> {
  const tenants = await db().tenant.findMany({ where: { status: "ACTIVE" }, select: { id: true }, orderBy: { createdAt: "asc" } });
  return tenants.map((tenant) => tenant.id);
}

/** Statements of the last settled period that have not been emailed yet (to resume after a crash). */
export async function statementsToEmail(options: { now?: Date; tenantId?: string } = {}) {
  const now = options.now ?? new Date();
  const tenants = await db().tenant.findMany({
    where: { status: "ACTIVE", ...(options.tenantId ? { id: options.tenantId } : {}) },
    select: { id: true, timeZone: true },
  });
  const pending: { tenantId: string; statementId: string }[] = [];
  for (const tenant of tenants) {
    const period = settledPeriod(now, tenant.timeZone);
    const rows = await db().statement.findMany({ where: { tenantId: tenant.id, period, emailedAt: null }, select: { id: true }, orderBy: { generatedAt: "asc" } });
    for (const row of rows) pending.push({ tenantId: tenant.id, statementId: row.id });
  }
  return pending;
}

/**
 * Emails a statement to the customer's billing contact, once: the statement row is locked
 * while the mail goes out, and `emailedAt` is set in the same transaction. A failed delivery
 * rolls back and throws, so the job retries; a concurrent run waits and then finds it sent.
 */
export async function emailStatement(options: { tenantId: string; statementId: string }): Promise<{ emailed: boolean }> {
  return db().$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<{ emailed_at: Date | null }[]>`
        SELECT emailed_at FROM statements WHERE tenant_id = ${options.tenantId}::uuid AND id = ${options.statementId}::uuid FOR UPDATE`;
      const row = locked[0];
      if (!row) throw AppError.notFound("Statement");
      if (row.emailed_at) return { emailed: false };
      const statement = await tx.statement.findFirstOrThrow({
        where: { tenantId: options.tenantId, id: options.statementId },
        select: {
          id: true,
          period: true,
          openingBalance: true,
          closingBalance: true,
          customer: { select: { name: true, contactEmail: true } },
          tenant: { select: { name: true, currency: true } },
        },
      });
      const url = appUrl(`/portal/statements/${statement.id}`);
      const currency = statement.tenant.currency;
      await sendMail({
        tenantId: options.tenantId,
        to: statement.customer.contactEmail,
        subject: `Your ${statement.tenant.name} statement for ${statement.period}`,
        text:
          `The statement of ${statement.customer.name} for ${statement.period} is ready.\n\n` +
          `Opening balance: ${formatAmount(statement.openingBalance, currency)}\n` +
          `Closing balance: ${formatAmount(statement.closingBalance, currency)}\n\n` +
          `View or download it: ${url}`,
      });
      await tx.statement.update({ where: { id: statement.id }, data: { emailedAt: new Date() } });
      return { emailed: true };
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}

const listSelect = { id: true, period: true, periodStart: true, periodEnd: true, openingBalance: true, closingBalance: true, generatedAt: true, emailedAt: true } as const;

/**
 * A customer's statements, newest first, with the tenant's currency: the amounts come with the
 * currency they are in, so a reader never shows them in one it guessed.
 */
export async function listStatements(options: { tenantId: string; customerId: string }) {
  const customer = await db().customer.findFirst({
    where: { tenantId: options.tenantId, id: options.customerId },
    select: { id: true, tenant: { select: { currency: true } } },
  });
  if (!customer) throw AppError.notFound("Customer");
  const statements = await db().statement.findMany({
    where: { tenantId: options.tenantId, customerId: customer.id },
    select: listSelect,
    orderBy: { period: "desc" },
    take: 120,
  });
  return { currency: customer.tenant.currency, statements };
}

/**
 * One statement with what a reader needs to show it (the summary, its activity and call usage);
 * scoped by tenant and customer.
 */
export async function getStatement(options: { tenantId: string; customerId: string; statementId: string }) {
  const row = await db().statement.findFirst({
    where: { tenantId: options.tenantId, customerId: options.customerId, id: options.statementId },
    select: {
      ...listSelect,
      totals: true,
      details: true,
      customer: { select: { id: true, name: true, accountNumber: true, billingType: true } },
      tenant: { select: { name: true, currency: true, timeZone: true } },
    },
  });
  if (!row) throw AppError.notFound("Statement");
  const { details: stored, ...statement } = row;
  const totals = parseTotals(statement.totals);
  const details = parseStoredStatementDetails(stored) ?? (await backfillStatementDetails(options.tenantId, statement, stored));
  return { ...statement, totals, sections: statementSections(totals), ...details };
}

/**
 * The details of a statement that has none stored (written before they were): computed over its
 * own bounds, in the zone it is read in now, and stored once. Concurrent first views each
 * compute them; the first to write stores them and the others' writes find the column filled
 * and change nothing, as does a view racing a regeneration (which stores its own). Details of a
 * shape this code cannot read (a later version's) are computed for the view but left as stored.
 */
async function backfillStatementDetails(
  tenantId: string,
  statement: { id: string; periodStart: Date; periodEnd: Date; customer: { id: string }; tenant: { timeZone: string } },
  stored: unknown,
): Promise<TStatementDetails> {
  const details = await statementDetails({
    tenantId,
    customerId: statement.customer.id,
    timeZone: statement.tenant.timeZone,
    start: statement.periodStart,
    end: statement.periodEnd,
  });
  if (stored !== null) {
    console.warn(`[statements] details of statement ${statement.id} are stored in a shape this version cannot read; computed them instead`);
    return details;
  }
  await db().statement.updateMany({
    // Only over the bounds they were computed for, and only where none are stored yet.
    where: { tenantId, id: statement.id, periodStart: statement.periodStart, periodEnd: statement.periodEnd, details: { equals: Prisma.DbNull } },
    data: { details: storedStatementDetails(details) },
  });
  return details;
}

export type TStatementSection = { key: string; label: string; amount: bigint };

/** The lines of a statement between opening and closing balance, in reading order. */
export function statementSections(totals: Record<LedgerKind, bigint>): TStatementSection[] {
  return [
    { key: "topups", label: "Top-ups", amount: totals.TOPUP + totals.AUTO_RECHARGE },
    { key: "calls", label: "Call charges", amount: totals.CALL_CHARGES },
    { key: "sms", label: "SMS charges", amount: totals.SMS_CHARGES },
    { key: "recurring", label: "Recurring fees", amount: totals.RECURRING_FEE },
    { key: "adjustments", label: "Adjustments", amount: totals.ADJUSTMENT },
    { key: "refunds", label: "Refunds and chargebacks", amount: totals.REFUND + totals.CHARGEBACK },
  ];
}

export function statementFileName(statement: { period: string; customer: { accountNumber: string } }): string {
  return `statement-${statement.customer.accountNumber.replace(/[^A-Za-z0-9._-]+/g, "-")}-${statement.period}.pdf`;
}
