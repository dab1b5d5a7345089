import { recordAudit, SYSTEM_ACTOR } from "@/server/audit/audit";
import { db, type TDb } from "@/server/db/client";
import { errorMessage } from "@/server/errors";
import { notifyBalanceChanged, type TPostResult } from "@/server/wallet/ledger";
import { recordRechargeFailure } from "./auto-recharge";
import { rawStripeKeys, stripeClient, Stripe } from "./stripe-client";
import { failRechargeOnIntent, planSettlement, type TSettlingEvent } from "./webhooks";

/**
 * Reconciliation of card payments whose webhook never came. A payment stays PENDING until a
 * Stripe event (or an auto-recharge's own answer from Stripe) settles it; when that event is
 * lost (an endpoint misconfigured for days, Stripe gave up retrying, our process died between
 * Stripe's answer and our update), the card is charged and the balance never credited. Every
 * few minutes, each payment still PENDING a while after it began is looked up at Stripe, with
 * the keys its tenant's money goes through (its own, or the platform's: the webhooks' rule),
 * and settled as the event would have settled it. Those are the keys the payment was made
 * with: settings.ts refuses to move a tenant to another Stripe account while any of its card
 * payments is PENDING, since the old account's objects are invisible to the new keys and its
 * events are refused by the webhooks as unroutable.
 *
 *  - the money arrived → credited through the webhook's own handling (planSettlement), under
 *    the PaymentIntent's ledger key, inside a transaction holding the customer and the payment
 *    in the webhook's lock order: an event arriving at the same moment waits and finds the
 *    payment settled and its key used, or settles it first and reconciliation finds it done.
 *    Money moves once, in any order.
 *  - the checkout expired, or its delayed payment failed → FAILED as the checkout events do;
 *    a recharge whose PaymentIntent failed → FAILED as payment_intent.payment_failed does, with
 *    the auto-recharge rules that go with it (suspension, email, a lock if the balance cannot
 *    carry calls);
 *  - a checkout still open (the customer may yet pay; top-ups set it to expire after an hour) or
 *    a PaymentIntent still processing → left for a later run;
 *  - no PaymentIntent or session recorded (a crash between Stripe's answer and our update) →
 *    looked for among the Stripe customer's PaymentIntents or Checkout Sessions since the
 *    payment began, matched by the payment id every object we create carries in its metadata.
 *    The list endpoints are read-after-write consistent (Stripe's search is not, and is not
 *    offered everywhere), and Stripe cannot be asked for "the object this idempotency key
 *    made" except by sending the create again. A recharge found nowhere is closed only once
 *    nothing can send it any more (past Stripe's idempotency window, which the auto-recharge
 *    respects); a top-up without a session never had a checkout page to pay on.
 *
 * Only what Stripe says for certain changes a payment, and only an object whose metadata names
 * the payment (and tenant) being settled is applied to it. A tenant whose Stripe cannot be
 * asked (no secret key, a key Stripe refuses, Stripe down) keeps its payments PENDING and is
 * reported; every other tenant is reconciled regardless. Each payment reconciliation settled
 * gets a `payment.reconciled` audit event (by the system), since the webhook that should
 * have done it never did.
 *
 * Every payment checked is stamped with when and what was found (reconcile_checked_at,
 * reconcile_note). A run takes the least recently checked first (never checked before all),
 * so payments that stay unresolved or waiting cannot fill every batch and starve newer ones;
 * and an unresolved finding is reported as new (the job fails on it) only the first time it
 * is found, not on every run while it waits for a person.
 */

/** How long a payment is left to its webhook (and an auto-recharge to its own retries) before Stripe is asked. */
export const RECONCILE_GRACE_MS = 15 * 60 * 1000;

/**
 * A recharge with no PaymentIntent may be resent under its idempotency key for 23 hours (see
 * IDEMPOTENCY_WINDOW_MS in auto-recharge.ts); after that it is not resent, and waits for this.
 * One more hour covers a send in flight at the boundary, so nothing found at Stripe by now
 * means nothing will be.
 */
