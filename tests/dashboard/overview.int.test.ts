import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { computeDashboardFigures, getDashboardFigures, REVENUE_CHART_DAYS, type TDashboardFigures } from "@/server/dashboard/overview";
import { rebuildTrafficTotals } from "@/server/cdr/traffic-totals";
import { callerAs, createWorld } from "../support/factories";

type TWorld = Awaited<ReturnType<typeof createWorld>>;
type TCall = {
  tenantId: string;
  sourceId: string;
  startAt: Date;
  customerId: string;
  status?: "RATED" | "UNANSWERED" | "UNBILLABLE";
  billsec?: number;
  price?: bigint;
  /** null: a rated call without a known cost (left out of the margin). */
  cost?: bigint | null;
};

/**
 * Calls written as ingestion writes them (see tests/cdr/search.int.test.ts), and the traffic
 * totals the overview reads, which ingestion keeps with them, recomputed for their tenants.
 */
async function insertCalls(calls: TCall[]): Promise<void> {
  const fileId = randomUUID();
  const values: unknown[] = [];
  const tuples = calls.map((call, index) => {
    const status = call.status ?? "RATED";
    const billsec = call.billsec ?? (status === "UNANSWERED" ? 0 : 60);
    const rated = status === "RATED";
    values.push(
      call.tenantId, call.sourceId, fileId, index + 1, `call-${randomUUID()}`, call.startAt, billsec, call.customerId, status,
      status === "UNBILLABLE" ? "no rate for prefix" : null,
      rated ? "INTERNATIONAL" : null,
      rated ? billsec : null,
      rated ? String(call.price ?? 1000n) : null,
      rated && call.cost !== null ? String(call.cost ?? 700n) : null,
    );
    const p = (n: number) => `$${index * 14 + n}`;
    return `(${p(1)}::uuid, ${p(2)}::uuid, ${p(3)}::uuid, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(7)}, '16135550100', '442071234567', ${p(8)}::uuid,
      ${p(9)}::"CdrStatus", ${p(10)}, ${p(11)}::"RateCategory", ${p(12)}::int, ${p(13)}::bigint, ${p(14)}::bigint)`;
  });
  await pool().query(
    `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, duration, billsec, caller, callee, customer_id,
                       status, unbillable_reason, category, billed_seconds, price, cost)
     VALUES ${tuples.join(",")}`,
    values,
  );
  for (const tenantId of new Set(calls.map((call) => call.tenantId))) await rebuildTrafficTotals(pool(), tenantId);
}

// The factories' tenants are in America/Toronto. On 15 March 2026 Toronto is on EDT (UTC−4,
// since 8 March): the local day runs 04:00Z–04:00Z. On 1 March it was on EST (UTC−5): the
// local month starts at 2026-03-01T05:00Z.
const NOW = new Date("2026-03-15T14:00:00Z");
const LOCAL_DAY_START = new Date("2026-03-15T04:00:00Z");
const LOCAL_MONTH_START = new Date("2026-03-01T05:00:00Z");
const minutes = (base: Date, offset: number) => new Date(base.getTime() + offset * 60_000);

let a: TWorld;
let b: TWorld;
let figures: TDashboardFigures;

