import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import type { LedgerKind } from "@/server/db/generated/enums";
import { db } from "@/server/db/client";
import { csvText } from "@/server/lib/csv";
import { createLocalTimestampFormatter } from "@/server/lib/local-timestamp";
import type { TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { parseMoneyToMicros } from "@/server/rating/money";
import { postLedgerEntry, ZAdjustment } from "./ledger";
import { amountOwed, belowLowBalance, lockManually, requestAccountReaction, spendableMicros, unlockManually } from "./account-state";
import { customerTexts, type TEntryForText } from "./customer-text";

export const LEDGER_KINDS = ["TOPUP", "AUTO_RECHARGE", "CALL_CHARGES", "SMS_CHARGES", "RECURRING_FEE", "ADJUSTMENT", "REFUND", "CHARGEBACK"] as const;

export const ZLedgerQuery = z.object({
  customerId: z.uuid(),
  kind: z.enum(LEDGER_KINDS).nullable().default(null),
  from: z.coerce.date().nullable().default(null),
  to: z.coerce.date().nullable().default(null),
  page: z.number().int().min(0).default(0),
  pageSize: z.number().int().min(1).max(200).default(25),
});
export type TLedgerQuery = z.input<typeof ZLedgerQuery>;

function ledgerWhere(tenantId: string, query: z.infer<typeof ZLedgerQuery>): Prisma.LedgerEntryWhereInput {
  return {
    tenantId,
    customerId: query.customerId,
    ...(query.kind ? { kind: query.kind } : {}),
    ...(query.from || query.to ? { createdAt: { ...(query.from ? { gte: query.from } : {}), ...(query.to ? { lt: query.to } : {}) } } : {}),
  };
}

/** Staff's view of an entry: the memo as posted, the record it came from, who posted it. */
const ledgerRow = {
  id: true,
  amount: true,
  kind: true,
  referenceType: true,
  referenceId: true,
  balanceAfter: true,
  memo: true,
  createdAt: true,
  actorEmail: true,
} satisfies Prisma.LedgerEntrySelect;

/**
 * What the customer's text is built from. Read on the server only: memos are written for
 * staff, and references and keys name the carrier's internal records (a CDR file, its lines).
 */
const customerSourceRow = {
  id: true,
  amount: true,
  kind: true,
  referenceType: true,
  referenceId: true,
  idempotencyKey: true,
  balanceAfter: true,
  memo: true,
  createdAt: true,
} satisfies Prisma.LedgerEntrySelect;

export type TLedgerRow = Prisma.LedgerEntryGetPayload<{ select: typeof ledgerRow }>;

/** A customer's entry as the portal shows it: `description` is written for them (customer-text.ts). */
export type TCustomerLedgerRow = { id: bigint; amount: bigint; kind: LedgerKind; balanceAfter: bigint; createdAt: Date; description: string };

async function ledgerPage<TSelect extends Prisma.LedgerEntrySelect>(options: { tenantId: string; query: TLedgerQuery; select: TSelect }) {
  const query = ZLedgerQuery.parse(options.query);
  const where = ledgerWhere(options.tenantId, query);
  const [rows, total] = await Promise.all([
    db().ledgerEntry.findMany({ where, select: options.select, orderBy: [{ createdAt: "desc" }, { id: "desc" }], skip: query.page * query.pageSize, take: query.pageSize }),
    db().ledgerEntry.count({ where }),
  ]);
  return { rows, total, page: query.page, pageSize: query.pageSize, customerId: query.customerId };
}

async function tenantSettings(tenantId: string): Promise<{ timeZone: string; currency: string }> {
  const tenant = await db().tenant.findUnique({ where: { id: tenantId }, select: { timeZone: true, currency: true } });
  if (!tenant) throw AppError.notFound("Tenant");
  return tenant;
}

/**
 * A page of a ledger. `currency` is the tenant's, sent with the rows so a reader never shows
 * them in a currency it guessed while another query was loading or had failed.
 */
export type TLedgerPageOf<TRow> = { rows: TRow[]; total: number; page: number; pageSize: number; currency: string };

/** Tenant staff's view of a customer's ledger, with who posted each entry and its memo. */
export async function listLedger(options: { tenantId: string; query: TLedgerQuery }): Promise<TLedgerPageOf<TLedgerRow>> {
  const [{ rows, total, page, pageSize }, tenant] = await Promise.all([ledgerPage({ ...options, select: ledgerRow }), tenantSettings(options.tenantId)]);
  return { rows, total, page, pageSize, currency: tenant.currency };
}

async function customerRows(tenantId: string, customerId: string, timeZone: string, rows: readonly (TEntryForText & { balanceAfter: bigint })[]): Promise<TCustomerLedgerRow[]> {
  const texts = await customerTexts({ tenantId, customerId, timeZone, entries: rows });
  return rows.map((row) => ({ id: row.id, amount: row.amount, kind: row.kind, balanceAfter: row.balanceAfter, createdAt: row.createdAt, description: texts.get(row.id)! }));
}

/** The customer's own ledger, each entry described for the customer rather than by its staff memo. */
export async function listCustomerLedger(options: { tenantId: string; query: TLedgerQuery }): Promise<TLedgerPageOf<TCustomerLedgerRow>> {
  const [page, tenant] = await Promise.all([ledgerPage({ ...options, select: customerSourceRow }), tenantSettings(options.tenantId)]);
  return {
    rows: await customerRows(options.tenantId, page.customerId, tenant.timeZone, page.rows),
    total: page.total,
    page: page.page,
    pageSize: page.pageSize,
    currency: tenant.currency,
  };
}

function decimal(micros: bigint): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  return `${negative ? "-" : ""}${magnitude / 1_000_000n}.${(magnitude % 1_000_000n).toString().padStart(6, "0")}`;
}