const NOTHING_SENT_AFTER_MS = 24 * 60 * 60 * 1000;

/** Payments looked at per tenant and run, least recently checked first; the next run takes the rest. */
const BATCH = 200;

/** Stripe's clock and ours may disagree; objects are looked for from this long before the payment began. */
const CLOCK_SLACK_SECONDS = 10 * 60;

export type TReconcileOutcome =
  /** Stripe has the money and this run credited it. */
  | "credited"
  /** Stripe says it will not be paid (or nothing was ever sent); this run marked it FAILED. */
  | "failed"
  /** Settled meanwhile by its webhook or its own job. */
  | "already-settled"
  /** Not decided at Stripe yet (a checkout still open, a payment still processing); left PENDING. */
  | "waiting"
  /** Could not be decided (not found with the tenant's keys, an unexpected state or error); left PENDING for a person. */
  | "unresolved";

export type TReconciledPayment = {
  paymentId: string;
  customerId: string;
  kind: "TOPUP" | "AUTO_RECHARGE";
  outcome: TReconcileOutcome;
  detail: string;
  /** Unresolved, and not what the previous check found: a person hears of it for the first time. */
  newProblem: boolean;
};

export type TTenantReconciliation = {
  tenantId: string;
  /** Payments past the grace period that were looked at. */
  checked: number;
  payments: TReconciledPayment[];
  /** Why this tenant's Stripe could not be asked; its payments stay PENDING for a later run. */
  error: string | null;
  /** Payments past the grace period not looked at because of `error`. */
  notChecked: number;
  /** The tenant's PENDING payments whose last check (this run's or an earlier one) left them unresolved. */
  needPerson: number;
};

type TStalePayment = {
  id: string;
  tenantId: string;
  customerId: string;
  kind: "TOPUP" | "AUTO_RECHARGE";
  checkoutSessionId: string | null;
  paymentIntentId: string | null;
  createdAt: Date;
  reconcileNote: string | null;
};

type TContext = { tenantId: string; stripe: Stripe; now: Date };
type TResult = { outcome: TReconcileOutcome; detail: string };

/** Tenants with a payment still PENDING a grace period after it began. */
export async function tenantsWithStalePayments(options: { now?: Date; graceMs?: number } = {}): Promise<string[]> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - (options.graceMs ?? RECONCILE_GRACE_MS));
  // Served by the partial index payments_pending_by_tenant (PENDING rows only).
  const groups = await db().payment.groupBy({ by: ["tenantId"], where: { status: "PENDING", createdAt: { lte: cutoff } }, orderBy: { tenantId: "asc" } });
  return groups.map((group) => group.tenantId);
}

/**
 * Reconciles one tenant's stale PENDING payments with Stripe. Never throws: whatever goes
 * wrong is in the report, so a job running tenant after tenant goes on to the next.
 */
