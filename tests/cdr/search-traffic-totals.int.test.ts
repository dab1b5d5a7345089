import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { cdrTimeline, cdrTotals, NO_CUSTOMER, trafficTotalsCanSum, ZCdrFilter, type TCdrFilter, type TCdrFilterInput, type TCdrScope, type TCdrTotals } from "@/server/cdr/search";
import { rebuildTrafficTotals } from "@/server/cdr/traffic-totals";
import { createWorld } from "../support/factories";
import { expectTrafficTotalsMatchCalls } from "./traffic-support";
import { seededRandom } from "@/scripts/lib/seeded-random";

/**
 * The Calls page's totals and chart for an unfiltered admin view come from the traffic totals
 * (whole 15-minute buckets) plus the calls at the range's two edges; every other view from the
 * calls. Both must give the same figures for any range, in any zone.
 */

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;


type TCall = {
  startMs: number;
  status: "RATED" | "UNANSWERED" | "UNBILLABLE";
  billsec: number;
  billedSeconds: number | null;
  price: bigint | null;
  cost: bigint | null;
  customerId: string | null;
  trunkId: string | null;
  sourceId: string;
  fileId: string;
  caller: string;
  callee: string;
  category: "INTERNATIONAL" | "LONG_DISTANCE" | null;
};

type TWorld = {
  tenantId: string;
  customerId: string;
  otherCustomerId: string;
  trunkId: string;
  accountCode: string;
  sourceIds: [string, string];
  fileIds: [string, string];
  calls: TCall[];
};

/**
 * A tenant in `timeZone` with calls spread over the given spans: starts at random milliseconds,
 * and often exactly on a quarter hour or a millisecond before one (where a bucket, an hour or a
 * local day begins), of every status, with and without a cost.
 */
