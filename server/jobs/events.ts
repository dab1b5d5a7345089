import { eventType } from "inngest";
import { z } from "zod";

/**
 * Every event Trunkline sends, with its payload schema. Payloads carry ids, never secrets
 * or tokens: runs and their event data are stored and shown to admins.
 * A `tenantId` in the payload attributes the run to that tenant at /admin/jobs.
 */
const eventSchemas = {
  "auth/invitation.created": z.object({ tenantId: z.uuid(), invitationId: z.uuid() }),
  "auth/password-reset.requested": z.object({ userId: z.uuid(), tenantId: z.uuid().optional() }),
  "auth/email-verification.requested": z.object({ userId: z.uuid(), tenantId: z.uuid().optional() }),
  // Money moves as decimal strings of micro-units: JSON has no BigInt.
  "wallet/balance.changed": z.object({
    tenantId: z.uuid(),
    customerId: z.uuid(),
    entryId: z.string(),
    balanceBefore: z.string().regex(/^-?\d+$/),
    balanceAfter: z.string().regex(/^-?\d+$/),
  }),
  // The balance fell below the customer's auto-recharge threshold.
  "wallet/balance.low": z.object({ tenantId: z.uuid(), customerId: z.uuid(), balance: z.string().regex(/^-?\d+$/) }),
  "customer/locked": z.object({ tenantId: z.uuid(), customerId: z.uuid(), reason: z.string() }),
  "customer/unlocked": z.object({ tenantId: z.uuid(), customerId: z.uuid() }),
  // A CDR file is in the spool (downloaded or uploaded) and ready to ingest.
  "cdr/file.received": z.object({ tenantId: z.uuid(), sourceId: z.uuid(), fileId: z.uuid() }),
  // Poll one source now (the scheduler sends it when a source is due; "poll now" too).
  "cdr/source.poll-requested": z.object({ tenantId: z.uuid(), sourceId: z.uuid() }),
  // Price again the unbillable calls of a tenant after a fix (a rate, an account mapping).
  "cdr/rerate.requested": z.object({ tenantId: z.uuid(), requestId: z.uuid(), reason: z.string().nullish() }),
} as const;

/**
 * Events the engine itself emits, never the application (Inngest reserves the `inngest/`
 * prefix). Declared here because the embedded runner, which emits them too, accepts only
 * declared events, and the SDK validates a trigger's event against its schema. Loose
 * objects: an Inngest server sends more than we read (`events`, `error.error`), and what we
 * store should be what it sent.
 */
const systemEventSchemas = {
  // A run was cancelled (its timeouts.finish passed; on Inngest also cancelOn, the REST API or a
  // bulk cancellation). `function_id` is the app id and the function's id joined by a hyphen
  // ("trunkline-cdr-ingest-file"), as serve() registers it; `event` is the run's triggering event.
  // Payload: https://www.inngest.com/docs/reference/system-events/inngest-function-cancelled
  "inngest/function.cancelled": z.looseObject({
    function_id: z.string(),
    run_id: z.string(),
    error: z.looseObject({ message: z.string(), name: z.string() }).optional(),
    event: z.looseObject({ name: z.string(), data: z.record(z.string(), z.unknown()), id: z.string().optional(), ts: z.number().optional() }),
  }),
} as const;

export type TEventName = keyof typeof eventSchemas;
export type TAppEvent = {
  [K in TEventName]: { name: K; data: z.input<(typeof eventSchemas)[K]>; id?: string };
}[TEventName];
type TSystemEventName = keyof typeof systemEventSchemas;
export type TSystemEvent = {
  [K in TSystemEventName]: { name: K; data: z.input<(typeof systemEventSchemas)[K]>; id?: string };
}[TSystemEventName];
/** Any event a function can be triggered by: sent by the application, or by the engine. */
export type TEngineEvent = TAppEvent | TSystemEvent;

export const invitationCreated = eventType("auth/invitation.created", {
  schema: eventSchemas["auth/invitation.created"],
});
export const passwordResetRequested = eventType("auth/password-reset.requested", {
  schema: eventSchemas["auth/password-reset.requested"],
});
export const emailVerificationRequested = eventType("auth/email-verification.requested", {
  schema: eventSchemas["auth/email-verification.requested"],
});

export const balanceChanged = eventType("wallet/balance.changed", {
  schema: eventSchemas["wallet/balance.changed"],
});

export const balanceLow = eventType("wallet/balance.low", { schema: eventSchemas["wallet/balance.low"] });
export const customerLocked = eventType("customer/locked", { schema: eventSchemas["customer/locked"] });
export const customerUnlocked = eventType("customer/unlocked", { schema: eventSchemas["customer/unlocked"] });

export const cdrFileReceived = eventType("cdr/file.received", { schema: eventSchemas["cdr/file.received"] });
export const cdrSourcePollRequested = eventType("cdr/source.poll-requested", {
  schema: eventSchemas["cdr/source.poll-requested"],
});
export const cdrRerateRequested = eventType("cdr/rerate.requested", { schema: eventSchemas["cdr/rerate.requested"] });

export const functionCancelled = eventType("inngest/function.cancelled", {
  schema: systemEventSchemas["inngest/function.cancelled"],
});

const everyEventSchema: Record<string, z.ZodType | undefined> = { ...eventSchemas, ...systemEventSchemas };

export function parseEvent(event: { name: string; data: unknown; id?: string }): TEngineEvent {
  const schema = everyEventSchema[event.name];
  if (!schema) throw new Error(`Unknown event ${event.name}`);
  return { name: event.name, data: schema.parse(event.data), id: event.id } as TEngineEvent;
}

/**
 * The data of an event a system event carries (a cancelled run's trigger), when it is the
 * named application event and still valid under its schema; else null.
 */
export function parseCarriedEvent<K extends TEventName>(name: K, event: { name: string; data: unknown }): z.output<(typeof eventSchemas)[K]> | null {
  if (event.name !== name) return null;
  // TypeScript cannot follow the schema of a generic K; the result is that schema's output.
  const parsed = (eventSchemas[name] as z.ZodType).safeParse(event.data);
  return parsed.success ? (parsed.data as z.output<(typeof eventSchemas)[K]>) : null;
}
