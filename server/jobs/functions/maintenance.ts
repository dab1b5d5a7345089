import { cron } from "inngest";
import { inngest } from "@/server/jobs/client";
import { RUN_TIMEOUTS } from "@/server/jobs/timeouts";
import { prunePasswordResetRequests, pruneSignInAttempts, pruneUserTokens, type TPruneOptions, type TPruneResult } from "@/server/auth/pruning";

/**
 * Statements per step: 50 × 10,000 rows keeps one step to well under a minute even on a first
 * run against years of backlog, so no single request to the engine runs long; the function
 * takes as many steps as the backlog needs.
 */
const BATCHES_PER_STEP = 50;

const TABLES = [
  { key: "signInAttempts", step: "sign-in-attempts", prune: pruneSignInAttempts },
  { key: "passwordResetRequests", step: "password-reset-requests", prune: prunePasswordResetRequests },
  { key: "userTokens", step: "user-tokens", prune: pruneUserTokens },
] as const satisfies readonly { key: keyof TPruneResult; step: string; prune: (options: TPruneOptions) => Promise<unknown> }[];

/**
 * Daily: deletes the sign-in attempts, password-reset requests and account tokens no rule can
 * read any more (retentions and why in server/auth/pruning.ts). Every step deletes only rows
 * already past retention, so a retry or a rerun deletes nothing that is still needed.
 */
export const pruneSecurityRecordsDaily = inngest.createFunction(
  { id: "auth-prune-security-records", retries: 2, concurrency: 1, timeouts: RUN_TIMEOUTS.maintenance, triggers: [cron("17 3 * * *")] },
  async ({ step }) => {
    // Steps replay: every one of them must work on the same instant.
    const now = new Date(await step.run("now", () => new Date().toISOString()));
    const deleted: Record<keyof TPruneResult, number> = { signInAttempts: 0, passwordResetRequests: 0, userTokens: 0 };
    for (const table of TABLES) {
      for (let part = 0; ; part++) {
        const result = await step.run(`prune-${table.step}-${part}`, () => table.prune({ now, maxBatches: BATCHES_PER_STEP }));
        deleted[table.key] += result.deleted;
        if (result.done) break;
      }
    }
    return deleted;
  },
);
