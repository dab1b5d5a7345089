import { Prisma } from "@/server/db/generated/client";
import { db, pool } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { filesNeedingAttention } from "@/server/cdr/file-queries";
import { minutesFromSeconds } from "@/server/cdr/search";
import { trafficByLocalDay, type TTrafficDay } from "@/server/cdr/traffic-totals";
import { unbillableSummary } from "@/server/cdr/unbillable";
import { BELOW_LOW_BALANCE_SQL } from "@/server/wallet/account-state";

/**
 * The money and traffic figures of the admin overview: revenue and margin today and this
 * month, today's calls, what is stuck (unbillable calls, sources down, CDR files held or
 * failed) and which accounts need a look (locked, low balance).
 *
 * "Today" and "this month" are the tenant's: a carrier in Toronto closes its day at local
 * midnight, not UTC's. Traffic is read from the tenant's traffic totals (cdr_traffic_totals:
 * calls summed per 15-minute bucket, kept by the transactions that write the calls, see
 * server/cdr/traffic-totals.ts) over [first day shown, tomorrow), grouped by local day: the
 * chart's 30 days and the month (at most 31 days back) overlap, so the month, today and the
 * chart all come from the same per-day rows. That is at most ~3,000 rows whatever the traffic
 * (reading the calls themselves took 3 s for 3.3M calls), and exact: the totals move in the
 * transactions that store and re-rate the calls. What still grows is the unbillable summary,
 * which reads every call of the unbillable queue, so the page is still served from a per-tenant
 * cache of a minute (getDashboardFigures) and says how old its figures are.
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

function trafficOf(days: TTrafficDay[]): TTrafficFigures {
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

/**
 * Accounts to look at: locked ones, and open ones below their low-balance threshold (about to
 * lock or be chased), by the rule the low-balance mail follows: a postpaid account by the
 * credit it has left, not its balance.
 */
async function accountsNeedingAttention(tenantId: string) {
  const [locked, [low]] = await Promise.all([
    db().customer.count({ where: { tenantId, status: "LOCKED" } }),
    db().$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM customers c
      WHERE c.tenant_id = ${tenantId}::uuid AND c.status IN ('ACTIVE', 'SUSPENDED') AND ${Prisma.raw(BELOW_LOW_BALANCE_SQL)}`,
  ]);
  return { locked, lowBalance: low?.count ?? 0 };
}

/** Uncached: what the overview shows at `now`. Exported for bench:cdr-search (the cost of a cache miss). */
export async function computeDashboardFigures(options: { tenantId: string; now?: Date }) {
  const { tenantId } = options;
  const now = options.now ?? new Date();
  const tenant = await db().tenant.findUnique({ where: { id: tenantId }, select: { currency: true, timeZone: true } });
  if (!tenant) throw AppError.notFound("Tenant");
  const calendar = await tenantCalendar(tenant.timeZone, now);
  const [days, unbillable, sources, accounts, files] = await Promise.all([
    trafficByLocalDay({ tenantId, timeZone: tenant.timeZone, from: calendar.firstDayStart, to: calendar.tomorrowStart }),
    unbillableSummary({ tenantId }),
    sourceHealth(tenantId),
    accountsNeedingAttention(tenantId),
    filesNeedingAttention({ tenantId }),
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
    /** CDR files waiting for an admin: held for review, or failed (their calls are not billed meanwhile). */
    files,
    customers: accounts,
  };
}

export type TDashboardFigures = Awaited<ReturnType<typeof computeDashboardFigures>>;

/**
 * How long a tenant's figures are served from memory. The overview is the admin's landing page,
 * loaded (and refetched on focus) by every member of staff. Its traffic is a read of a few
 * thousand rows of totals, but the unbillable summary still reads every call in the unbillable
 * queue (its partial index and a heap row each: ~0.23 s for 300,000 queued calls, growing with
 * the queue, not with the traffic). A minute-old figure, labelled with its time, is as useful on
 * a landing page as a fresh one.
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
 * computed share one computation instead of each starting a scan of the unbillable queue.
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
    // Counted from when the figures were ready: a computation slower than the TTL (a queue of
    // millions of unbillable calls) must still be served for a while, not redone at once.
    () => (entry.expiresAt = at + (performance.now() - started) + DASHBOARD_FIGURES_TTL_MS),
    // A failure is not kept (the next load tries again); only this entry, never a newer one.
    () => cache.get(tenantId) === entry && cache.delete(tenantId),
  );
  return entry.figures;
}

/**
 * Drops the tenant's cached figures, so the next load computes them afresh: after a change of
 * its time zone, whose days the cached ones were grouped by ("today" would be another day's).
 * A computation still running keeps its promise for whoever awaits it but is no longer served.
 * Only this process's cache: another process serves its copy until its minute is up.
 */
export function forgetDashboardFigures(tenantId: string): void {
  cache.delete(tenantId);
}
