import pg from "pg";
import { pool } from "@/server/db/client";
import { MicrosSum } from "@/server/rating/money";

/**
 * Traffic totals per tenant and 15-minute UTC bucket of the calls' start (`cdr_traffic_totals`),
 * kept in the transactions that write calls, so the admin overview reads a few thousand small
 * rows instead of every call of a month, and so do the Calls page's totals and chart when only
 * dates filter the calls (search.ts sumTraffic: the whole buckets of the range from here, its
 * partial buckets at either end from the calls).
 *
 * Why 15 minutes: every UTC offset in use today is a multiple of 15 minutes (Asia/Kolkata
 * +5:30, Asia/Kathmandu +5:45, Australia/Eucla +8:45), and clocks change on whole hours or
 * half hours, so a tenant's local midnight is always a bucket boundary: a local day is an exact
 * union of buckets in any zone, and a tenant changing its zone reads the same rows regrouped.
 *
 * The counters are what the overview and the Calls page's totals and chart sum: every call, those
 * answered (anything but UNANSWERED), those RATED, the switch's billsec of every call, and over
 * RATED calls their billed seconds, price, cost (of those with a known cost), the price of those
 * with a known cost (the margin's base) and the count of those without one. The statuses are
 * three, so unanswered = calls − answered and unbillable = answered − rated.
 *
 * Every writer that moves a counter applies its per-bucket change in the same transaction as
 * the change of the calls, after its ledger postings: customers are locked first everywhere,
 * then buckets (in bucket order), then cdr_files. Today's writers:
 *   - ingest (ingest.ts writeBatch): the fast path adds what {@link TrafficBuckets} counted
 *     while the batch was rated; the staging path adds what its INSERT … RETURNING inserted;
 *   - re-rating (rerate.ts): an unbillable call that now prices moves from one set of
 *     counters to another, the change read from the UPDATE's RETURNING old/new;
 * and they are the only ones: claiming ownerless unanswered calls (unanswered-claims.ts,
 * rerate.ts claimOwnerlessUnanswered) changes only customer_id and trunk_id, which no counter
 * reads, and calls are never deleted. A new writer of status, billsec, billed_seconds, price,
 * cost or start_at must apply its change here too, or the overview and the Calls page drift from
 * the calls
 * (tests/cdr/traffic-support.ts checks the table against the calls).
 */

export const TRAFFIC_BUCKET_MS = 15 * 60_000;