export async function reconcileTenantPayments(options: { tenantId: string; now?: Date; graceMs?: number; batchSize?: number }): Promise<TTenantReconciliation> {
  const now = options.now ?? new Date();
  const report: TTenantReconciliation = { tenantId: options.tenantId, checked: 0, payments: [], error: null, notChecked: 0, needPerson: 0 };
  let stale: TStalePayment[] = [];
  try {
    stale = await db().payment.findMany({
      where: { tenantId: options.tenantId, status: "PENDING", createdAt: { lte: new Date(now.getTime() - (options.graceMs ?? RECONCILE_GRACE_MS)) } },
      select: { id: true, tenantId: true, customerId: true, kind: true, checkoutSessionId: true, paymentIntentId: true, createdAt: true, reconcileNote: true },
      // Least recently checked first: what stays PENDING run after run goes to the back.
      orderBy: [{ reconcileCheckedAt: { sort: "asc", nulls: "first" } }, { createdAt: "asc" }, { id: "asc" }],
      take: options.batchSize ?? BATCH,
    });
    if (stale.length === 0) return report;
    const tenant = await db().tenant.findUnique({
      where: { id: options.tenantId },
      select: { stripeSecretKeyEnc: true, stripePublishableKey: true, stripeWebhookSecretEnc: true },
    });
    // The account the tenant's money goes through, as the webhooks decide it.
    const secretKey = tenant ? rawStripeKeys(tenant).secretKey : null;
    if (!secretKey) {
      report.error = tenant ? "No Stripe secret key is in effect for this tenant (its own keys lack one, or the platform's are not configured)" : "The tenant does not exist";
      report.notChecked = stale.length;
      console.error(`[payments] reconcile: tenant ${options.tenantId}: ${report.error}; ${stale.length} payment(s) left PENDING`);
      return report;
    }
    const context: TContext = { tenantId: options.tenantId, stripe: stripeClient(secretKey), now };
    for (const [index, payment] of stale.entries()) {
      let result: TResult;
      try {
        result = await reconcilePayment(context, payment);
      } catch (error) {
        const unreachable = stripeUnreachable(error);
        if (unreachable) {
          // Every other payment of the tenant would fail the same way (and wait out the
          // SDK's retries each time): stop here, the next run tries again.
          report.error = unreachable;
          report.notChecked = stale.length - index;
          console.error(`[payments] reconcile: tenant ${options.tenantId}: ${unreachable}; ${report.notChecked} payment(s) left PENDING`);
          break;
        }
        console.error(`[payments] reconcile: payment ${payment.id} of tenant ${options.tenantId} could not be reconciled; left PENDING:`, error);
        result = { outcome: "unresolved", detail: `Could not be reconciled: ${errorMessage(error)}` };
      }
      const newProblem = await remember(payment, result, now);
      report.checked += 1;
      report.payments.push({ paymentId: payment.id, customerId: payment.customerId, kind: payment.kind, ...result, newProblem });
      if (result.outcome === "unresolved") {
        if (newProblem) console.error(`[payments] reconcile: payment ${payment.id} of tenant ${options.tenantId} left PENDING: ${result.detail}`);
        else console.warn(`[payments] reconcile: payment ${payment.id} of tenant ${options.tenantId} still needs a person: ${result.detail}`);
      }
    }
    report.needPerson = await db().payment.count({ where: { tenantId: options.tenantId, status: "PENDING", reconcileNote: { startsWith: UNRESOLVED_NOTE } } });
  } catch (error) {
    // The database or a decryption: nothing of this tenant can be trusted to have run.
    console.error(`[payments] reconcile: tenant ${options.tenantId} failed:`, error);
    report.error = `Reconciliation failed: ${errorMessage(error)}`;
    report.notChecked = Math.max(stale.length - report.checked, 0);
  }
  return report;
}

const UNRESOLVED_NOTE = "unresolved: ";

function noteOf(result: TResult): string {
  return `${result.outcome}: ${result.detail}`;
}

/**
 * Stamps a checked payment with the run's instant and its finding; returns whether an
 * unresolved finding is new (the payment was not unresolved for this reason at its previous
 * check). Raw SQL, because Prisma's @updatedAt would move updated_at, which says when the
 * payment itself last changed (and a stale auto-recharge claim is recognised by it).
 */
async function remember(payment: TStalePayment, result: TResult, now: Date): Promise<boolean> {
  const note = noteOf(result);
  await db().$executeRaw`
    UPDATE payments SET reconcile_checked_at = ${now}, reconcile_note = ${note}
    WHERE tenant_id = ${payment.tenantId}::uuid AND id = ${payment.id}::uuid`;
  return result.outcome === "unresolved" && payment.reconcileNote !== note;
}

/** A failure that says nothing about one payment but that this tenant's Stripe cannot be asked now. */
function stripeUnreachable(error: unknown): string | null {
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
    return `Stripe refused the tenant's secret key: ${error.message}`;
  }
  if (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeAPIError || error instanceof Stripe.errors.StripeRateLimitError) {
    return `Stripe could not be asked: ${error.message}`;
  }
  return null;
}

