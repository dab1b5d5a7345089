import type pg from "pg";
import { pool } from "@/server/db/client";

/**
 * Monthly partitions of `cdrs`. The migration creates a range of months and the SQL
 * function `ensure_cdr_partitions` creates any that are missing; ingestion calls it for
 * the months of a batch that found no partition, and a daily cron keeps months ahead.
 */

/** Months since year 0 (UTC): one number per partition. */
export function monthIndexOf(date: Date): number {
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

function firstDayOf(monthIndex: number): string {
  const year = Math.floor(monthIndex / 12);
  const month = (monthIndex % 12) + 1;
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-01`;
}

const globalForPartitions = globalThis as unknown as { trunklineCdrMonths?: Set<number> };
/** Months known to have a partition in this process (partitions are never dropped by the app). */
const knownMonths = (globalForPartitions.trunklineCdrMonths ??= new Set());

/**
 * Makes sure the partitions for the given months exist: one query per month this process
 * has not seen yet, none for the rest. Each month on its own; gaps are not filled.
 */
export async function ensureCdrPartitions(client: pg.PoolClient | pg.Client, months: ReadonlySet<number>): Promise<number> {
  let created = 0;
  for (const month of [...months].sort((a, b) => a - b)) {
    if (knownMonths.has(month)) continue;
    const day = firstDayOf(month);
    const result = await client.query<{ created: number }>(`SELECT ensure_cdr_partitions($1::date, $1::date) AS created`, [day]);
    created += result.rows[0]?.created ?? 0;
    knownMonths.add(month);
  }
  return created;
}

/** After "no partition for row": the cache was wrong (e.g. a restored database); ask again next time. */
export function forgetCdrPartitions(months: ReadonlySet<number>): void {
  for (const month of months) knownMonths.delete(month);
}

/** Keeps `monthsAhead` months of partitions ready from the current month (the daily cron). */
export async function ensureUpcomingPartitions(options: { now?: Date; monthsAhead?: number } = {}): Promise<number> {
  const now = options.now ?? new Date();
  const current = monthIndexOf(now);
  const result = await pool().query<{ created: number }>(`SELECT ensure_cdr_partitions($1::date, $2::date) AS created`, [
    firstDayOf(current),
    firstDayOf(current + (options.monthsAhead ?? 3)),
  ]);
  return result.rows[0]?.created ?? 0;
}
