import { db, pool } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { cdrWhere, minutesFromSeconds, utcDaysOf, ZCdrFilter } from "@/server/cdr/search";
import { unbillableSummary } from "@/server/cdr/unbillable";

/**
 * The money and traffic figures of the admin overview: revenue and margin today and this
 * month, today's calls, what is stuck (unbillable calls, sources down) and which accounts
 * need a look (locked, low balance).
 *
 * "Today" and "this month" are the tenant's: a carrier in Toronto closes its day at local
 * midnight, not UTC's. Calls are read in ONE grouped pass over [first day shown, tomorrow)
 * in the tenant's zone: the chart's 30 days and the month (at most 31 days back) overlap, so
 * the month, today and the chart all come from the same per-day rows instead of three range
 * scans of the same partitions. The WHERE clause is the call search's (cdrWhere), so the
 * planner prunes partitions and the figures mean what the call search's totals mean, plus the
 * window's UTC days, which let the planner read the calls from cdrs_callee_by_day alone
 * (index-only) instead of a heap row each. For a tenant that is nearly all of its partitions
 * (bench:cdr-search's one tenant) it still prefers a sequential scan. Either way a computation
 * reads every call of up to 31 days (3 s for 3.3M calls in the bench), so the page is served
 * from a per-tenant cache of a minute (getDashboardFigures) and says how old its figures are.
 */

export const REVENUE_CHART_DAYS = 30;
/** Sources named on the overview; the rest are counted. */
const SOURCES_LISTED = 5;

export type TTrafficFigures = {
  calls: number;
  /** Calls that were not UNANSWERED (rated or unbillable). */
  answered: number;
  billedSeconds: bigint;
  /** Billed minutes to two decimals, as the call search shows them. */
  minutes: string;
  /** Sum of price over RATED calls, micro-units. */
  revenue: bigint;
  /** Price minus cost over the RATED calls whose cost is known, micro-units. */
  margin: bigint;
  /** Rated calls without a known cost (no cost deck): left out of the margin. */
  ratedWithoutCost: number;
};

export type TRevenueDay = { day: string; revenue: bigint; margin: bigint };

type TRawDay = {
  day: string;
  calls: string;
  answered: string;
  billed_seconds: string;
  price: string;
  cost: string;
  price_with_cost: string;
  rated_without_cost: string;
};

type TDayFigures = { day: string; calls: number; answered: number; billedSeconds: bigint; price: bigint; cost: bigint; priceWithCost: bigint; ratedWithoutCost: number };

function parseDay(raw: TRawDay): TDayFigures {
  return {
    day: raw.day,
    calls: Number(raw.calls),
    answered: Number(raw.answered),
    billedSeconds: BigInt(raw.billed_seconds),
    price: BigInt(raw.price),
    cost: BigInt(raw.cost),
    priceWithCost: BigInt(raw.price_with_cost),
    ratedWithoutCost: Number(raw.rated_without_cost),
  };
}

function trafficOf(days: TDayFigures[]): TTrafficFigures {
  const sum = days.reduce(
    (total, day) => ({
      calls: total.calls + day.calls,
      answered: total.answered + day.answered,
      billedSeconds: total.billedSeconds + day.billedSeconds,
      price: total.price + day.price,
      cost: total.cost + day.cost,
      priceWithCost: total.priceWithCost + day.priceWithCost,
      ratedWithoutCost: total.ratedWithoutCost + day.ratedWithoutCost,
    }),
    { calls: 0, answered: 0, billedSeconds: 0n, price: 0n, cost: 0n, priceWithCost: 0n, ratedWithoutCost: 0 },
  );
  return {
    calls: sum.calls,
    answered: sum.answered,
    billedSeconds: sum.billedSeconds,
    minutes: minutesFromSeconds(sum.billedSeconds),
    revenue: sum.price,
    margin: sum.priceWithCost - sum.cost,
    ratedWithoutCost: sum.ratedWithoutCost,
  };
}

type TCalendar = { today: string; monthStart: string; firstDayStart: Date; tomorrowStart: Date };

/** The tenant's local today, month and chart start as dates, and the instants that bound them (DST-safe: PostgreSQL's zone rules). */
export async function tenantCalendar(timeZone: string, now: Date): Promise<TCalendar> {
  const { rows } = await pool().query<{ today: string; month_start: string; first_day_start: Date; tomorrow_start: Date }>(
    `SELECT to_char(l.today, 'YYYY-MM-DD') AS today,
            to_char(date_trunc('month', l.today), 'YYYY-MM-DD') AS month_start,
            (least(date_trunc('month', l.today), l.today - make_interval(days => $3::int - 1)) AT TIME ZONE $2::text) AS first_day_start,
            ((l.today + interval '1 day') AT TIME ZONE $2::text) AS tomorrow_start
       FROM (SELECT date_trunc('day', $1::timestamptz AT TIME ZONE $2::text) AS today) l`,
    [now, timeZone, REVENUE_CHART_DAYS],
  );
  const row = rows[0]!;
  return { today: row.today, monthStart: row.month_start, firstDayStart: row.first_day_start, tomorrowStart: row.tomorrow_start };
}

