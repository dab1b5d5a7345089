import { cron, NonRetriableError } from "inngest";
import { inngest } from "@/server/jobs/client";
import { RUN_TIMEOUTS } from "@/server/jobs/timeouts";
import { reconcileTenantPayments, tenantsWithStalePayments } from "@/server/payments/reconcile";

/**
 * Every 10 minutes: card payments still PENDING 15 minutes after they began are looked up at
 * Stripe and settled as their lost webhook would have settled them (server/payments/reconcile.ts);
 * the ledger key of each credit makes a webhook arriving as well, or a rerun, move no money.
 * Each tenant is its own step, and a tenant whose Stripe cannot be asked (no key, a refused key,
 * Stripe down) keeps its payments PENDING for the next run instead of stopping the others.
 *
 * The run fails only for what is new, once everyone else is done: a tenant whose Stripe cannot
 * be asked (operational and usually transient, so it fails every run it lasts), and a payment
 * found unresolved for the first time or for a new reason. A payment already reported and still
 * unresolved is not reported again — a run that stayed red for it would hide the next problem —
 * but is counted in `needPerson` and logged as a warning each run. A run slower than the
 * interval is not overlapped by the next.
 */
export const paymentsReconcile = inngest.createFunction(
  { id: "payments-reconcile", retries: 2, concurrency: 1, timeouts: RUN_TIMEOUTS.sweep, triggers: [cron("*/10 * * * *")] },
  async ({ step }) => {
    // Steps replay: every one of them must work on the same instant.
    const now = new Date(await step.run("now", () => new Date().toISOString()));
    const tenantIds = await step.run("find-tenants", () => tenantsWithStalePayments({ now }));
    const totals = { tenants: tenantIds.length, checked: 0, credited: 0, failed: 0, waiting: 0, alreadySettled: 0, unresolved: 0, newlyUnresolved: 0, needPerson: 0, tenantsNotAsked: 0 };
    const problems: string[] = [];
    for (const tenantId of tenantIds) {
      const report = await step.run(`reconcile-${tenantId}`, () => reconcileTenantPayments({ tenantId, now }));
      totals.checked += report.checked;
      totals.needPerson += report.needPerson;
      for (const payment of report.payments) {
        if (payment.outcome === "credited") totals.credited += 1;
        else if (payment.outcome === "failed") totals.failed += 1;
        else if (payment.outcome === "waiting") totals.waiting += 1;
        else if (payment.outcome === "already-settled") totals.alreadySettled += 1;
        else {
          totals.unresolved += 1;
          if (payment.newProblem) {
            totals.newlyUnresolved += 1;
            problems.push(`payment ${payment.paymentId} of tenant ${tenantId}: ${payment.detail}`);
          }
        }
      }
      if (report.error) {
        totals.tenantsNotAsked += 1;
        problems.push(`tenant ${tenantId} (${report.notChecked} payment(s) not checked): ${report.error}`);
      }
    }
    if (problems.length > 0) {
      // A retry would ask the same Stripe a minute later; the next run (10 minutes) tries again.
      throw new NonRetriableError(
        `${problems.length} new problem(s) reconciling card payments (${totals.credited} credited, ${totals.failed} failed, ${totals.waiting} waiting, ${totals.needPerson} need a person): ${problems.join("; ")}`,
      );
    }
    return totals;
  },
);
