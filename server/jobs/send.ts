import { inngestServerConfigured } from "@/server/env";
import { inngest } from "./client";
import { embeddedRunner } from "./embedded-runner";
import type { TAppEvent } from "./events";

/** The one way application code emits an event, whichever engine runs the functions. */
export async function sendEvent(event: TAppEvent): Promise<void> {
  await sendEvents([event]);
}

/**
 * Events per request: well under an Inngest server's payload limit and PostgreSQL's 65,535
 * bind parameters for the embedded runner's insert.
 */
const EVENTS_PER_SEND = 500;

/** Several events in as few requests to the engine as fit (an ingest batch's balance changes). */
export async function sendEvents(events: readonly TAppEvent[]): Promise<void> {
  for (let start = 0; start < events.length; start += EVENTS_PER_SEND) {
    const chunk = events.slice(start, start + EVENTS_PER_SEND);
    if (inngestServerConfigured()) await inngest.send(chunk);
    else await (await embeddedRunner()).dispatchMany(chunk);
  }
}
