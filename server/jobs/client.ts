import { Inngest } from "inngest";

/**
 * The Inngest client. Connection settings (INNGEST_DEV, INNGEST_BASE_URL, INNGEST_EVENT_KEY,
 * INNGEST_SIGNING_KEY) are read by the SDK itself; server/env.ts validates the same names so
 * a typo stops start-up. Without an Inngest server the embedded runner executes these same
 * function objects in-process (server/jobs/embedded-runner.ts).
 */
export const inngest = new Inngest({ id: "trunkline" });
