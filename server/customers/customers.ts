import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError, isUniqueViolation } from "@/server/errors";
import { sortOrder, type TPage, type TPageInput } from "@/server/lib/pagination";

export const ZCustomerFields = z.object({
  accountNumber: z
    .string()
    .trim()
    .min(2, "Account number is required")
    .max(32)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Use letters, digits, dot, dash or underscore"),
  name: z.string().trim().min(1, "Name is required").max(200),
  billingType: z.enum(["PREPAID", "POSTPAID"]),
  contactEmail: z.email("Enter a valid email address").trim().toLowerCase(),
});
export type TCustomerFields = z.infer<typeof ZCustomerFields>;

export const ZCustomerStatusChange = z.object({
  customerId: z.uuid(),
  status: z.enum(["ACTIVE", "SUSPENDED", "CLOSED"]),
  reason: z.string().trim().min(3, "Give a reason").max(500),
});

export const ZCustomerListFilter = z.object({
  status: z.enum(["ACTIVE", "SUSPENDED", "LOCKED", "CLOSED"]).nullable().default(null),
  billingType: z.enum(["PREPAID", "POSTPAID"]).nullable().default(null),
});

export const CUSTOMER_SORTABLE_FIELDS = ["accountNumber", "name", "billingType", "status", "balance", "createdAt"] as const;

const customerSummary = {
  id: true,
  accountNumber: true,
  name: true,
  billingType: true,
  status: true,
  contactEmail: true,
  /** The cached ledger sum (micro-units): what staff check first on any account. */
  balance: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.CustomerSelect;

export type TCustomerSummary = Prisma.CustomerGetPayload<{ select: typeof customerSummary }>;

export async function listCustomers(options: {
  tenantId: string;
  query: TPageInput;
  filter: z.infer<typeof ZCustomerListFilter>;
}): Promise<TPage<TCustomerSummary> & { currency: string }> {
  const { tenantId, query, filter } = options;
  const where: Prisma.CustomerWhereInput = {
    tenantId,
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.billingType ? { billingType: filter.billingType } : {}),
    ...(query.search
      ? {
          OR: [
            { name: { contains: query.search, mode: "insensitive" } },
            { accountNumber: { contains: query.search, mode: "insensitive" } },
            { contactEmail: { contains: query.search, mode: "insensitive" } },
          ],
        }
      : {}),
  };
  const [rows, total, tenant] = await Promise.all([
    db().customer.findMany({
      where,
      select: customerSummary,
      orderBy: [sortOrder(query.sort, CUSTOMER_SORTABLE_FIELDS, { id: "accountNumber", desc: false }), { id: "asc" }],
      skip: query.page * query.pageSize,
      take: query.pageSize,
    }),
    db().customer.count({ where }),
    db().tenant.findUnique({ where: { id: tenantId }, select: { currency: true } }),
  ]);
  if (!tenant) throw AppError.notFound("Tenant");
  // Balances are in the tenant's currency; the list says which so the browser can show them.
  return { rows, total, page: query.page, pageSize: query.pageSize, currency: tenant.currency };
}

export async function getCustomer(options: { tenantId: string; customerId: string }) {
  const customer = await db().customer.findFirst({
    where: { tenantId: options.tenantId, id: options.customerId },
    select: {
      ...customerSummary,
      rateDeckId: true,
      creditLimit: true,
      lockThreshold: true,
      lowBalanceThreshold: true,
      lockSource: true,
      lockReason: true,
      lockedAt: true,
      tenant: { select: { currency: true } },
      memberships: {
        select: { id: true, role: true, createdAt: true, user: { select: { id: true, name: true, email: true, status: true } } },
        orderBy: { createdAt: "asc" },
      },
      invitations: {
        where: { acceptedAt: null, revokedAt: null },
        select: { id: true, email: true, role: true, expiresAt: true, createdAt: true },
        orderBy: { createdAt: "desc" },
      },
    },
  });
  if (!customer) throw AppError.notFound("Customer");
  return customer;
}

function conflictOnAccountNumber(error: unknown): never {
  if (isUniqueViolation(error)) {
    throw new AppError("CONFLICT", "That account number is already in use", {
      fieldErrors: { accountNumber: ["That account number is already in use"] },
    });
  }
  throw error;
}

export async function createCustomer(options: { tenantId: string; actor: TActor; fields: TCustomerFields }) {
  const fields = ZCustomerFields.parse(options.fields);
  try {
    return await db().$transaction(async (tx) => {
      const customer = await tx.customer.create({ data: { tenantId: options.tenantId, ...fields }, select: customerSummary });
      await recordAudit(tx, {
        tenantId: options.tenantId,
        actor: options.actor,
        action: "customer.created",
        targetType: "customer",
        targetId: customer.id,
        after: fields,
      });
      return customer;
    });
  } catch (error) {
    conflictOnAccountNumber(error);
  }
}

