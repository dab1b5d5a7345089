import type { SelectOption } from "@/components/ui/select";
import { formatMicros } from "@/components/ui/money-format";

// Client-side copies of the rating enums (server modules stay out of the browser bundle).

export const RATE_CATEGORIES = ["LOCAL", "LONG_DISTANCE", "TOLL_FREE", "INTERNATIONAL", "MOBILE", "PREMIUM", "OTHER"] as const;
export type TRateCategory = (typeof RATE_CATEGORIES)[number];

export const CATEGORY_LABELS: Record<TRateCategory, string> = {
  LOCAL: "Local",
  LONG_DISTANCE: "Long distance",
  TOLL_FREE: "Toll free",
  INTERNATIONAL: "International",
  MOBILE: "Mobile",
  PREMIUM: "Premium",
  OTHER: "Other",
};
export const CATEGORY_OPTIONS: SelectOption[] = RATE_CATEGORIES.map((value) => ({ value, label: CATEGORY_LABELS[value] }));

export function categoryLabel(value: string | null | undefined): string {
  if (!value) return "—";
  return (CATEGORY_LABELS as Record<string, string>)[value] ?? value;
}

export const DECK_KINDS = ["SELL", "BUY"] as const;
export type TDeckKind = (typeof DECK_KINDS)[number];
export const DECK_KIND_LABELS: Record<TDeckKind, string> = { SELL: "Sell", BUY: "Buy" };
export const DECK_KIND_OPTIONS: SelectOption[] = [
  { value: "SELL", label: "Sell — prices your customers" },
  { value: "BUY", label: "Buy — a carrier's cost" },
];

export const DECK_FORMATS = ["native", "astpp", "magnus"] as const;
export type TDeckFormat = (typeof DECK_FORMATS)[number];
export const DECK_FORMAT_OPTIONS: SelectOption[] = [
  { value: "native", label: "Trunkline CSV (native)" },
  { value: "astpp", label: "ASTPP rate export" },
  { value: "magnus", label: "MagnusBilling rate import" },
];
export const DECK_FORMAT_HINTS: Record<TDeckFormat, string> = {
  native:
    "Columns prefix, description, category, rate_per_minute, connect_fee, initial_increment, increment, grace_seconds, effective_from, effective_to — what “Export CSV” downloads.",
  astpp: "ASTPP columns Code, Destination, Connection Cost, Grace Time, Cost / Min, Initial Increment, Increment.",
  magnus: "MagnusBilling columns dialprefix, destination, rateinitial, initblock, billingblock, minimal_time_charge, connectcharge.",
};

export const CARRIER_STATUSES = ["ACTIVE", "INACTIVE"] as const;
export const TRUNK_STATUSES = ["ACTIVE", "DISABLED"] as const;


export function deckHref(deckId: string): string {
  return `/admin/rates/${deckId}`;
}

export function importHref(deckId: string, importId: string): string {
  return `/admin/rates/${deckId}/imports/${importId}`;
}

export function priceCallHref(params: { deck?: string; customer?: string } = {}): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1])));
  const text = query.toString();
  return text ? `/admin/price-call?${text}` : "/admin/price-call";
}

/** A per-minute rate: up to 6 decimals, at least 4 ("$0.0123", "$0.012345"). */
export function formatRate(micros: bigint, currency: string): string {
  return formatMicros(micros, currency, { precision: 6, minPrecision: 4 });
}

/** A computed amount to the micro-unit, at least the cents ("$0.02", "$0.0246"). */
export function formatExact(micros: bigint, currency: string, signPositive = false): string {
  return formatMicros(micros, currency, { precision: 6, minPrecision: 2, signPositive });
}

/** Billing increments the way carriers write them: "60/6". */
export function formatIncrements(initial: number, increment: number): string {
  return `${initial}/${increment}`;
}

const countFormat = new Intl.NumberFormat("en-US");
export function formatCount(value: number): string {
  return countFormat.format(value);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** `value` if it is one of `allowed`, else null: URL parameters are untrusted input. */
export function oneOf<T extends string>(value: string | null | undefined, allowed: readonly T[]): T | null {
  return value !== null && value !== undefined && (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string | null | undefined): value is string {
  return typeof value === "string" && UUID.test(value);
}
