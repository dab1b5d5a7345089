import { cron, NonRetriableError } from "inngest";
import { inngest } from "@/server/jobs/client";
import { RUN_TIMEOUTS } from "@/server/jobs/timeouts";
import { activeTenantIds, emailStatement, generateMissingStatements, statementsToEmail, type TStatementFailure } from "@/server/wallet/statements";

/**
 * Monthly statements of the month that just ended, in each tenant's time zone. Runs at 02:00
 * UTC on the 1st, and again at 14:00 UTC for zones west of UTC whose month had not settled
 * yet at 02:00 (STATEMENT_GRACE_MS after its end). (tenant, customer, period) is unique and
 * emailedAt is set under a row lock, so a rerun or a retry writes and emails each statement
 * once. Each tenant is its own step, and a customer whose statement fails is skipped, so
 * neither stops the others; the failures fail the run once the rest is emailed.
 */
export const monthlyStatements = inngest.createFunction(
  { id: "wallet-monthly-statements", retries: 3, concurrency: 1, timeouts: RUN_TIMEOUTS.statements, triggers: [cron("0 2,14 1 * *")] },
  async ({ step }) => {
    // Steps replay: every one of them must work on the same instant.
    const now = new Date(await step.run("now", () => new Date().toISOString()));
    const tenantIds = await step.run("find-tenants", () => activeTenantIds());
    let written = 0;
    const failed: TStatementFailure[] = [];
    for (const tenantId of tenantIds) {
      const generated = await step.run(`generate-statements-${tenantId}`, () => generateMissingStatements({ now, tenantId }));
      written += generated.written.length;
      failed.push(...generated.failed);
    }
    // Also picks up statements written by an earlier run that failed before mailing them.
    const pending = await step.run("find-statements-to-email", () => statementsToEmail({ now }));
    let emailed = 0;
    for (const statement of pending) {
      const result = await step.run(`email-statement-${statement.statementId}`, () => emailStatement(statement));
      if (result.emailed) emailed += 1;
    }
    if (failed.length > 0) {
      // A retry would read the same ledger; the 14:00 run (or a regeneration by hand) tries again.
      throw new NonRetriableError(
        `${failed.length} statement(s) could not be written (${written} written, ${emailed} emailed): ` +
          failed.map((failure) => `customer ${failure.customerId} of tenant ${failure.tenantId} for ${failure.period}: ${failure.error}`).join("; "),
      );
    }
    return { written, emailed };
  },
);
