import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { uploadCdrFile } from "@/server/cdr/upload";
import { priceCallTool } from "@/server/rating/price-call";
import { getDiallingPlan, updateDiallingPlan, type TDiallingPlan } from "@/server/tenants/dialling-plan";
import { callerAs, createWorld } from "../support/factories";
import { ACTOR, createBillingTenant, withJobRunner } from "../cdr/ingest-support";

const runner = withJobRunner();

const UK: TDiallingPlan = { countryCode: "44", internationalPrefixes: ["00"], nationalNumberLength: 10, nationalTrunkPrefix: "0", techPrefixes: [] };
const NANP_DEFAULT: TDiallingPlan = { countryCode: "1", internationalPrefixes: ["011"], nationalNumberLength: 10, nationalTrunkPrefix: "", techPrefixes: [] };

function asteriskLine(account: string, callee: string, start: string, billsec: number, key: string): string {
  return `"${account}","6135550101","${callee}","from-internal","""Caller"" <6135550101>","SIP/t-1","SIP/c-1","Dial","SIP/c/${callee}","${start}","${start}","${start}",${billsec + 1},${billsec},"ANSWERED","DOCUMENTATION","${key}",""`;
}

async function storedCall(tenantId: string, key: string) {
  const result = await pool().query(`SELECT callee, status, unbillable_reason, matched_prefix, price::text FROM cdrs WHERE tenant_id = $1 AND record_key = $2`, [tenantId, key]);
  return result.rows[0];
}