/** SQL: the bucket of an instant. The origin is a UTC midnight, so buckets are aligned on UTC quarter hours. */
export function trafficBucketSql(instant: string): string {
  return `date_bin('15 minutes', ${instant}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;
}

export const TRAFFIC_COUNTERS = ["calls", "answered", "rated", "billsec", "billed_seconds", "price", "cost", "price_with_cost", "rated_without_cost"] as const;
export type TTrafficCounter = (typeof TRAFFIC_COUNTERS)[number];
type TCounter = TTrafficCounter;
const COUNTERS = TRAFFIC_COUNTERS;

/** A change of one bucket's counters (positive when calls are added; a re-rate's may be negative). */
export type TTrafficDelta = {
  /** Start of the bucket, epoch ms (a multiple of {@link TRAFFIC_BUCKET_MS}). */
  bucketMs: number;
  calls: bigint;
  answered: bigint;
  rated: bigint;
  billsec: bigint;
  billedSeconds: bigint;
  price: bigint;
  cost: bigint;
  priceWithCost: bigint;
  ratedWithoutCost: bigint;
};

const DELTA_FIELD: Record<TCounter, Exclude<keyof TTrafficDelta, "bucketMs">> = {
  calls: "calls",
  answered: "answered",
  rated: "rated",
  billsec: "billsec",
  billed_seconds: "billedSeconds",
  price: "price",
  cost: "cost",
  price_with_cost: "priceWithCost",
  rated_without_cost: "ratedWithoutCost",
};

type TCallColumn = "status" | "billsec" | "billed_seconds" | "price" | "cost";

/**
 * The rule: what one call adds to its bucket's counters — `value` (0 when NULL) when `when`
 * holds (always when null) — given how to name the call's columns. Stated once here and read
 * in two forms: per call ({@link contributionSql}, for RETURNING) and summed over calls
 * ({@link trafficSumsSql}, for rebuilding and for the call search's direct sums). The ingest's
 * fast path states it in JavaScript ({@link TrafficBuckets.add}); the migration that created the
 * table states it once more, as of its day.
 */
function contributionRule(column: (name: TCallColumn) => string): Record<TCounter, { when: string | null; value: string }> {
  const rated = `${column("status")} = 'RATED'`;
  return {
    calls: { when: null, value: "1" },
    answered: { when: `${column("status")} <> 'UNANSWERED'`, value: "1" },
    rated: { when: rated, value: "1" },
    billsec: { when: null, value: column("billsec") },
    billed_seconds: { when: rated, value: column("billed_seconds") },
    price: { when: rated, value: column("price") },
    cost: { when: rated, value: column("cost") },
    price_with_cost: { when: `${rated} AND ${column("cost")} IS NOT NULL`, value: column("price") },
    rated_without_cost: { when: `${rated} AND ${column("cost")} IS NULL`, value: "1" },
  };
}

/** One call's contribution per counter, as SQL expressions. */
function contributionSql(column: (name: TCallColumn) => string): Record<TCounter, string> {
  const rule = contributionRule(column);
  const one = (counter: TCounter) => {
    const { when, value } = rule[counter];
    const amount = value === "1" ? "1" : `coalesce(${value}, 0)`;
    return when === null ? amount : `CASE WHEN ${when} THEN ${amount} ELSE 0 END`;
  };
  return Object.fromEntries(COUNTERS.map((counter) => [counter, one(counter)])) as Record<TCounter, string>;
}

/**
 * Aggregates: the counters summed over the calls a query reads (never NULL), as count(*) and
 * sum(…) FILTER rather than a sum of CASEs: no addition of zeros per call, and a count instead
 * of a numeric sum where the value is 1. Summed from the calls, they equal the rows of the table.
 */
export function trafficSumsSql(column: (name: TCallColumn) => string): Record<TCounter, string> {
  const rule = contributionRule(column);
  const one = (counter: TCounter) => {
    const { when, value } = rule[counter];
    const filter = when === null ? "" : ` FILTER (WHERE ${when})`;
    return value === "1" ? `count(*)${filter}` : `coalesce(sum(${value})${filter}, 0)`;
  };
  return Object.fromEntries(COUNTERS.map((counter) => [counter, one(counter)])) as Record<TCounter, string>;
}

/**
 * RETURNING items of a statement that writes calls: each written call's bucket and what the
 * statement changed in its counters, as `traffic_bucket` and `traffic_<counter>` columns that
 * {@link trafficDeltasJsonSql} sums. An INSERT adds the new row's contribution; an UPDATE adds
 * the new row's and takes away the old row's (PostgreSQL 18's RETURNING old/new), so the
 * change is read from the rows as they were and became, whatever the UPDATE set.
 */
export function trafficReturningSql(statement: "insert" | "update"): string {
  const added = contributionSql((name) => `new.${name}`);
  const removed = statement === "update" ? contributionSql((name) => `old.${name}`) : null;
  const items = COUNTERS.map((counter) => `(${added[counter]})${removed ? ` - (${removed[counter]})` : ""} AS traffic_${counter}`);
  return [`${trafficBucketSql("new.start_at")} AS traffic_bucket`, ...items].join(", ");
}

/**
 * SQL: a scalar subquery, the JSON array of per-bucket sums of `rows` (a CTE of a statement
 * returning {@link trafficReturningSql}), for {@link parseTrafficDeltas}. Amounts travel as
 * text: JSON numbers would be read into doubles.
 */
export function trafficDeltasJsonSql(rows: string): string {
  const sums = COUNTERS.map((counter) => `sum(traffic_${counter})::text AS ${counter}`).join(", ");
  return `(SELECT coalesce(json_agg(d ORDER BY d.bucket_ms), '[]'::json)
             FROM (SELECT (extract(epoch FROM traffic_bucket) * 1000)::bigint AS bucket_ms, ${sums} FROM ${rows} GROUP BY traffic_bucket) d)`;
}

type TRawDelta = { bucket_ms: number } & Record<TCounter, string>;

/** The deltas of a {@link trafficDeltasJsonSql} column (node-postgres parses the JSON). */
export function parseTrafficDeltas(json: unknown): TTrafficDelta[] {
  if (!Array.isArray(json)) throw new Error("traffic deltas: expected a JSON array");
  return (json as TRawDelta[]).map((raw) => {
    const delta = { bucketMs: Number(raw.bucket_ms) } as TTrafficDelta;
    for (const counter of COUNTERS) delta[DELTA_FIELD[counter]] = BigInt(raw[counter]);
    return delta;
  });
}

type TBucketSums = {
  calls: number;
  answered: number;
  rated: number;
  billsec: number;
  billedSeconds: number;
  ratedWithoutCost: number;
  /** Price of RATED calls with a known cost, and without one: their sum is the price, with no third addition per call. */
  priceWithCost: MicrosSum;
  priceWithoutCost: MicrosSum;
  cost: MicrosSum;
};

/**
 * The rule in JavaScript, for the ingest's fast path: per-bucket totals of a batch's calls,
 * counted as they are rated (the COPY returns nothing to count from). Kept cheap for a loop
 * that runs a million times a second: the bucket is integer arithmetic on the start, and calls
 * of a file come mostly in time order, so the previous call's bucket is nearly always the one
 * and the map is consulted only when the bucket changes. Money adds up exactly without a
 * BigInt per call (MicrosSum); two additions per rated call at most, the price split by
 * whether the cost is known, so the batch's own price and cost totals are read from here too.
 * Seconds and counts are plain numbers: a batch's stay far below 2^53.
 */
export class TrafficBuckets {
  private readonly buckets = new Map<number, TBucketSums>();
  private lastIndex = Number.NaN;
  private last: TBucketSums | null = null;

  add(
    startMs: number,
    status: "RATED" | "UNANSWERED" | "UNBILLABLE",
    billsec: number,
    billedSeconds: number | null,
    price: bigint | null,
    cost: bigint | null,
  ): void {
    const index = Math.floor(startMs / TRAFFIC_BUCKET_MS);
    let sums = this.last;
    if (index !== this.lastIndex || sums === null) {
      sums = this.buckets.get(index) ?? null;
      if (sums === null) {
        sums = {
          calls: 0,
          answered: 0,
          rated: 0,
          billsec: 0,
          billedSeconds: 0,
          ratedWithoutCost: 0,
          priceWithCost: new MicrosSum(),
          priceWithoutCost: new MicrosSum(),
          cost: new MicrosSum(),
        };
        this.buckets.set(index, sums);
      }
      this.lastIndex = index;
      this.last = sums;
    }
    sums.calls++;
    sums.billsec += billsec;
    if (status === "UNANSWERED") return;
    sums.answered++;
    if (status !== "RATED") return;
    sums.rated++;
    sums.billedSeconds += billedSeconds ?? 0;
    if (cost === null) {
      sums.ratedWithoutCost++;
      if (price !== null) sums.priceWithoutCost.add(price);
    } else {
      sums.cost.add(cost);
      if (price !== null) sums.priceWithCost.add(price);
    }
  }

  /** Price of the RATED calls counted, micro-units. */
  price(): bigint {
    let total = 0n;
    for (const sums of this.buckets.values()) total += sums.priceWithCost.total + sums.priceWithoutCost.total;
    return total;
  }

  /** Cost of the RATED calls counted (those with a known cost), micro-units. */
  cost(): bigint {
    let total = 0n;
    for (const sums of this.buckets.values()) total += sums.cost.total;
    return total;
  }

  deltas(): TTrafficDelta[] {
    return [...this.buckets].map(([index, sums]) => {
      const priceWithCost = sums.priceWithCost.total;
      return {
        bucketMs: index * TRAFFIC_BUCKET_MS,
        calls: BigInt(sums.calls),
        answered: BigInt(sums.answered),
        rated: BigInt(sums.rated),
        billsec: BigInt(sums.billsec),
        billedSeconds: BigInt(sums.billedSeconds),
        price: priceWithCost + sums.priceWithoutCost.total,
        cost: sums.cost.total,
        priceWithCost,
        ratedWithoutCost: BigInt(sums.ratedWithoutCost),
      };
    });
  }
}

function isZero(delta: TTrafficDelta): boolean {
  return COUNTERS.every((counter) => delta[DELTA_FIELD[counter]] === 0n);
}

/**
 * Adds the deltas to the tenant's buckets in one statement, on the caller's connection and
 * inside its transaction (the one that wrote the calls, so a rollback takes both back). Rows
 * go in bucket order: the writers of one file (ingest uses up to three connections) and a
 * re-rate upsert overlapping buckets, and one order for all makes their row locks wait on each
 * other instead of deadlocking. One delta per bucket: a statement cannot update a row twice.
 */
export async function applyTrafficDeltas(client: pg.ClientBase, tenantId: string, deltas: readonly TTrafficDelta[]): Promise<void> {
  const changes = deltas.filter((delta) => !isZero(delta)).sort((a, b) => a.bucketMs - b.bucketMs);
  if (changes.length === 0) return;
  const arrays = COUNTERS.map((_, index) => `$${index + 3}::bigint[]`).join(", ");
  await client.query(
    `INSERT INTO cdr_traffic_totals AS t (tenant_id, bucket_start, ${COUNTERS.join(", ")})
     SELECT $1::uuid, d.bucket_start, ${COUNTERS.map((counter) => `d.${counter}`).join(", ")}
     FROM unnest($2::timestamptz[], ${arrays}) AS d(bucket_start, ${COUNTERS.join(", ")})
     ORDER BY d.bucket_start
     ON CONFLICT (tenant_id, bucket_start) DO UPDATE SET ${COUNTERS.map((counter) => `${counter} = t.${counter} + excluded.${counter}`).join(", ")}`,
    [
      tenantId,
      changes.map((delta) => new Date(delta.bucketMs)),
      ...COUNTERS.map((counter) => changes.map((delta) => delta[DELTA_FIELD[counter]].toString())),
    ],
  );
}

/**
 * Recomputes a tenant's buckets from its stored calls: for calls written without going through
 * a writer above (bench:cdr-search generates its calls in SQL; tests insert rows directly), and
 * what the migration did for the calls stored before the table existed. Holds off every writer
 * of `cdrs` (all tenants') meanwhile — a SHARE lock waits for the transactions writing calls
 * to commit and keeps new ones out — so no batch is counted twice or missed: a tool, not a
 * routine. Its own transaction; a Pool is asked for a connection.
 */
export async function rebuildTrafficTotals(client: pg.Pool | pg.ClientBase, tenantId: string): Promise<{ buckets: number }> {
  const connection = client instanceof pg.Pool ? await client.connect() : client;
  try {
    await connection.query("BEGIN");
    try {
      await connection.query("LOCK TABLE cdrs IN SHARE MODE");
      await connection.query(`DELETE FROM cdr_traffic_totals WHERE tenant_id = $1::uuid`, [tenantId]);
      const sums = trafficSumsSql((name) => `c.${name}`);
      const inserted = await connection.query(
        `INSERT INTO cdr_traffic_totals (tenant_id, bucket_start, ${COUNTERS.join(", ")})
         SELECT $1::uuid, ${trafficBucketSql("c.start_at")}, ${COUNTERS.map((counter) => sums[counter]).join(", ")}
         FROM cdrs c WHERE c.tenant_id = $1::uuid
         GROUP BY 2`,
        [tenantId],
      );
      await connection.query("COMMIT");
      return { buckets: inserted.rowCount ?? 0 };
    } catch (error) {
      await connection.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  } finally {
    if (connection !== client) (connection as pg.PoolClient).release();
  }
}

/** One local day of a tenant's traffic. */
export type TTrafficDay = {
  /** The tenant's local date, "YYYY-MM-DD". */
  day: string;
  calls: number;
  answered: number;
  billedSeconds: bigint;
  /** Of RATED calls, micro-units. */
  price: bigint;
  cost: bigint;
  priceWithCost: bigint;
  ratedWithoutCost: number;
};

type TRawDay = { day: string } & Record<TCounter, string>;

/**
 * Totals per local day over [from, to), every day present (zeros for quiet days: a quiet day is
 * news). `from` and `to` are local midnights, hence bucket boundaries (see above); a bucket is
 * counted on the local day it starts on. Exported for bench:cdr-search's EXPLAIN.
 */
export function trafficByLocalDayQuery(tenantId: string, timeZone: string, from: Date, to: Date): { sql: string; params: unknown[] } {
  const localDay = (instant: string) => `date_trunc('day', ${instant} AT TIME ZONE $2::text)`;
  return {
    sql: `SELECT to_char(s.day, 'YYYY-MM-DD') AS day, ${COUNTERS.map((counter) => `coalesce(b.${counter}, 0)::text AS ${counter}`).join(", ")}
       FROM generate_series(${localDay("$3::timestamptz")}, ${localDay("($4::timestamptz - interval '1 millisecond')")}, interval '1 day') AS s(day)
       LEFT JOIN (SELECT ${localDay("t.bucket_start")} AS day, ${COUNTERS.map((counter) => `sum(t.${counter}) AS ${counter}`).join(", ")}
                    FROM cdr_traffic_totals t
                   WHERE t.tenant_id = $1::uuid AND t.bucket_start >= $3::timestamptz AND t.bucket_start < $4::timestamptz
                   GROUP BY 1) b ON b.day = s.day
      ORDER BY s.day`,
    params: [tenantId, timeZone, from, to],
  };
}

export async function trafficByLocalDay(options: { tenantId: string; timeZone: string; from: Date; to: Date }): Promise<TTrafficDay[]> {
  const query = trafficByLocalDayQuery(options.tenantId, options.timeZone, options.from, options.to);
  const { rows } = await pool().query<TRawDay>(query.sql, query.params);
  return rows.map((raw) => ({
    day: raw.day,
    calls: Number(raw.calls),
    answered: Number(raw.answered),
    billedSeconds: BigInt(raw.billed_seconds),
    price: BigInt(raw.price),
    cost: BigInt(raw.cost),
    priceWithCost: BigInt(raw.price_with_cost),
    ratedWithoutCost: Number(raw.rated_without_cost),
  }));
}