function isMissing(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeError && (error.code === "resource_missing" || error.statusCode === 404);
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === "string" ? value : value.id;
}

/** Whether a Stripe object is one we created for this payment (every one carries both ids). */
function isFor(payment: TStalePayment, metadata: Stripe.Metadata | null | undefined): boolean {
  return metadata?.payment_id === payment.id && metadata.tenant_id === payment.tenantId;
}

async function reconcilePayment(context: TContext, payment: TStalePayment): Promise<TResult> {
  return payment.kind === "TOPUP" ? reconcileTopUp(context, payment) : reconcileRecharge(context, payment);
}

// ── Top-ups (Checkout) ─────────────────────────────────────────────────────────────────

async function reconcileTopUp(context: TContext, payment: TStalePayment): Promise<TResult> {
  let sessionId = payment.checkoutSessionId;
  if (!sessionId) {
    // startTopUp stores the session before it hands out the checkout page, so without one no
    // customer can have paid. A session Stripe made whose id we lost is followed all the same.
    sessionId = await findLostSession(context, payment);
    if (!sessionId) {
      return failTopUpNeverOpened(payment);
    }
  }
  let session: Stripe.Checkout.Session;
  try {
    session = await context.stripe.checkout.sessions.retrieve(sessionId);
  } catch (error) {
    if (isMissing(error)) return { outcome: "unresolved", detail: `Checkout Session ${sessionId} is not found with the tenant's current Stripe keys (did its Stripe account change?)` };
    throw error;
  }
  const stripeState = `Checkout Session ${session.id} is ${session.status ?? "unknown"}, ${session.payment_status}`;
  if (session.status === "expired") {
    return settle(context, payment, { id: `reconcile:${session.id}`, type: "checkout.session.expired", data: { object: session } }, stripeState);
  }
  if (session.status === "open") {
    return { outcome: "waiting", detail: `${stripeState}: the customer may still pay until it expires` };
  }
  if (session.status !== "complete") return { outcome: "unresolved", detail: stripeState };
  const intentId = idOf(session.payment_intent);
  if (session.payment_status === "paid" && intentId) {
    return settle(context, payment, { id: `reconcile:${session.id}`, type: "checkout.session.completed", data: { object: session } }, stripeState);
  }
  if (session.payment_status !== "unpaid" || !intentId) return { outcome: "unresolved", detail: stripeState };
  // Completed with a delayed payment method: its PaymentIntent says how the payment ended.
  const intent = await context.stripe.paymentIntents.retrieve(intentId);
  const state = `${stripeState}; PaymentIntent ${intent.id} is ${intent.status}`;
  if (intent.status === "succeeded") {
    return settle(context, payment, { id: `reconcile:${intent.id}`, type: "payment_intent.succeeded", data: { object: intent } }, state);
  }
  if (intent.status === "requires_payment_method" || intent.status === "canceled") {
    return settle(context, payment, { id: `reconcile:${session.id}`, type: "checkout.session.async_payment_failed", data: { object: session } }, state);
  }
  return { outcome: "waiting", detail: state };
}

/** The Checkout Session Stripe made for a payment whose session id was never stored, if any; remembered on the payment. */
async function findLostSession(context: TContext, payment: TStalePayment): Promise<string | null> {
  const stripeCustomerId = await stripeCustomerOf(payment);
  if (!stripeCustomerId) return null;
  const since = Math.floor(payment.createdAt.getTime() / 1000) - CLOCK_SLACK_SECONDS;
  for await (const session of context.stripe.checkout.sessions.list({ customer: stripeCustomerId, created: { gte: since }, limit: 100 })) {
    if (session.client_reference_id === payment.id || isFor(payment, session.metadata)) {
      await db().payment.updateMany({ where: { tenantId: payment.tenantId, id: payment.id, checkoutSessionId: null }, data: { checkoutSessionId: session.id } });
      return session.id;
    }
  }
  return null;
}