/** Calls per local day over [from, to), every day present (zeros for quiet days: a quiet day is news). Exported for bench:cdr-search's EXPLAIN. */
export function callsByDayQuery(tenantId: string, timeZone: string, from: Date, to: Date): { sql: string; params: unknown[] } {
  const filter = ZCdrFilter.parse({ from, to });
  const where = cdrWhere({ tenantId }, filter);
  const days = utcDaysOf(from, to);
  const params = [...where.params, days[0], days[days.length - 1], timeZone, from, to];
  const [firstUtcDay, lastUtcDay] = [`$${params.length - 4}::date`, `$${params.length - 3}::date`];
  const [zone, fromParam, toParam] = [`$${params.length - 2}::text`, `$${params.length - 1}::timestamptz`, `$${params.length}::timestamptz`];
  const localDay = (instant: string) => `date_trunc('day', ${instant} AT TIME ZONE ${zone})`;
  return {
    // Money sums as the call search's totals define them (server/cdr/search.ts cdrTotals).
    sql: `SELECT to_char(s.day, 'YYYY-MM-DD') AS day,
            coalesce(b.calls, '0') AS calls, coalesce(b.answered, '0') AS answered, coalesce(b.billed_seconds, '0') AS billed_seconds,
            coalesce(b.price, '0') AS price, coalesce(b.cost, '0') AS cost, coalesce(b.price_with_cost, '0') AS price_with_cost,
            coalesce(b.rated_without_cost, '0') AS rated_without_cost
       FROM generate_series(${localDay(fromParam)}, ${localDay(`(${toParam} - interval '1 millisecond')`)}, interval '1 day') AS s(day)
       LEFT JOIN (SELECT ${localDay("c.start_at")} AS day,
                         count(*)::text AS calls,
                         count(*) FILTER (WHERE c.status <> 'UNANSWERED')::text AS answered,
                         coalesce(sum(c.billed_seconds) FILTER (WHERE c.status = 'RATED'), 0)::text AS billed_seconds,
                         coalesce(sum(c.price) FILTER (WHERE c.status = 'RATED'), 0)::text AS price,
                         coalesce(sum(c.cost) FILTER (WHERE c.status = 'RATED' AND c.cost IS NOT NULL), 0)::text AS cost,
                         coalesce(sum(c.price) FILTER (WHERE c.status = 'RATED' AND c.cost IS NOT NULL), 0)::text AS price_with_cost,
                         count(*) FILTER (WHERE c.status = 'RATED' AND c.cost IS NULL)::text AS rated_without_cost
                    FROM cdrs c WHERE ${where.sql}
                         -- The UTC days of [from, to) (the index's own expression, verbatim) make
                         -- cdrs_callee_by_day usable: it carries every column summed here, so the
                         -- calls are read from the index alone instead of a heap row each.
                         -- The start_at bounds above still decide which calls count.
                         AND (c.start_at AT TIME ZONE 'UTC')::date BETWEEN ${firstUtcDay} AND ${lastUtcDay}
                   GROUP BY 1) b ON b.day = s.day
      ORDER BY s.day`,
    params,
  };
}

async function callsByDay(tenantId: string, timeZone: string, from: Date, to: Date): Promise<TDayFigures[]> {
  const query = callsByDayQuery(tenantId, timeZone, from, to);
  const { rows } = await pool().query<TRawDay>(query.sql, query.params);
  return rows.map(parseDay);
}

/** Enabled sources every server of which is unreachable now (an open source-wide outage), and those with only some servers down. */
async function sourceHealth(tenantId: string) {
  const openSourceOutage = { some: { serverId: null, endedAt: null } };
  const [down, downCount, degraded] = await Promise.all([
    db().cdrSource.findMany({
      where: { tenantId, enabled: true, outages: openSourceOutage },
      select: { id: true, name: true },
      orderBy: { name: "asc" },
      take: SOURCES_LISTED,
    }),
    db().cdrSource.count({ where: { tenantId, enabled: true, outages: openSourceOutage } }),
    db().cdrSource.count({
      where: {
        tenantId,
        enabled: true,
        outages: { none: { serverId: null, endedAt: null } },
        servers: { some: { removedAt: null, status: "DOWN" } },
      },
    }),
  ]);
  return { down: downCount, downSources: down, degraded };
}