const CSV_BATCH = 2000;

/** The entries of a query, newest first, in keyset batches (constant memory). */
async function* keysetBatches<TRow extends { id: bigint }>(
  where: Prisma.LedgerEntryWhereInput,
  fetch: (where: Prisma.LedgerEntryWhereInput, take: number) => Promise<TRow[]>,
): AsyncGenerator<TRow[]> {
  let cursor: bigint | null = null;
  for (;;) {
    const batch: TRow[] = await fetch({ ...where, ...(cursor !== null ? { id: { lt: cursor } } : {}) }, CSV_BATCH);
    yield batch;
    if (batch.length < CSV_BATCH) return;
    cursor = batch[batch.length - 1]!.id;
  }
}

/**
 * Staff's ledger as CSV in keyset batches (constant memory), with references and memos.
 * created_at is the tenant's wall time with its offset, as statements and the portal count
 * days, cut to the second: the posting's milliseconds tell a reader nothing, and the id order
 * the file is in already settles entries of the same second. time_zone (last, so readers that
 * go by position are unaffected) names the zone.
 */
export async function* ledgerCsv(options: { tenantId: string; query: TLedgerQuery }): AsyncGenerator<string> {
  const query = ZLedgerQuery.parse(options.query);
  const where = ledgerWhere(options.tenantId, query);
  const times = createLocalTimestampFormatter((await tenantSettings(options.tenantId)).timeZone, { milliseconds: false });
  const zone = csvText(times.timeZone);
  yield "created_at,kind,amount,balance_after,reference_type,reference_id,memo,time_zone\n";
  const select = { id: true, createdAt: true, kind: true, amount: true, balanceAfter: true, referenceType: true, referenceId: true, memo: true } as const;
  const fetch = (batchWhere: Prisma.LedgerEntryWhereInput, take: number) => db().ledgerEntry.findMany({ where: batchWhere, select, orderBy: { id: "desc" }, take });
  for await (const batch of keysetBatches(where, fetch)) {
    for (const row of batch) {
      yield `${times.format(row.createdAt)},${row.kind},${decimal(row.amount)},${decimal(row.balanceAfter)},${csvText(row.referenceType)},${csvText(row.referenceId)},${csvText(row.memo)},${zone}\n`;
    }
  }
}

