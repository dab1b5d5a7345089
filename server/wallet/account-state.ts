import { randomUUID } from "node:crypto";
import { Prisma } from "@/server/db/generated/client";
import { db, pool } from "@/server/db/client";
import { recordAudit, SYSTEM_ACTOR, type TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { sendMail } from "@/server/mail/mailer";
import { appUrl } from "@/server/mail/templates";
import { sendEvent } from "@/server/jobs/send";
import { formatAmount } from "@/server/rating/money";

/**
 * What a balance change means for the account: the low-balance email (once per crossing),
 * an auto-recharge when one is set up, a lock when the balance cannot carry calls and no
 * recharge can cover it, an unlock when a payment brings it back. Run by the
 * `wallet/balance.changed` function; every step is a conditional update, so a retry or a
 * concurrent run changes nothing twice.
 */

type TCustomerState = {
  id: string;
  tenantId: string;
  name: string;
  contactEmail: string;
  billingType: "PREPAID" | "POSTPAID";
  status: "ACTIVE" | "SUSPENDED" | "LOCKED" | "CLOSED";
  balance: bigint;
  creditLimit: bigint;
  lockThreshold: bigint;
  lowBalanceThreshold: bigint;
  lowBalanceAlerted: boolean;
  lockSource: "BALANCE" | "MANUAL" | null;
  tenant: { name: string; currency: string };
  autoRecharge: { enabled: boolean; threshold: bigint; suspendedAt: Date | null } | null;
};

async function loadState(tenantId: string, customerId: string): Promise<TCustomerState> {
  const customer = await db().customer.findFirst({
    where: { tenantId, id: customerId },
    select: {
      id: true,
      tenantId: true,
      name: true,
      contactEmail: true,
      billingType: true,
      status: true,
      balance: true,
      creditLimit: true,
      lockThreshold: true,
      lowBalanceThreshold: true,
      lowBalanceAlerted: true,
      lockSource: true,
      tenant: { select: { name: true, currency: true } },
      autoRecharge: { select: { enabled: true, threshold: true, suspendedAt: true } },
    },
  });
  if (!customer) throw AppError.notFound("Customer");
  return customer;
}

/** Whether the balance can no longer carry calls: prepaid at or below the lock threshold, postpaid past its credit limit. */
export function balanceExhausted(customer: Pick<TCustomerState, "billingType" | "balance" | "lockThreshold" | "creditLimit">): boolean {
  return customer.billingType === "PREPAID" ? customer.balance <= customer.lockThreshold : customer.balance < -customer.creditLimit;
}

/** {@link balanceExhausted} in SQL, over the customers row `c`: the two must say the same. */
export const EXHAUSTED_SQL = `CASE WHEN c.billing_type = 'PREPAID' THEN c.balance <= c.lock_threshold ELSE c.balance < -c.credit_limit END`;

type TLowBalanceFields = Pick<TCustomerState, "billingType" | "balance" | "creditLimit" | "lowBalanceThreshold">;

/**
 * What the low-balance threshold is compared with. A prepaid account spends its balance; a
 * postpaid one spends its credit, so what it has left is the balance plus the credit limit
 * (a postpaid balance sits at or below zero most of the month and says nothing by itself).
 */
export function spendableMicros(customer: Pick<TCustomerState, "billingType" | "balance" | "creditLimit">): bigint {
  return customer.billingType === "PREPAID" ? customer.balance : customer.balance + customer.creditLimit;
}

/** What a postpaid account owes: the part of its balance below zero (a balance above zero is credit it holds). */
export function amountOwed(customer: Pick<TCustomerState, "balance">): bigint {
  return customer.balance < 0n ? -customer.balance : 0n;
}

/** Whether the customer should hear about a low balance (prepaid) or low available credit (postpaid). */
export function belowLowBalance(customer: TLowBalanceFields): boolean {
  return spendableMicros(customer) < customer.lowBalanceThreshold;
}

/** {@link belowLowBalance} in SQL, over the customers row `c`: the two must say the same. */
export const BELOW_LOW_BALANCE_SQL = `CASE WHEN c.billing_type = 'PREPAID' THEN c.balance < c.low_balance_threshold ELSE c.balance + c.credit_limit < c.low_balance_threshold END`;

function money(customer: TCustomerState, micros: bigint): string {
  return formatAmount(micros, customer.tenant.currency);
}

/** The once-per-crossing alert: about the balance and a top-up (prepaid), or the credit left and the amount owed (postpaid). */
function lowBalanceMail(customer: TCustomerState): { subject: string; text: string } {
  if (customer.billingType === "PREPAID") {
    return {
      subject: `Low balance on your ${customer.tenant.name} account`,
      text: `The balance of ${customer.name} is ${money(customer, customer.balance)}, below ${money(customer, customer.lowBalanceThreshold)}.\n\nTop up: ${appUrl("/portal/balance")}`,
    };
  }
  const available = spendableMicros(customer);
  const owed = amountOwed(customer);
  return {
    subject: `Low available credit on your ${customer.tenant.name} account`,
    text:
      `${customer.name} has ${money(customer, available)} of its ${money(customer, customer.creditLimit)} credit limit left, ` +
      `below ${money(customer, customer.lowBalanceThreshold)}. Outstanding: ${money(customer, owed)}.\n\n` +
      `Calls stop when the credit limit is used up. Pay the outstanding amount to free up credit: ${appUrl("/portal/balance")}`,
  };
}

export async function reactToBalanceChange(options: { tenantId: string; customerId: string }) {
  const customer = await loadState(options.tenantId, options.customerId);
  const actions: string[] = [];
  // A closed account is neither mailed, recharged, locked nor unlocked: its service has ended.
  if (customer.status === "CLOSED") return { actions };

  // Low-balance email, at most once per crossing: the flag flips only on a real crossing.
  if (belowLowBalance(customer)) {
    const flipped = await db().customer.updateMany({
      where: { id: customer.id, lowBalanceAlerted: false },
      data: { lowBalanceAlerted: true },
    });
    if (flipped.count === 1) {
      await sendMail({ tenantId: customer.tenantId, to: customer.contactEmail, ...lowBalanceMail(customer) });
      actions.push("low-balance-alert");
    }
  } else if (customer.lowBalanceAlerted) {
    await db().customer.updateMany({ where: { id: customer.id, lowBalanceAlerted: true }, data: { lowBalanceAlerted: false } });
  }

  const recharge = customer.autoRecharge;
  const rechargePossible = Boolean(recharge?.enabled && !recharge.suspendedAt);
  if (rechargePossible && recharge && customer.balance < recharge.threshold) {
    // The recharge function decides whether a charge is needed and locks if it fails.
    await sendEvent({ name: "wallet/balance.low", data: { tenantId: customer.tenantId, customerId: customer.id, balance: customer.balance.toString() } });
    actions.push("auto-recharge-requested");
  }

  if (balanceExhausted(customer) && customer.status === "ACTIVE" && !rechargePossible) {
    const reason =
      customer.billingType === "PREPAID"
        ? `Balance ${money(customer, customer.balance)} cannot carry calls`
        : `Balance ${money(customer, customer.balance)} is past the credit limit of ${money(customer, customer.creditLimit)}`;
    if (await lockForBalance({ tenantId: customer.tenantId, customerId: customer.id, reason })) {
      actions.push("locked");
    }
  } else if (!balanceExhausted(customer) && customer.status === "LOCKED" && customer.lockSource === "BALANCE") {
    if (await unlock({ tenantId: customer.tenantId, customerId: customer.id, actor: SYSTEM_ACTOR, reason: "Balance restored", onlySource: "BALANCE" })) {
      actions.push("unlocked");
    }
  }
  return { actions };
}

/**
 * Asks for the reaction to a change of what the balance is judged by (limits, billing type)
 * rather than of the balance itself. Call it after the change commits: the
 * reaction reads the committed row. It goes through the same `wallet/balance.changed` function
 * as a ledger entry, so retries, mail and lock/unlock behave exactly alike; the entry id is
 * empty because no entry was written, and the balance did not move. A lost event is caught by
 * the sweep, which looks at these changes' audit events as it looks at ledger entries.
 */
export async function requestAccountReaction(options: { tenantId: string; customerId: string; balance: bigint }): Promise<void> {
  const balance = options.balance.toString();
  await sendEvent({
    name: "wallet/balance.changed",
    id: `account-${options.tenantId}-${options.customerId}-${randomUUID()}`,
    data: { tenantId: options.tenantId, customerId: options.customerId, entryId: "", balanceBefore: balance, balanceAfter: balance },
  });
}

/**
 * The audited changes (rows `ch` of audit_events) that alter how a balance is judged without a
 * ledger entry (see {@link requestAccountReaction}). An edit of a name or an email is no such
 * change: counted as one, it would let the sweep undo an admin's unlock.
 */
const JUDGEMENT_CHANGES_SQL = `(ch.action = 'wallet.limits_changed'
  OR (ch.action = 'customer.updated' AND (ch.before->>'billingType' IS DISTINCT FROM ch.after->>'billingType'
                                          OR ch.before->>'creditLimit' IS DISTINCT FROM ch.after->>'creditLimit')))`;

/** Locks an ACTIVE account because its balance ran out. Returns whether this call locked it. */
export async function lockForBalance(options: { tenantId: string; customerId: string; reason: string }): Promise<boolean> {
  return lock({ ...options, actor: SYSTEM_ACTOR, source: "BALANCE" });
}

/**
 * A balance lock or unlock is decided on a read taken without a lock, often seconds earlier
 * (a mail went out in between), so the balance condition is part of the UPDATE itself: a
 * payment or a charge committed meanwhile makes a stale decision update nothing. The ledger
 * locks the customer row to post, so the UPDATE sees every committed entry; an entry that
 * commits after it finds the new status, and its own reaction undoes what no longer fits.
 */
async function lock(options: { tenantId: string; customerId: string; reason: string; actor: TActor; source: "BALANCE" | "MANUAL" }): Promise<boolean> {
  const locked = await db().$transaction(async (tx) => {
    const changed =
      options.source === "BALANCE"
        ? await tx.$executeRaw`
            UPDATE customers c SET status = 'LOCKED', lock_source = 'BALANCE', lock_reason = ${options.reason}, locked_at = now(), updated_at = now()
            WHERE c.tenant_id = ${options.tenantId}::uuid AND c.id = ${options.customerId}::uuid AND c.status = 'ACTIVE' AND ${Prisma.raw(EXHAUSTED_SQL)}`
        : (
            await tx.customer.updateMany({
              where: { tenantId: options.tenantId, id: options.customerId, status: "ACTIVE" },
              data: { status: "LOCKED", lockSource: options.source, lockReason: options.reason, lockedAt: new Date() },
            })
          ).count;
    if (changed === 0) return false;
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "customer.locked",
      targetType: "customer",
      targetId: options.customerId,
      after: { source: options.source, reason: options.reason },
    });
    return true;
  });
  if (!locked) return false;
  const customer = await loadState(options.tenantId, options.customerId);
  await sendMail({
    tenantId: options.tenantId,
    to: customer.contactEmail,
    subject: `Your ${customer.tenant.name} service is on hold`,
    text: `Outbound calling for ${customer.name} is on hold and inbound calls go to voicemail: ${options.reason}.\n\n${
      customer.billingType === "POSTPAID" ? "Pay the outstanding amount to restore service" : "Top up to restore service"
    }: ${appUrl("/portal/balance")}`,
  });
  await sendEvent({ name: "customer/locked", data: { tenantId: options.tenantId, customerId: options.customerId, reason: options.reason } });
  return true;
}

