import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { TRPCError } from "@trpc/server";
import type { TAuthContext } from "@/server/auth/context";
import { loadAuthContext } from "@/server/auth/context";
import { db, pool } from "@/server/db/client";
import { cdrTimeline, cdrTotals, encodeCursor, MAX_CURSOR_LENGTH, MAX_RECORD_KEY_CHARS, searchCdrs, utcDaysOf, ZCdrFilter, type TCdrFilterInput, type TCdrRow } from "@/server/cdr/search";
import { openCdrCsvExport, type TCdrCsvExport } from "@/server/cdr/export";
import { rebuildTrafficTotals } from "@/server/cdr/traffic-totals";
import { callerAs, createWorld } from "../support/factories";

// The export routes read the session; the test decides who is signed in.
const session = vi.hoisted(() => ({ auth: null as TAuthContext | null }));
vi.mock("@/server/auth/session", () => ({ currentAuth: () => Promise.resolve(session.auth) }));
const { GET: adminExport, HEAD: adminExportHead } = await import("@/app/api/cdrs/export/route");
const { GET: portalExport, HEAD: portalExportHead } = await import("@/app/api/portal/cdrs/export/route");

type TWorld = Awaited<ReturnType<typeof createWorld>>;
type TCall = {
  tenantId: string;
  sourceId: string;
  fileId: string;
  recordKey: string;
  startAt: Date;
  customerId: string | null;
  trunkId?: string | null;
  caller?: string;
  callee: string;
  status?: "RATED" | "UNANSWERED" | "UNBILLABLE";
  category?: string | null;
  billsec?: number;
  price?: bigint | null;
  cost?: bigint | null;
  reason?: string | null;
};

/**
 * Rows written the way ingestion writes them (one multi-row INSERT per call list), and their
 * tenants' traffic totals brought up to date, as ingestion keeps them.
 */
async function insertCalls(calls: TCall[]): Promise<void> {
  const columns = 16;
  for (let start = 0; start < calls.length; start += 2000) {
    const batch = calls.slice(start, start + 2000);
    const values: unknown[] = [];
    const tuples = batch.map((call, index) => {
      const status = call.status ?? "RATED";
      const billsec = call.billsec ?? (status === "UNANSWERED" ? 0 : 60);
      values.push(
        call.tenantId, call.sourceId, call.fileId, start + index + 1, call.recordKey, call.startAt, billsec, call.caller ?? "16135550100", call.callee,
        call.customerId, call.trunkId ?? null, status, call.reason ?? (status === "UNBILLABLE" ? "no rate for prefix" : null),
        status === "RATED" ? (call.category ?? "INTERNATIONAL") : null,
        status === "RATED" ? billsec : null,
        status === "RATED" ? String(call.price ?? 1000n) : null,
      );
      const base = index * columns;
      const p = (n: number) => `$${base + n}`;
      return `(${p(1)}::uuid, ${p(2)}::uuid, ${p(3)}::uuid, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)}::uuid, ${p(11)}::uuid,
        ${p(12)}::"CdrStatus", ${p(13)}, ${p(14)}::"RateCategory", ${p(15)}, ${p(16)}::bigint, ${status === "RATED" && call.cost !== null ? String(call.cost ?? 700n) : "NULL"})`;
    });
    await pool().query(
      `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, duration, billsec, caller, callee, customer_id, trunk_id,
                         status, unbillable_reason, category, billed_seconds, price, cost)
       VALUES ${tuples.join(",")}`,
      values,
    );
  }
  for (const tenantId of new Set(calls.map((call) => call.tenantId))) await rebuildTrafficTotals(pool(), tenantId);
}

/**
 * The files of calls inserted directly, with what ingestion keeps on each (calls stored, the
 * first and last call's start): a search by file relies on that range.
 */
async function recordFiles(calls: Pick<TCall, "tenantId" | "sourceId" | "fileId">[]): Promise<void> {
  const files = new Map(calls.map((call) => [call.fileId, call]));
  for (const { tenantId, sourceId, fileId } of files.values()) {
    await pool().query(
      `INSERT INTO cdr_files (id, tenant_id, source_id, file_name, remote_path, size, sha256, status, calls_stored, first_call_at, last_call_at)
       SELECT $1::uuid, $2::uuid, $3::uuid, 'test.csv', 'upload:test.csv', 0, encode(sha256($1::text::bytea), 'hex'), 'DONE', count(*), min(start_at), max(start_at)
       FROM cdrs WHERE tenant_id = $2::uuid AND file_id = $1::uuid
       ON CONFLICT (id) DO UPDATE SET calls_stored = excluded.calls_stored, first_call_at = excluded.first_call_at, last_call_at = excluded.last_call_at`,
      [fileId, tenantId, sourceId],
    );
  }
}

let a: TWorld;
let b: TWorld;
let sourceA: string;
let sourceA2: string;
let fileA: string;
let fileA2: string;
let trunkA: string;
const T0 = new Date("2026-10-10T12:00:00.000Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const RANGE = { from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") };

beforeAll(async () => {
  a = await createWorld("Calls A");
  b = await createWorld("Calls B");
  const makeSource = (tenantId: string, name: string) =>
    db().cdrSource.create({ data: { tenantId, name, format: "asterisk", timeZone: "UTC" } }).then((source) => source.id);
  sourceA = await makeSource(a.tenant.id, "Switch 1");
  sourceA2 = await makeSource(a.tenant.id, "Switch 2");
  const sourceB = await makeSource(b.tenant.id, "B switch");
  fileA = randomUUID();
  fileA2 = randomUUID();
  trunkA = (await db().sipTrunk.create({ data: { tenantId: a.tenant.id, customerId: a.customer.id, name: "A main trunk", accountCode: "a-main" } })).id;

  const calls: TCall[] = [];
  // Customer 1 of A: 30 calls at distinct minutes, London and mobiles, one trunk.
  for (let index = 0; index < 30; index++) {
    calls.push({
      tenantId: a.tenant.id, sourceId: sourceA, fileId: fileA, recordKey: `a1-${index}`, startAt: at(index), customerId: a.customer.id, trunkId: trunkA,
      callee: index % 3 === 0 ? `442071234${String(index).padStart(3, "0")}` : `447700900${String(index).padStart(3, "0")}`,
      caller: index === 7 ? "16135550199" : "16135550100",
      category: index % 3 === 0 ? "INTERNATIONAL" : "MOBILE", billsec: 30 + index, price: BigInt(1000 + index), cost: index === 4 ? null : BigInt(600 + index),
    });
  }
  // Ties: 12 calls of customer 2 all at the very same instant, across two sources.
  for (let index = 0; index < 12; index++) {
    calls.push({
      tenantId: a.tenant.id, sourceId: index % 2 ? sourceA : sourceA2, fileId: fileA2, recordKey: `tie-${String(index).padStart(2, "0")}`, startAt: at(15),
      customerId: a.otherCustomer.id, callee: "4930123456", status: index % 4 === 0 ? "UNANSWERED" : index % 4 === 1 ? "UNBILLABLE" : "RATED", price: 500n, cost: 200n,
    });
  }
  // Unassigned (unknown account), and a call outside the range.
  calls.push({ tenantId: a.tenant.id, sourceId: sourceA, fileId: fileA, recordKey: "unknown-1", startAt: at(3), customerId: null, callee: "33123456789", status: "UNBILLABLE", reason: "unknown account" });
  calls.push({ tenantId: a.tenant.id, sourceId: sourceA, fileId: fileA, recordKey: "old-1", startAt: new Date("2026-09-15T00:00:00Z"), customerId: a.customer.id, callee: "442070000000" });
  // Tenant B: the same numbers at the same times: never visible to A.
  for (let index = 0; index < 10; index++) {
    calls.push({ tenantId: b.tenant.id, sourceId: sourceB, fileId: randomUUID(), recordKey: `b-${index}`, startAt: at(index), customerId: b.customer.id, callee: "442071234000" });
  }
  await insertCalls(calls);
  await recordFiles(calls);
});