/** A top-up whose checkout was never opened: FAILED as startTopUp fails one Stripe refused to open. */
async function failTopUpNeverOpened(payment: TStalePayment): Promise<TResult> {
  const changed = await db().$transaction(async (tx) => {
    const updated = await tx.payment.updateMany({
      where: { tenantId: payment.tenantId, id: payment.id, status: "PENDING", checkoutSessionId: null },
      data: { status: "FAILED", failureCode: "checkout_unavailable", failureMessage: "The checkout was never opened: no Checkout Session exists at the payment provider, so nothing was paid" },
    });
    if (updated.count === 0) return false;
    await auditReconciled(tx, payment, { status: "FAILED", failureCode: "checkout_unavailable", stripe: "no Checkout Session for this payment" });
    return true;
  });
  return changed ? { outcome: "failed", detail: "No Checkout Session exists for this payment: its checkout was never opened" } : { outcome: "already-settled", detail: "Settled meanwhile" };
}

// ── Auto-recharges (off-session PaymentIntents) ────────────────────────────────────────

/** PaymentIntent states an off-session charge does not leave by itself: the charge failed (auto-recharge.ts settleAutoRechargeIntent's rule). */
const RECHARGE_FAILED = new Set<string>(["requires_payment_method", "requires_action", "requires_confirmation", "canceled"]);

async function reconcileRecharge(context: TContext, payment: TStalePayment): Promise<TResult> {
  let intent: Stripe.PaymentIntent | null;
  if (payment.paymentIntentId) {
    try {
      intent = await context.stripe.paymentIntents.retrieve(payment.paymentIntentId);
    } catch (error) {
      if (isMissing(error)) return { outcome: "unresolved", detail: `PaymentIntent ${payment.paymentIntentId} is not found with the tenant's current Stripe keys (did its Stripe account change?)` };
      throw error;
    }
  } else {
    const found = await findLostIntent(context, payment);
    if (found.kind === "unknowable") return closeIfNothingCanBeSent(context, payment, found.why, false);
    if (!found.intent) return closeIfNothingCanBeSent(context, payment, "No PaymentIntent exists at Stripe for this recharge", true);
    intent = found.intent;
  }
  const state = `PaymentIntent ${intent.id} is ${intent.status}`;
  if (intent.status === "succeeded") {
    return settle(context, payment, { id: `reconcile:${intent.id}`, type: "payment_intent.succeeded", data: { object: intent } }, state);
  }
  if (intent.status === "processing") {
    // As the recharge itself does with a processing answer: the intent is the one in flight.
    await db().payment.updateMany({ where: { tenantId: payment.tenantId, id: payment.id, status: "PENDING", paymentIntentId: null }, data: { paymentIntentId: intent.id } });
    return { outcome: "waiting", detail: `${state}: its outcome comes later` };
  }
  if (!RECHARGE_FAILED.has(intent.status)) return { outcome: "unresolved", detail: `${state}, which an automatic top-up should never be in` };
  // The webhook's rule for a failed payment (payment_intent.payment_failed); for the states
  // no event reports as a failure, the recharge's own rule for an answer in that state.
  const flipped =
    intent.status === "requires_payment_method"
      ? await failRechargeOnIntent({ tenantId: payment.tenantId, paymentId: payment.id, intent })
      : await recordRechargeFailure({
          tenantId: payment.tenantId,
          paymentId: payment.id,
          code: intent.last_payment_error?.code ?? (intent.status === "requires_action" ? "authentication_required" : intent.status),
          message: intent.last_payment_error?.message ?? (intent.status === "canceled" ? "The payment was canceled at the payment provider" : "The card could not be charged"),
          paymentIntentId: intent.id,
          suspend: true,
        });
  if (!flipped) return { outcome: "already-settled", detail: `${state}; settled meanwhile` };
  await recordFailureAudit(payment, state);
  return { outcome: "failed", detail: state };
}

type TFound = { kind: "looked"; intent: Stripe.PaymentIntent | null } | { kind: "unknowable"; why: string };