/**
 * The customer's own ledger as CSV: the same entries and times as staff's, described as the
 * portal describes them. No references or memos: those are the tenant's internal records
 * (a CDR file's name, a payment's id), so the columns are the customer's own.
 */
export async function* customerLedgerCsv(options: { tenantId: string; query: TLedgerQuery }): AsyncGenerator<string> {
  const query = ZLedgerQuery.parse(options.query);
  const where = ledgerWhere(options.tenantId, query);
  const { timeZone } = await tenantSettings(options.tenantId);
  const times = createLocalTimestampFormatter(timeZone, { milliseconds: false });
  const zone = csvText(times.timeZone);
  yield "created_at,kind,amount,balance_after,description,time_zone\n";
  const fetch = (batchWhere: Prisma.LedgerEntryWhereInput, take: number) =>
    db().ledgerEntry.findMany({ where: batchWhere, select: customerSourceRow, orderBy: { id: "desc" }, take });
  for await (const batch of keysetBatches(where, fetch)) {
    // One lookup per batch of entries, not per entry.
    for (const row of await customerRows(options.tenantId, query.customerId, timeZone, batch)) {
      yield `${times.format(row.createdAt)},${row.kind},${decimal(row.amount)},${decimal(row.balanceAfter)},${csvText(row.description)},${zone}\n`;
    }
  }
}

export async function getWallet(options: { tenantId: string; customerId: string }) {
  const customer = await db().customer.findFirst({
    where: { tenantId: options.tenantId, id: options.customerId },
    select: {
      id: true,
      name: true,
      accountNumber: true,
      billingType: true,
      status: true,
      balance: true,
      creditLimit: true,
      lockThreshold: true,
      lowBalanceThreshold: true,
      lockSource: true,
      lockReason: true,
      lockedAt: true,
      tenant: { select: { currency: true } },
      autoRecharge: true,
      recurringCharges: { orderBy: { createdAt: "asc" } },
    },
  });
  if (!customer) throw AppError.notFound("Customer");
  // The low-balance rule is the reaction's (account-state.ts), so the portal's banner says what the mail says.
  // A postpaid account is read by what it owes and the credit it has left, as its mails put it.
  const credit = customer.billingType === "POSTPAID" ? { owed: amountOwed(customer), limit: customer.creditLimit, available: spendableMicros(customer) } : null;
  return { ...customer, belowLowBalance: belowLowBalance(customer), credit };
}

/** A manual credit (positive) or debit (negative) with a mandatory reason; one post per form. */
export async function adjustBalance(options: { tenantId: string; actor: TActor; adjustment: z.input<typeof ZAdjustment> }) {
  const adjustment = ZAdjustment.parse(options.adjustment);
  const amount = parseMoneyToMicros(adjustment.amount, { allowNegative: true });
  if (amount === 0n) throw AppError.invalidField("amount", "Enter a non-zero amount");
  const customer = await db().customer.findFirst({ where: { tenantId: options.tenantId, id: adjustment.customerId }, select: { id: true } });
  if (!customer) throw AppError.notFound("Customer");
  const result = await postLedgerEntry({
    tenantId: options.tenantId,
    customerId: customer.id,
    amount,
    kind: "ADJUSTMENT",
    idempotencyKey: `adjustment:${adjustment.requestId}`,
    reference: { type: "adjustment", id: adjustment.requestId },
    actor: options.actor,
    memo: adjustment.reason,
  });
  await db().auditEvent.create({
    data: {
      tenantId: options.tenantId,
      actorUserId: options.actor.userId,
      actorEmail: options.actor.email,
      ip: options.actor.ip,
      action: amount > 0n ? "wallet.credited" : "wallet.debited",
      targetType: "customer",
      targetId: customer.id,
      after: { amount: amount.toString(), reason: adjustment.reason, entryId: result.entry.id.toString(), duplicate: !result.created },
    },
  });
  return { entryId: result.entry.id, balanceAfter: result.entry.balanceAfter, created: result.created };
}

/** A credit limit as typed, in currency units ("100.00"); parsed to micro-units without floats. */
export const ZCreditLimitText = z.string().trim().regex(/^\d{1,12}(\.\d{1,6})?$/, "Enter an amount like 100.00");

