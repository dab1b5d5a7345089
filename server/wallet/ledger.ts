import { z } from "zod";
import type { LedgerKind } from "@/server/db/generated/enums";
import { db, type TTransaction } from "@/server/db/client";
import type { TActor } from "@/server/audit/audit";
import { AppError, isUniqueViolation } from "@/server/errors";
import { sendEvent } from "@/server/jobs/send";

/**
 * The only way a balance changes. In one transaction it locks the customer row, writes the
 * entry with the balance after it, and updates the cached balance, so
 * `customer.balance == SUM(ledger.amount)` holds at every commit. The idempotency key is
 * unique per tenant: posting the same key again returns the entry already written and moves
 * no money, whoever retries (a job engine, Stripe, a re-uploaded file, a double click).
 */

export type TLedgerPosting = {
  tenantId: string;
  customerId: string;
  /** Signed micro-units: credits positive, charges negative. */
  amount: bigint;
  kind: LedgerKind;
  idempotencyKey: string;
  reference?: { type: string; id: string } | null;
  actor?: TActor | null;
  memo?: string | null;
};

export type TLedgerEntryRow = {
  id: bigint;
  tenantId: string;
  customerId: string;
  amount: bigint;
  kind: LedgerKind;
  idempotencyKey: string;
  balanceAfter: bigint;
  createdAt: Date;
};

export type TPostResult = { entry: TLedgerEntryRow; created: boolean; balanceBefore: bigint };

const entrySelect = {
  id: true,
  tenantId: true,
  customerId: true,
  amount: true,
  kind: true,
  idempotencyKey: true,
  balanceAfter: true,
  createdAt: true,
} as const;

/**
 * Posts inside the caller's transaction (e.g. a CDR batch that must commit with its charges).
 * The caller must emit the balance-changed event after its commit: use postLedgerEntry
 * outside a transaction, or call notifyBalanceChanged with the results.
 */
export async function postLedgerEntryInTransaction(tx: TTransaction, posting: TLedgerPosting): Promise<TPostResult> {
  if (posting.idempotencyKey.length === 0 || posting.idempotencyKey.length > 300) {
    throw AppError.invalidField("idempotencyKey", "An idempotency key of 1 to 300 characters is required");
  }
  // The row lock serialises every posting for this customer, so the balance read here is the
  // one the entry is written against.
  const locked = await tx.$queryRaw<{ balance: bigint }[]>`
    SELECT balance FROM customers WHERE tenant_id = ${posting.tenantId}::uuid AND id = ${posting.customerId}::uuid FOR UPDATE`;
  const current = locked[0];
  if (!current) throw AppError.notFound("Customer");
  const existing = await tx.ledgerEntry.findUnique({
    where: { tenantId_idempotencyKey: { tenantId: posting.tenantId, idempotencyKey: posting.idempotencyKey } },
    select: entrySelect,
  });
  if (existing) {
    if (existing.customerId !== posting.customerId || existing.amount !== posting.amount) {
      throw new AppError("CONFLICT", `Idempotency key ${posting.idempotencyKey} was already used for a different posting`);
    }
    return { entry: existing, created: false, balanceBefore: current.balance };
  }
  const balanceAfter = current.balance + posting.amount;
  const entry = await tx.ledgerEntry.create({
    data: {
      tenantId: posting.tenantId,
      customerId: posting.customerId,
      amount: posting.amount,
      kind: posting.kind,
      idempotencyKey: posting.idempotencyKey,
      referenceType: posting.reference?.type ?? null,
      referenceId: posting.reference?.id ?? null,
      balanceAfter,
      actorUserId: posting.actor?.userId ?? null,
      actorEmail: posting.actor?.email ?? null,
      memo: posting.memo ?? null,
    },
    select: entrySelect,
  });
  await tx.customer.update({ where: { id: posting.customerId }, data: { balance: balanceAfter } });
  return { entry, created: true, balanceBefore: current.balance };
}

export async function postLedgerEntry(posting: TLedgerPosting): Promise<TPostResult> {
  let result: TPostResult;
  try {
    result = await db().$transaction((tx) => postLedgerEntryInTransaction(tx, posting));
  } catch (error) {
    // Two first postings of one key for different customers race past the lookup; the
    // unique index lets one win, and the loser reads what it wrote.
    if (!isUniqueViolation(error)) throw error;
    const existing = await db().ledgerEntry.findUniqueOrThrow({
      where: { tenantId_idempotencyKey: { tenantId: posting.tenantId, idempotencyKey: posting.idempotencyKey } },
      select: entrySelect,
    });
    return { entry: existing, created: false, balanceBefore: existing.balanceAfter - existing.amount };
  }
  if (result.created) await notifyBalanceChanged([result]);
  return result;
}

/** Emits `wallet/balance.changed` for entries that were written (after their commit). */
export async function notifyBalanceChanged(results: readonly TPostResult[]): Promise<void> {
  for (const result of results) {
    if (!result.created) continue;
    await sendEvent({
      name: "wallet/balance.changed",
      id: `ledger-${result.entry.tenantId}-${result.entry.id}`,
      data: {
        tenantId: result.entry.tenantId,
        customerId: result.entry.customerId,
        entryId: result.entry.id.toString(),
        balanceBefore: result.balanceBefore.toString(),
        balanceAfter: result.entry.balanceAfter.toString(),
      },
    });
  }
}

/** Customers whose cached balance differs from the sum of their ledger (should be none). */
export async function findLedgerDrift(options: { tenantId?: string } = {}) {
  return db().$queryRaw<{ tenant_id: string; customer_id: string; balance: bigint; ledger_sum: bigint }[]>`
    SELECT c.tenant_id, c.id AS customer_id, c.balance, COALESCE(SUM(l.amount), 0)::bigint AS ledger_sum
    FROM customers c LEFT JOIN ledger_entries l ON l.customer_id = c.id
    WHERE (${options.tenantId ?? null}::uuid IS NULL OR c.tenant_id = ${options.tenantId ?? null}::uuid)
    GROUP BY c.tenant_id, c.id, c.balance
    HAVING c.balance <> COALESCE(SUM(l.amount), 0)`;
}

export const ZAdjustment = z.object({
  customerId: z.uuid(),
  /** Signed decimal string in currency units, e.g. "25.00" or "-3.50"; parsed without floats. */
  amount: z.string().trim().regex(/^-?\d{1,12}(\.\d{1,6})?$/, "Enter an amount like 25.00 or -3.50"),
  reason: z.string().trim().min(3, "Give a reason").max(500),
  /** Generated once per form; a resubmitted form posts once. */
  requestId: z.uuid(),
});
