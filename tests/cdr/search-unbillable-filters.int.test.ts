import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { TAuthContext } from "@/server/auth/context";
import { loadAuthContext } from "@/server/auth/context";
import { db, pool } from "@/server/db/client";
import { cdrTimeline, cdrTotals, NO_CUSTOMER, searchCdrs, type TCdrFilterInput } from "@/server/cdr/search";
import { openCdrCsvExport } from "@/server/cdr/export";
import { rebuildTrafficTotals } from "@/server/cdr/traffic-totals";
import { callerAs, createWorld } from "../support/factories";

/**
 * The filters behind the unbillable queue's "View calls" links (account code, unbillable reason,
 * calls of no customer) and the file each call came from: staff only, never a customer's.
 */

// The export routes read the session; the test decides who is signed in.
const session = vi.hoisted(() => ({ auth: null as TAuthContext | null }));
vi.mock("@/server/auth/session", () => ({ currentAuth: () => Promise.resolve(session.auth) }));
const { GET: adminExport } = await import("@/app/api/cdrs/export/route");
const { GET: portalExport } = await import("@/app/api/portal/cdrs/export/route");

type TWorld = Awaited<ReturnType<typeof createWorld>>;
type TCall = {
  key: string;
  minute: number;
  accountCode: string | null;
  customerId: string | null;
  status: "RATED" | "UNANSWERED" | "UNBILLABLE";
  reason?: string;
};