async function createCallingWorld(timeZone: string, spans: [string, string, number][], seed: number): Promise<TWorld> {
  const world = await createWorld(`Rollup ${timeZone}`);
  const tenantId = world.tenant.id;
  await db().tenant.update({ where: { id: tenantId }, data: { timeZone } });
  const accountCode = `main-${seed}`;
  const trunkId = (await db().sipTrunk.create({ data: { tenantId, customerId: world.customer.id, name: "Main", accountCode } })).id;
  const sourceIds: [string, string] = [
    (await db().cdrSource.create({ data: { tenantId, name: "Switch 1", format: "asterisk", timeZone: "UTC" } })).id,
    (await db().cdrSource.create({ data: { tenantId, name: "Switch 2", format: "asterisk", timeZone: "UTC" } })).id,
  ];
  const fileIds: [string, string] = [randomUUID(), randomUUID()];
  const next = seededRandom(seed);
  const calls: TCall[] = [];
  for (const [from, to, count] of spans) {
    const start = new Date(from).getTime();
    const length = new Date(to).getTime() - start;
    await pool().query(`SELECT ensure_cdr_partitions($1::date, $2::date)`, [from.slice(0, 10), to.slice(0, 10)]);
    for (let index = 0; index < count; index++) {
      let startMs = start + Math.floor(next() * length);
      const edge = next();
      if (edge < 0.15) startMs = Math.floor(startMs / QUARTER) * QUARTER;
      else if (edge < 0.25) startMs = Math.floor(startMs / QUARTER) * QUARTER - 1;
      const kind = next();
      const status = kind < 0.7 ? "RATED" : kind < 0.85 ? "UNANSWERED" : "UNBILLABLE";
      const billsec = status === "UNANSWERED" ? 0 : 1 + Math.floor(next() * 900);
      const rated = status === "RATED";
      const owner = next();
      const customerId = owner < 0.6 ? world.customer.id : owner < 0.9 ? world.otherCustomer.id : null;
      calls.push({
        startMs,
        status,
        billsec,
        billedSeconds: rated ? Math.ceil(billsec / 6) * 6 : null,
        price: rated ? BigInt(Math.floor(next() * 5_000_000)) : null,
        cost: rated && next() < 0.85 ? BigInt(Math.floor(next() * 3_000_000)) : null,
        customerId,
        trunkId: customerId === world.customer.id ? trunkId : null,
        sourceId: sourceIds[index % 2]!,
        fileId: fileIds[Math.floor(next() * 2)]!,
        caller: next() < 0.5 ? `1613555${String(index % 10_000).padStart(4, "0")}` : `+4420${index}`,
        callee: next() < 0.5 ? `4420712${String(index).padStart(5, "0")}` : `1212555${String(index % 10_000).padStart(4, "0")}`,
        category: rated ? (next() < 0.5 ? "INTERNATIONAL" : "LONG_DISTANCE") : null,
      });
    }
  }
  await pool().query(
    `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, caller, callee, account_code, customer_id, trunk_id,
                       status, unbillable_reason, category, billed_seconds, price, cost)
     SELECT $1::uuid, u.source_id, u.file_id, u.line, 'k-' || u.line, u.start_at, u.billsec, u.caller, u.callee,
            CASE WHEN u.trunk_id IS NOT NULL THEN $16::text END, u.customer_id, u.trunk_id,
            u.status::"CdrStatus", CASE WHEN u.status = 'UNBILLABLE' THEN 'no rate for prefix' END, u.category::"RateCategory", u.billed_seconds, u.price, u.cost
       FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::timestamptz[], $6::int[], $7::text[], $8::text[], $9::uuid[], $10::uuid[],
                   $11::text[], $12::text[], $13::int[], $14::bigint[], $15::bigint[])
            AS u(source_id, file_id, line, start_at, billsec, caller, callee, customer_id, trunk_id, status, category, billed_seconds, price, cost)`,
    [
      tenantId,
      calls.map((call) => call.sourceId),
      calls.map((call) => call.fileId),
      calls.map((_, index) => index + 1),
      calls.map((call) => new Date(call.startMs)),
      calls.map((call) => call.billsec),
      calls.map((call) => call.caller),
      calls.map((call) => call.callee),
      calls.map((call) => call.customerId),
      calls.map((call) => call.trunkId),
      calls.map((call) => call.status),
      calls.map((call) => call.category),
      calls.map((call) => call.billedSeconds),
      calls.map((call) => call.price?.toString() ?? null),
      calls.map((call) => call.cost?.toString() ?? null),
      accountCode,
    ],
  );
  // What ingestion keeps per file: a search by file is bounded by its first and last call.
  await pool().query(
    `INSERT INTO cdr_files (id, tenant_id, source_id, file_name, remote_path, size, sha256, status, calls_stored, first_call_at, last_call_at)
     SELECT c.file_id, $1::uuid, min(c.source_id::text)::uuid, 'f-' || c.file_id, 'upload:f-' || c.file_id, 0, encode(sha256(c.file_id::text::bytea), 'hex'), 'DONE',
            count(*), min(c.start_at), max(c.start_at)
       FROM cdrs c WHERE c.tenant_id = $1::uuid GROUP BY c.file_id`,
    [tenantId],
  );
  // Inserted behind the writers' back, so the totals are recomputed, and checked against the calls.
  await rebuildTrafficTotals(pool(), tenantId);
  await expectTrafficTotalsMatchCalls(tenantId);
  return { tenantId, customerId: world.customer.id, otherCustomerId: world.otherCustomer.id, trunkId, accountCode, sourceIds, fileIds, calls };
}

/** The totals of an unfiltered admin view, from the generated calls themselves. */
function expectedTotals(world: TWorld, from: Date, to: Date): TCdrTotals {
  const calls = world.calls.filter((call) => call.startMs >= from.getTime() && call.startMs < to.getTime());
  const rated = calls.filter((call) => call.status === "RATED");
  const withCost = rated.filter((call) => call.cost !== null);
  const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);
  const billedSeconds = sum(rated.map((call) => BigInt(call.billedSeconds!)));
  const cost = sum(withCost.map((call) => call.cost!));
  return {
    calls: calls.length,
    rated: rated.length,
    unanswered: calls.filter((call) => call.status === "UNANSWERED").length,
    unbillable: calls.filter((call) => call.status === "UNBILLABLE").length,
    billsec: sum(calls.map((call) => BigInt(call.billsec))),
    billedSeconds,
    minutes: "",
    price: sum(rated.map((call) => call.price!)),
    cost,
    margin: sum(withCost.map((call) => call.price!)) - cost,
    ratedWithoutCost: rated.length - withCost.length,
  };
}