async function allPages(filter: TCdrFilterInput, limit: number, scope = { tenantId: a.tenant.id } as { tenantId: string; customerId?: string }) {
  const rows: TCdrRow[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const page: Awaited<ReturnType<typeof searchCdrs>> = await searchCdrs({ scope, filter, cursor, limit });
    rows.push(...page.rows);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return rows;
}

describe("cdrTimeline", () => {
  it("counts answered and unanswered calls per day or hour of the filter, gaps filled, scoped like the search", async () => {
    const month = await cdrTimeline({ scope: { tenantId: a.tenant.id }, filter: RANGE });
    expect(month.unit).toBe("day");
    // Every day of October, in the tenant's time zone; the calls on one of them.
    expect(month.points.length).toBeGreaterThanOrEqual(31);
    expect(month.points.length).toBeLessThanOrEqual(32);
    expect(month.points.filter((point) => point.answered + point.unanswered > 0)).toEqual([expect.objectContaining({ answered: 40, unanswered: 3 })]);

    // September and October: the old call, empty days, then October 10.
    const wide = await cdrTimeline({ scope: { tenantId: a.tenant.id }, filter: { from: new Date("2026-09-01T00:00:00Z"), to: RANGE.to } });
    const days = wide.points.map((point) => point.at);
    expect(days.length).toBeGreaterThanOrEqual(61);
    expect(new Set(days).size).toBe(days.length);
    expect([...days].sort()).toEqual(days);
    expect(wide.points.filter((point) => point.answered + point.unanswered > 0).map((point) => [point.answered, point.unanswered])).toEqual([
      [1, 0],
      [40, 3],
    ]);

    const hours = await cdrTimeline({ scope: { tenantId: a.tenant.id }, filter: { from: at(-60), to: at(60) } });
    expect(hours.unit).toBe("hour");
    expect(hours.points.reduce((sum, point) => sum + point.answered + point.unanswered, 0)).toBe(43);

    const own = await cdrTimeline({ scope: { tenantId: a.tenant.id, customerId: a.customer.id }, filter: RANGE });
    expect(own.points.filter((point) => point.answered > 0)).toEqual([expect.objectContaining({ answered: 30, unanswered: 0, billedSeconds: expect.any(Number) })]);
    const other = await cdrTimeline({ scope: { tenantId: b.tenant.id }, filter: RANGE });
    expect(other.points.reduce((sum, point) => sum + point.answered, 0)).toBe(10);
  });

  it("counts real hours on daylight-saving change days, labelled in the tenant's time zone; days stay local days", async () => {
    // A tenant of its own in Toronto, so no other test's calls land on these days.
    const world = await createWorld("Calls DST");
    expect(world.tenant.timeZone).toBe("America/Toronto");
    const source = (await db().cdrSource.create({ data: { tenantId: world.tenant.id, name: "DST switch", format: "asterisk", timeZone: "UTC" } })).id;
    const call = (recordKey: string, startAt: string, status: TCall["status"] = "RATED"): TCall => ({
      tenantId: world.tenant.id, sourceId: source, fileId: randomUUID(), recordKey, startAt: new Date(startAt), customerId: world.customer.id, callee: "16135550123", status,
    });
    await insertCalls([
      // 2026-11-01: 01:00–02:00 happens twice, first in EDT (05:00Z–06:00Z), then in EST (06:00Z–07:00Z).
      call("fall-edt-1", "2026-11-01T05:10:00.000Z"),
      call("fall-edt-2", "2026-11-01T05:50:00.000Z", "UNANSWERED"),
      call("fall-edt-3", "2026-11-01T05:59:59.999Z"),
      call("fall-est-1", "2026-11-01T06:00:00.000Z"),
      call("fall-est-2", "2026-11-01T06:30:00.000Z"),
      call("fall-two", "2026-11-01T07:15:00.000Z"),
      // 2026-03-08: 02:00 EST is 03:00 EDT (07:00Z); 02:00–03:00 never happens.
      call("spring-one", "2026-03-08T06:30:00.000Z"),
      call("spring-three-1", "2026-03-08T07:00:00.000Z"),
      call("spring-three-2", "2026-03-08T07:30:00.000Z", "UNANSWERED"),
    ]);
    const scope = { tenantId: world.tenant.id };

    // The local day of the autumn change: 25 real hours, 25 buckets.
    const fall = await cdrTimeline({ scope, filter: { from: new Date("2026-11-01T04:00:00Z"), to: new Date("2026-11-02T05:00:00Z") } });
    expect(fall.unit).toBe("hour");
    expect(fall.points).toHaveLength(25);
    const fallStarts = fall.points.map((point) => point.start.getTime());
    fallStarts.slice(1).forEach((start, index) => expect(start - fallStarts[index]!).toBe(3_600_000));
    expect(fall.points[0]).toMatchObject({ at: "2026-11-01T00:00", utcOffset: "-04:00" });
    expect(fall.points[24]).toMatchObject({ at: "2026-11-01T23:00", utcOffset: "-05:00" });
    const fallOne = fall.points.filter((point) => point.at === "2026-11-01T01:00");
    expect(fallOne).toEqual([
      expect.objectContaining({ start: new Date("2026-11-01T05:00:00Z"), utcOffset: "-04:00", answered: 2, unanswered: 1 }),
      expect.objectContaining({ start: new Date("2026-11-01T06:00:00Z"), utcOffset: "-05:00", answered: 2, unanswered: 0 }),
    ]);
    expect(fall.points.find((point) => point.at === "2026-11-01T02:00")).toMatchObject({ start: new Date("2026-11-01T07:00:00Z"), answered: 1, unanswered: 0 });
    expect(fall.points.reduce((sum, point) => sum + point.answered + point.unanswered, 0)).toBe(6);

    // The local day of the spring change: 23 real hours, and no 02:00 bucket (no zero that reads as an outage).
    const spring = await cdrTimeline({ scope, filter: { from: new Date("2026-03-08T05:00:00Z"), to: new Date("2026-03-09T04:00:00Z") } });
    expect(spring.unit).toBe("hour");
    expect(spring.points).toHaveLength(23);
    const springLabels = spring.points.map((point) => point.at.slice(11));
    expect(springLabels.slice(0, 4)).toEqual(["00:00", "01:00", "03:00", "04:00"]);
    expect(springLabels).not.toContain("02:00");
    expect(new Set(springLabels).size).toBe(23);
    expect(spring.points[1]).toMatchObject({ start: new Date("2026-03-08T06:00:00Z"), utcOffset: "-05:00", answered: 1, unanswered: 0 });
    expect(spring.points[2]).toMatchObject({ start: new Date("2026-03-08T07:00:00Z"), utcOffset: "-04:00", answered: 1, unanswered: 1 });

    // Days over both changes: local days, a 25-hour and a 23-hour day each one bucket.
    const fallDays = await cdrTimeline({ scope, filter: { from: new Date("2026-10-30T04:00:00Z"), to: new Date("2026-11-04T05:00:00Z") } });
    expect(fallDays.unit).toBe("day");
    expect(fallDays.points.map((point) => point.at)).toEqual(["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03"].map((day) => `${day}T00:00`));
    expect(fallDays.points.map((point) => point.answered + point.unanswered)).toEqual([0, 0, 6, 0, 0]);
    expect(fallDays.points[2]).toMatchObject({ start: new Date("2026-11-01T04:00:00Z"), utcOffset: "-04:00" });
    expect(fallDays.points[3]).toMatchObject({ start: new Date("2026-11-02T05:00:00Z"), utcOffset: "-05:00" });
    const springDays = await cdrTimeline({ scope, filter: { from: new Date("2026-03-07T05:00:00Z"), to: new Date("2026-03-10T04:00:00Z") } });
    expect(springDays.points.map((point) => [point.at, point.answered + point.unanswered])).toEqual([
      ["2026-03-07T00:00", 0],
      ["2026-03-08T00:00", 3],
      ["2026-03-09T00:00", 0],
    ]);
  });
});

describe("searchCdrs filters", () => {
  it("returns the tenant's calls in the range, newest first, with names resolved", async () => {
    const page = await searchCdrs({ scope: { tenantId: a.tenant.id }, filter: RANGE, limit: 100 });
    expect(page.rows).toHaveLength(43);
    expect(page.nextCursor).toBeNull();
    expect(page.previousCursor).toBeNull();
    for (let index = 1; index < page.rows.length; index++) expect(page.rows[index - 1]!.startAt >= page.rows[index]!.startAt).toBe(true);
    const row = page.rows.find((r) => r.recordKey === "a1-0")!;
    expect(row).toMatchObject({ customerName: a.customer.name, customerAccount: a.customer.accountNumber, trunkName: "A main trunk", price: 1000n, cost: 600n });
    expect(page.rows.some((r) => r.recordKey.startsWith("b-"))).toBe(false);
  });

  it("filters by customer, trunk, caller (substring), callee prefix (+ stripped), category, status, source and file", async () => {
    const scope = { tenantId: a.tenant.id };
    const keys = async (filter: TCdrFilterInput) => (await searchCdrs({ scope, filter: { ...RANGE, ...filter }, limit: 500 })).rows.map((r) => r.recordKey).sort();
    expect(await keys({ customerId: a.customer.id })).toHaveLength(30);
    expect(await keys({ trunkId: trunkA })).toHaveLength(30);
    expect(await keys({ caller: "555 0199" })).toEqual(["a1-7"]);
    expect(await keys({ calleePrefix: "+4420" })).toEqual(["a1-0", "a1-12", "a1-15", "a1-18", "a1-21", "a1-24", "a1-27", "a1-3", "a1-6", "a1-9"]);
    expect(await keys({ calleePrefix: "+447" })).toHaveLength(20);
    expect(await keys({ calleePrefix: "+49" })).toHaveLength(12);
    expect(await keys({ category: "MOBILE" })).toHaveLength(20);
    expect(await keys({ status: "UNBILLABLE" })).toEqual(["tie-01", "tie-05", "tie-09", "unknown-1"]);
    expect(await keys({ status: "UNANSWERED", customerId: a.otherCustomer.id })).toEqual(["tie-00", "tie-04", "tie-08"]);
    expect(await keys({ sourceId: sourceA2 })).toEqual(["tie-00", "tie-02", "tie-04", "tie-06", "tie-08", "tie-10"]);
    expect(await keys({ fileId: fileA2 })).toHaveLength(12);
    // The range is half-open: [from, to).
    expect(await keys({ from: at(29), to: at(30) })).toEqual(["a1-29"]);
    expect(await keys({ from: at(0), to: at(1) })).toEqual(["a1-0"]);
    // Another tenant's ids match nothing.
    expect(await keys({ customerId: b.customer.id })).toEqual([]);
  });

  it("finds a file's calls between its first and last call, across months, and nothing of a file that stored none", async () => {
    await pool().query(`SELECT ensure_cdr_partitions('2026-05-01', '2026-06-01')`);
    const fileId = randomUUID();
    const starts = ["2026-05-31T23:59:59.999Z", "2026-06-01T00:00:00.000Z", "2026-06-15T10:00:00.000Z"];
    const call = (recordKey: string, startAt: string, file: string): TCall => ({
      tenantId: a.tenant.id, sourceId: sourceA, fileId: file, recordKey, startAt: new Date(startAt), customerId: a.customer.id, callee: "4930123456",
    });
    // Another file's calls at the same instants and between: not the file's.
    const others = [call("other-0", starts[0]!, randomUUID()), call("other-1", "2026-06-10T00:00:00.000Z", randomUUID())];
    const calls = [...starts.map((start, index) => call(`span-${index}`, start, fileId)), ...others];
    await insertCalls(calls);
    await recordFiles(calls);
    const filter = { from: new Date("2026-05-01T00:00:00Z"), to: new Date("2026-07-01T00:00:00Z"), fileId };
    const scope = { tenantId: a.tenant.id };
    expect((await searchCdrs({ scope, filter, limit: 50 })).rows.map((row) => row.recordKey).sort()).toEqual(["span-0", "span-1", "span-2"]);
    expect((await cdrTotals({ scope, filter })).calls).toBe(3);
    // A narrower range than the file's calls still applies.
    expect((await searchCdrs({ scope, filter: { ...filter, from: new Date("2026-06-01T00:00:00Z") }, limit: 50 })).rows.map((row) => row.recordKey).sort()).toEqual(["span-1", "span-2"]);
    // Every line of this file rejected: it stored no calls, so it has no range.
    const empty = randomUUID();
    await pool().query(
      `INSERT INTO cdr_files (id, tenant_id, source_id, file_name, remote_path, size, sha256, status) VALUES ($1::uuid, $2::uuid, $3::uuid, 'bad.csv', 'upload:bad.csv', 10, encode(sha256($1::text::bytea), 'hex'), 'DONE')`,
      [empty, a.tenant.id, sourceA],
    );
    expect((await searchCdrs({ scope, filter: { ...filter, fileId: empty }, limit: 50 })).rows).toEqual([]);
    // Another tenant's file: nothing, even with the right id.
    expect((await searchCdrs({ scope: { tenantId: b.tenant.id }, filter, limit: 50 })).rows).toEqual([]);
  });

  it("finds callee prefixes on every UTC day the range touches, its first and last instants included", async () => {
    // In November, apart from the other tests' calls: the last and first instants of UTC days.
    const instants = ["2026-11-20T23:59:59.999Z", "2026-11-21T00:00:00.000Z", "2026-11-22T12:00:00.000Z", "2026-11-23T00:00:00.000Z"];
    await insertCalls(
      instants.map((instant, index) => ({
        tenantId: a.tenant.id, sourceId: sourceA, fileId: randomUUID(), recordKey: `edge-${index}`, startAt: new Date(instant), customerId: a.customer.id, callee: `88216${index}000000`,
      })),
    );
    const scope = { tenantId: a.tenant.id };
    const keys = async (from: string, to: string) =>
      (await searchCdrs({ scope, filter: { from: new Date(from), to: new Date(to), calleePrefix: "+8821" }, limit: 50 })).rows.map((r) => r.recordKey).sort();
    expect(await keys("2026-11-20T23:59:59.999Z", "2026-11-23T00:00:00.001Z")).toEqual(["edge-0", "edge-1", "edge-2", "edge-3"]);
    expect(await keys("2026-11-20T23:59:59.999Z", "2026-11-21T00:00:00.000Z")).toEqual(["edge-0"]);
    expect(await keys("2026-11-21T00:00:00.000Z", "2026-11-23T00:00:00.000Z")).toEqual(["edge-1", "edge-2"]);
    // In a tenant's evening (Toronto, UTC−5), the next UTC day.
    expect(await keys("2026-11-22T05:00:00.000Z", "2026-11-23T05:00:00.000Z")).toEqual(["edge-2", "edge-3"]);
    expect((await cdrTotals({ scope, filter: { from: new Date("2026-11-20T00:00:00Z"), to: new Date("2026-11-24T00:00:00Z"), calleePrefix: "+88216" } })).calls).toBe(4);
    expect(utcDaysOf(new Date("2026-11-20T23:59:59.999Z"), new Date("2026-11-21T00:00:00.000Z"))).toEqual(["2026-11-20"]);
    expect(utcDaysOf(new Date("2026-11-20T23:59:59.999Z"), new Date("2026-11-21T00:00:00.001Z"))).toEqual(["2026-11-20", "2026-11-21"]);
    expect(utcDaysOf(new Date("2026-12-31T00:00:00Z"), new Date("2027-01-02T00:00:00Z"))).toEqual(["2026-12-31", "2027-01-01"]);
  });

  it("keyset pages visit every row once, with ties on start_at, forwards and backwards", async () => {
    const everything = (await searchCdrs({ scope: { tenantId: a.tenant.id }, filter: RANGE, limit: 500 })).rows.map((r) => r.recordKey);
    for (const limit of [1, 5, 7, 50]) {
      const paged = (await allPages(RANGE, limit)).map((r) => r.recordKey);
      expect(paged).toEqual(everything);
    }
    // Walk forward three pages of 5, then back: the pages come back identical.
    const scope = { tenantId: a.tenant.id };
    const p1 = await searchCdrs({ scope, filter: RANGE, limit: 5 });
    const p2 = await searchCdrs({ scope, filter: RANGE, limit: 5, cursor: p1.nextCursor });
    const p3 = await searchCdrs({ scope, filter: RANGE, limit: 5, cursor: p2.nextCursor });
    expect(p2.previousCursor).not.toBeNull();
    const back2 = await searchCdrs({ scope, filter: RANGE, limit: 5, cursor: p3.previousCursor, direction: "previous" });
    expect(back2.rows.map((r) => r.recordKey)).toEqual(p2.rows.map((r) => r.recordKey));
    const back1 = await searchCdrs({ scope, filter: RANGE, limit: 5, cursor: back2.previousCursor, direction: "previous" });
    expect(back1.rows.map((r) => r.recordKey)).toEqual(p1.rows.map((r) => r.recordKey));
    expect(back1.previousCursor).toBeNull();
    expect(back1.nextCursor).not.toBeNull();
  });

  it("refuses a tampered cursor with a field error", async () => {
    await expect(searchCdrs({ scope: { tenantId: a.tenant.id }, filter: RANGE, cursor: "not-a-cursor" })).rejects.toMatchObject({ fieldErrors: { cursor: [expect.any(String)] } });
  });

  it("pages over rows whose record keys are 512 characters of any Unicode, and refuses cursors no row can give", async () => {
    // A tenant of its own: every row has a longest key, all at one instant so the keys settle the order.
    const world = await createWorld("Calls long keys");
    const source = (await db().cdrSource.create({ data: { tenantId: world.tenant.id, name: "Long keys", format: "asterisk", timeZone: "UTC" } })).id;
    const startAt = new Date("2026-10-20T12:00:00.000Z");
    // 1 to 4 bytes a character in UTF-8 (an emoji is two UTF-16 units), quotes and backslashes
    // escaped in JSON, and control characters that JSON spells out in 6 bytes each.
    const key = (lead: string, fill: (index: number) => string) => lead + Array.from({ length: MAX_RECORD_KEY_CHARS - 1 }, (_, index) => fill(index)).join("");
    const mixed = [..."aé€😀"];
    const keys = [
      key("a", () => "x"),
      key("b", () => "é"),
      key("c", () => "€"),
      key("d", () => "😀"),
      key("e", (index) => mixed[index % mixed.length]!),
      key("f", () => "\u0001"),
      key("g", () => '"'),
      key("h", () => "\\"),
    ];
    for (const recordKey of keys) expect([...recordKey]).toHaveLength(MAX_RECORD_KEY_CHARS);
    await insertCalls(keys.map((recordKey) => ({ tenantId: world.tenant.id, sourceId: source, fileId: randomUUID(), recordKey, startAt, customerId: world.customer.id, callee: "16135550123" })));
    const stored = await pool().query<{ chars: number }>(`SELECT char_length(record_key) AS chars FROM cdrs WHERE tenant_id = $1::uuid`, [world.tenant.id]);
    expect(stored.rows.map((row) => row.chars)).toEqual(keys.map(() => MAX_RECORD_KEY_CHARS));

    const scope = { tenantId: world.tenant.id };
    const filter = { from: new Date("2026-10-20T00:00:00Z"), to: new Date("2026-10-21T00:00:00Z") };
    const everything = (await searchCdrs({ scope, filter, limit: 50 })).rows.map((row) => row.recordKey);
    expect([...everything].sort()).toEqual([...keys].sort());
    for (const limit of [1, 2, 3]) expect((await allPages(filter, limit, scope)).map((row) => row.recordKey)).toEqual(everything);
    // Forward page by page, then back: every page comes back the same; each cursor within the limit.
    const forward = [await searchCdrs({ scope, filter, limit: 2 })];
    while (forward[forward.length - 1]!.nextCursor) forward.push(await searchCdrs({ scope, filter, limit: 2, cursor: forward[forward.length - 1]!.nextCursor }));
    expect(forward).toHaveLength(keys.length / 2);
    for (let index = forward.length - 1; index > 0; index--) {
      const cursor = forward[index]!.previousCursor!;
      expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
      const back = await searchCdrs({ scope, filter, limit: 2, cursor, direction: "previous" });
      expect(back.rows.map((row) => row.recordKey)).toEqual(forward[index - 1]!.rows.map((row) => row.recordKey));
      expect(back.previousCursor === null).toBe(index === 1);
    }
    // The worst case (6 bytes a character in JSON) fits; one character more, or a longer cursor, does not.
    const worst = encodeCursor({ startAt, sourceId: source, recordKey: "\u0001".repeat(MAX_RECORD_KEY_CHARS) });
    expect(worst.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
    await expect(searchCdrs({ scope, filter, cursor: worst })).resolves.toMatchObject({ rows: expect.any(Array) });
    const tooLong = encodeCursor({ startAt, sourceId: source, recordKey: "x".repeat(MAX_RECORD_KEY_CHARS + 1) });
    await expect(searchCdrs({ scope, filter, cursor: tooLong })).rejects.toMatchObject({ fieldErrors: { cursor: [expect.any(String)] } });
    await expect(searchCdrs({ scope, filter, cursor: "A".repeat(MAX_CURSOR_LENGTH + 1) })).rejects.toThrow();
  });
});

describe("date range validation", () => {
  it("defaults to the last 7 days", () => {
    const parsed = ZCdrFilter.parse({});
    expect(parsed.to.getTime() - parsed.from.getTime()).toBe(7 * 86_400_000);
    expect(Math.abs(parsed.to.getTime() - Date.now())).toBeLessThan(5000);
  });

  it("names the field: to must be after from, and at most 366 days", () => {
    const backwards = ZCdrFilter.safeParse({ from: "2026-10-02T00:00:00Z", to: "2026-10-01T00:00:00Z" });
    expect(backwards.success).toBe(false);
    expect(backwards.error?.issues.map((issue) => issue.path.join("."))).toContain("to");
    const tooLong = ZCdrFilter.safeParse({ from: "2025-01-01T00:00:00Z", to: "2026-06-01T00:00:00Z" });
    expect(tooLong.error?.issues.map((issue) => issue.path.join("."))).toContain("from");
    // Numbers are kept as typed here and read with the tenant's dialling plan by the search
    // (tests/cdr/search-number-filters.int.test.ts).
    expect(ZCdrFilter.parse({ calleePrefix: " +44-20 " }).calleePrefix).toBe("+44-20");
  });

  it("comes back through tRPC as a BAD_REQUEST with fieldErrors keyed by field", async () => {
    const admin = await callerAs(a.admin.user.id);
    const error = await admin.cdrs.search({ filter: { from: "2026-10-02T00:00:00Z", to: "2026-10-01T00:00:00Z" } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
  });
});

describe("cdrTotals", () => {
  it("sums exactly over the filter: counts by status, seconds, price and cost of RATED calls, margin where cost is known", async () => {
    const totals = await cdrTotals({ scope: { tenantId: a.tenant.id }, filter: { ...RANGE, customerId: a.customer.id } });
    const price = Array.from({ length: 30 }, (_, index) => BigInt(1000 + index)).reduce((x, y) => x + y, 0n);
    const cost = Array.from({ length: 30 }, (_, index) => (index === 4 ? 0n : BigInt(600 + index))).reduce((x, y) => x + y, 0n);
    const seconds = Array.from({ length: 30 }, (_, index) => 30 + index).reduce((x, y) => x + y, 0);
    expect(totals).toMatchObject({
      calls: 30,
      rated: 30,
      unanswered: 0,
      unbillable: 0,
      billsec: BigInt(seconds),
      billedSeconds: BigInt(seconds),
      price,
      cost,
      margin: price - 1004n - cost,
      ratedWithoutCost: 1,
    });
    expect(totals.minutes).toBe((Math.round((seconds / 60) * 100) / 100).toFixed(2));
    const ties = await cdrTotals({ scope: { tenantId: a.tenant.id }, filter: { ...RANGE, customerId: a.otherCustomer.id } });
    expect(ties).toMatchObject({ calls: 12, rated: 6, unanswered: 3, unbillable: 3, price: 3000n, cost: 1200n, margin: 1800n });
    expect((await cdrTotals({ scope: { tenantId: a.tenant.id }, filter: RANGE })).calls).toBe(43);
  });
});

describe("portal scoping", () => {
  it("names a call's trunk to its customer only while the trunk is still theirs", async () => {
    const owner = await callerAs(a.customerAdmin.user.id);
    expect((await owner.cdrs.portalSearch({ filter: { ...RANGE, trunkId: trunkA }, limit: 1 })).rows[0]?.trunkName).toBe("A main trunk");
    // The trunk moves to another customer, who renames it.
    await db().sipTrunk.update({ where: { id: trunkA }, data: { customerId: a.otherCustomer.id, name: "Other's renamed trunk" } });
    try {
      const portalRows = (await owner.cdrs.portalSearch({ filter: { ...RANGE, trunkId: trunkA }, limit: 500 })).rows;
      expect(portalRows).toHaveLength(30);
      expect(portalRows.every((row) => row.trunkName === null)).toBe(true);
      const csv = (await collect(await openCdrCsvExport({ scope: { tenantId: a.tenant.id, customerId: a.customer.id }, filter: RANGE }))).join("");
      expect(csv).not.toContain("renamed");
      // Staff see the trunk's name whoever has it now.
      const staff = await callerAs(a.admin.user.id);
      expect((await staff.cdrs.search({ filter: { ...RANGE, trunkId: trunkA }, limit: 1 })).rows[0]?.trunkName).toBe("Other's renamed trunk");
    } finally {
      await db().sipTrunk.update({ where: { id: trunkA }, data: { customerId: a.customer.id, name: "A main trunk" } });
    }
  });

  it("shows a customer only their own calls, whatever customerId they pass, and never the cost", async () => {
    const owner = await callerAs(a.customerAdmin.user.id);
    const page = await owner.cdrs.portalSearch({ filter: { ...RANGE, customerId: a.otherCustomer.id }, limit: 500 });
    expect(page.rows).toHaveLength(30);
    expect(new Set(page.rows.map((row) => row.customerId))).toEqual(new Set([a.customer.id]));
    expect(page.rows.every((row) => row.cost === null)).toBe(true);
    const totals = await owner.cdrs.portalTotals({ filter: { ...RANGE, customerId: a.otherCustomer.id } });
    expect(totals).toMatchObject({ calls: 30, cost: null, margin: null });
    // Customers cannot reach the staff procedures.
    await expect(owner.cdrs.search({ filter: RANGE })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const staff = await callerAs(b.support.user.id);
    expect((await staff.cdrs.search({ filter: RANGE })).rows.map((row) => row.recordKey).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `b-${i}`).sort());
  });
});

describe("what customers see of an unpriced call", () => {
  it("gives staff the carrier's reason for an unbillable call and a customer none, in the search as in their CSV", async () => {
    const unbillable = { ...RANGE, customerId: a.otherCustomer.id, status: "UNBILLABLE" as const };
    const staffRows = (await (await callerAs(a.admin.user.id)).cdrs.search({ filter: unbillable, limit: 500 })).rows;
    expect(staffRows).toHaveLength(3);
    expect(staffRows.every((row) => row.unbillableReason === "no rate for prefix")).toBe(true);

    const customerRows = (await (await callerAs(a.otherCustomerAdmin.user.id)).cdrs.portalSearch({ filter: unbillable, limit: 500 })).rows;
    expect(customerRows.map((row) => row.recordKey).sort()).toEqual(staffRows.map((row) => row.recordKey).sort());
    expect(customerRows.every((row) => row.status === "UNBILLABLE" && row.unbillableReason === null)).toBe(true);
    const csv = (await collect(await openCdrCsvExport({ scope: { tenantId: a.tenant.id, customerId: a.otherCustomer.id }, filter: unbillable }))).join("");
    expect(csv).not.toContain("no rate for prefix");
  });
});

describe("cdrs.filterSelection", () => {
  it("names the filter's customer and trunk beyond the capped choices, within the tenant, and a customer only their own trunk", async () => {
    const otherTrunk = await db().sipTrunk.create({ data: { tenantId: a.tenant.id, customerId: a.otherCustomer.id, name: "Other's trunk", accountCode: "a-other" } });
    const foreignTrunk = await db().sipTrunk.create({ data: { tenantId: b.tenant.id, customerId: b.customer.id, name: "B trunk", accountCode: "b-main" } });
    const staff = await callerAs(a.admin.user.id);
    expect(await staff.cdrs.filterSelection({ customerId: a.customer.id, trunkId: otherTrunk.id })).toEqual({
      customer: { id: a.customer.id, name: a.customer.name, accountNumber: a.customer.accountNumber },
      trunk: { id: otherTrunk.id, name: "Other's trunk", customerId: a.otherCustomer.id },
      file: null,
    });
    expect(await staff.cdrs.filterSelection({ customerId: b.customer.id, trunkId: foreignTrunk.id })).toEqual({ customer: null, trunk: null, file: null });
    expect(await staff.cdrs.filterSelection({ customerId: null, trunkId: "" })).toEqual({ customer: null, trunk: null, file: null });

    const owner = await callerAs(a.customerAdmin.user.id);
    expect(await owner.cdrs.portalFilterSelection({ customerId: a.otherCustomer.id, trunkId: trunkA })).toEqual({
      customer: null,
      trunk: { id: trunkA, name: "A main trunk", customerId: a.customer.id },
      file: null,
    });
    expect(await owner.cdrs.portalFilterSelection({ trunkId: otherTrunk.id })).toEqual({ customer: null, trunk: null, file: null });
    await expect(owner.cdrs.filterSelection({ trunkId: trunkA })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

async function collect(exported: TCdrCsvExport): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of exported.chunks) chunks.push(chunk);
  return chunks;
}

/** Connections the pool could still hand out: idle ones, and room for new ones. */
function poolRoom(): number {
  return pool().idleCount + (pool().options.max ?? 10) - pool().totalCount;
}

describe("CSV export", () => {
  it("writes a header and one line per call with exact money and the tenant's local times; customers get no cost", async () => {
    // Read to the end before any assertion: a failing one must not leave a cursor holding a connection.
    const exported = await openCdrCsvExport({ scope: { tenantId: a.tenant.id }, filter: { ...RANGE, customerId: a.customer.id } });
    const lines = (await collect(exported)).join("").trimEnd().split("\n");
    expect(exported.timeZone).toBe("America/Toronto");
    expect(lines[0]).toBe(
      "start_at,answer_at,end_at,caller,callee,customer_account,customer,trunk,account_code,duration,billsec,billed_seconds,category,matched_prefix,price,cost,status,unbillable_reason,disposition,source_id,file_id,line,record_key,time_zone",
    );
    expect(lines).toHaveLength(31);
    const last = lines[30]!.split(",");
    // 12:00 UTC is 08:00 in Toronto (EDT, UTC-4), as the calls page shows it.
    expect(last[0]).toBe("2026-10-10 08:00:00.000-04:00");
    expect(last[4]).toBe("442071234000");
    expect(last[14]).toBe("0.001");
    expect(last[15]).toBe("0.0006");
    expect(last[16]).toBe("RATED");
    expect(last[22]).toBe("a1-0");
    expect(last[23]).toBe("America/Toronto");

    const portal = (await collect(await openCdrCsvExport({ scope: { tenantId: a.tenant.id, customerId: a.otherCustomer.id }, filter: { ...RANGE, customerId: a.customer.id } }))).join("");
    const portalLines = portal.trimEnd().split("\n");
    expect(portalLines[0]).toBe("start_at,answer_at,end_at,caller,callee,trunk,duration,billsec,billed_seconds,category,matched_prefix,price,status,disposition,time_zone");
    expect(portalLines).toHaveLength(13);
    expect(portal).not.toContain("a1-");
    // The 12 tied calls of customer 2 all start at T0 + 15 min.
    expect(portalLines.slice(1).every((line) => line.startsWith("2026-10-10 08:15:00.000-04:00,") && line.endsWith(",America/Toronto"))).toBe(true);
  });

  it("writes start, answer and end in the tenant's zone across the DST fall-back, the repeated hour told apart by its offset", async () => {
    const fileId = randomUUID();
    // Toronto goes from EDT (UTC-4) back to EST (UTC-5) at 06:00 UTC on 1 November 2026:
    // 01:30 local happens twice. A header-row CSV feed can carry milliseconds; they are kept.
    await pool().query(
      `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, answer_at, end_at, duration, billsec, caller, callee, customer_id, status, category, billed_seconds, price)
       VALUES ($1::uuid, $2::uuid, $3::uuid, 1, 'fall-back-1', '2026-11-01T05:30:00.000Z', '2026-11-01T05:30:04.250Z', '2026-11-01T06:00:04.250Z', 1804, 1800, '16135550100', '442071234567', $4::uuid, 'RATED', 'INTERNATIONAL', 1800, 1000),
              ($1::uuid, $2::uuid, $3::uuid, 2, 'fall-back-2', '2026-11-01T06:30:00.000Z', NULL, '2026-11-01T06:30:20.000Z', 20, 0, '16135550100', '442071234567', $4::uuid, 'UNANSWERED', NULL, NULL, NULL)`,
      [a.tenant.id, sourceA, fileId, a.customer.id],
    );
    await recordFiles([{ tenantId: a.tenant.id, sourceId: sourceA, fileId }]);
    try {
      const filter = { from: new Date("2026-11-01T00:00:00Z"), to: new Date("2026-11-02T00:00:00Z"), fileId };
      const adminExported = await openCdrCsvExport({ scope: { tenantId: a.tenant.id }, filter });
      const admin = (await collect(adminExported)).join("").trimEnd().split("\n");
      // The file name stays in the tenant's days: 00:00 UTC on 1 November is still 31 October in Toronto.
      expect(adminExported.fileName).toBe("calls-2026-10-31-to-2026-11-01.csv");
      expect(admin.slice(1).map((line) => line.split(",").slice(0, 3))).toEqual([
        ["2026-11-01 01:30:00.000-05:00", "", "2026-11-01 01:30:20.000-05:00"],
        ["2026-11-01 01:30:00.000-04:00", "2026-11-01 01:30:04.250-04:00", "2026-11-01 01:00:04.250-05:00"],
      ]);
      const portal = (await collect(await openCdrCsvExport({ scope: { tenantId: a.tenant.id, customerId: a.customer.id }, filter }))).join("").trimEnd().split("\n");
      expect(portal.slice(1).map((line) => line.split(",").slice(0, 3))).toEqual(admin.slice(1).map((line) => line.split(",").slice(0, 3)));
    } finally {
      await pool().query(`DELETE FROM cdrs WHERE tenant_id = $1 AND file_id = $2`, [a.tenant.id, fileId]);
      await pool().query(`DELETE FROM cdr_files WHERE tenant_id = $1 AND id = $2`, [a.tenant.id, fileId]);
    }
  });

  it("streams through the routes with X-Total-Rows, scoped by the session", async () => {
    session.auth = await loadAuthContext(a.customerAdmin.user.id);
    const query = `from=${RANGE.from.toISOString()}&to=${RANGE.to.toISOString()}&customerId=${a.otherCustomer.id}`;
    const portal = await portalExport(new Request(`http://localhost/api/portal/cdrs/export?${query}`));
    expect(portal.status).toBe(200);
    expect(portal.headers.get("x-total-rows")).toBe("30");
    expect(portal.headers.get("content-disposition")).toMatch(/^attachment; filename="calls-2026-09-30-to-2026-10-31\.csv"$/);
    expect((await portal.text()).trimEnd().split("\n")).toHaveLength(31);
    expect(portal.headers.get("x-time-zone")).toBe("America/Toronto");

    // A customer user is not staff; staff get field errors for a bad range.
    expect((await adminExport(new Request(`http://localhost/api/cdrs/export?${query}`))).status).toBe(403);
    session.auth = await loadAuthContext(a.admin.user.id);
    const bad = await adminExport(new Request("http://localhost/api/cdrs/export?from=2026-10-02T00:00:00Z&to=2026-10-01T00:00:00Z"));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { fieldErrors: Record<string, string[]> } }).error.fieldErrors).toHaveProperty("to");
    const admin = await adminExport(new Request(`http://localhost/api/cdrs/export?${query}`));
    expect(admin.headers.get("x-total-rows")).toBe("12");
    expect((await admin.text()).trimEnd().split("\n")).toHaveLength(13);
    expect(admin.headers.get("x-time-zone")).toBe("America/Toronto");
    // A download the browser abandons closes the cursor and frees its connection.
    const abandoned = await adminExport(new Request(`http://localhost/api/cdrs/export?${query}`));
    await abandoned.body?.cancel();
    session.auth = null;
  });

  it("exports 50,000 rows in many chunks, and stopping early releases the connection", async () => {
    const tenantId = a.tenant.id;
    const fileId = randomUUID();
    await pool().query(
      `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, caller, callee, customer_id, status, category, billed_seconds, price, cost)
       SELECT $1::uuid, $2::uuid, $3::uuid, g, 'bulk-' || g, '2026-08-01T00:00:00Z'::timestamptz + g * interval '1 second', 60, '1613555' || g, '4420' || lpad(g::text, 8, '0'),
              $4::uuid, 'RATED', 'INTERNATIONAL', 60, 1234567, 1000000
         FROM generate_series(1, 50000) g`,
      [tenantId, sourceA, fileId, a.customer.id],
    );
    await recordFiles([{ tenantId, sourceId: sourceA, fileId }]);
    const filter = { from: new Date("2026-08-01T00:00:00Z"), to: new Date("2026-09-01T00:00:00Z"), fileId };
    let chunks = 0;
    let lines = 0;
    let largest = 0;
    for await (const chunk of (await openCdrCsvExport({ scope: { tenantId }, filter })).chunks) {
      chunks++;
      largest = Math.max(largest, chunk.length);
      lines += chunk.split("\n").length - 1;
    }
    expect(lines).toBe(50_001);
    // Header + one chunk per FETCH of 5,000: each chunk is a bounded slice, never the whole export.
    expect(chunks).toBe(11);
    expect(largest).toBeLessThan(5000 * 400);
    expect((await cdrTotals({ scope: { tenantId }, filter })).price).toBe(50_000n * 1_234_567n);

    const idleBefore = pool().idleCount + (pool().options.max ?? 10) - pool().totalCount;
    const { chunks: generator } = await openCdrCsvExport({ scope: { tenantId }, filter });
    await generator.next();
    await generator.next();
    await generator.return(undefined);
    const idleAfter = pool().idleCount + (pool().options.max ?? 10) - pool().totalCount;
    expect(idleAfter).toBe(idleBefore);
    // The cursor's transaction is closed: the connection is usable for the next query.
    expect((await cdrTotals({ scope: { tenantId }, filter })).calls).toBe(50_000);
  });

  it("takes only connections the pool can spare: one export too many is refused before a byte is sent", async () => {
    const scope = { tenantId: a.tenant.id, customerId: a.customer.id };
    const open: AsyncGenerator<string>[] = [];
    // Warm: a spare connection has 1 s to come, and a cold one can take longer on a busy machine.
    await Promise.all(Array.from({ length: pool().options.max ?? 10 }, () => pool().connect())).then((clients) => clients.forEach((client) => client.release()));
    try {
      for (;;) {
        const started = await openCdrCsvExport({ scope, filter: RANGE }).catch((error: unknown) => error);
        if (!(started instanceof Object && "chunks" in started)) {
          expect(started).toMatchObject({ code: "TOO_MANY_REQUESTS" });
          break;
        }
        open.push((started as TCdrCsvExport).chunks);
        expect(open.length).toBeLessThan(pool().options.max ?? 10);
      }
      // Three connections stay for requests and jobs, whatever the exports do.
      expect(open.length).toBe((pool().options.max ?? 10) - 3);
      expect((await cdrTotals({ scope, filter: RANGE })).calls).toBe(30);
      session.auth = await loadAuthContext(a.customerAdmin.user.id);
      const refused = await portalExport(new Request(`http://localhost/api/portal/cdrs/export?from=${RANGE.from.toISOString()}&to=${RANGE.to.toISOString()}`));
      expect(refused.status).toBe(429);
    } finally {
      session.auth = null;
      for (const generator of open) await generator.return(undefined);
    }
    // All given back: the next export opens and reads to the end.
    expect((await collect(await openCdrCsvExport({ scope, filter: RANGE }))).join("").trimEnd().split("\n")).toHaveLength(31);
  });

  it("ends an export whose reader stops reading, and the pool carries on without its connection", async () => {
    const scope = { tenantId: a.tenant.id };
    const exportsBefore = await pool().query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE query LIKE 'DECLARE cdr_export%' OR query LIKE 'FETCH % FROM cdr_export'");
    const { chunks: stalled } = await openCdrCsvExport({ scope, filter: RANGE, fetchRows: 5, readerIdleLimit: "300ms" });
    expect((await stalled.next()).value).toMatch(/^start_at,/);
    // Wait until the server has ended the export's backend (300 ms idle), however slow the machine.
    const known = new Set(exportsBefore.rows.map((row) => row.pid));
    await expect
      .poll(async () => (await pool().query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE query LIKE 'DECLARE cdr_export%' OR query LIKE 'FETCH % FROM cdr_export'")).rows.filter((row) => !known.has(row.pid)).length, { timeout: 10_000 })
      .toBe(0);
    // The server ended the idle transaction: the reader coming back gets the error (the body
    // aborts: no short file that looks complete), and the broken connection left the pool.
    await expect(stalled.next()).rejects.toThrow(/terminating connection|Connection terminated|not queryable/);
    expect((await cdrTotals({ scope, filter: RANGE })).calls).toBe(43);
    expect((await collect(await openCdrCsvExport({ scope, filter: RANGE }))).join("").trimEnd().split("\n")).toHaveLength(44);
  });
  it("gives the connection back when nobody ever reads the export (a HEAD, a client gone before the response)", async () => {
    const scope = { tenantId: a.tenant.id };
    const room = poolRoom();
    const unread = await openCdrCsvExport({ scope, filter: RANGE, readerIdleLimit: "300ms" });
    expect(unread.total).toBe(43);
    expect(poolRoom()).toBe(room - 1);
    // Nothing pulls the chunks: the server ends the idle transaction, and that gives the connection back.
    await expect.poll(poolRoom, { timeout: 10_000 }).toBe(room);
    await expect(unread.chunks.next()).rejects.toThrow(/terminating connection|Connection terminated/);
    expect((await cdrTotals({ scope, filter: RANGE })).calls).toBe(43);
  });

  it("ends the export when the request is aborted, and does not serve HEAD", async () => {
    const room = poolRoom();
    const request = new AbortController();
    const left = await openCdrCsvExport({ scope: { tenantId: a.tenant.id }, filter: RANGE, signal: request.signal });
    expect(poolRoom()).toBe(room - 1);
    request.abort();
    await expect.poll(poolRoom, { timeout: 5_000 }).toBe(room);
    expect(await left.chunks.next()).toEqual({ done: true, value: undefined });

    // Next.js would run GET for a HEAD and drop the body: the routes answer it themselves.
    for (const head of [adminExportHead, portalExportHead]) {
      const response = head();
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET");
    }
    expect(poolRoom()).toBe(room);
  });

  it("counts the rows it streams on the same snapshot, whatever is stored meanwhile", async () => {
    const scope = { tenantId: a.tenant.id };
    const exported = await openCdrCsvExport({ scope, filter: RANGE, fetchRows: 5 });
    expect(exported.total).toBe(43);
    // A batch of an ingest commits calls of the range after the count, before the first FETCH.
    const late = { tenantId: a.tenant.id, sourceId: sourceA, fileId: randomUUID(), startAt: at(40), customerId: a.customer.id, callee: "442071234999" };
    await insertCalls([{ ...late, recordKey: "late-1" }, { ...late, recordKey: "late-2" }]);
    try {
      const lines = (await collect(exported)).join("").trimEnd().split("\n");
      expect(lines).toHaveLength(1 + exported.total);
      expect(lines.some((line) => line.includes("late-"))).toBe(false);
    } finally {
      await pool().query(`DELETE FROM cdrs WHERE tenant_id = $1 AND record_key LIKE 'late-%'`, [a.tenant.id]);
    }
  });
});
