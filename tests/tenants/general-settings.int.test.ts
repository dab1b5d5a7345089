import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { getDashboardFigures } from "@/server/dashboard/overview";
import { rebuildTrafficTotals } from "@/server/cdr/traffic-totals";
import { getGeneralSettings, timeZoneNameProblem, updateGeneralSettings } from "@/server/tenants/general-settings";
import { postLedgerEntriesOnConnection } from "@/server/wallet/ledger";
import { postRecurringFees } from "@/server/wallet/recurring";
import { callerAs, createWorld, TEST_ACTOR } from "../support/factories";
import { withMoneyServices } from "../support/money-services";

// Fees and charges below react to balances (locks, low-balance mail) like production does.
withMoneyServices({ smtp: true });

const ACTION = "tenant.general.updated";

async function auditEvents(tenantId: string) {
  return db().auditEvent.findMany({ where: { tenantId, action: ACTION }, orderBy: { at: "asc" } });
}

async function refusal(tenantId: string, input: { name: string; timeZone: string }): Promise<unknown> {
  return updateGeneralSettings({ tenantId, actor: TEST_ACTOR, input }).catch((error: unknown) => error);
}

describe("a tenant's company settings", () => {
  it("reads name, slug, currency and zone", async () => {
    const world = await createWorld("Settings Read");
    expect(await getGeneralSettings({ tenantId: world.tenant.id })).toEqual({
      name: "Settings Read",
      slug: world.tenant.slug,
      currency: "USD",
      timeZone: "America/Toronto",
    });
  });

  it("renames the company and moves its zone, with the changed fields before and after in the audit log", async () => {
    const world = await createWorld("Settings Change");
    const admin = await callerAs(world.admin.user.id);
    const saved = await admin.tenant.updateGeneralSettings({ name: "  Northwind Voice  ", timeZone: "Europe/London" });
    expect(saved).toMatchObject({ changed: true, changedFields: ["name", "timeZone"], name: "Northwind Voice", timeZone: "Europe/London", currency: "USD" });
    expect(await db().tenant.findUniqueOrThrow({ where: { id: world.tenant.id }, select: { name: true, timeZone: true } })).toEqual({
      name: "Northwind Voice",
      timeZone: "Europe/London",
    });
    // The session reads the tenant afresh: the shell's name and zone follow at the next render.
    expect((await (await callerAs(world.admin.user.id)).me.get()).membership.tenantName).toBe("Northwind Voice");

    const zoneOnly = await admin.tenant.updateGeneralSettings({ name: "Northwind Voice", timeZone: "asia/kathmandu" });
    // Stored as PostgreSQL spells it, whatever the case it was typed in.
    expect(zoneOnly).toMatchObject({ changed: true, changedFields: ["timeZone"], timeZone: "Asia/Kathmandu" });

    const events = await auditEvents(world.tenant.id);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      actorUserId: world.admin.user.id,
      actorEmail: world.admin.user.email,
      targetType: "tenant",
      targetId: world.tenant.id,
      before: { name: "Settings Change", timeZone: "America/Toronto" },
      after: { name: "Northwind Voice", timeZone: "Europe/London" },
    });
    expect(events[1]).toMatchObject({ before: { timeZone: "Europe/London" }, after: { timeZone: "Asia/Kathmandu" } });
    expect(Object.keys(events[1]!.before as object)).toEqual(["timeZone"]);
  });

  it("writes no audit event for a save that changes nothing", async () => {
    const world = await createWorld("Settings Same");
    const admin = await callerAs(world.admin.user.id);
    const same = await admin.tenant.updateGeneralSettings({ name: " Settings Same ", timeZone: "America/Toronto" });
    expect(same).toMatchObject({ changed: false, changedFields: [], name: "Settings Same", timeZone: "America/Toronto" });
    expect(await auditEvents(world.tenant.id)).toHaveLength(0);
  });

  it("refuses a bad name or zone naming the field, and changes nothing", async () => {
    const world = await createWorld("Settings Refused");
    const tenantId = world.tenant.id;
    const name = "Settings Refused";
    const timeZone = "America/Toronto";
    expect(await refusal(tenantId, { name: " x ", timeZone })).toMatchObject({
      code: "INVALID_INPUT",
      message: "The name is at least 2 characters",
      fieldErrors: { name: ["The name is at least 2 characters"] },
    });
    expect(await refusal(tenantId, { name: "", timeZone })).toMatchObject({ fieldErrors: { name: ["Enter the company's name"] } });
    expect(await refusal(tenantId, { name: "n".repeat(101), timeZone })).toMatchObject({ fieldErrors: { name: ["The name is at most 100 characters"] } });
    expect(await refusal(tenantId, { name: "Evil\r\nBcc: x@example.test", timeZone })).toMatchObject({ fieldErrors: { name: [expect.stringContaining("line breaks")] } });

    expect(await refusal(tenantId, { name, timeZone: "Mars/Olympus" })).toMatchObject({
      code: "INVALID_INPUT",
      fieldErrors: { timeZone: ['Unknown time zone "Mars/Olympus": choose one from the list'] },
    });
    expect(await refusal(tenantId, { name, timeZone: "UTC+5:20" })).toMatchObject({ fieldErrors: { timeZone: [expect.stringContaining("is a fixed offset, not a time zone")] } });
    // Both Intl and PostgreSQL know "EST", but not which "EST" a person means.
    expect(await refusal(tenantId, { name, timeZone: "EST" })).toMatchObject({ fieldErrors: { timeZone: [expect.stringContaining("is an abbreviation")] } });
    expect(await refusal(tenantId, { name, timeZone: "EST5EDT" })).toMatchObject({ fieldErrors: { timeZone: [expect.any(String)] } });
    expect(await refusal(tenantId, { name, timeZone: "" })).toMatchObject({ fieldErrors: { timeZone: ["Choose a time zone"] } });
    expect(await refusal(tenantId, { name, timeZone: "   " })).toMatchObject({ fieldErrors: { timeZone: ["Choose a time zone"] } });
    // Both fields at once: each named.
    expect(await refusal(tenantId, { name: "", timeZone: "" })).toMatchObject({ fieldErrors: { name: [expect.any(String)], timeZone: [expect.any(String)] } });

    // Through the API the form gets the field too.
    const admin = await callerAs(world.admin.user.id);
    const error = await admin.tenant.updateGeneralSettings({ name, timeZone: "Mars/Olympus" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "BAD_REQUEST", message: 'Unknown time zone "Mars/Olympus": choose one from the list' });

    expect(await db().tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { name: true, timeZone: true } })).toEqual({ name, timeZone });
    expect(await auditEvents(tenantId)).toHaveLength(0);
  });

  it("refuses a zone whose offset is not whole quarter hours, which the traffic totals' buckets need", () => {
    // No zone in use today has one; in 1900 Kathmandu kept its local mean time, UTC+05:41:16.
    expect(timeZoneNameProblem("Asia/Kathmandu", new Date("2026-01-15T12:00:00Z"))).toBeNull();
    expect(timeZoneNameProblem("Asia/Kathmandu", new Date("1900-01-15T12:00:00Z"))).toMatch(/^"Asia\/Kathmandu" is UTC\+05:41:16 on 1900-01-15, not a whole number of quarter hours/);
  });

  it("refuses a zone Intl knows but PostgreSQL does not, as the overview's days are PostgreSQL's", async () => {
    const world = await createWorld("Settings Postgres");
    // Gone from the tz database since 2020; ICU still resolves it as an alias.
    const zone = "US/Pacific-New";
    const known = await pool().query(`SELECT 1 FROM pg_timezone_names WHERE lower(name) = lower($1)`, [zone]);
    expect(known.rowCount).toBe(0);
    expect(() => new Intl.DateTimeFormat("en-US", { timeZone: zone })).not.toThrow();
    expect(await refusal(world.tenant.id, { name: "Settings Postgres", timeZone: zone })).toMatchObject({
      fieldErrors: { timeZone: [expect.stringContaining("database does not know")] },
    });
  });

  it("is changed by tenant admins of the caller's own tenant only; support reads it", async () => {
    const a = await createWorld("Settings A");
    const b = await createWorld("Settings B");
    await (await callerAs(b.admin.user.id)).tenant.updateGeneralSettings({ name: "Settings B2", timeZone: "Europe/London" });
    expect(await db().tenant.findUniqueOrThrow({ where: { id: a.tenant.id }, select: { name: true, timeZone: true } })).toEqual({
      name: "Settings A",
      timeZone: "America/Toronto",
    });
    expect(await auditEvents(a.tenant.id)).toHaveLength(0);

    const supportA = await callerAs(a.support.user.id);
    expect(await supportA.tenant.generalSettings()).toMatchObject({ name: "Settings A", timeZone: "America/Toronto" });
    await expect(supportA.tenant.updateGeneralSettings({ name: "Support Co", timeZone: "Europe/London" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const customerA = await callerAs(a.customerAdmin.user.id);
    await expect(customerA.tenant.generalSettings()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(customerA.tenant.updateGeneralSettings({ name: "Customer Co", timeZone: "Europe/London" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await db().tenant.findUniqueOrThrow({ where: { id: a.tenant.id }, select: { name: true, timeZone: true } })).toEqual({
      name: "Settings A",
      timeZone: "America/Toronto",
    });
  });

  it("does not wait for a charge in flight: the charge's ledger entry holds KEY SHARE on the tenant", async () => {
    const world = await createWorld("Settings Charge");
    const charge = await pool().connect();
    try {
      await charge.query("BEGIN");
      await charge.query("SELECT id FROM customers WHERE tenant_id = $1::uuid AND id = $2::uuid FOR UPDATE", [world.tenant.id, world.customer.id]);
      await postLedgerEntriesOnConnection(charge, [
        { tenantId: world.tenant.id, customerId: world.customer.id, amount: -1_000_000n, kind: "CALL_CHARGES", idempotencyKey: `test:${randomUUID()}`, reference: { type: "cdr_file", id: randomUUID() }, memo: "Calls" },
      ]);
      // FOR UPDATE on the tenant's row would wait here for the charge's commit (a deadlock when
      // the charge then needs something the save holds); FOR NO KEY UPDATE does not.
      const saved = await Promise.race([
        updateGeneralSettings({ tenantId: world.tenant.id, actor: TEST_ACTOR, input: { name: "Settings Charge", timeZone: "Europe/London" } }),
        new Promise<"waited">((resolve) => setTimeout(() => resolve("waited"), 5_000)),
      ]);
      expect(saved).toMatchObject({ changed: true, timeZone: "Europe/London" });
      await charge.query("COMMIT");
    } finally {
      await charge.query("ROLLBACK").catch(() => undefined);
      charge.release();
    }
  });
});

describe("a change of zone", () => {
  it("drops the tenant's cached overview figures: the next load reads the new zone's days", async () => {
    await pool().query(`SELECT ensure_cdr_partitions('2026-03-01', '2026-03-01')`);
    const world = await createWorld("Settings Overview");
    const source = await db().cdrSource.create({ data: { tenantId: world.tenant.id, name: "switch", format: "asterisk", timeZone: "UTC" } });
    // 03:00Z on 15 March: still 14 March in Toronto (23:00 EDT), already the 15th in London.
    await pool().query(
      `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, duration, billsec, caller, callee, customer_id,
                         status, category, billed_seconds, price, cost)
       VALUES ($1::uuid, $2::uuid, $3::uuid, 1, $4, $5, 60, 60, '16135550100', '442071234567', $6::uuid, 'RATED', 'INTERNATIONAL', 60, 1000000, 100)`,
      [world.tenant.id, source.id, randomUUID(), `call-${randomUUID()}`, new Date("2026-03-15T03:00:00Z"), world.customer.id],
    );
    await rebuildTrafficTotals(pool(), world.tenant.id);
    const now = new Date("2026-03-15T14:00:00Z");
    const before = await getDashboardFigures({ tenantId: world.tenant.id, now });
    expect(before).toMatchObject({ timeZone: "America/Toronto", today: "2026-03-15" });
    expect(before.traffic.today.calls).toBe(0);

    await updateGeneralSettings({ tenantId: world.tenant.id, actor: TEST_ACTOR, input: { name: "Settings Overview", timeZone: "Europe/London" } });
    // A second later: well within the cache's minute.
    const after = await getDashboardFigures({ tenantId: world.tenant.id, now: new Date(now.getTime() + 1000) });
    expect(after).toMatchObject({ timeZone: "Europe/London", today: "2026-03-15" });
    expect(after.computedAt).toEqual(new Date(now.getTime() + 1000));
    expect(after.traffic.today.calls).toBe(1);
  });

  it("keeps a renamed tenant's cached figures: only a zone change makes them wrong", async () => {
    const world = await createWorld("Settings Rename");
    const now = new Date("2026-03-15T14:00:00Z");
    await getDashboardFigures({ tenantId: world.tenant.id, now });
    await updateGeneralSettings({ tenantId: world.tenant.id, actor: TEST_ACTOR, input: { name: "Settings Renamed", timeZone: "America/Toronto" } });
    expect((await getDashboardFigures({ tenantId: world.tenant.id, now: new Date(now.getTime() + 1000) })).computedAt).toEqual(now);
  });

  it("posts a recurring fee once per local month across the change, whichever way the zone moves", async () => {
    const world = await createWorld("Settings Fees");
    const tenantId = world.tenant.id;
    await db().tenant.update({ where: { id: tenantId }, data: { timeZone: "Europe/London" } });
    await db().recurringCharge.create({ data: { tenantId, customerId: world.customer.id, description: "DID rental", amount: 2_000_000n, startsOn: new Date("2026-11-01") } });
    const run = (iso: string) => postRecurringFees({ tenantId, now: new Date(iso) });
    const keys = async () =>
      (await db().ledgerEntry.findMany({ where: { tenantId, kind: "RECURRING_FEE" }, select: { idempotencyKey: true }, orderBy: { id: "asc" } })).map((entry) =>
        entry.idempotencyKey.replace(/^recurring:[^:]+:/, ""),
      );

    await run("2026-12-15T12:15:00Z");
    // London's January has begun; Toronto's has not.
    await run("2027-01-01T00:15:00Z");
    expect(await keys()).toEqual(["2026-12", "2027-01"]);
    await updateGeneralSettings({ tenantId, actor: TEST_ACTOR, input: { name: "Settings Fees", timeZone: "America/Toronto" } });
    // Back in Toronto's December (already posted), then its January (posted under London).
    await run("2027-01-01T01:15:00Z");
    await run("2027-01-01T05:15:00Z");
    expect(await keys()).toEqual(["2026-12", "2027-01"]);

    // Eastward at the end of a month: February begins at once, January stays posted.
    await run("2027-01-31T23:15:00Z");
    await updateGeneralSettings({ tenantId, actor: TEST_ACTOR, input: { name: "Settings Fees", timeZone: "Asia/Tokyo" } });
    await run("2027-02-01T00:15:00Z");
    expect(await keys()).toEqual(["2026-12", "2027-01", "2027-02"]);
    expect((await db().customer.findUniqueOrThrow({ where: { id: world.customer.id } })).balance).toBe(-6_000_000n);
  });
});
