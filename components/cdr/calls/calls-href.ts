import { MAX_RANGE_DAYS } from "@/server/cdr/search-rules";
import { addDays, dayOf } from "@/components/time/wall-time";
import { customRangeError } from "./range-presets";

/** Filters of the admin Calls page, by their names in its URL (calls-explorer.tsx reads them). */
export type TCallsLinkFilter = {
  status?: "RATED" | "UNANSWERED" | "UNBILLABLE";
  unbillableReason?: string;
  accountCode?: string;
  /** A customer's id, or NO_CUSTOMER for the calls nobody owns. */
  customerId?: string;
  /** Read with the tenant's dialling plan: a stored E.164 prefix needs its "+" ({@link storedPrefixFilter}). */
  callee?: string;
};

/**
 * The Calls page showing the calls of a group first and last seen at these instants: the days
 * they fall on in the tenant's zone (the page's custom range is whole local days), the latest
 * {@link MAX_RANGE_DAYS} of them when the group spans more, as the search covers no more.
 */
export function callsHref(seen: { first: Date; last: Date }, timeZone: string, filter: TCallsLinkFilter): string {
  const toDay = dayOf(seen.last, timeZone);
  const earliest = addDays(toDay, -(MAX_RANGE_DAYS - 1));
  let fromDay = dayOf(seen.first, timeZone);
  if (fromDay < earliest) fromDay = earliest;
  // MAX_RANGE_DAYS local days may be an hour longer than MAX_RANGE_DAYS × 24 h (a clock going back).
  if (customRangeError(fromDay, toDay, timeZone)) fromDay = addDays(fromDay, 1);
  const params = new URLSearchParams({ range: "custom", fromDay, toDay });
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  return `/admin/calls?${params.toString()}`;
}

/**
 * A prefix of stored called numbers (E.164 digits) as the callee filter must be typed to mean
 * exactly it: with "+", since digits alone are national ("4420" under NANP is "14420").
 * Null for a stored callee that is not digits, which no callee filter can name.
 */
export function storedPrefixFilter(prefix: string): string | null {
  return /^\d+$/.test(prefix) ? `+${prefix}` : null;
}