/**
 * The PaymentIntent Stripe made for a recharge whose answer we never recorded: among the
 * Stripe customer's PaymentIntents since the claim, the one naming this payment. A succeeded
 * one wins (Stripe charged), then one not finished yet, then the newest.
 */
async function findLostIntent(context: TContext, payment: TStalePayment): Promise<TFound> {
  const stripeCustomerId = await stripeCustomerOf(payment);
  // A recharge is only ever sent for a customer with a Stripe customer: without one now, or
  // after the tenant moved to another Stripe account, what was sent then cannot be seen.
  if (!stripeCustomerId) return { kind: "unknowable", why: "The customer has no Stripe customer under the tenant's current keys, so the charge cannot be looked up" };
  if (await stripeAccountChangedSince(payment.tenantId, payment.createdAt)) {
    return { kind: "unknowable", why: "The tenant's Stripe account changed since the recharge began, so the charge cannot be looked up" };
  }
  const since = Math.floor(payment.createdAt.getTime() / 1000) - CLOCK_SLACK_SECONDS;
  const matches: Stripe.PaymentIntent[] = [];
  for await (const intent of context.stripe.paymentIntents.list({ customer: stripeCustomerId, created: { gte: since }, limit: 100 })) {
    if (isFor(payment, intent.metadata)) matches.push(intent);
  }
  const succeeded = matches.filter((intent) => intent.status === "succeeded");
  if (succeeded.length > 1) {
    // One idempotency key makes one PaymentIntent; two mean the key was resent after Stripe
    // forgot it. Only one is credited (crediting.ts refuses a second); the other needs a refund.
    console.error(`[payments] reconcile: recharge ${payment.id} was charged by ${succeeded.length} PaymentIntents (${succeeded.map((intent) => intent.id).join(", ")}): refund all but the credited one in Stripe`);
  }
  const intent = succeeded.at(-1) ?? matches.find((intent) => !RECHARGE_FAILED.has(intent.status)) ?? matches[0] ?? null;
  return { kind: "looked", intent };
}

/**
 * A recharge with nothing at Stripe: while its claim can still be resent under its key (the
 * next balance event resumes a stale claim), it may yet be charged, and is left alone. After
 * that it is closed — not charged, when Stripe was searched and had nothing; of unknown
 * outcome, as the recharge itself gives up, when it could not be searched — with the failed
 * recharge's consequences but no suspension (the card was never declined).
 */
async function closeIfNothingCanBeSent(context: TContext, payment: TStalePayment, why: string, looked: boolean): Promise<TResult> {
  if (context.now.getTime() - payment.createdAt.getTime() < NOTHING_SENT_AFTER_MS) {
    return { outcome: looked ? "waiting" : "unresolved", detail: `${why}; the recharge may still be sent under its idempotency key` };
  }
  const flipped = await recordRechargeFailure({
    tenantId: payment.tenantId,
    paymentId: payment.id,
    code: looked ? "not_charged" : "outcome_unknown",
    message: looked ? "The payment provider has no charge for this automatic top-up: it was never sent" : "The payment provider never confirmed the charge",
    suspend: false,
  });
  if (!flipped) return { outcome: "already-settled", detail: `${why}; settled meanwhile` };
  await recordFailureAudit(payment, why);
  return { outcome: "failed", detail: why };
}

// ── Shared ─────────────────────────────────────────────────────────────────────────────

async function stripeCustomerOf(payment: TStalePayment): Promise<string | null> {
  const customer = await db().customer.findFirst({ where: { tenantId: payment.tenantId, id: payment.customerId }, select: { stripeCustomerId: true } });
  return customer?.stripeCustomerId ?? null;
}

/** Whether the tenant's keys moved to another Stripe account (settings.ts audits it) since `since`. */
async function stripeAccountChangedSince(tenantId: string, since: Date): Promise<boolean> {
  const change = await db().auditEvent.findFirst({
    where: { tenantId, action: "tenant.stripe-settings.updated", at: { gte: since }, after: { path: ["stripeAccountChanged"], equals: true } },
    select: { id: true },
  });
  return change !== null;
}

