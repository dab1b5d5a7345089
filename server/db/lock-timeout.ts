/**
 * How long one migration may wait for a lock before its attempt is given up (PostgreSQL's
 * `lock_timeout`, set for the migration's transaction only). A migration that alters a table
 * (ALTER TABLE, CREATE INDEX on cdrs) queues behind whatever holds that table, a CSV export's
 * cursor say, and every other query of every tenant on it then queues behind the migration:
 * waiting at most this long, then letting go and trying again, bounds that stall.
 */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
const MAX_LOCK_TIMEOUT_MS = 3_600_000;

/**
 * MIGRATION_LOCK_TIMEOUT as milliseconds: a whole number of milliseconds ("10000") or one with
 * a unit ("500ms", "10s", "2min"), above 0 and at most an hour. Unset or empty: the default.
 * 0, which PostgreSQL reads as "wait for ever", is refused: that is the stall this prevents.
 * Returns null for a malformed value (server/env.ts names the variable).
 */
export function parseLockTimeout(value: string | undefined): number | null {
  if (value === undefined || value.trim() === "") return DEFAULT_LOCK_TIMEOUT_MS;
  const match = /^\s*(\d+)\s*(ms|s|min)?\s*$/.exec(value);
  const milliseconds = match ? Number(match[1]) * (match[2] === "min" ? 60_000 : match[2] === "s" ? 1_000 : 1) : Number.NaN;
  return Number.isSafeInteger(milliseconds) && milliseconds > 0 && milliseconds <= MAX_LOCK_TIMEOUT_MS ? milliseconds : null;
}