/** Totals and chart of a range, the default way and from the calls alone: the same, and right. */
async function expectSameBothWays(world: TWorld, from: Date, to: Date, label: string): Promise<{ calls: number; unit: "hour" | "day" }> {
  const scope = { tenantId: world.tenantId };
  const filter = { from, to };
  const [totals, totalsFromCalls, timeline, timelineFromCalls] = await Promise.all([
    cdrTotals({ scope, filter }),
    cdrTotals({ scope, filter, sumsFrom: "calls" }),
    cdrTimeline({ scope, filter }),
    cdrTimeline({ scope, filter, sumsFrom: "calls" }),
  ]);
  expect(totals, label).toEqual(totalsFromCalls);
  expect({ ...totals, minutes: "" }, label).toEqual(expectedTotals(world, from, to));
  expect(timeline, label).toEqual(timelineFromCalls);
  // Every call of the range is in one bar of the chart (unless the chart's 400 bars are full).
  expect(timeline.points.reduce((calls, point) => calls + point.answered + point.unanswered, 0), label).toBe(totals.calls);
  return { calls: totals.calls, unit: timeline.unit };
}

describe("Calls page totals and chart from the traffic totals", () => {
  let toronto: TWorld;
  let kathmandu: TWorld;
  // Toronto falls back from EDT to EST at 06:00 UTC on 1 November 2026 and springs forward at
  // 07:00 UTC on 8 March 2026; Kathmandu is UTC+5:45 all year, so its hours start at :15 UTC.
  const spans: [string, string, number][] = [
    ["2026-10-28T00:00:00Z", "2026-11-04T00:00:00Z", 5000],
    ["2026-03-07T00:00:00Z", "2026-03-09T12:00:00Z", 600],
  ];

  beforeAll(async () => {
    toronto = await createCallingWorld("America/Toronto", spans, 20261101);
    kathmandu = await createCallingWorld("Asia/Kathmandu", spans, 5_45);
  });

  it("equal the calls' own sums for aligned, unaligned, short, empty and DST-spanning ranges", async () => {
    const at = (iso: string) => new Date(iso);
    const ranges: [string, Date, Date][] = [
      ["aligned days", at("2026-10-29T00:00:00Z"), at("2026-11-03T00:00:00Z")],
      ["aligned, two days (hours)", at("2026-10-30T00:00:00Z"), at("2026-11-01T00:00:00Z")],
      ["a local day of the autumn change, Toronto (25 hours)", at("2026-11-01T04:00:00Z"), at("2026-11-02T05:00:00Z")],
      ["a local day of the spring change, Toronto (23 hours)", at("2026-03-08T05:00:00Z"), at("2026-03-09T04:00:00Z")],
      ["a Kathmandu local day", at("2026-10-30T18:15:00Z"), at("2026-10-31T18:15:00Z")],
      ["days over the autumn change", at("2026-10-29T04:00:00Z"), at("2026-11-03T05:00:00Z")],
      ["days over the spring change, unaligned", at("2026-03-07T03:07:11.123Z"), at("2026-03-09T11:59:59.999Z")],
      ["unaligned start", at("2026-10-30T10:07:30.250Z"), at("2026-10-31T10:00:00Z")],
      ["unaligned end", at("2026-10-30T10:00:00Z"), at("2026-10-31T10:52:00.001Z")],
      ["unaligned both ends", at("2026-10-30T10:14:59.999Z"), at("2026-11-02T08:00:00.001Z")],
      ["one whole bucket", at("2026-10-30T10:00:00Z"), at("2026-10-30T10:15:00Z")],
      ["inside one bucket", at("2026-10-30T10:03:00.500Z"), at("2026-10-30T10:11:00Z")],
      ["shorter than a bucket, across a boundary", at("2026-10-30T10:10:00Z"), at("2026-10-30T10:20:00Z")],
      ["a millisecond on a boundary", at("2026-10-30T10:15:00Z"), at("2026-10-30T10:15:00.001Z")],
      ["a millisecond before a boundary", at("2026-10-30T10:14:59.999Z"), at("2026-10-30T10:15:00Z")],
      ["two days exactly (hours), unaligned", at("2026-10-31T01:01:01.001Z"), at("2026-11-02T01:01:01.001Z")],
      ["two days and a millisecond (days)", at("2026-10-31T01:01:01.001Z"), at("2026-11-02T01:01:01.002Z")],
      ["the autumn change's repeated hour", at("2026-11-01T04:30:00Z"), at("2026-11-01T07:30:00Z")],
      ["before any call", at("2026-06-01T00:00:00Z"), at("2026-06-05T00:00:00Z")],
      ["after every call, unaligned", at("2026-11-10T00:00:00.007Z"), at("2026-11-10T02:00:00Z")],
      ["a year around the calls", at("2026-01-01T00:00:00Z"), at("2026-12-31T00:00:00Z")],
    ];
    for (const world of [toronto, kathmandu]) {
      for (const [label, from, to] of ranges) await expectSameBothWays(world, from, to, label);
    }
    // Not vacuous: the calls are there.
    expect((await expectSameBothWays(toronto, ranges[0]![1], ranges[0]![2], "again")).calls).toBeGreaterThan(3000);
  });

  it("equal the calls' own sums for random ranges, in hours and in days", async () => {
    const next = seededRandom(7);
    const units = { hour: 0, day: 0 };
    const start = new Date("2026-10-27T00:00:00Z").getTime();
    const end = new Date("2026-11-05T00:00:00Z").getTime();
    for (let index = 0; index < 80; index++) {
      let fromMs = start + Math.floor(next() * (end - start));
      // Half in hours (a millisecond to two days, evenly on a log scale), half in days (up to nine).
      const length = next() < 0.5 ? Math.exp(next() * Math.log(2 * DAY)) : 2 * DAY + next() * 7 * DAY;
      let toMs = fromMs + Math.max(1, Math.floor(length));
      if (next() < 0.3) fromMs = Math.floor(fromMs / QUARTER) * QUARTER;
      if (next() < 0.3) toMs = Math.max(fromMs + 1, Math.ceil(toMs / QUARTER) * QUARTER);
      const world = index % 2 === 0 ? toronto : kathmandu;
      const label = `random #${index}: ${new Date(fromMs).toISOString()} → ${new Date(toMs).toISOString()}`;
      const { unit } = await expectSameBothWays(world, new Date(fromMs), new Date(toMs), label);
      units[unit]++;
    }
    expect(units.hour).toBeGreaterThan(20);
    expect(units.day).toBeGreaterThan(20);
  });
});

