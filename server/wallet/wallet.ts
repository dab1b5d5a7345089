import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import { db } from "@/server/db/client";
import { csvText } from "@/server/lib/csv";
import { createLocalTimestampFormatter } from "@/server/lib/local-timestamp";
import type { TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { parseMoneyToMicros } from "@/server/rating/money";
import { postLedgerEntry, ZAdjustment } from "./ledger";
import { lockManually, unlockManually } from "./account-state";

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

/** What a customer may see of an entry: not who on the tenant's staff posted it. */
const customerLedgerRow = {
  id: true,
  amount: true,
  kind: true,
  referenceType: true,
  referenceId: true,
  balanceAfter: true,
  memo: true,
  createdAt: true,
} satisfies Prisma.LedgerEntrySelect;

const ledgerRow = { ...customerLedgerRow, actorEmail: true } satisfies Prisma.LedgerEntrySelect;

async function ledgerPage<TSelect extends typeof customerLedgerRow>(options: { tenantId: string; query: TLedgerQuery; select: TSelect }) {
  const query = ZLedgerQuery.parse(options.query);
  const where = ledgerWhere(options.tenantId, query);
  const [rows, total] = await Promise.all([
    db().ledgerEntry.findMany({ where, select: options.select, orderBy: [{ createdAt: "desc" }, { id: "desc" }], skip: query.page * query.pageSize, take: query.pageSize }),
    db().ledgerEntry.count({ where }),
  ]);
  return { rows, total, page: query.page, pageSize: query.pageSize };
}

/**
 * A row of either view. actorEmail is optional in the type because one table component shows
 * both; the customer's rows do not carry the key at all.
 */
export type TLedgerRow = Prisma.LedgerEntryGetPayload<{ select: typeof customerLedgerRow }> & { actorEmail?: string | null };

/** Tenant staff's view of a customer's ledger, with who posted each entry. */
export async function listLedger(options: { tenantId: string; query: TLedgerQuery }): Promise<{ rows: TLedgerRow[]; total: number; page: number; pageSize: number }> {
  return ledgerPage({ ...options, select: ledgerRow });
}

/** The customer's own ledger. */
export async function listCustomerLedger(options: { tenantId: string; query: TLedgerQuery }) {
  return ledgerPage({ ...options, select: customerLedgerRow });
}

/**
 * The ledger as CSV in keyset batches (constant memory), for the admin and the customer alike.
 * created_at is the tenant's wall time with its offset, as statements and the portal count
 * days, cut to the second: the posting's milliseconds tell a reader nothing, and the id order
 * the file is in already settles entries of the same second. time_zone (last, so readers that
 * go by position are unaffected) names the zone.
 */
export async function* ledgerCsv(options: { tenantId: string; query: TLedgerQuery }): AsyncGenerator<string> {
  const query = ZLedgerQuery.parse(options.query);
  const where = ledgerWhere(options.tenantId, query);
  const tenant = await db().tenant.findUnique({ where: { id: options.tenantId }, select: { timeZone: true } });
  if (!tenant) throw AppError.notFound("Tenant");
  const times = createLocalTimestampFormatter(tenant.timeZone, { milliseconds: false });
  const zone = csvText(times.timeZone);
  yield "created_at,kind,amount,balance_after,reference_type,reference_id,memo,time_zone\n";
  let cursor: bigint | null = null;
  const decimal = (micros: bigint) => {
    const negative = micros < 0n;
    const magnitude = negative ? -micros : micros;
    return `${negative ? "-" : ""}${magnitude / 1_000_000n}.${(magnitude % 1_000_000n).toString().padStart(6, "0")}`;
  };
  for (;;) {
    const batch: { id: bigint; createdAt: Date; kind: string; amount: bigint; balanceAfter: bigint; referenceType: string | null; referenceId: string | null; memo: string | null }[] =
      await db().ledgerEntry.findMany({
        where: { ...where, ...(cursor !== null ? { id: { lt: cursor } } : {}) },
        select: { id: true, createdAt: true, kind: true, amount: true, balanceAfter: true, referenceType: true, referenceId: true, memo: true },
        orderBy: { id: "desc" },
        take: 2000,
      });
    for (const row of batch) {
      yield `${times.format(row.createdAt)},${row.kind},${decimal(row.amount)},${decimal(row.balanceAfter)},${csvText(row.referenceType)},${csvText(row.referenceId)},${csvText(row.memo)},${zone}\n`;
    }
    if (batch.length < 2000) return;
    cursor = batch[batch.length - 1]!.id;
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
  return customer;
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

export const ZWalletLimits = z.object({
  customerId: z.uuid(),
  creditLimit: z.string().trim().regex(/^\d{1,12}(\.\d{1,6})?$/, "Enter an amount like 100.00"),
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
  return db().$transaction(async (tx) => {
    const before = await tx.customer.findFirst({
      where: { tenantId: options.tenantId, id: limits.customerId },
      select: { creditLimit: true, lockThreshold: true, lowBalanceThreshold: true },
    });
    if (!before) throw AppError.notFound("Customer");
    await tx.customer.update({ where: { tenantId_id: { tenantId: options.tenantId, id: limits.customerId } }, data });
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
    return { updated: true };
  });
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
