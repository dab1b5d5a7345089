import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { TRPCError } from "@trpc/server";
import type { TAuthContext } from "@/server/auth/context";
import { loadAuthContext } from "@/server/auth/context";
import { db, pool } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { cdrTimeline, cdrTotals, searchCdrs, type TCdrFilterInput, type TCdrScope } from "@/server/cdr/search";
import { openCdrCsvExport } from "@/server/cdr/export";
import { rebuildTrafficTotals } from "@/server/cdr/traffic-totals";
import { callerAs, createWorld } from "../support/factories";

/**
 * The Calls search's caller and callee-prefix filters read numbers as people type them, with
 * the tenant's dialling plan, as "Price a call" and rating do: admin and portal search, totals,
 * the chart and both CSV exports alike.
 */

// The export routes read the session; the test decides who is signed in.
const session = vi.hoisted(() => ({ auth: null as TAuthContext | null }));
vi.mock("@/server/auth/session", () => ({ currentAuth: () => Promise.resolve(session.auth) }));
const { GET: adminExport } = await import("@/app/api/cdrs/export/route");
const { GET: portalExport } = await import("@/app/api/portal/cdrs/export/route");

type TWorld = Awaited<ReturnType<typeof createWorld>>;
/** A stored call: caller and callee as ingest stores them (E.164 digits, a short code as dialled). */
type TStored = { key: string; caller: string; callee: string; customerId: string };

const RANGE = { from: new Date("2026-10-01T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") };

let nanp: TWorld;
let other: TWorld;
let uk: TWorld;

async function store(world: TWorld, calls: TStored[]): Promise<void> {
  const source = await db().cdrSource.create({ data: { tenantId: world.tenant.id, name: "Switch", format: "asterisk", timeZone: "UTC" } });
  const rows = calls.map((call, index) => ({ ...call, line: index + 1, start_at: new Date(Date.UTC(2026, 9, 10, 12, index)).toISOString() }));
  await pool().query(
    `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, duration, billsec, caller, callee, customer_id, status, category, billed_seconds, price)
     SELECT $1::uuid, $2::uuid, $3::uuid, r.line, r.key, r.start_at, 60, 60, r.caller, r.callee, r."customerId", 'RATED', 'INTERNATIONAL', 60, 1000
       FROM jsonb_to_recordset($4::jsonb) AS r(line int, key text, start_at timestamptz, caller text, callee text, "customerId" uuid)`,
    [world.tenant.id, source.id, randomUUID(), JSON.stringify(rows)],
  );
  await rebuildTrafficTotals(pool(), world.tenant.id);
}

beforeAll(async () => {
  nanp = await createWorld("Numbers NANP");
  other = await createWorld("Numbers other tenant");
  uk = await createWorld("Numbers UK");
  // A UK dialling plan: 00 for abroad, 0 + 10 digits at home.
  await db().tenant.update({ where: { id: uk.tenant.id }, data: { countryCode: "44", internationalPrefixes: ["00"], nationalNumberLength: 10, nationalTrunkPrefix: "0" } });
  const mine = nanp.customer.id;
  await store(nanp, [
    { key: "denver", caller: "13035550199", callee: "13035550100", customerId: mine },
    { key: "denver-2", caller: "17205550111", callee: "13035559999", customerId: nanp.otherCustomer.id },
    { key: "ottawa", caller: "13035550100", callee: "16135550100", customerId: mine },
    { key: "london", caller: "16135550123", callee: "442079460000", customerId: mine },
    { key: "uk-mobile", caller: "16135550124", callee: "447700900123", customerId: mine },
    { key: "berlin", caller: "16135550125", callee: "4930123456", customerId: mine },
    { key: "area-447", caller: "16135550126", callee: "14475550100", customerId: mine },
    { key: "short-911", caller: "16135550127", callee: "911", customerId: mine },
    // A caller rating could not read, stored as received.
    { key: "anonymous", caller: "anonymous", callee: "16135550199", customerId: mine },
  ]);
  // Another tenant with the same numbers: never in the first one's results.
  await store(other, [
    { key: "other-denver", caller: "13035550199", callee: "13035550100", customerId: other.customer.id },
    { key: "other-london", caller: "16135550123", callee: "442079460000", customerId: other.customer.id },
  ]);
  await store(uk, [
    { key: "uk-london", caller: "442079460001", callee: "442079460000", customerId: uk.customer.id },
    { key: "uk-mobile", caller: "442079460002", callee: "447700900123", customerId: uk.customer.id },
    { key: "uk-ottawa", caller: "442079460003", callee: "16135550100", customerId: uk.customer.id },
  ]);
});

