/**
 * What the Calls search accepts, in a module of its own (no database, no Node APIs) so that the
 * Calls page checks a range by the very rule the server applies (server/cdr/search.ts): a looser
 * check in the browser showed endless loading for a range the server then refused.
 */

/** The longest range a search may cover, so every query touches a bounded set of monthly partitions. */
export const MAX_RANGE_DAYS = 366;

export const DAY_MS = 86_400_000;

/** Whether the half-open range [from, to) is longer than a search may cover. */
export function exceedsMaxRange(from: Date, to: Date): boolean {
  return to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS;
}

/** The customer filter's value for calls no customer owns (customer_id IS NULL): staff only. */
export const NO_CUSTOMER = "none";
