import type { LedgerKind } from "@/server/db/generated/enums";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { billingPeriod } from "./recurring";
import { periodBounds } from "./statements";

/**
 * What a customer's usage costs: calls, SMS and recurring fees. Top-ups, refunds and staff
 * adjustments move the balance but are not spending, so the portal does not count them.
 */
export const SPENDING_KINDS = ["CALL_CHARGES", "SMS_CHARGES", "RECURRING_FEE"] as const satisfies readonly LedgerKind[];

/**
 * A customer's spending in the current billing month, which starts on the 1st in the tenant's
 * time zone like its statements. `spent` is positive micro-units (charges are negative
 * entries; a credit posted against a charge kind, e.g. a re-rating, lowers it).
 */
export async function spentThisMonth(options: { tenantId: string; customerId: string; now?: Date }) {
  const customer = await db().customer.findFirst({
    where: { tenantId: options.tenantId, id: options.customerId },
    select: { tenant: { select: { timeZone: true, currency: true } } },
  });
  if (!customer) throw AppError.notFound("Account");
  const { timeZone, currency } = customer.tenant;
  const { period } = billingPeriod(options.now ?? new Date(), timeZone);
  const { start, end } = periodBounds(period, timeZone);
  const charged = await db().ledgerEntry.aggregate({
    where: {
      tenantId: options.tenantId,
      customerId: options.customerId,
      kind: { in: [...SPENDING_KINDS] },
      createdAt: { gte: start, lt: end },
    },
    _sum: { amount: true },
  });
  return { period, since: start, spent: -(charged._sum.amount ?? 0n), currency };
}