export async function updateCustomer(options: {
  tenantId: string;
  actor: TActor;
  customerId: string;
  fields: TCustomerFields;
}) {
  const fields = ZCustomerFields.parse(options.fields);
  try {
    return await db().$transaction(async (tx) => {
      const before = await tx.customer.findFirst({
        where: { tenantId: options.tenantId, id: options.customerId },
        select: { accountNumber: true, name: true, billingType: true, contactEmail: true },
      });
      if (!before) throw AppError.notFound("Customer");
      const customer = await tx.customer.update({
        where: { tenantId_id: { tenantId: options.tenantId, id: options.customerId } },
        data: fields,
        select: customerSummary,
      });
      await recordAudit(tx, {
        tenantId: options.tenantId,
        actor: options.actor,
        action: "customer.updated",
        targetType: "customer",
        targetId: customer.id,
        before,
        after: fields,
      });
      return customer;
    });
  } catch (error) {
    conflictOnAccountNumber(error);
  }
}

/**
 * The manual changes from each status (the ones the customer page offers). LOCKED is the
 * wallet's: it is lifted by a payment or the wallet's unlock, which clear the lock and tell
 * the switch; lifting it here would do neither.
 */
const STATUS_TARGETS: Record<"ACTIVE" | "SUSPENDED" | "LOCKED" | "CLOSED", readonly z.infer<typeof ZCustomerStatusChange>["status"][]> = {
  ACTIVE: ["SUSPENDED", "CLOSED"],
  SUSPENDED: ["ACTIVE", "CLOSED"],
  LOCKED: ["SUSPENDED", "CLOSED"],
  CLOSED: [],
};

/** Suspend, reactivate or close an account by hand. Closing disables its trunks: a closed account takes no calls. */
export async function changeCustomerStatus(options: {
  tenantId: string;
  actor: TActor;
  change: z.infer<typeof ZCustomerStatusChange>;
}) {
  const change = ZCustomerStatusChange.parse(options.change);
  const { tenantId } = options;
  return db().$transaction(async (tx) => {
    // Locked first: the wallet's lock and unlock, and a trunk being saved, must see the status this decides from.
    const [before] = await tx.$queryRaw<{ status: keyof typeof STATUS_TARGETS; lockSource: string | null }[]>`
      SELECT status::text AS status, lock_source::text AS "lockSource" FROM customers
      WHERE tenant_id = ${tenantId}::uuid AND id = ${change.customerId}::uuid FOR UPDATE`;
    if (!before) throw AppError.notFound("Customer");
    if (before.status === "CLOSED") {
      throw new AppError("PRECONDITION_FAILED", "A closed account cannot be changed");
    }
    if (before.status === "LOCKED" && change.status === "ACTIVE") {
      throw new AppError("PRECONDITION_FAILED", "This account is locked: unlock it from its wallet page (or take a payment), which also restores its service on the switch.");
    }
    if (!STATUS_TARGETS[before.status].includes(change.status)) {
      throw new AppError("PRECONDITION_FAILED", `The account is already ${before.status.toLowerCase()}`);
    }
    // Suspending a locked account keeps its lock: reactivating it gives the lock back rather than lifting it unpaid.
    const status = change.status === "ACTIVE" && before.lockSource !== null ? "LOCKED" : change.status;
    const customer = await tx.customer.update({
      where: { tenantId_id: { tenantId, id: change.customerId } },
      data: { status },
      select: customerSummary,
    });
    await recordAudit(tx, {
      tenantId,
      actor: options.actor,
      action: `customer.status.${status.toLowerCase()}`,
      targetType: "customer",
      targetId: customer.id,
      before: { status: before.status },
      after: { status, reason: change.reason },
    });
    if (status === "CLOSED") {
      const trunks = await tx.sipTrunk.findMany({ where: { tenantId, customerId: customer.id, status: "ACTIVE" }, select: { id: true, name: true } });
      await tx.sipTrunk.updateMany({ where: { tenantId, id: { in: trunks.map((trunk) => trunk.id) } }, data: { status: "DISABLED" } });
      for (const trunk of trunks) {
        await recordAudit(tx, {
          tenantId,
          actor: options.actor,
          action: "trunk.disabled",
          targetType: "customer",
          targetId: customer.id,
          before: { trunkId: trunk.id, name: trunk.name, status: "ACTIVE" },
          after: { trunkId: trunk.id, name: trunk.name, status: "DISABLED", reason: "The customer was closed" },
        });
      }
    }
    return customer;
  });
}