beforeAll(async () => {
  await pool().query(`SELECT ensure_cdr_partitions('2026-02-01', '2026-03-01')`);
  a = await createWorld("Overview A");
  b = await createWorld("Overview B");
  const source = (tenantId: string, name: string, enabled = true) =>
    db().cdrSource.create({ data: { tenantId, name, format: "asterisk", timeZone: "UTC", enabled } });
  const switchA = await source(a.tenant.id, "A switch");
  const switchB = await source(b.tenant.id, "B switch");

  await insertCalls([
    // Today (local): two rated calls, one without a known cost, one unanswered, one unbillable.
    { tenantId: a.tenant.id, sourceId: switchA.id, customerId: a.customer.id, startAt: minutes(LOCAL_DAY_START, 0), billsec: 90, price: 3_000_000n, cost: 1_000_000n },
    { tenantId: a.tenant.id, sourceId: switchA.id, customerId: a.customer.id, startAt: minutes(LOCAL_DAY_START, 300), billsec: 30, price: 500_000n, cost: null },
    { tenantId: a.tenant.id, sourceId: switchA.id, customerId: a.customer.id, startAt: minutes(LOCAL_DAY_START, 301), status: "UNANSWERED" },
    { tenantId: a.tenant.id, sourceId: switchA.id, customerId: a.otherCustomer.id, startAt: minutes(LOCAL_DAY_START, 302), status: "UNBILLABLE", billsec: 120 },
    // A minute before local midnight: yesterday in Toronto, though the same UTC date.
    { tenantId: a.tenant.id, sourceId: switchA.id, customerId: a.customer.id, startAt: minutes(LOCAL_DAY_START, -1), billsec: 60, price: 2_000_000n, cost: 500_000n },
    // The local month's first minute, and the one before it (February in Toronto, March in UTC).
    { tenantId: a.tenant.id, sourceId: switchA.id, customerId: a.customer.id, startAt: LOCAL_MONTH_START, billsec: 60, price: 1_000_000n, cost: 400_000n },
    { tenantId: a.tenant.id, sourceId: switchA.id, customerId: a.customer.id, startAt: minutes(LOCAL_MONTH_START, -1), billsec: 60, price: 7_000_000n, cost: 1_000_000n },
  ]);
  // Another tenant's busy day: none of it is A's.
  await insertCalls([
    { tenantId: b.tenant.id, sourceId: switchB.id, customerId: b.customer.id, startAt: minutes(LOCAL_DAY_START, 10), billsec: 600, price: 99_000_000n, cost: 1_000_000n },
    { tenantId: b.tenant.id, sourceId: switchB.id, customerId: b.customer.id, startAt: minutes(LOCAL_DAY_START, 11), status: "UNBILLABLE" },
  ]);
  // The unbillable value is estimated from the rated files of the last 30 days: 1000 µ/s here.
  await db().cdrFile.create({
    data: { tenantId: a.tenant.id, sourceId: switchA.id, fileName: "a.csv", remotePath: "upload:a.csv", size: 0n, sha256: "a".repeat(64), status: "DONE", lines: 10, rated: 10, callsStored: 10, billedSeconds: 600n, priceTotal: 600_000n },
  });

  // Sources: one down (every server), one with a server down, one disabled though "down"; B's down one is not A's.
  const down = await source(a.tenant.id, "A down switch");
  await db().cdrSourceOutage.create({ data: { tenantId: a.tenant.id, sourceId: down.id, startedAt: minutes(NOW, -30), error: "Connection refused" } });
  const degraded = await source(a.tenant.id, "A degraded switch");
  await db().cdrSourceServer.create({ data: { tenantId: a.tenant.id, sourceId: degraded.id, position: 0, host: "sftp1.example.test", username: "cdr", status: "DOWN" } });
  const disabled = await source(a.tenant.id, "A disabled switch", false);
  await db().cdrSourceOutage.create({ data: { tenantId: a.tenant.id, sourceId: disabled.id, startedAt: minutes(NOW, -30), error: "Timeout" } });
  const recovered = await source(a.tenant.id, "A recovered switch");
  await db().cdrSourceOutage.create({ data: { tenantId: a.tenant.id, sourceId: recovered.id, startedAt: minutes(NOW, -90), endedAt: minutes(NOW, -60), error: "Timeout" } });
  const downB = await source(b.tenant.id, "B down switch");
  await db().cdrSourceOutage.create({ data: { tenantId: b.tenant.id, sourceId: downB.id, startedAt: minutes(NOW, -30), error: "Timeout" } });

  // Accounts: A's first customer is locked; the other is above its threshold; B's are all low.
  await db().customer.update({ where: { id: a.customer.id }, data: { status: "LOCKED", balance: -1_000_000n } });
  await db().customer.update({ where: { id: a.otherCustomer.id }, data: { balance: 50_000_000n } });
  const lowA = await db().customer.create({ data: { tenantId: a.tenant.id, accountNumber: "low-1", name: "Low Co", billingType: "PREPAID", contactEmail: "low@example.test", balance: 4_999_999n } });
  await db().customer.create({ data: { tenantId: a.tenant.id, accountNumber: "closed-1", name: "Closed Co", billingType: "PREPAID", contactEmail: "closed@example.test", status: "CLOSED" } });
  expect(lowA.lowBalanceThreshold).toBe(5_000_000n);

  figures = await getDashboardFigures({ tenantId: a.tenant.id, now: NOW });
});