const T0 = new Date("2026-10-12T15:00:00.000Z");
const RANGE = { from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") };
let world: TWorld;
let other: TWorld;
let fileId: string;

async function insertCalls(tenantId: string, sourceId: string, file: string, calls: TCall[]): Promise<void> {
  await pool().query(
    `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, caller, callee, account_code, customer_id,
                       status, unbillable_reason, category, billed_seconds, price)
     SELECT $1::uuid, $2::uuid, $3::uuid, u.line, u.key, u.start_at, CASE WHEN u.status = 'UNANSWERED' THEN 0 ELSE 60 END, '16135550100', '442071234567',
            u.account_code, u.customer_id, u.status::"CdrStatus", u.reason,
            CASE WHEN u.status = 'RATED' THEN 'INTERNATIONAL'::"RateCategory" END, CASE WHEN u.status = 'RATED' THEN 60 END, CASE WHEN u.status = 'RATED' THEN 1000 END
       FROM unnest($4::int[], $5::text[], $6::timestamptz[], $7::text[], $8::uuid[], $9::text[], $10::text[]) AS u(line, key, start_at, account_code, customer_id, status, reason)`,
    [
      tenantId,
      sourceId,
      file,
      calls.map((_, index) => index + 1),
      calls.map((call) => call.key),
      calls.map((call) => new Date(T0.getTime() + call.minute * 60_000)),
      calls.map((call) => call.accountCode),
      calls.map((call) => call.customerId),
      calls.map((call) => call.status),
      calls.map((call) => call.reason ?? null),
    ],
  );
  await pool().query(
    `INSERT INTO cdr_files (id, tenant_id, source_id, file_name, remote_path, size, sha256, status, calls_stored, first_call_at, last_call_at)
     SELECT $1::uuid, $2::uuid, $3::uuid, 'Master-20261012.csv', 'upload:Master-20261012.csv', 0, encode(sha256($1::text::bytea), 'hex'), 'DONE', count(*), min(start_at), max(start_at)
       FROM cdrs WHERE tenant_id = $2::uuid AND file_id = $1::uuid`,
    [file, tenantId, sourceId],
  );
  await rebuildTrafficTotals(pool(), tenantId);
}

beforeAll(async () => {
  world = await createWorld("Unbillable links");
  other = await createWorld("Unbillable links elsewhere");
  const source = (await db().cdrSource.create({ data: { tenantId: world.tenant.id, name: "Switch", format: "asterisk", timeZone: "UTC" } })).id;
  const otherSource = (await db().cdrSource.create({ data: { tenantId: other.tenant.id, name: "Switch", format: "asterisk", timeZone: "UTC" } })).id;
  fileId = randomUUID();
  await insertCalls(world.tenant.id, source, fileId, [
    // An account code nobody owns: unbillable, and an unanswered attempt of the same code.
    { key: "u-1", minute: 0, accountCode: "pbx-7", customerId: null, status: "UNBILLABLE", reason: "unknown account" },
    { key: "u-2", minute: 1, accountCode: "pbx-7", customerId: null, status: "UNBILLABLE", reason: "unknown account" },
    { key: "u-3", minute: 2, accountCode: "pbx-7", customerId: null, status: "UNANSWERED" },
    // Another code, and a case variant: the filter is the stored code exactly.
    { key: "u-4", minute: 3, accountCode: "pbx-70", customerId: null, status: "UNBILLABLE", reason: "unknown account" },
    { key: "u-5", minute: 4, accountCode: "PBX-7", customerId: null, status: "UNBILLABLE", reason: "unknown account" },
    // A customer's calls: one without a rate, one rated.
    { key: "c-1", minute: 5, accountCode: "alice-1", customerId: world.customer.id, status: "UNBILLABLE", reason: "no rate for prefix" },
    { key: "c-2", minute: 6, accountCode: "alice-1", customerId: world.customer.id, status: "RATED" },
  ]);
  // Another tenant's calls of the same code: never in this tenant's results.
  await insertCalls(other.tenant.id, otherSource, randomUUID(), [
    { key: "o-1", minute: 0, accountCode: "pbx-7", customerId: null, status: "UNBILLABLE", reason: "unknown account" },
  ]);
});

async function keysOf(filter: TCdrFilterInput, scope: { tenantId: string; customerId?: string } = { tenantId: world.tenant.id }): Promise<string[]> {
  return (await searchCdrs({ scope, filter, limit: 500 })).rows.map((row) => row.recordKey).sort();
}

describe("filters for the unbillable queue's links", () => {
  it("finds a group's calls by its exact account code, and its unbillable ones with the status", async () => {
    expect(await keysOf({ ...RANGE, accountCode: "pbx-7" })).toEqual(["u-1", "u-2", "u-3"]);
    expect(await keysOf({ ...RANGE, accountCode: "pbx-7", status: "UNBILLABLE" })).toEqual(["u-1", "u-2"]);
    expect(await keysOf({ ...RANGE, accountCode: "pbx" })).toEqual([]);
    // The totals and the chart count the same calls.
    const filter = { ...RANGE, accountCode: "pbx-7", status: "UNBILLABLE" as const };
    expect(await cdrTotals({ scope: { tenantId: world.tenant.id }, filter })).toMatchObject({ calls: 2, unbillable: 2, rated: 0 });
    const chart = await cdrTimeline({ scope: { tenantId: world.tenant.id }, filter });
    expect(chart.points.reduce((sum, point) => sum + point.answered + point.unanswered, 0)).toBe(2);
  });

  it("finds the unbillable calls of a reason, alone or with a customer or the calls of no customer", async () => {
    expect(await keysOf({ ...RANGE, unbillableReason: "unknown account" })).toEqual(["u-1", "u-2", "u-4", "u-5"]);
    expect(await keysOf({ ...RANGE, unbillableReason: "no rate for prefix", customerId: world.customer.id })).toEqual(["c-1"]);
    // A reason is an unbillable call's: asking for rated calls of it finds none.
    expect(await keysOf({ ...RANGE, unbillableReason: "no rate for prefix", status: "RATED" })).toEqual([]);
    expect(await keysOf({ ...RANGE, customerId: NO_CUSTOMER })).toEqual(["u-1", "u-2", "u-3", "u-4", "u-5"]);
    expect(await keysOf({ ...RANGE, customerId: NO_CUSTOMER, status: "UNBILLABLE", unbillableReason: "unknown account", accountCode: "pbx-70" })).toEqual(["u-4"]);
    expect((await cdrTotals({ scope: { tenantId: world.tenant.id }, filter: { ...RANGE, unbillableReason: "unknown account" } })).calls).toBe(4);
  });

  it("reaches the staff's CSV export through its query string", async () => {
    session.auth = await loadAuthContext(world.admin.user.id);
    try {
      const query = `from=${RANGE.from.toISOString()}&to=${RANGE.to.toISOString()}&status=UNBILLABLE&unbillableReason=${encodeURIComponent("unknown account")}&accountCode=pbx-7`;
      const response = await adminExport(new Request(`http://localhost/api/cdrs/export?${query}`));
      expect(response.status).toBe(200);
      expect(response.headers.get("x-total-rows")).toBe("2");
      const lines = (await response.text()).trimEnd().split("\n");
      expect(lines).toHaveLength(3);
      expect(lines.slice(1).every((line) => line.includes("pbx-7") && line.includes("unknown account"))).toBe(true);
    } finally {
      session.auth = null;
    }
  });

  it("refuses an account code or a reason in a customer's scope, in the search, totals, chart and CSV", async () => {
    const owner = await callerAs(world.customerAdmin.user.id);
    for (const restriction of [{ accountCode: "alice-1" }, { unbillableReason: "no rate for prefix" }]) {
      const filter = { ...RANGE, ...restriction };
      await expect(owner.cdrs.portalSearch({ filter }), JSON.stringify(restriction)).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(owner.cdrs.portalTotals({ filter })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(owner.cdrs.portalTimeline({ filter })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(openCdrCsvExport({ scope: { tenantId: world.tenant.id, customerId: world.customer.id }, filter })).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    session.auth = await loadAuthContext(world.customerAdmin.user.id);
    try {
      const query = `from=${RANGE.from.toISOString()}&to=${RANGE.to.toISOString()}&unbillableReason=${encodeURIComponent("no rate for prefix")}`;
      expect((await portalExport(new Request(`http://localhost/api/portal/cdrs/export?${query}`))).status).toBe(403);
    } finally {
      session.auth = null;
    }
    // "No customer" is a customer filter: a customer's own customer wins over it, as over any other.
    expect((await owner.cdrs.portalSearch({ filter: { ...RANGE, customerId: NO_CUSTOMER }, limit: 500 })).rows.map((row) => row.recordKey).sort()).toEqual(["c-1", "c-2"]);
  });

  it("keeps other tenants' calls out whatever the filter", async () => {
    expect(await keysOf({ ...RANGE, accountCode: "pbx-7" }, { tenantId: other.tenant.id })).toEqual(["o-1"]);
    const staff = await callerAs(other.admin.user.id);
    expect((await staff.cdrs.search({ filter: { ...RANGE, customerId: NO_CUSTOMER, unbillableReason: "unknown account" } })).rows.map((row) => row.recordKey)).toEqual(["o-1"]);
  });
});

describe("the file a call came from", () => {
  it("names each call's file, line and account code to staff, and to a customer none of them", async () => {
    const staff = await callerAs(world.admin.user.id);
    const staffRow = (await staff.cdrs.search({ filter: { ...RANGE, accountCode: "alice-1", status: "RATED" } })).rows[0];
    expect(staffRow).toMatchObject({ recordKey: "c-2", fileId, fileName: "Master-20261012.csv", line: 7, accountCode: "alice-1" });

    const owner = await callerAs(world.customerAdmin.user.id);
    const rows = (await owner.cdrs.portalSearch({ filter: RANGE, limit: 500 })).rows;
    expect(rows.map((row) => row.recordKey).sort()).toEqual(["c-1", "c-2"]);
    expect(rows.every((row) => row.fileId === null && row.fileName === null && row.line === null && row.accountCode === null)).toBe(true);
  });

  it("names the filter's file to staff of its tenant only", async () => {
    const staff = await callerAs(world.admin.user.id);
    expect(await staff.cdrs.filterSelection({ fileId })).toEqual({ customer: null, trunk: null, file: { id: fileId, fileName: "Master-20261012.csv" } });
    expect((await (await callerAs(other.admin.user.id)).cdrs.filterSelection({ fileId })).file).toBeNull();
    expect((await (await callerAs(world.customerAdmin.user.id)).cdrs.portalFilterSelection({ fileId })).file).toBeNull();
  });
});