describe("the source of the Calls page's sums", () => {
  let world: TWorld;
  const DAY_START = new Date("2026-10-30T00:00:00Z").getTime();
  const range = { from: new Date(DAY_START + 10 * HOUR + 7 * MINUTE), to: new Date(DAY_START + 12 * HOUR + 52 * MINUTE) };

  /** Adds phantom unanswered calls to a stored bucket: only a reader of the traffic totals sees them. */
  async function addPhantomCalls(bucketMs: number, calls: number): Promise<void> {
    const updated = await pool().query(`UPDATE cdr_traffic_totals SET calls = calls + $3 WHERE tenant_id = $1::uuid AND bucket_start = $2`, [
      world.tenantId,
      new Date(bucketMs),
      calls,
    ]);
    expect(updated.rowCount).toBe(1);
  }

  beforeAll(async () => {
    world = await createCallingWorld("America/Toronto", [["2026-10-29T00:00:00Z", "2026-10-31T00:00:00Z", 3000]], 99);
    // Inside the range: read. The two buckets the range only partly covers: read from the calls.
    await addPhantomCalls(DAY_START + 11 * HOUR, 1000);
    await addPhantomCalls(DAY_START + 10 * HOUR, 500);
    await addPhantomCalls(DAY_START + 12 * HOUR + 45 * MINUTE, 300);
  });

  it("is the traffic totals for whole buckets and the calls at the edges, for an unfiltered admin view", async () => {
    const scope = { tenantId: world.tenantId };
    const fromCalls = await cdrTotals({ scope, filter: range, sumsFrom: "calls" });
    expect(fromCalls).toEqual({ ...expectedTotals(world, range.from, range.to), minutes: fromCalls.minutes });
    expect(await cdrTotals({ scope, filter: range })).toEqual({ ...fromCalls, calls: fromCalls.calls + 1000, unanswered: fromCalls.unanswered + 1000 });
    const timeline = await cdrTimeline({ scope, filter: range });
    const timelineFromCalls = await cdrTimeline({ scope, filter: range, sumsFrom: "calls" });
    expect(timeline.points.map((point) => point.unanswered - (timelineFromCalls.points.find((other) => other.at === point.at)?.unanswered ?? 0))).toEqual([0, 1000, 0]);
  });

  it("is the calls whenever anything but the dates restricts them", async () => {
    // One value per field (TypeScript insists on every field but the dates).
    const restrictions: { [K in Exclude<keyof TCdrFilter, "from" | "to">]: NonNullable<TCdrFilterInput[K]> } = {
      customerId: world.customerId,
      trunkId: world.trunkId,
      caller: "1613",
      calleePrefix: "+44",
      category: "INTERNATIONAL",
      status: "UNANSWERED",
      sourceId: world.sourceIds[0],
      fileId: world.fileIds[1],
      accountCode: world.accountCode,
      unbillableReason: "no rate for prefix",
    };
    const scope = { tenantId: world.tenantId };
    // The calls of no customer: another value of the customer filter.
    for (const [field, value] of [...Object.entries(restrictions), ["customerId", NO_CUSTOMER] as const]) {
      const filter = { ...range, [field]: value };
      const totals = await cdrTotals({ scope, filter });
      expect(totals, field).toEqual(await cdrTotals({ scope, filter, sumsFrom: "calls" }));
      // The phantom calls are unanswered and of no customer, file or number: never in these.
      expect(totals.unanswered, field).toBeLessThan(1000);
      expect(totals.calls, field).toBeGreaterThan(0);
      expect(await cdrTimeline({ scope, filter }), field).toEqual(await cdrTimeline({ scope, filter, sumsFrom: "calls" }));
    }
    // A customer's own view (the portal) even without a filter.
    const portal = { tenantId: world.tenantId, customerId: world.customerId };
    expect(await cdrTotals({ scope: portal, filter: range })).toEqual(await cdrTotals({ scope: portal, filter: range, sumsFrom: "calls" }));
    expect((await cdrTotals({ scope: portal, filter: range })).unanswered).toBeLessThan(1000);
    expect(await cdrTimeline({ scope: portal, filter: range })).toEqual(await cdrTimeline({ scope: portal, filter: range, sumsFrom: "calls" }));
  });

  it("is the calls for a filter field or a scope it does not know", () => {
    const filter = ZCdrFilter.parse(range);
    const scope: TCdrScope = { tenantId: world.tenantId };
    expect(trafficTotalsCanSum(scope, filter)).toBe(true);
    expect(trafficTotalsCanSum({ ...scope, customerId: null }, filter)).toBe(true);
    expect(trafficTotalsCanSum({ ...scope, customerId: world.customerId }, filter)).toBe(false);
    expect(trafficTotalsCanSum(scope, { ...filter, someNewField: null } as TCdrFilter)).toBe(false);
    expect(trafficTotalsCanSum({ ...scope, someNewField: null } as TCdrScope, filter)).toBe(false);
    for (const field of Object.keys(filter).filter((key) => key !== "from" && key !== "to")) {
      expect(trafficTotalsCanSum(scope, { ...filter, [field]: "x" }), field).toBe(false);
    }
  });

  it("is the calls for a chart whose hours or days do not start on quarter hours (zones before 1979)", async () => {
    // Liberia was UTC−0:44:30 until 7 January 1972: its local days then began at 00:44:30 UTC,
    // inside a bucket. Totals need no grouping and still read the traffic totals.
    const liberia = await createCallingWorld("Africa/Monrovia", [["1971-12-28T00:00:00Z", "1972-01-12T00:00:00Z", 2000]], 1972);
    const days = { from: new Date("1971-12-29T00:00:00Z"), to: new Date("1972-01-11T00:00:00Z") };
    const hours = { from: new Date("1971-12-30T00:44:30Z"), to: new Date("1971-12-31T00:44:30Z") };
    for (const filter of [days, hours]) await expectSameBothWays(liberia, filter.from, filter.to, `${filter.from.toISOString()} → ${filter.to.toISOString()}`);
    const chart = await cdrTimeline({ scope: { tenantId: liberia.tenantId }, filter: days });
    expect(chart.points[0]).toMatchObject({ at: "1971-12-28T00:00", start: new Date("1971-12-28T00:44:30Z") });
    expect(chart.points.at(-1)).toMatchObject({ at: "1972-01-10T00:00", start: new Date("1972-01-10T00:00:00Z"), utcOffset: "+00:00" });
  });
});