/** `onlySource: "BALANCE"` is the system lifting a balance lock, only while the balance can carry calls (see {@link lock}). */
async function unlock(options: { tenantId: string; customerId: string; actor: TActor; reason: string; onlySource?: "BALANCE" }): Promise<boolean> {
  const unlocked = await db().$transaction(async (tx) => {
    const changed =
      options.onlySource === "BALANCE"
        ? await tx.$executeRaw`
            UPDATE customers c SET status = 'ACTIVE', lock_source = NULL, lock_reason = NULL, locked_at = NULL, updated_at = now()
            WHERE c.tenant_id = ${options.tenantId}::uuid AND c.id = ${options.customerId}::uuid AND c.status = 'LOCKED' AND c.lock_source = 'BALANCE'
              AND NOT (${Prisma.raw(EXHAUSTED_SQL)})`
        : (
            await tx.customer.updateMany({
              where: { tenantId: options.tenantId, id: options.customerId, status: "LOCKED" },
              data: { status: "ACTIVE", lockSource: null, lockReason: null, lockedAt: null },
            })
          ).count;
    if (changed === 0) return false;
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "customer.unlocked",
      targetType: "customer",
      targetId: options.customerId,
      // The sweep tells the system's own unlocks (BALANCE) from an admin's decision (MANUAL).
      after: { source: options.onlySource ?? "MANUAL", reason: options.reason },
    });
    return true;
  });
  if (unlocked) await sendEvent({ name: "customer/unlocked", data: { tenantId: options.tenantId, customerId: options.customerId } });
  return unlocked;
}