/** Accounts to look at: locked ones, and open ones below their low-balance threshold (about to lock or be chased). */
async function accountsNeedingAttention(tenantId: string) {
  const [locked, lowBalance] = await Promise.all([
    db().customer.count({ where: { tenantId, status: "LOCKED" } }),
    db().customer.count({
      where: { tenantId, status: { in: ["ACTIVE", "SUSPENDED"] }, balance: { lt: db().customer.fields.lowBalanceThreshold } },
    }),
  ]);
  return { locked, lowBalance };
}

/** Uncached: what the overview shows at `now`. Exported for bench:cdr-search (the cost of a cache miss). */
export async function computeDashboardFigures(options: { tenantId: string; now?: Date }) {
  const { tenantId } = options;
  const now = options.now ?? new Date();
  const tenant = await db().tenant.findUnique({ where: { id: tenantId }, select: { currency: true, timeZone: true } });
  if (!tenant) throw AppError.notFound("Tenant");
  const calendar = await tenantCalendar(tenant.timeZone, now);
  const [days, unbillable, sources, accounts] = await Promise.all([
    callsByDay(tenantId, tenant.timeZone, calendar.firstDayStart, calendar.tomorrowStart),
    unbillableSummary({ tenantId }),
    sourceHealth(tenantId),
    accountsNeedingAttention(tenantId),
  ]);
  return {
    /** The instant these figures are of: the page says "as of" it, as they may be served from the cache for a while. */
    computedAt: now,
    currency: tenant.currency,
    timeZone: tenant.timeZone,
    /** The tenant's local date, "YYYY-MM-DD". */
    today: calendar.today,
    traffic: {
      today: trafficOf(days.filter((day) => day.day === calendar.today)),
      month: trafficOf(days.filter((day) => day.day >= calendar.monthStart)),
    },
    /** The last {@link REVENUE_CHART_DAYS} local days, oldest first, today included. */
    revenueByDay: days.slice(-REVENUE_CHART_DAYS).map((day): TRevenueDay => ({ day: day.day, revenue: day.price, margin: day.priceWithCost - day.cost })),
    unbillable: { calls: unbillable.totals.calls, valueAtRisk: unbillable.totals.valueAtRisk },
    sources,
    customers: accounts,
  };
}

export type TDashboardFigures = Awaited<ReturnType<typeof computeDashboardFigures>>;

/**
 * How long a tenant's figures are served from memory. The overview is the admin's landing page,
 * loaded (and refetched on focus) by every member of staff, and each computation reads every call
 * of up to 31 days: millions of index entries for a busy carrier. A minute-old figure, labelled
 * with its time, is as useful on a landing page as a fresh one.
 */
export const DASHBOARD_FIGURES_TTL_MS = 60_000;

type TCachedFigures = {
  /** The clock at the start of the computation: what `computedAt` says. */
  computedAt: number;
  /** Null while being computed; then the TTL counted from when the figures were ready. */
  expiresAt: number | null;
  figures: Promise<TDashboardFigures>;
};

/**
 * Per process, keyed by tenant id alone: the figures depend on nothing else (no user, no
 * customer scope). The promise is kept, not the result, so staff loading the page while it is
 * computed share one computation instead of each starting a scan of the month.
 */
const cache = new Map<string, TCachedFigures>();

function isFresh(entry: TCachedFigures, at: number): boolean {
  // A clock before the entry (a test, a clock stepped back) is a miss: never serve figures from its future.
  return at >= entry.computedAt && (entry.expiresAt === null || at < entry.expiresAt);
}

/**
 * The overview's figures for the tenant: from the cache while they are fresh at `now` (the
 * clock, the real one by default), else computed at `now`; `computedAt` says which.
 */
export async function getDashboardFigures(options: { tenantId: string; now?: Date }): Promise<TDashboardFigures> {
  const { tenantId } = options;
  const now = options.now ?? new Date();
  const at = now.getTime();
  const cached = cache.get(tenantId);
  if (cached && isFresh(cached, at)) return cached.figures;
  for (const [key, stale] of cache) if (!isFresh(stale, at)) cache.delete(key);
  const started = performance.now();
  const entry: TCachedFigures = { computedAt: at, expiresAt: null, figures: computeDashboardFigures({ tenantId, now }) };
  cache.set(tenantId, entry);
  entry.figures.then(
    // Counted from when the figures were ready: a computation slower than the TTL (a carrier
    // with a billion calls a month) must still be served for a while, not redone at once.
    () => (entry.expiresAt = at + (performance.now() - started) + DASHBOARD_FIGURES_TTL_MS),
    // A failure is not kept (the next load tries again); only this entry, never a newer one.
    () => cache.get(tenantId) === entry && cache.delete(tenantId),
  );
  return entry.figures;
}
