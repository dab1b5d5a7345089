import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";

/** What a customer's own users see about their account. */
export async function getCustomerOverview(options: { tenantId: string; customerId: string }) {
  const customer = await db().customer.findFirst({
    where: { tenantId: options.tenantId, id: options.customerId },
    select: {
      id: true,
      accountNumber: true,
      name: true,
      billingType: true,
      status: true,
      contactEmail: true,
      createdAt: true,
      tenant: { select: { name: true, currency: true, timeZone: true } },
      _count: { select: { memberships: true } },
    },
  });
  if (!customer) throw AppError.notFound("Account");
  return customer;
}
