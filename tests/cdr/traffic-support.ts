import { expect } from "vitest";
import { pool } from "@/server/db/client";

type TBucketRow = {
  bucket_start: Date;
  calls: string;
  answered: string;
  rated: string;
  billsec: string;
  billed_seconds: string;
  price: string;
  cost: string;
  price_with_cost: string;
  rated_without_cost: string;
};

/** A tenant's traffic totals as stored, bucket by bucket. */
export async function storedTrafficTotals(tenantId: string): Promise<TBucketRow[]> {
  const { rows } = await pool().query<TBucketRow>(
    `SELECT bucket_start, calls::text, answered::text, rated::text, billsec::text, billed_seconds::text, price::text, cost::text, price_with_cost::text, rated_without_cost::text
     FROM cdr_traffic_totals WHERE tenant_id = $1::uuid ORDER BY bucket_start`,
    [tenantId],
  );
  return rows;
}

/**
 * The tenant's traffic totals equal its stored calls summed afresh per 15-minute bucket. The
 * sums are written here independently of server/cdr/traffic-totals.ts, as the overview summed
 * the calls before the table existed, so a wrong rule there fails this too.
 */
export async function expectTrafficTotalsMatchCalls(tenantId: string): Promise<void> {
  const { rows: fromCalls } = await pool().query<TBucketRow>(
    `SELECT date_bin('15 minutes', start_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket_start,
            count(*)::text AS calls,
            count(*) FILTER (WHERE status <> 'UNANSWERED')::text AS answered,
            count(*) FILTER (WHERE status = 'RATED')::text AS rated,
            coalesce(sum(billsec), 0)::text AS billsec,
            coalesce(sum(billed_seconds) FILTER (WHERE status = 'RATED'), 0)::text AS billed_seconds,
            coalesce(sum(price) FILTER (WHERE status = 'RATED'), 0)::text AS price,
            coalesce(sum(cost) FILTER (WHERE status = 'RATED' AND cost IS NOT NULL), 0)::text AS cost,
            coalesce(sum(price) FILTER (WHERE status = 'RATED' AND cost IS NOT NULL), 0)::text AS price_with_cost,
            count(*) FILTER (WHERE status = 'RATED' AND cost IS NULL)::text AS rated_without_cost
     FROM cdrs WHERE tenant_id = $1::uuid GROUP BY 1 ORDER BY 1`,
    [tenantId],
  );
  expect(fromCalls.length).toBeGreaterThan(0);
  expect(await storedTrafficTotals(tenantId)).toEqual(fromCalls);
}