describe("admin overview figures", () => {
  it("counts today's calls in the tenant's zone, not UTC's", () => {
    expect(figures.today).toBe("2026-03-15");
    expect(figures.traffic.today).toEqual({
      calls: 4,
      answered: 3,
      billedSeconds: 120n,
      minutes: "2.00",
      revenue: 3_500_000n,
      // The call without a cost is left out of the margin, and counted.
      margin: 2_000_000n,
      ratedWithoutCost: 1,
    });
  });

  it("sums this month from the tenant's local first of the month", () => {
    expect(figures.traffic.month.calls).toBe(6);
    expect(figures.traffic.month.revenue).toBe(3_000_000n + 500_000n + 2_000_000n + 1_000_000n);
    expect(figures.traffic.month.margin).toBe(2_000_000n + 1_500_000n + 600_000n);
    expect(figures.traffic.month.billedSeconds).toBe(90n + 30n + 60n + 60n);
  });

  it("charts revenue and margin per local day, quiet days as zeros", () => {
    expect(figures.revenueByDay).toHaveLength(REVENUE_CHART_DAYS);
    expect(figures.revenueByDay.at(-1)).toEqual({ day: "2026-03-15", revenue: 3_500_000n, margin: 2_000_000n });
    const byDay = new Map(figures.revenueByDay.map((day) => [day.day, day]));
    expect(byDay.get("2026-03-14")).toEqual({ day: "2026-03-14", revenue: 2_000_000n, margin: 1_500_000n });
    expect(byDay.get("2026-03-01")).toEqual({ day: "2026-03-01", revenue: 1_000_000n, margin: 600_000n });
    expect(byDay.get("2026-02-28")).toEqual({ day: "2026-02-28", revenue: 7_000_000n, margin: 6_000_000n });
    expect(byDay.get("2026-03-02")).toEqual({ day: "2026-03-02", revenue: 0n, margin: 0n });
    expect(figures.revenueByDay[0]!.day).toBe("2026-02-14");
  });

  it("shows the unbillable calls and their estimated value", () => {
    expect(figures.unbillable).toEqual({ calls: 1, valueAtRisk: 120_000n });
  });

  it("names the enabled sources that are down and counts degraded ones", () => {
    expect(figures.sources.down).toBe(1);
    expect(figures.sources.downSources.map((source) => source.name)).toEqual(["A down switch"]);
    expect(figures.sources.degraded).toBe(1);
  });

  it("counts locked and low-balance accounts (open ones only)", () => {
    expect(figures.customers).toEqual({ locked: 1, lowBalance: 1 });
  });

  it("keeps another tenant's figures out", async () => {
    const other = await getDashboardFigures({ tenantId: b.tenant.id, now: NOW });
    expect(other.traffic.today.calls).toBe(2);
    expect(other.traffic.today.revenue).toBe(99_000_000n);
    expect(other.unbillable.calls).toBe(1);
    expect(other.sources.downSources.map((source) => source.name)).toEqual(["B down switch"]);
  });

  it("is served with the overview to tenant staff, for their own tenant, and not to customers", async () => {
    const support = await callerAs(a.support.user.id);
    const served = await support.tenant.overview();
    expect(served.figures.currency).toBe("USD");
    expect(served.figures.sources.downSources.map((source) => source.name)).toEqual(["A down switch"]);
    const customer = await callerAs(a.customerAdmin.user.id);
    await expect(customer.tenant.overview()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("admin overview days in the tenant's zone", () => {
  // Toronto leaves EDT (UTC−4) for EST (UTC−5) at 06:00Z on 1 November 2026: its 1 November
  // runs 04:00Z–05:00Z the next day (25 hours). Kathmandu is UTC+5:45 all year: its days start
  // at 18:15Z. Each call a minute before or at one of those local midnights; prices tell them apart.
  const CALLS: [string, bigint][] = [
    ["2026-11-01T03:59:00Z", 1_000n], // Toronto 31 Oct 23:59 EDT; Kathmandu 1 Nov 09:44
    ["2026-11-01T04:00:00Z", 2_000n], // Toronto 1 Nov 00:00 EDT
    ["2026-11-01T18:14:00Z", 4_000n], // Kathmandu 1 Nov 23:59
    ["2026-11-01T18:15:00Z", 8_000n], // Kathmandu 2 Nov 00:00
    ["2026-11-02T04:59:00Z", 16_000n], // Toronto 1 Nov 23:59 EST
    ["2026-11-02T05:00:00Z", 32_000n], // Toronto 2 Nov 00:00 EST
  ];
  const AT = new Date("2026-11-02T15:00:00Z"); // Toronto 2 Nov 10:00; Kathmandu 2 Nov 20:45
  let world: TWorld;

  beforeAll(async () => {
    await pool().query(`SELECT ensure_cdr_partitions('2026-10-01', '2026-11-01')`);
    world = await createWorld("Overview zones");
    const source = await db().cdrSource.create({ data: { tenantId: world.tenant.id, name: "Zones switch", format: "asterisk", timeZone: "UTC" } });
    await insertCalls(CALLS.map(([at, price]) => ({ tenantId: world.tenant.id, sourceId: source.id, customerId: world.customer.id, startAt: new Date(at), price, cost: 0n })));
  });

  const revenueOn = (figures: TDashboardFigures, day: string) => figures.revenueByDay.find((entry) => entry.day === day)?.revenue;

  it("puts calls a minute either side of local midnight on their local day across a DST change (America/Toronto)", async () => {
    // Uncached: the next test reads the same instant after a change of zone.
    const figures = await computeDashboardFigures({ tenantId: world.tenant.id, now: AT });
    expect(figures.today).toBe("2026-11-02");
    expect(revenueOn(figures, "2026-10-31")).toBe(1_000n);
    expect(revenueOn(figures, "2026-11-01")).toBe(2_000n + 4_000n + 8_000n + 16_000n);
    expect(revenueOn(figures, "2026-11-02")).toBe(32_000n);
    expect(figures.traffic.today).toMatchObject({ calls: 1, revenue: 32_000n, margin: 32_000n });
    expect(figures.traffic.month).toMatchObject({ calls: 5, revenue: 62_000n });
  });

  it("regroups the same totals by the new zone's days when the tenant moves to UTC+5:45 (Asia/Kathmandu), without a rebuild", async () => {
    await db().tenant.update({ where: { id: world.tenant.id }, data: { timeZone: "Asia/Kathmandu" } });
    const figures = await computeDashboardFigures({ tenantId: world.tenant.id, now: AT });
    expect(figures.today).toBe("2026-11-02");
    expect(revenueOn(figures, "2026-10-31")).toBe(0n);
    expect(revenueOn(figures, "2026-11-01")).toBe(1_000n + 2_000n + 4_000n);
    expect(revenueOn(figures, "2026-11-02")).toBe(8_000n + 16_000n + 32_000n);
    expect(figures.traffic.today).toMatchObject({ calls: 3, revenue: 56_000n });
    expect(figures.traffic.month).toMatchObject({ calls: 6, revenue: 63_000n });
  });
});
