import { z } from "zod";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { parseMoneyToMicros } from "@/server/rating/money";
import { getZoneConverter } from "@/server/rating/time-zone";
import { notifyBalanceChanged, postLedgerEntryInTransaction, type TPostResult } from "./ledger";

export const ZRecurringCharge = z.object({
  customerId: z.uuid(),
  description: z.string().trim().min(1, "Describe the fee").max(200),
  amount: z.string().trim().regex(/^\d{1,9}(\.\d{1,6})?$/, "Enter an amount like 2.50"),
  startsOn: z.coerce.date(),
  endsOn: z.coerce.date().nullable().default(null),
});

export async function saveRecurringCharge(options: { tenantId: string; actor: TActor; chargeId?: string; charge: z.input<typeof ZRecurringCharge> }) {
  const charge = ZRecurringCharge.parse(options.charge);
  const amount = parseMoneyToMicros(charge.amount);
  if (amount <= 0n) throw AppError.invalidField("amount", "A fee must be more than zero");
  if (charge.endsOn && charge.endsOn < charge.startsOn) throw AppError.invalidField("endsOn", "The end comes before the start");
  const customer = await db().customer.findFirst({ where: { tenantId: options.tenantId, id: charge.customerId }, select: { id: true } });
  if (!customer) throw AppError.notFound("Customer");
  return db().$transaction(async (tx) => {
    if (options.chargeId) {
      const existing = await tx.recurringCharge.findFirst({ where: { tenantId: options.tenantId, id: options.chargeId, customerId: customer.id } });
      if (!existing) throw AppError.notFound("Recurring fee");
    }
    const data = { description: charge.description, amount, startsOn: charge.startsOn, endsOn: charge.endsOn };
    const saved = options.chargeId
      ? await tx.recurringCharge.update({ where: { id: options.chargeId }, data })
      : await tx.recurringCharge.create({ data: { tenantId: options.tenantId, customerId: customer.id, ...data } });
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: options.chargeId ? "recurring_fee.updated" : "recurring_fee.created",
      targetType: "customer",
      targetId: customer.id,
      after: { chargeId: saved.id, description: charge.description, amount: amount.toString() },
    });
    return saved;
  });
}

export async function setRecurringChargeActive(options: { tenantId: string; actor: TActor; chargeId: string; active: boolean }) {
  return db().$transaction(async (tx) => {
    const changed = await tx.recurringCharge.updateMany({ where: { tenantId: options.tenantId, id: options.chargeId }, data: { active: options.active } });
    if (changed.count === 0) throw AppError.notFound("Recurring fee");
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: options.active ? "recurring_fee.resumed" : "recurring_fee.stopped",
      targetType: "recurring_fee",
      targetId: options.chargeId,
    });
    return { active: options.active };
  });
}

/** The billing period ("YYYY-MM") an instant falls in, in the tenant's time zone. */
export function billingPeriod(at: Date, timeZone: string): { period: string; start: Date; end: Date } {
  const local = getZoneConverter(timeZone);
  const localMs = at.getTime() + local.offsetAt(at.getTime());
  const localDate = new Date(localMs);
  const year = localDate.getUTCFullYear();
  const month = localDate.getUTCMonth();
  const period = `${year}-${String(month + 1).padStart(2, "0")}`;
  return { period, start: new Date(Date.UTC(year, month, 1)), end: new Date(Date.UTC(year, month + 1, 1)) };
}

/**
 * Posts each active fee once for the period `now` falls in. The idempotency key is
 * `(fee, period)`: running this hourly, twice, or after a crash never charges twice, and a
 * missed hour is caught by the next run.
 */
export async function postRecurringFees(options: { now?: Date; tenantId?: string } = {}) {
  const now = options.now ?? new Date();
  const tenants = await db().tenant.findMany({
    where: { status: "ACTIVE", ...(options.tenantId ? { id: options.tenantId } : {}) },
    select: { id: true, timeZone: true },
  });
  let posted = 0;
  let skipped = 0;
  for (const tenant of tenants) {
    const { period, start, end } = billingPeriod(now, tenant.timeZone);
    const charges = await db().recurringCharge.findMany({
      where: {
        tenantId: tenant.id,
        active: true,
        startsOn: { lt: end },
        OR: [{ endsOn: null }, { endsOn: { gte: start } }],
        customer: { status: { not: "CLOSED" } },
      },
      select: { id: true, customerId: true, amount: true, description: true },
    });
    for (const charge of charges) {
      const result: TPostResult = await db().$transaction((tx) =>
        postLedgerEntryInTransaction(tx, {
          tenantId: tenant.id,
          customerId: charge.customerId,
          amount: -charge.amount,
          kind: "RECURRING_FEE",
          idempotencyKey: `recurring:${charge.id}:${period}`,
          reference: { type: "recurring_fee", id: charge.id },
          memo: `${charge.description} (${period})`,
        }),
      );
      await notifyBalanceChanged([result]);
      if (result.created) posted += 1;
      else skipped += 1;
    }
  }
  return { posted, alreadyPosted: skipped };
}
