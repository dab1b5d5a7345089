import { cron } from "inngest";
import { inngest } from "@/server/jobs/client";
import { emailStatement, generateMissingStatements, statementsToEmail } from "@/server/wallet/statements";

/**
 * Monthly statements of the month that just ended, in each tenant's time zone. Runs at 02:00
 * UTC on the 1st, and again at 14:00 UTC for zones west of UTC whose month had not ended yet
 * at 02:00. (tenant, customer, period) is unique and emailedAt is set under a row lock, so a
 * rerun or a retry writes and emails each statement once.
 */
export const monthlyStatements = inngest.createFunction(
  { id: "wallet-monthly-statements", retries: 3, concurrency: 1, triggers: [cron("0 2,14 1 * *")] },
  async ({ step }) => {
    const generated = await step.run("generate-missing-statements", () => generateMissingStatements());
    // Also picks up statements written by an earlier run that failed before mailing them.
    const pending = await step.run("find-statements-to-email", () => statementsToEmail());
    let emailed = 0;
    for (const statement of pending) {
      const result = await step.run(`email-statement-${statement.statementId}`, () => emailStatement(statement));
      if (result.emailed) emailed += 1;
    }
    return { written: generated.written.length, emailed };
  },
);
