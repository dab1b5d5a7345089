import { inngest } from "@/server/jobs/client";
import { RUN_TIMEOUTS } from "@/server/jobs/timeouts";
import { balanceLow } from "@/server/jobs/events";
import { chargeAutoRecharge, claimAutoRecharge, lockWhenRechargeCannotRun } from "@/server/payments/auto-recharge";

// The claim (one transaction: re-check, cap, sequence, PENDING row) and the charge are
// separate steps: under an Inngest server a retry replays the claim and re-sends the charge
// with the same idempotency key. Concurrent runs for one customer lose at the claim.
export const autoRecharge = inngest.createFunction(
  { id: "payments-auto-recharge", retries: 4, timeouts: RUN_TIMEOUTS.reaction, triggers: [balanceLow] },
  async ({ event, step }) => {
    const claim = await step.run("claim-recharge", () => claimAutoRecharge({ tenantId: event.data.tenantId, customerId: event.data.customerId }));
    if (!claim.claimed) {
      const reason = claim.reason;
      const locked = await step.run("lock-if-it-cannot-recharge", () => lockWhenRechargeCannotRun({ tenantId: event.data.tenantId, customerId: event.data.customerId, reason }));
      return { skipped: reason, locked };
    }
    return step.run("charge-default-card", () => chargeAutoRecharge({ tenantId: event.data.tenantId, paymentId: claim.paymentId }));
  },
);
