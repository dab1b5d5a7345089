import { z } from "zod";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { DIALLING_PLAN_COLUMNS, numberingPlanOf } from "@/server/tenants/dialling-plan";
import { createNumberNormalizer } from "./normalize";
import { describeAmount, rateCall, type PricingStep } from "./pricing";
import { getDeckMatcher } from "./deck-cache";

export const ZPriceCallInput = z.object({
  /** Price with this SELL deck… */
  deckId: z.uuid().nullable().default(null),
  /** …or with the deck of this customer (or its trunk's override). */
  customerId: z.uuid().nullable().default(null),
  trunkId: z.uuid().nullable().default(null),
  /** The carrier's BUY deck for cost and margin. */
  buyDeckId: z.uuid().nullable().default(null),
  number: z.string().trim().min(1, "Enter the number dialled").max(40),
  billsec: z.number().int().min(0, "Duration cannot be negative").max(86_400 * 2),
  at: z.coerce.date(),
});

export type TExplainedStep = { rule: string; detail: string };

/**
 * An instant as the tenant's staff read it: on the tenant's clock, in the pages' own order
 * ("03 Dec 2026, 05:13:07 EST"), with the zone named, since decks and calls are dated in it.
 * Assembled from en-US parts: their short zone names ("EST") are the ones people know.
 */
export function describeInstant(instant: Date, timeZone: string, options: { seconds?: boolean } = {}): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "short",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    ...(options.seconds === false ? {} : { second: "2-digit" }),
    hourCycle: "h23",
    timeZoneName: "short",
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((entry) => entry.type === type)?.value ?? "";
  const time = [part("hour"), part("minute"), ...(options.seconds === false ? [] : [part("second")])].join(":");
  return `${part("day")} ${part("month")} ${part("year")}, ${time} ${part("timeZoneName")}`;
}

/** The "price a call" tool: every rule applied on the way to a price, cost and margin. */
export async function priceCallTool(options: { tenantId: string; input: z.input<typeof ZPriceCallInput> }) {
  const input = ZPriceCallInput.parse(options.input);
  const tenant = await db().tenant.findUniqueOrThrow({
    where: { id: options.tenantId },
    select: { ...DIALLING_PLAN_COLUMNS, currency: true, timeZone: true },
  });
  const steps: TExplainedStep[] = [];
  let sellDeckId = input.deckId;
  // Looked up whether or not a deck was chosen: its tech prefix changes the number rated.
  const trunk =
    input.trunkId && input.customerId
      ? await db().sipTrunk.findFirst({
          where: { tenantId: options.tenantId, customerId: input.customerId, id: input.trunkId },
          select: { name: true, techPrefix: true, rateDeck: { select: { id: true, name: true } } },
        })
      : null;
  if (!sellDeckId && input.customerId) {
    const customer = await db().customer.findFirst({
      where: { tenantId: options.tenantId, id: input.customerId },
      select: { name: true, rateDeck: { select: { id: true, name: true } } },
    });
    if (!customer) throw AppError.notFound("Customer");
    if (trunk?.rateDeck) {
      sellDeckId = trunk.rateDeck.id;
      steps.push({ rule: "DECK", detail: `Trunk ${trunk.name} overrides the customer's deck: ${trunk.rateDeck.name}` });
    } else if (customer.rateDeck) {
      sellDeckId = customer.rateDeck.id;
      steps.push({ rule: "DECK", detail: `${customer.name}'s rate plan: ${customer.rateDeck.name}` });
    } else {
      steps.push({ rule: "DECK", detail: `${customer.name} has no rate deck assigned` });
    }
  }
  if (!input.deckId && !input.customerId) throw AppError.invalidField("deckId", "Choose a deck or a customer");
  // The same normaliser ingest uses for a call on this trunk (call-rating.ts), so the tool
  // gives the answer the bill will.
  const normalizeNumber = createNumberNormalizer(numberingPlanOf(tenant), { trunkTechPrefix: trunk?.techPrefix ?? null });
  const normalized = normalizeNumber(input.number);
  steps.push({
    rule: "NORMALISE",
    detail: !normalized.ok
      ? `${input.number} is not a number: ${normalized.reason}`
      : normalized.shortCode
        ? `${input.number} → ${normalized.digits}: a short code or local number, priced only by a rate for all of ${normalized.digits}`
        : `${input.number} → ${normalized.digits} (E.164 without +)`,
  });
  const sellDeck = sellDeckId ? await getDeckMatcher(options.tenantId, sellDeckId) : null;
  const buyDeck = input.buyDeckId ? await getDeckMatcher(options.tenantId, input.buyDeckId) : null;
  const rated = rateCall(
    { caller: "", callee: input.number, startUtc: input.at, billsec: input.billsec },
    { normalizeNumber, sellDeck, buyDeck, explain: true, currency: tenant.currency },
  );
  if (rated.rate) {
    const from = describeInstant(rated.rate.effectiveFrom, tenant.timeZone, { seconds: false });
    const window = rated.rate.effectiveTo
      ? `from ${from} until ${describeInstant(rated.rate.effectiveTo, tenant.timeZone, { seconds: false })}`
      : `since ${from}, with no end date`;
    steps.push({
      rule: "MATCH",
      detail: `Longest prefix in force on ${describeInstant(input.at, tenant.timeZone)}: ${rated.rate.prefix} (${rated.rate.description}), ${window}`,
    });
  } else if (rated.status === "UNBILLABLE") {
    steps.push({ rule: "MATCH", detail: rated.reason ?? "no rate" });
  }
  for (const step of rated.steps ?? ([] as PricingStep[])) steps.push(step);
  if (rated.costMicros !== null && rated.marginMicros !== null) {
    steps.push({
      rule: "MARGIN",
      detail: `Cost ${describeAmount(rated.costMicros, tenant.currency)} by the BUY deck (prefix ${rated.buyRate?.prefix}); margin ${describeAmount(rated.marginMicros, tenant.currency)}`,
    });
  } else if (input.buyDeckId && rated.costReason) {
    steps.push({ rule: "MARGIN", detail: `No cost: ${rated.costReason}` });
  }
  return {
    status: rated.status,
    reason: rated.reason,
    normalizedNumber: normalized.ok ? normalized.digits : null,
    matchedPrefix: rated.matchedPrefix,
    category: rated.category,
    description: rated.rate?.description ?? null,
    ratePerMinuteMicros: rated.rate?.ratePerMinuteMicros ?? null,
    connectFeeMicros: rated.rate?.connectFeeMicros ?? null,
    increments: rated.rate ? `${rated.rate.initialIncrement}/${rated.rate.increment}` : null,
    billedSeconds: rated.billedSeconds,
    priceMicros: rated.priceMicros,
    costMicros: rated.costMicros,
    marginMicros: rated.marginMicros,
    currency: tenant.currency,
    /** The zone the explanation's dates are written in. */
    timeZone: tenant.timeZone,
    steps,
  };
}