describe("a tenant's dialling plan", () => {
  it("starts as the NANP plan with no trunk prefix, and the database refuses a trunk prefix that is not digits", async () => {
    const world = await createWorld();
    expect((await getDiallingPlan({ tenantId: world.tenant.id })).plan).toEqual(NANP_DEFAULT);
    for (const value of ["0a", "+0", " 0", "00000"]) {
      await expect(pool().query(`UPDATE tenants SET national_trunk_prefix = $1 WHERE id = $2`, [value, world.tenant.id]), value).rejects.toMatchObject({
        code: "23514",
        constraint: "tenants_national_trunk_prefix_digits",
      });
    }
  });

  it("refuses an invalid plan with errors that name each field, and changes nothing", async () => {
    const world = await createWorld();
    const tenantId = world.tenant.id;
    const refused = (patch: Partial<TDiallingPlan>) => updateDiallingPlan({ tenantId, actor: ACTOR, input: { ...UK, ...patch } }).catch((error: unknown) => error);
    expect(await refused({ nationalTrunkPrefix: "0a" })).toMatchObject({
      code: "INVALID_INPUT",
      message: 'National trunk prefix must be digits, got "0a"',
      fieldErrors: { nationalTrunkPrefix: ['National trunk prefix must be digits, got "0a"'] },
    });
    expect(await refused({ countryCode: "4444" })).toMatchObject({ fieldErrors: { countryCode: ['Country code must be 1 to 3 digits, got "4444"'] } });
    expect(await refused({ nationalNumberLength: 20 })).toMatchObject({ fieldErrors: { nationalNumberLength: ["National number length must be an integer from 4 to 14, got 20"] } });
    expect(await refused({ internationalPrefixes: ["00", "x1"] })).toMatchObject({ fieldErrors: { internationalPrefixes: ['International prefixes must be digits, got "x1"'] } });
    expect(await refused({ nationalTrunkPrefix: "00" })).toMatchObject({ fieldErrors: { nationalTrunkPrefix: [expect.stringContaining("would never apply")] } });

    // Through the API too: the admin's form gets the field, not a generic failure.
    const admin = await callerAs(world.admin.user.id);
    const error = await admin.tenant.updateDiallingPlan({ ...UK, nationalTrunkPrefix: "0a" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "BAD_REQUEST", message: 'National trunk prefix must be digits, got "0a"' });
    expect((await admin.tenant.diallingPlan()).plan).toEqual(NANP_DEFAULT);
    expect(await db().auditEvent.count({ where: { tenantId, action: "tenant.dialling-plan.updated" } })).toBe(0);
  });

  it("records a change in the audit log with the plan before and after, and nothing when the plan is the same", async () => {
    const world = await createWorld();
    const tenantId = world.tenant.id;
    const admin = await callerAs(world.admin.user.id);
    const saved = await admin.tenant.updateDiallingPlan({ ...UK, internationalPrefixes: ["00", "00"], techPrefixes: [" 99# "] });
    expect(saved).toMatchObject({ changed: true, plan: { ...UK, techPrefixes: ["99#"] } });
    expect(await db().tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { nationalTrunkPrefix: true, countryCode: true } })).toEqual({ nationalTrunkPrefix: "0", countryCode: "44" });

    const events = await db().auditEvent.findMany({ where: { tenantId, action: "tenant.dialling-plan.updated" } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorUserId: world.admin.user.id,
      actorEmail: world.admin.user.email,
      targetType: "tenant",
      targetId: tenantId,
      before: NANP_DEFAULT,
      after: { ...UK, techPrefixes: ["99#"] },
    });

    expect(await admin.tenant.updateDiallingPlan({ ...UK, techPrefixes: ["99#"] })).toMatchObject({ changed: false });
    expect(await db().auditEvent.count({ where: { tenantId, action: "tenant.dialling-plan.updated" } })).toBe(1);
  });

  it("is read and changed only in the caller's own tenant; support reads and previews it, only admins change it", async () => {
    const a = await createWorld("Plan A");
    const b = await createWorld("Plan B");
    const adminB = await callerAs(b.admin.user.id);
    await adminB.tenant.updateDiallingPlan(UK);
    expect((await getDiallingPlan({ tenantId: b.tenant.id })).plan).toEqual(UK);
    expect((await getDiallingPlan({ tenantId: a.tenant.id })).plan).toEqual(NANP_DEFAULT);
    expect(await db().auditEvent.count({ where: { tenantId: a.tenant.id, action: "tenant.dialling-plan.updated" } })).toBe(0);
    expect((await (await callerAs(a.admin.user.id)).tenant.diallingPlan()).plan).toEqual(NANP_DEFAULT);

    const supportA = await callerAs(a.support.user.id);
    expect((await supportA.tenant.diallingPlan()).plan).toEqual(NANP_DEFAULT);
    expect((await supportA.tenant.previewDiallingPlan({ plan: UK, numbers: ["02071838750"] })).rows.map((row) => row.text)).toEqual(["02071838750 → +442071838750"]);
    await expect(supportA.tenant.updateDiallingPlan(UK)).rejects.toMatchObject({ code: "FORBIDDEN" });

    const customerA = await callerAs(a.customerAdmin.user.id);
    await expect(customerA.tenant.diallingPlan()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(customerA.tenant.previewDiallingPlan({ plan: UK, numbers: [] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(customerA.tenant.updateDiallingPlan(UK)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await getDiallingPlan({ tenantId: a.tenant.id })).plan).toEqual(NANP_DEFAULT);
  });
});

describe("the dialling plan through the API", () => {
  it("previews a draft beyond the plan's limits with field errors, refuses to save it, and refuses NANP's 011 left with trunk prefix 0", async () => {
    const world = await createWorld();
    const admin = await callerAs(world.admin.user.id);
    const tooMany = ["00", "011", "010", "0011", "0012", "0013"];
    const preview = await admin.tenant.previewDiallingPlan({ plan: { ...UK, internationalPrefixes: tooMany, techPrefixes: ["9".repeat(17)] }, numbers: ["1".repeat(65)] });
    expect(preview).toEqual({
      fieldErrors: {
        internationalPrefixes: ["At most 5 international prefixes"],
        techPrefixes: ["A tech prefix is at most 16 characters"],
        sampleNumbers: ["A sample number is at most 64 characters"],
      },
      rows: [],
    });
    await expect(admin.tenant.updateDiallingPlan({ ...UK, internationalPrefixes: tooMany })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const refused = await admin.tenant.updateDiallingPlan({ ...UK, internationalPrefixes: ["011"] }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining('national trunk prefix "0"') });
    expect((await admin.tenant.diallingPlan()).plan).toEqual(NANP_DEFAULT);
  });
});

describe("rating with a national trunk prefix", () => {
  it("rates a UK call dialled 02071838750, ingested after the plan got trunk prefix 0, by the +44 20 rate; Price a call agrees", async () => {
    const uk = await createBillingTenant();
    const withoutTrunkPrefix = await createBillingTenant();
    await updateDiallingPlan({ tenantId: uk.tenant.id, actor: ACTOR, input: UK });
    await updateDiallingPlan({ tenantId: withoutTrunkPrefix.tenant.id, actor: ACTOR, input: { ...UK, nationalTrunkPrefix: "" } });

    const file = `${asteriskLine("acct-1001", "02071838750", "2026-10-06 10:00:00", 60, "uk.1")}\n`;
    for (const world of [uk, withoutTrunkPrefix]) {
      await uploadCdrFile({ tenantId: world.tenant.id, actor: ACTOR, sourceId: world.asterisk.id, fileName: "uk.csv", body: Readable.from([Buffer.from(file)]) });
    }
    await runner.drain(60_000);

    // 4420 London: $0.0180/min, 1/1, 60 s → 18,000 micro-units.
    expect(await storedCall(uk.tenant.id, "uk.1")).toEqual({ callee: "442071838750", status: "RATED", unbillable_reason: null, matched_prefix: "4420", price: "18000" });
    // The same plan without the trunk prefix reads the 0 as part of the number: no rate.
    expect(await storedCall(withoutTrunkPrefix.tenant.id, "uk.1")).toMatchObject({ callee: "02071838750", status: "UNBILLABLE" });

    const priced = await priceCallTool({ tenantId: uk.tenant.id, input: { deckId: uk.deck.id, number: "02071838750", billsec: 60, at: new Date("2026-10-06T14:00:00Z") } });
    expect(priced).toMatchObject({ status: "RATED", normalizedNumber: "442071838750", matchedPrefix: "4420", priceMicros: 18_000n });
  });
});