/** Admins lock and unlock by hand, with a reason (audited). */
export async function lockManually(options: { tenantId: string; actor: TActor; customerId: string; reason: string }) {
  const done = await lock({ ...options, source: "MANUAL" });
  if (!done) throw new AppError("PRECONDITION_FAILED", "Only an active account can be locked");
  return { locked: true };
}

export async function unlockManually(options: { tenantId: string; actor: TActor; customerId: string; reason: string }) {
  const done = await unlock(options);
  if (!done) throw new AppError("PRECONDITION_FAILED", "The account is not locked");
  const customer = await loadState(options.tenantId, options.customerId);
  return { unlocked: true, balanceStillExhausted: balanceExhausted(customer) };
}

const SWEEP_LIMIT = 500;

/**
 * The customers (as `c`) with what decides their reaction: their usable auto-recharge (`a`,
 * null when none) and whether their balance can still carry calls (`s.exhausted`).
 */
const CUSTOMER_STATE_FROM = `customers c
    LEFT JOIN auto_recharge_settings a ON a.customer_id = c.id AND a.enabled AND a.suspended_at IS NULL
    CROSS JOIN LATERAL (
      SELECT ${EXHAUSTED_SQL} AS exhausted, ${BELOW_LOW_BALANCE_SQL} AS low
    ) s`;

