import type { TRouterOutputs } from "@/components/admin/types";

type TOutputs = TRouterOutputs["cdrFiles"];

export type TUnbillableSummary = TOutputs["unbillableSummary"];
export type TUnbillableReason = TUnbillableSummary["reasons"][number];
export type TUnbillableDetail = TOutputs["unbillableDetail"];
export type TAccountGroup = Extract<TUnbillableDetail, { kind: "account" }>["rows"][number];
export type TPrefixGroup = Extract<TUnbillableDetail, { kind: "prefix" }>["rows"][number];
export type TDeckGroup = Extract<TUnbillableDetail, { kind: "deck" }>["rows"][number];
export type TOtherGroup = Extract<TUnbillableDetail, { kind: "other" }>["rows"][number];

/** The reasons rating gives (server/rating/pricing.ts UNBILLABLE_REASONS), in words for the page. */
export const REASON_TITLES: Record<string, { title: string; fix: string }> = {
  "unknown account": {
    title: "Unknown account code",
    fix: "No trunk carries these account codes and none is mapped to a customer. Map each code to its customer, then re-rate. Calls without an account code cannot be assigned afterwards: a number given to a customer as a DID now does not make earlier calls theirs.",
  },
  "no rate for prefix": {
    title: "No rate for the number",
    fix: "The customer's deck has no rate covering these numbers at the call's time. Add the rate (a new number range), then re-rate.",
  },
  "no rate deck assigned": {
    title: "No rate deck assigned",
    fix: "These customers (or their trunks) have no sell deck. Assign one on the customer's page, then re-rate.",
  },
};

export function reasonTitle(reason: string): string {
  return REASON_TITLES[reason]?.title ?? reason.charAt(0).toUpperCase() + reason.slice(1);
}

const counts = new Intl.NumberFormat("en-US");
const minutes = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

export function formatCount(value: number): string {
  return counts.format(value);
}

/** billsec as minutes, one decimal (the calls' own seconds, before any billing increment). */
export function formatMinutes(billsec: bigint): string {
  return minutes.format(Number(billsec) / 60);
}
