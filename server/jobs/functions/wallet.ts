import { cron } from "inngest";
import { inngest } from "@/server/jobs/client";
import { RUN_TIMEOUTS } from "@/server/jobs/timeouts";
import { balanceChanged } from "@/server/jobs/events";
import { reactToBalanceChange, sweepBalanceReactions } from "@/server/wallet/account-state";
import { postRecurringFees } from "@/server/wallet/recurring";
import { checkLedgerInvariant } from "@/server/wallet/invariant";

export const onBalanceChanged = inngest.createFunction(
  { id: "wallet-balance-changed", retries: 5, timeouts: RUN_TIMEOUTS.reaction, triggers: [balanceChanged] },
  async ({ event, step }) => step.run("react-to-balance", () => reactToBalanceChange(event.data)),
);

// Every 10 minutes: the reactions of balance changes whose event was lost (a process died
// between a ledger commit and its event).
export const balanceReactionSweep = inngest.createFunction(
  { id: "wallet-balance-sweep", retries: 2, concurrency: 1, timeouts: RUN_TIMEOUTS.sweep, triggers: [cron("*/10 * * * *")] },
  async ({ step }) => step.run("react-to-lagging-balances", () => sweepBalanceReactions()),
);

// Hourly: a missed run is caught by the next one, and (fee, period) keys make reruns free.
export const recurringFees = inngest.createFunction(
  { id: "wallet-recurring-fees", retries: 3, concurrency: 1, timeouts: RUN_TIMEOUTS.sweep, triggers: [cron("15 * * * *")] },
  async ({ step }) => step.run("post-fees-for-current-period", () => postRecurringFees()),
);

export const ledgerInvariant = inngest.createFunction(
  { id: "wallet-ledger-invariant", retries: 2, concurrency: 1, timeouts: RUN_TIMEOUTS.maintenance, triggers: [cron("30 3 * * *")] },
  async ({ step }) => step.run("compare-balances-with-ledger", () => checkLedgerInvariant()),
);