/**
 * The account's state lags its balance: reactToBalanceChange would act. The low-balance flag
 * is on the wrong side, the balance is below a usable auto-recharge's threshold, an active
 * account cannot carry calls and no recharge can cover it, or a balance lock's balance is back.
 * Closed accounts are left alone.
 */
const STATE_LAGS_BALANCE = `c.status <> 'CLOSED' AND (
        s.low <> c.low_balance_alerted
        OR (a.customer_id IS NOT NULL AND c.balance < a.threshold)
        OR (c.status = 'ACTIVE' AND a.customer_id IS NULL AND s.exhausted)
        OR (c.status = 'LOCKED' AND c.lock_source = 'BALANCE' AND NOT s.exhausted)
      )`;

/**
 * Which of these customers a reaction would act on now, in one query: a bulk writer's batch
 * charges hundreds of customers, and for nearly all of them a reaction would read the state,
 * find nothing to do and stop, at the cost of a function run each.
 */
export async function customersWhoseStateLags(tenantId: string, customerIds: readonly string[]): Promise<Set<string>> {
  if (customerIds.length === 0) return new Set();
  const { rows } = await pool().query<{ id: string }>(
    `SELECT c.id::text AS id FROM ${CUSTOMER_STATE_FROM}
     WHERE c.tenant_id = $1 AND c.id = ANY($2::uuid[]) AND ${STATE_LAGS_BALANCE}`,
    [tenantId, customerIds],
  );
  return new Set(rows.map((row) => row.id));
}

/**
 * Catches the reactions a lost `wallet/balance.changed` event would have caused. The event is
 * sent after its ledger entry commits; a process that dies in between (an ingest worker
 * killed mid-file) loses it, and a rerun does not send it again (the entry exists). Looks at
 * the customers with a ledger entry in the last hour (or a change of their limits or billing
 * type, whose event can be lost the same way) whose state lags their balance and
 * reacts for each, exactly as the event would. An admin's lock or unlock after the newest
 * entry is a decision, not a lag: such a customer is left alone until the next entry, as the
 * events would. The system's own balance lock or unlock is no such decision: one taken on a
 * stale read is exactly what the sweep must repair. The hour bounds the work and lets a state no reaction can change (an
 * auto-recharge without a card) drop out instead of coming back forever.
 */
export async function sweepBalanceReactions(): Promise<{ reacted: number; actions: Record<string, number> }> {
  const { rows: lagging } = await pool().query<{ tenant_id: string; id: string }>(
    `SELECT c.tenant_id::text, c.id::text
     FROM ${CUSTOMER_STATE_FROM}
     CROSS JOIN LATERAL (
       SELECT GREATEST(
         (SELECT max(e.created_at) FROM ledger_entries e WHERE e.tenant_id = c.tenant_id AND e.customer_id = c.id),
         (SELECT max(ch.at) FROM audit_events ch
          WHERE ch.tenant_id = c.tenant_id AND ch.target_type = 'customer' AND ch.target_id = c.id::text
            AND ch.at > now() - interval '1 hour' AND ${JUDGEMENT_CHANGES_SQL})
       ) AS last_entry
     ) l
     WHERE l.last_entry > now() - interval '1 hour'
       AND NOT EXISTS (
         SELECT 1 FROM audit_events ev
         WHERE ev.tenant_id = c.tenant_id AND ev.target_type = 'customer' AND ev.target_id = c.id::text
           AND ev.action IN ('customer.locked', 'customer.unlocked') AND ev.at > l.last_entry
           AND (ev.actor_user_id IS NOT NULL OR ev.after->>'source' IS DISTINCT FROM 'BALANCE')
       )
       AND ${STATE_LAGS_BALANCE}
     ORDER BY l.last_entry DESC
     LIMIT $1`,
    [SWEEP_LIMIT],
  );
  const actions: Record<string, number> = {};
  for (const customer of lagging) {
    const result = await reactToBalanceChange({ tenantId: customer.tenant_id, customerId: customer.id });
    for (const action of result.actions) actions[action] = (actions[action] ?? 0) + 1;
  }
  return { reacted: lagging.length, actions };
}
