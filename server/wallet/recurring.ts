import { z } from "zod";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError, errorMessage } from "@/server/errors";
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

export type TRecurringFeeFailure = { tenantId: string; chargeId: string; error: string };

/**
 * Posts each active fee once for the period `now` falls in. The idempotency key is
 * `(fee, period)`: running this hourly, twice, or after a crash never charges twice, and a
 * missed hour is caught by the next run. A period already posted for a fee stays as posted
 * whatever the fee's amount is now: an edit applies from the next period (posting the new
 * amount under the old key would be refused as a different posting). A fee that cannot be
 * posted is reported and the run goes on: one bad fee must not keep every fee after it, of
 * every tenant, from being charged this month.
 */
export async function postRecurringFees(options: { now?: Date; tenantId?: string } = {}) {
  const now = options.now ?? new Date();
  const tenants = await db().tenant.findMany({
    where: { status: "ACTIVE", ...(options.tenantId ? { id: options.tenantId } : {}) },
    select: { id: true, timeZone: true },
    orderBy: { id: "asc" },
  });
  let posted = 0;
  let skipped = 0;
  const failed: TRecurringFeeFailure[] = [];
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
      orderBy: { id: "asc" },
    });
    const keyOf = (chargeId: string) => `recurring:${chargeId}:${period}`;
    const done = await db().ledgerEntry.findMany({
      where: { tenantId: tenant.id, idempotencyKey: { in: charges.map((charge) => keyOf(charge.id)) } },
      select: { idempotencyKey: true },
    });
    const postedKeys = new Set(done.map((entry) => entry.idempotencyKey));
    for (const charge of charges) {
      if (postedKeys.has(keyOf(charge.id))) {
        skipped += 1;
        continue;
      }
      let result: TPostResult;
      try {
        result = await db().$transaction((tx) =>
          postLedgerEntryInTransaction(tx, {
            tenantId: tenant.id,
            customerId: charge.customerId,
            amount: -charge.amount,
            kind: "RECURRING_FEE",
            idempotencyKey: keyOf(charge.id),
            reference: { type: "recurring_fee", id: charge.id },
            memo: `${charge.description} (${period})`,
          }),
        );
      } catch (error) {
        console.error(`[wallet] recurring fee ${charge.id} (tenant ${tenant.id}, ${period}) not posted:`, error);
        failed.push({ tenantId: tenant.id, chargeId: charge.id, error: errorMessage(error) });
        continue;
      }
      if (result.created) posted += 1;
      else skipped += 1;
      // The entry is committed; a lost reaction is caught by the balance sweep.
      await notifyBalanceChanged([result]).catch((error: unknown) => console.error(`[wallet] balance reaction for recurring fee ${charge.id} not sent:`, error));
    }
  }
  return { posted, alreadyPosted: skipped, failed };
}
