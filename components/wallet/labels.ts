import type { inferRouterOutputs } from "@trpc/server";
import type { SelectOption } from "@/components/ui/select";
import type { AppRouter } from "@/server/trpc/root";
import { addDays, dayOf, instantFromDateInput, startOfDay } from "@/components/time/wall-time";

// Client-side copies of the ledger kinds and their labels (server modules stay out of the bundle).

type TOutputs = inferRouterOutputs<AppRouter>;
export type TWallet = TOutputs["wallet"]["get"];
/** Staff's rows carry the memo and references; the customer's carry a description written for them. */
export type TStaffLedgerPage = TOutputs["wallet"]["ledger"];
export type TPortalLedgerPage = TOutputs["wallet"]["myLedger"];
export type TLedgerPage = TStaffLedgerPage | TPortalLedgerPage;
export type TLedgerRow = TStaffLedgerPage["rows"][number] | TPortalLedgerPage["rows"][number];
export type TRecurringCharge = TWallet["recurringCharges"][number];
export type TStatementRow = TOutputs["statements"]["mine"]["statements"][number];
export type TStatement = TOutputs["statements"]["get"];

export const LEDGER_KINDS = ["TOPUP", "AUTO_RECHARGE", "CALL_CHARGES", "SMS_CHARGES", "RECURRING_FEE", "ADJUSTMENT", "REFUND", "CHARGEBACK"] as const;
export type TLedgerKind = (typeof LEDGER_KINDS)[number];

export const LEDGER_KIND_LABELS: Record<TLedgerKind, string> = {
  TOPUP: "Top-up",
  AUTO_RECHARGE: "Auto-recharge",
  CALL_CHARGES: "Call charges",
  SMS_CHARGES: "SMS charges",
  RECURRING_FEE: "Recurring fee",
  ADJUSTMENT: "Adjustment",
  REFUND: "Refund",
  CHARGEBACK: "Chargeback",
};

export const LEDGER_KIND_OPTIONS: SelectOption[] = LEDGER_KINDS.map((value) => ({ value, label: LEDGER_KIND_LABELS[value] }));

export function ledgerKindLabel(kind: string): string {
  return (LEDGER_KIND_LABELS as Record<string, string>)[kind] ?? kind;
}

// An exact instant ("2026-09-30T15:00:00.000Z"), as a statement links to its period: kept
// exact, so the list is the statement's entries even if the tenant's zone has changed since.
const INSTANT = /^\d{4}-\d{2}-\d{2}T/;

function instantOf(value: string): Date | null {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * The start of a "from" filter: a `<input type="date">` value ("2026-10-01") as midnight in
 * the tenant's `timeZone`, or an exact instant as itself; null when empty or invalid.
 */
export function dateInputStart(value: string | null | undefined, timeZone: string): Date | null {
  if (value && INSTANT.test(value)) return instantOf(value);
  return instantFromDateInput(value, timeZone);
}

/**
 * The end (exclusive) of a "to" filter: midnight in `timeZone` of the day after a date, so
 * the whole day is included, or an exact instant (already exclusive) as itself.
 */
export function dateInputEnd(value: string | null | undefined, timeZone: string): Date | null {
  if (value && INSTANT.test(value)) return instantOf(value);
  if (!instantFromDateInput(value, timeZone) || !value) return null;
  return startOfDay(addDays(value, 1), timeZone);
}

/** What a date input shows for a filter: the date itself, or the day in `timeZone` an instant falls on (an end's last day). */
export function dateInputValue(value: string | null | undefined, edge: "from" | "to", timeZone: string): string {
  if (!value) return "";
  if (!INSTANT.test(value)) return value;
  const instant = instantOf(value);
  if (!instant) return "";
  return dayOf(edge === "to" ? new Date(instant.getTime() - 1) : instant, timeZone);
}

/** Query string of a CSV export with the same filters as the table (instants as ISO). */
export function ledgerExportQuery(filters: { kind: TLedgerKind | null; from: Date | null; to: Date | null }): string {
  const params = new URLSearchParams();
  if (filters.kind) params.set("kind", filters.kind);
  if (filters.from) params.set("from", filters.from.toISOString());
  if (filters.to) params.set("to", filters.to.toISOString());
  const query = params.toString();
  return query ? `?${query}` : "";
}

/** "2026-10" → "October 2026". */
export function periodLabel(period: string): string {
  const year = Number(period.slice(0, 4));
  const month = Number(period.slice(5, 7)) - 1;
  if (!Number.isFinite(year) || !Number.isFinite(month)) return period;
  return new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(year, month, 1)));
}

/** A decimal amount as the wallet API takes it ("25.00", "-3.50"), or null if it is not one. */
export function normaliseAmount(value: string, options: { allowNegative: boolean }): string | null {
  const text = value.trim().replace(/,/g, "");
  const pattern = options.allowNegative ? /^-?\d{1,12}(\.\d{1,6})?$/ : /^\d{1,12}(\.\d{1,6})?$/;
  return pattern.test(text) ? text : null;
}
