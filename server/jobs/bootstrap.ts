import { env, inngestServerConfigured } from "@/server/env";
import { embeddedRunner } from "./embedded-runner";

/**
 * With an Inngest server, it calls /api/inngest and nothing runs here. Without one, this
 * process runs the functions: resume what a previous process left and fire crons.
 */
export async function startBackgroundJobs(): Promise<void> {
  if (inngestServerConfigured() || env().JOBS_ENABLED === "false") return;
  const runner = await embeddedRunner();
  const resumed = await runner.recover();
  runner.startCrons();
  if (resumed > 0) console.log(`Embedded job runner resumed ${resumed} run(s).`);
}
