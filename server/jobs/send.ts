import { inngestServerConfigured } from "@/server/env";
import { inngest } from "./client";
import { embeddedRunner } from "./embedded-runner";
import type { TAppEvent } from "./events";

/** The one way application code emits an event, whichever engine runs the functions. */
export async function sendEvent(event: TAppEvent): Promise<void> {
  if (inngestServerConfigured()) {
    await inngest.send(event);
    return;
  }
  const runner = await embeddedRunner();
  await runner.dispatch(event);
}