async function keys(world: TWorld, filter: TCdrFilterInput, scope: TCdrScope = { tenantId: world.tenant.id }): Promise<string[]> {
  return (await searchCdrs({ scope, filter: { ...RANGE, ...filter }, limit: 100 })).rows.map((row) => row.recordKey).sort();
}

/** Each input, as the callee prefix, finds exactly these calls of the world's tenant. */
async function expectCalleePrefixes(world: TWorld, cases: [typed: string, expected: string[]][]): Promise<void> {
  for (const [typed, expected] of cases) expect(await keys(world, { calleePrefix: typed }), typed).toEqual(expected);
}

async function fieldErrorOf(promise: Promise<unknown>): Promise<Record<string, string[]> | undefined> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe("INVALID_INPUT");
  return (error as AppError).fieldErrors;
}

describe("callee prefix under a NANP plan", () => {
  it("finds a complete number however it is written", async () => {
    for (const typed of ["3035550100", "(303) 555-0100", "303.555.0100", "303/555 0100", "+1 303-555-0100", "1 303 555 0100", "13035550100", "011 1 303 555 0100"]) {
      expect(await keys(nanp, { calleePrefix: typed }), typed).toEqual(["denver"]);
    }
    for (const typed of ["011 44 20 7946 0000", "+44 20 7946 0000", "442079460000", "011-44-20-7946-0000"]) {
      expect(await keys(nanp, { calleePrefix: typed }), typed).toEqual(["london"]);
    }
  });

  it("reads a partial number as the start of an E.164 number", async () => {
    const cases: [string, string[]][] = [
      // National: the country code goes in front.
      ["303555", ["denver", "denver-2"]],
      ["(303) 555", ["denver", "denver-2"]],
      ["303", ["denver", "denver-2"]],
      ["447", ["area-447"]],
      // Already beginning with the country code (no NANP area code begins with 1).
      ["1303555", ["denver", "denver-2"]],
      ["1 (303)", ["denver", "denver-2"]],
      // International, with "+" or the exit code.
      ["+4420", ["london"]],
      ["+44 20", ["london"]],
      ["011 4420", ["london"]],
      ["0114420", ["london"]],
      ["01144", ["london", "uk-mobile"]],
      ["+447", ["uk-mobile"]],
      ["+49", ["berlin"]],
      ["+1303", ["denver", "denver-2"]],
      // After "+", the digits as stored: the way to a short code.
      ["+911", ["short-911"]],
      ["911", []],
      ["4420", []],
    ];
    await expectCalleePrefixes(nanp, cases);
  });

  it("refuses letters and the exit code alone with a field error naming the filter", async () => {
    const scope = { tenantId: nanp.tenant.id };
    for (const typed of ["303-ABC", "1-800-FLOWERS", "44*20", "99#303", "12+3"]) {
      const errors = await fieldErrorOf(searchCdrs({ scope, filter: { ...RANGE, calleePrefix: typed } }));
      expect(errors?.calleePrefix?.[0], typed).toMatch(/^Callee prefix: not a phone number/);
    }
    expect((await fieldErrorOf(searchCdrs({ scope, filter: { ...RANGE, calleePrefix: "011" } })))?.calleePrefix?.[0]).toMatch(/^Callee prefix: 011 is the international prefix/);
    expect((await fieldErrorOf(searchCdrs({ scope, filter: { ...RANGE, calleePrefix: "( - )" } })))?.calleePrefix?.[0]).toMatch(/^Callee prefix: enter some digits/);
    expect((await fieldErrorOf(searchCdrs({ scope, filter: { ...RANGE, calleePrefix: "+1234567890123456" } })))?.calleePrefix?.[0]).toMatch(/^Callee prefix: too long/);
    // Totals, the chart and the export refuse it the same way (nothing is read).
    expect(await fieldErrorOf(cdrTotals({ scope, filter: { ...RANGE, calleePrefix: "abc" } }))).toHaveProperty("calleePrefix");
    expect(await fieldErrorOf(cdrTimeline({ scope, filter: { ...RANGE, calleePrefix: "abc" } }))).toHaveProperty("calleePrefix");
    expect(await fieldErrorOf(openCdrCsvExport({ scope, filter: { ...RANGE, calleePrefix: "abc" } }))).toHaveProperty("calleePrefix");
  });

  it("comes back through tRPC as a BAD_REQUEST whose field errors name calleePrefix", async () => {
    const admin = await callerAs(nanp.admin.user.id);
    const error = await admin.cdrs.search({ filter: { ...RANGE, calleePrefix: "44 twenty" } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect(((error as TRPCError).cause as AppError).fieldErrors).toHaveProperty("calleePrefix");
    expect((await admin.cdrs.search({ filter: { ...RANGE, calleePrefix: "(303) 555-0100" } })).rows.map((row) => row.recordKey)).toEqual(["denver"]);
  });
});

describe("caller under a NANP plan", () => {
  it("matches a complete number however it is written, and a part of one as its digits", async () => {
    for (const typed of ["(303) 555-0199", "+1 303 555 0199", "303.555.0199", "13035550199", "011 1 303 555 0199"]) {
      expect(await keys(nanp, { caller: typed }), typed).toEqual(["denver"]);
    }
    // A part may come from anywhere in the number: its digits, punctuation dropped.
    expect(await keys(nanp, { caller: "555-0123" })).toEqual(["london"]);
    expect(await keys(nanp, { caller: "(720)" })).toEqual(["denver-2"]);
    expect(await keys(nanp, { caller: "+1 720" })).toEqual(["denver-2"]);
    // "303 555 0100" is the complete 13035550100: not the callers merely containing 3035550.
    expect(await keys(nanp, { caller: "303 555 0100" })).toEqual(["ottawa"]);
  });

  it("matches a caller typed with letters as typed: callers rating could not read are stored as received", async () => {
    expect(await keys(nanp, { caller: "anonymous" })).toEqual(["anonymous"]);
    expect(await keys(nanp, { caller: "nonym" })).toEqual(["anonymous"]);
    expect(await keys(nanp, { caller: "Bob" })).toEqual([]);
    // Symbols that are no part of a number are still refused.
    const errors = await fieldErrorOf(searchCdrs({ scope: { tenantId: nanp.tenant.id }, filter: { ...RANGE, caller: "555*01" } }));
    expect(errors?.caller?.[0]).toMatch(/^Caller: not a phone number \(unexpected "\*"\)/);
  });
});

describe("callee prefix and caller under a UK plan (00 abroad, 0 at home)", () => {
  it("reads the trunk prefix and the 00 exit code as rating does", async () => {
    const cases: [string, string[]][] = [
      ["020 7946 0000", ["uk-london"]],
      ["+44 20 7946 0000", ["uk-london"]],
      ["0207946", ["uk-london"]],
      ["(020) 79", ["uk-london"]],
      ["07700 900", ["uk-mobile"]],
      ["0", ["uk-london", "uk-mobile"]],
      ["2079", ["uk-london"]],
      ["4420", ["uk-london"]],
      ["00 1 613", ["uk-ottawa"]],
      ["001", ["uk-ottawa"]],
      ["+1", ["uk-ottawa"]],
    ];
    await expectCalleePrefixes(uk, cases);
    expect((await fieldErrorOf(searchCdrs({ scope: { tenantId: uk.tenant.id }, filter: { ...RANGE, calleePrefix: "00" } })))?.calleePrefix?.[0]).toMatch(/^Callee prefix: 00 is/);
    expect(await keys(uk, { caller: "020 7946 0002" })).toEqual(["uk-mobile"]);
  });
});

describe("the same rule everywhere, within the tenant", () => {
  it("never reaches another tenant's calls with the same numbers", async () => {
    expect(await keys(nanp, { calleePrefix: "(303) 555-0100" })).toEqual(["denver"]);
    expect(await keys(other, { calleePrefix: "(303) 555-0100" })).toEqual(["other-denver"]);
    expect(await keys(other, { calleePrefix: "011 44" })).toEqual(["other-london"]);
    expect(await keys(other, { caller: "(303) 555-0199" })).toEqual(["other-denver"]);
    expect(await keys(nanp, { calleePrefix: "(303) 555-0100" }, { tenantId: nanp.tenant.id, customerId: other.customer.id })).toEqual([]);
  });

  it("gives totals and the chart the calls the search lists, from the calls", async () => {
    const scope = { tenantId: nanp.tenant.id };
    const filter = { ...RANGE, calleePrefix: "(303) 555" };
    const totals = await cdrTotals({ scope, filter });
    expect(totals.calls).toBe(2);
    expect(totals).toEqual(await cdrTotals({ scope, filter, sumsFrom: "calls" }));
    const chart = await cdrTimeline({ scope, filter });
    expect(chart.points.reduce((sum, point) => sum + point.answered, 0)).toBe(2);
    expect((await cdrTotals({ scope, filter: { ...RANGE, caller: "+1 720" } })).calls).toBe(1);
  });

  it("reads the portal's search and totals with the same rule, within the customer's own calls", async () => {
    const owner = await callerAs(nanp.customerAdmin.user.id);
    const filter = { ...RANGE, calleePrefix: "(303) 555" };
    expect((await owner.cdrs.portalSearch({ filter })).rows.map((row) => row.recordKey)).toEqual(["denver"]);
    expect((await owner.cdrs.portalTotals({ filter })).calls).toBe(1);
    expect((await owner.cdrs.portalSearch({ filter: { ...RANGE, caller: "+1 303 555 0199" } })).rows.map((row) => row.recordKey)).toEqual(["denver"]);
    const error = await owner.cdrs.portalSearch({ filter: { ...RANGE, caller: "555#" } }).catch((caught: unknown) => caught);
    expect(((error as TRPCError).cause as AppError).fieldErrors).toHaveProperty("caller");
  });

  it("exports the same calls through the admin and portal CSV routes, and refuses a bad number there with a 400", async () => {
    const query = (filter: Record<string, string>) => new URLSearchParams({ from: RANGE.from.toISOString(), to: RANGE.to.toISOString(), ...filter }).toString();
    try {
      session.auth = await loadAuthContext(nanp.admin.user.id);
      const admin = await adminExport(new Request(`http://localhost/api/cdrs/export?${query({ calleePrefix: "+1 (303) 555" })}`));
      expect(admin.status).toBe(200);
      expect(admin.headers.get("x-total-rows")).toBe("2");
      const adminLines = (await admin.text()).trimEnd().split("\n").slice(1);
      expect(adminLines.map((line) => line.split(",")[4]).sort()).toEqual(["13035550100", "13035559999"]);
      const byCaller = await adminExport(new Request(`http://localhost/api/cdrs/export?${query({ caller: "(720) 555" })}`));
      expect(byCaller.headers.get("x-total-rows")).toBe("1");
      await byCaller.body?.cancel();
      const bad = await adminExport(new Request(`http://localhost/api/cdrs/export?${query({ calleePrefix: "44 twenty" })}`));
      expect(bad.status).toBe(400);
      const body = (await bad.json()) as { error: { fieldErrors: Record<string, string[]> } };
      expect(body.error.fieldErrors.calleePrefix?.[0]).toMatch(/^Callee prefix: not a phone number/);

      session.auth = await loadAuthContext(nanp.customerAdmin.user.id);
      const portal = await portalExport(new Request(`http://localhost/api/portal/cdrs/export?${query({ calleePrefix: "(303) 555" })}`));
      expect(portal.status).toBe(200);
      expect(portal.headers.get("x-total-rows")).toBe("1");
      expect((await portal.text()).trimEnd().split("\n").slice(1).map((line) => line.split(",")[4])).toEqual(["13035550100"]);
      const portalBad = await portalExport(new Request(`http://localhost/api/portal/cdrs/export?${query({ caller: "555#" })}`));
      expect(portalBad.status).toBe(400);
      expect(((await portalBad.json()) as { error: { fieldErrors: Record<string, string[]> } }).error.fieldErrors).toHaveProperty("caller");
    } finally {
      session.auth = null;
    }
  });
});
