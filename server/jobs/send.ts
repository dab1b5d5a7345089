import { inngestServerConfigured } from "@/server/env";
import { inngest } from "./client";
import { embeddedRunner } from "./embedded-runner";
import type { TAppEvent } from "./events";

/** The one way application code emits an event, whichever engine runs the functions. */
export async function sendEvent(event: TAppEvent): Promise<void> {
  await sendEvents([event]);
}

/** Several events in one request to the engine (an ingest batch's balance changes). */
export async function sendEvents(events: readonly TAppEvent[]): Promise<void> {
  if (events.length === 0) return;
  if (inngestServerConfigured()) {
    await inngest.send([...events]);
    return;
  }
  const runner = await embeddedRunner();
  await runner.dispatchMany(events);
}
