import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError, isUniqueViolation } from "@/server/errors";
import { sortOrder, type TPage, type TPageInput } from "@/server/lib/pagination";
import { formatAmount } from "@/server/rating/money";
import { balanceExhausted, belowLowBalance, requestAccountReaction } from "@/server/wallet/account-state";
import { postpaidCreditLimit, ZCreditLimitText } from "@/server/wallet/wallet";

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
  /**
   * Postpaid only, and required there (above zero): see postpaidCreditLimit. On an edit that
   * keeps a postpaid account postpaid it may be left out to keep the limit the wallet page set.
   */
  creditLimit: ZCreditLimitText.nullish(),
});
export type TCustomerFields = z.input<typeof ZCustomerFields>;

export const ZCustomerStatusChange = z.object({
  customerId: z.uuid(),
  status: z.enum(["ACTIVE", "SUSPENDED", "CLOSED"]),
  reason: z.string().trim().min(3, "Give a reason").max(500),
  /**
   * Closing an account that holds credit or owes money: the balance (micro-units) the admin saw
   * and acknowledged, which must still be the balance (see changeCustomerStatus).
   */
  acknowledgedBalance: z.string().regex(/^-?\d{1,19}$/, "A balance in micro-units").optional(),
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
  // The rules the mail and the lock follow (account-state.ts), so the page agrees with them.
  return { ...customer, belowLowBalance: belowLowBalance(customer), balanceExhausted: balanceExhausted(customer) };
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
  const { creditLimit: creditLimitText, ...details } = ZCustomerFields.parse(options.fields);
  // Credit is granted only by typing it for a postpaid account; a prepaid one has none.
  const creditLimit = details.billingType === "POSTPAID" ? postpaidCreditLimit(creditLimitText) : 0n;
  let customer: TCustomerSummary;
  try {
    customer = await db().$transaction(async (tx) => {
      const created = await tx.customer.create({ data: { tenantId: options.tenantId, ...details, creditLimit }, select: customerSummary });
      await recordAudit(tx, {
        tenantId: options.tenantId,
        actor: options.actor,
        action: "customer.created",
        targetType: "customer",
        targetId: created.id,
        after: { ...details, creditLimit: creditLimit.toString() },
      });
      return created;
    });
  } catch (error) {
    conflictOnAccountNumber(error);
  }
  // A new account is not judged until money first moves (its first top-up or call): locking a
  // prepaid account at $0 the moment it is created would mail "on hold" to a customer who has
  // not started yet, before their invitation.
  return customer;
}

export async function updateCustomer(options: {
  tenantId: string;
  actor: TActor;
  customerId: string;
  fields: TCustomerFields;
}) {
  const { creditLimit: creditLimitText, ...details } = ZCustomerFields.parse(options.fields);
  let result: { customer: TCustomerSummary; rejudge: boolean };
  try {
    result = await db().$transaction(async (tx) => {
      // Locked, so the limit kept or checked below is the one in place when this edit lands.
      await tx.$queryRaw`SELECT 1 FROM customers WHERE tenant_id = ${options.tenantId}::uuid AND id = ${options.customerId}::uuid FOR UPDATE`;
      const before = await tx.customer.findFirst({
        where: { tenantId: options.tenantId, id: options.customerId },
        select: { accountNumber: true, name: true, billingType: true, contactEmail: true, creditLimit: true },
      });
      if (!before) throw AppError.notFound("Customer");
      const creditLimit = creditLimitFor(details.billingType, creditLimitText, before);
      const customer = await tx.customer.update({
        where: { tenantId_id: { tenantId: options.tenantId, id: options.customerId } },
        data: { ...details, creditLimit },
        select: customerSummary,
      });
      await recordAudit(tx, {
        tenantId: options.tenantId,
        actor: options.actor,
        action: "customer.updated",
        targetType: "customer",
        targetId: customer.id,
        before: { ...before, creditLimit: before.creditLimit.toString() },
        after: { ...details, creditLimit: creditLimit.toString() },
      });
      return { customer, rejudge: before.billingType !== details.billingType || before.creditLimit !== creditLimit };
    });
  } catch (error) {
    conflictOnAccountNumber(error);
  }
  // Another billing type or limit can lock or unlock the account with no entry posted.
  if (result.rejudge) await requestAccountReaction({ tenantId: options.tenantId, customerId: result.customer.id, balance: result.customer.balance });
  return result.customer;
}

/**
 * The credit limit an edit leaves. Becoming prepaid drops it: credit is granted only by
 * typing it for a postpaid account, never revived by switching back. A postpaid account keeps
 * the limit it has when none is typed (the wallet page sets it too), unless it has none.
 */
function creditLimitFor(billingType: "PREPAID" | "POSTPAID", typed: string | null | undefined, before: { billingType: string; creditLimit: bigint }): bigint {
  if (billingType === "PREPAID") return 0n;
  if (typed == null && before.billingType === "POSTPAID" && before.creditLimit > 0n) return before.creditLimit;
  return postpaidCreditLimit(typed);
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
    const [before] = await tx.$queryRaw<{ status: keyof typeof STATUS_TARGETS; lockSource: string | null; balance: string; currency: string }[]>`
      SELECT c.status::text AS status, c.lock_source::text AS "lockSource", c.balance::text AS balance, t.currency
      FROM customers c JOIN tenants t ON t.id = c.tenant_id
      WHERE c.tenant_id = ${tenantId}::uuid AND c.id = ${change.customerId}::uuid FOR UPDATE OF c`;
    if (!before) throw AppError.notFound("Customer");
    const balance = BigInt(before.balance);
    if (before.status === "CLOSED") {
      throw new AppError("PRECONDITION_FAILED", "A closed account cannot be changed");
    }
    if (before.status === "LOCKED" && change.status === "ACTIVE") {
      throw new AppError("PRECONDITION_FAILED", "This account is locked: unlock it from its wallet page (or take a payment), which also restores its service on the switch.");
    }
    if (!STATUS_TARGETS[before.status].includes(change.status)) {
      throw new AppError("PRECONDITION_FAILED", `The account is already ${before.status.toLowerCase()}`);
    }
    // Closing does not settle money (no refund or write-off happens here): whoever closes an
    // account that holds credit or owes money must have seen how much, and say so. Read under
    // the row lock, so a charge or payment committed meanwhile is in the figure checked.
    // The figure acknowledged, not a yes: a payment landing after the dialog opened would
    // otherwise close an account over an amount nobody saw.
    if (change.status === "CLOSED" && balance !== 0n && change.acknowledgedBalance !== balance.toString()) {
      const amount = formatAmount(balance < 0n ? -balance : balance, before.currency);
      const holds = balance > 0n ? `The account holds ${amount} of credit` : `The account owes ${amount}`;
      throw AppError.invalidField(
        "acknowledgedBalance",
        change.acknowledgedBalance === undefined ? `${holds}: confirm you have seen it to close the account` : `${holds} now (it changed since you looked): confirm again to close the account`,
      );
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
      after: { status, reason: change.reason, ...(status === "CLOSED" ? { balance: balance.toString() } : {}) },
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