const CREDIT_LIMIT_REQUIRED = "A postpaid account needs a credit limit above zero";

/**
 * A postpaid account's credit limit, refused with a field error unless above zero: with none,
 * the first charge puts the balance past it and the account locks on its first call.
 */
export function postpaidCreditLimit(text: string | null | undefined): bigint {
  const micros = text ? parseMoneyToMicros(text) : 0n;
  if (micros <= 0n) throw AppError.invalidField("creditLimit", CREDIT_LIMIT_REQUIRED);
  return micros;
}

export const ZWalletLimits = z.object({
  customerId: z.uuid(),
  creditLimit: ZCreditLimitText,
  lockThreshold: z.string().trim().regex(/^-?\d{1,12}(\.\d{1,6})?$/, "Enter an amount like 0.00"),
  lowBalanceThreshold: z.string().trim().regex(/^-?\d{1,12}(\.\d{1,6})?$/, "Enter an amount like 5.00"),
});

export async function updateWalletLimits(options: { tenantId: string; actor: TActor; limits: z.input<typeof ZWalletLimits> }) {
  const limits = ZWalletLimits.parse(options.limits);
  const data = {
    creditLimit: parseMoneyToMicros(limits.creditLimit),
    lockThreshold: parseMoneyToMicros(limits.lockThreshold, { allowNegative: true }),
    lowBalanceThreshold: parseMoneyToMicros(limits.lowBalanceThreshold, { allowNegative: true }),
  };
  const { balance } = await db().$transaction(async (tx) => {
    // Locked, so the billing type checked below is the one the limits land on (a concurrent
    // switch to postpaid must not receive a prepaid form's zero credit limit).
    await tx.$queryRaw`SELECT 1 FROM customers WHERE tenant_id = ${options.tenantId}::uuid AND id = ${limits.customerId}::uuid FOR UPDATE`;
    const before = await tx.customer.findFirst({
      where: { tenantId: options.tenantId, id: limits.customerId },
      select: { billingType: true, creditLimit: true, lockThreshold: true, lowBalanceThreshold: true },
    });
    if (!before) throw AppError.notFound("Customer");
    if (before.billingType === "POSTPAID") postpaidCreditLimit(limits.creditLimit);
    const updated = await tx.customer.update({
      where: { tenantId_id: { tenantId: options.tenantId, id: limits.customerId } },
      data,
      select: { balance: true },
    });
    await tx.auditEvent.create({
      data: {
        tenantId: options.tenantId,
        actorUserId: options.actor.userId,
        actorEmail: options.actor.email,
        ip: options.actor.ip,
        action: "wallet.limits_changed",
        targetType: "customer",
        targetId: limits.customerId,
        before: { creditLimit: before.creditLimit.toString(), lockThreshold: before.lockThreshold.toString(), lowBalanceThreshold: before.lowBalanceThreshold.toString() },
        after: { creditLimit: data.creditLimit.toString(), lockThreshold: data.lockThreshold.toString(), lowBalanceThreshold: data.lowBalanceThreshold.toString() },
      },
    });
    return updated;
  });
  // New limits can lock or unlock the account, or cross the low-balance mark, with no entry
  // posted: the reaction a ledger entry would get, once the limits are committed.
  await requestAccountReaction({ tenantId: options.tenantId, customerId: limits.customerId, balance });
  return { updated: true };
}

export const ZLockChange = z.object({ customerId: z.uuid(), reason: z.string().trim().min(3, "Give a reason").max(500) });

export async function lockCustomer(options: { tenantId: string; actor: TActor; change: z.input<typeof ZLockChange> }) {
  const change = ZLockChange.parse(options.change);
  return lockManually({ tenantId: options.tenantId, actor: options.actor, customerId: change.customerId, reason: change.reason });
}

export async function unlockCustomer(options: { tenantId: string; actor: TActor; change: z.input<typeof ZLockChange> }) {
  const change = ZLockChange.parse(options.change);
  return unlockManually({ tenantId: options.tenantId, actor: options.actor, customerId: change.customerId, reason: change.reason });
}