/**
 * Applies what Stripe said through the webhook's own handling. The transaction takes the
 * customer, then the payment — the webhook's order (its ledger posting locks the customer
 * before it updates the payment) — so neither waits on the other in a cycle, and the status
 * read here holds until commit: a payment its webhook settled first is left as it is.
 */
async function settle(context: TContext, payment: TStalePayment, event: TSettlingEvent, stripeState: string): Promise<TResult> {
  // The payment locked below must be the one the object is about: the webhook's handling
  // applies whatever payment the metadata names, and a stored id pointing at another
  // payment's object (a bug, a hand edit) would settle that one under this one's lock.
  const metadata = event.data.object.metadata;
  if (!isFor(payment, metadata)) {
    return {
      outcome: "unresolved",
      detail: `${stripeState}, but it was made for payment ${metadata?.payment_id ?? "(none)"} of tenant ${metadata?.tenant_id ?? "(none)"}, not this one`,
    };
  }
  // Whatever the webhook would fetch (a saved card's details) is fetched before the transaction.
  const plan = await planSettlement({ tenantId: context.tenantId, stripe: context.stripe, event });
  const applied = await db().$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM customers WHERE tenant_id = ${payment.tenantId}::uuid AND id = ${payment.customerId}::uuid FOR UPDATE`;
    const [row] = await tx.$queryRaw<{ status: string }[]>`
      SELECT status::text AS status FROM payments WHERE tenant_id = ${payment.tenantId}::uuid AND id = ${payment.id}::uuid FOR UPDATE`;
    if (row?.status !== "PENDING") return { status: row?.status ?? "missing", results: [] as TPostResult[], changed: false };
    const results = plan ? await plan(tx) : [];
    const after = await tx.payment.findUniqueOrThrow({ where: { id: payment.id }, select: { status: true, failureCode: true } });
    if (after.status === "PENDING") return { status: after.status, results, changed: false };
    await auditReconciled(tx, payment, { status: after.status, failureCode: after.failureCode, stripe: stripeState });
    return { status: after.status, results, changed: true };
  });
  await notifyBalanceChanged(applied.results);
  if (!applied.changed) {
    return applied.status === "PENDING"
      ? { outcome: "unresolved", detail: `${stripeState}, but its object does not name this payment` }
      : { outcome: "already-settled", detail: `${stripeState}; settled meanwhile (${applied.status})` };
  }
  if (applied.status === "SUCCEEDED") {
    console.warn(`[payments] reconcile: payment ${payment.id} of tenant ${payment.tenantId} credited from Stripe; its webhook never came (${stripeState})`);
    return { outcome: "credited", detail: stripeState };
  }
  console.warn(`[payments] reconcile: payment ${payment.id} of tenant ${payment.tenantId} marked ${applied.status}; its webhook never came (${stripeState})`);
  return { outcome: "failed", detail: stripeState };
}

async function auditReconciled(tx: TDb, payment: TStalePayment, after: { status: string; failureCode?: string | null; stripe: string }) {
  await recordAudit(tx, {
    tenantId: payment.tenantId,
    actor: SYSTEM_ACTOR,
    action: "payment.reconciled",
    targetType: "payment",
    targetId: payment.id,
    before: { status: "PENDING" },
    after: { status: after.status, failureCode: after.failureCode ?? null, stripe: after.stripe, kind: payment.kind, customerId: payment.customerId },
  });
}

/** The recharge failure's own transaction has committed (it mails and locks after it); its audit follows it. */
async function recordFailureAudit(payment: TStalePayment, stripeState: string) {
  const after = await db().payment.findUniqueOrThrow({ where: { id: payment.id }, select: { status: true, failureCode: true } });
  await auditReconciled(db(), payment, { status: after.status, failureCode: after.failureCode, stripe: stripeState });
}
