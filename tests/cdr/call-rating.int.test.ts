import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { pool } from "@/server/db/client";
import { saveTrunk } from "@/server/catalog/trunks";
import { loadCallRatingContext } from "@/server/cdr/call-rating";
import { rerateUnbillable } from "@/server/cdr/rerate";
import { addRateForPrefix, mapAccountCode } from "@/server/cdr/unbillable";
import { uploadCdrFile } from "@/server/cdr/upload";
import { ACTOR, createBillingTenant, withJobRunner } from "./ingest-support";

const runner = withJobRunner();

const START = new Date("2026-10-06T14:00:00Z");
const FROM = new Date("2026-01-01T00:00:00Z");

/** Country rates whose codes start the short codes dialled in NANP (911 → 91, 711 → 7, 5550101 → 55). */
async function addCountryRates(tenantId: string, deckId: string): Promise<void> {
  for (const [prefix, description] of [
    ["91", "India"],
    ["7", "Russia"],
    ["55", "Brazil"],
  ] as const) {
    await addRateForPrefix({
      tenantId,
      actor: ACTOR,
      input: { deckId, prefix, description, category: "INTERNATIONAL", ratePerMinute: "0.5000", effectiveFrom: FROM },
    });
  }
}

function asteriskLine(account: string, callee: string, start: string, billsec: number, key: string): string {
  return `"${account}","6135550101","${callee}","from-internal","""Caller"" <6135550101>","SIP/t-1","SIP/c-1","Dial","SIP/c/${callee}","${start}","${start}","${start}",${billsec + 1},${billsec},"ANSWERED","DOCUMENTATION","${key}",""`;
}

async function storedCall(tenantId: string, key: string) {
  const result = await pool().query(
    `SELECT callee, callee_short_code, status, unbillable_reason, matched_prefix, price::text FROM cdrs WHERE tenant_id = $1 AND record_key = $2`,
    [tenantId, key],
  );
  return result.rows[0];
}

/** Uploads the lines as one Asterisk file of the tenant's source and ingests it. */
async function ingestLines(world: Awaited<ReturnType<typeof createBillingTenant>>, fileName: string, lines: string[]): Promise<void> {
  const body = Readable.from([Buffer.from(`${lines.join("\n")}\n`)]);
  await uploadCdrFile({ tenantId: world.tenant.id, actor: ACTOR, sourceId: world.asterisk.id, fileName, body });
  await runner.drain(60_000);
}

/** A tenant whose retail deck also has country rates that short codes' first digits spell. */
async function tenantWithCountryRates() {
  const world = await createBillingTenant();
  await addCountryRates(world.tenant.id, world.deck.id);
  return { world, tenantId: world.tenant.id };
}

describe("short codes in the rating context (ingest and re-rate)", () => {
  it("never prices 911, 711 or a 7-digit local number by a country code; a rate for the whole number does", async () => {
    const { world, tenantId } = await tenantWithCountryRates();
    const call = (callee: string) => ({ caller: "6135550101", callee, startUtc: START, billsec: 60 });

    let context = await loadCallRatingContext({ tenantId, costDeckId: null });
    for (const callee of ["911", "711", "411", "5550101"]) {
      const rated = context.rate(call(callee), context.ownerOf("acct-1001", callee));
      expect(rated, callee).toMatchObject({ status: "UNBILLABLE", reason: "no rate for short code", callee, matchedPrefix: null });
    }
    // Full international numbers still go by their country code.
    expect(context.rate(call("011919876543210"), context.ownerOf("acct-1001", "011919876543210"))).toMatchObject({ status: "RATED", matchedPrefix: "91" });

    await addRateForPrefix({
      tenantId,
      actor: ACTOR,
      input: { deckId: world.deck.id, prefix: "911", description: "Emergency", category: "OTHER", ratePerMinute: "0", effectiveFrom: FROM },
    });
    context = await loadCallRatingContext({ tenantId, costDeckId: null });
    expect(context.rate(call("911"), context.ownerOf("acct-1001", "911"))).toMatchObject({ status: "RATED", matchedPrefix: "911", priceMicros: 0n });
    // A re-rate passes the stored digits as "+911": still a short code, never India.
    expect(context.rate(call("+911"), context.storedOwner(world.alice.id, world.aliceTrunk.id))).toMatchObject({ status: "RATED", matchedPrefix: "911" });
    expect(context.rate(call("+711"), context.storedOwner(world.alice.id, world.aliceTrunk.id))).toMatchObject({
      status: "UNBILLABLE",
      reason: "no rate for short code",
    });
  });

  it("stores an ingested short-code call as unbillable with the reason, and a re-rate keeps it off the country rate", async () => {
    const { world, tenantId } = await tenantWithCountryRates();
    await ingestLines(world, "short.csv", [
      asteriskLine("acct-1001", "911", "2026-10-06 10:00:00", 30, "sc.1"),
      asteriskLine("acct-1001", "711", "2026-10-06 10:05:00", 30, "sc.2"),
      asteriskLine("acct-1001", "5550101", "2026-10-06 10:10:00", 30, "sc.3"),
    ]);
    expect(await storedCall(tenantId, "sc.1")).toEqual({
      callee: "911",
      callee_short_code: true,
      status: "UNBILLABLE",
      unbillable_reason: "no rate for short code",
      matched_prefix: null,
      price: null,
    });
    expect(await storedCall(tenantId, "sc.2")).toMatchObject({ callee: "711", status: "UNBILLABLE", unbillable_reason: "no rate for short code" });

    expect(await storedCall(tenantId, "sc.3")).toMatchObject({ callee: "5550101", status: "UNBILLABLE", unbillable_reason: "no rate for short code" });

    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 0 });
    expect(await storedCall(tenantId, "sc.1")).toMatchObject({ status: "UNBILLABLE", matched_prefix: null });
    // A 7-digit local number is read as dialled again, not as +5550101 (Brazil): only a rate
    // for the whole number prices it.
    expect(await storedCall(tenantId, "sc.3")).toMatchObject({ status: "UNBILLABLE", matched_prefix: null });
    await addRateForPrefix({
      tenantId,
      actor: ACTOR,
      input: { deckId: world.deck.id, prefix: "5550101", description: "Local info line", category: "OTHER", ratePerMinute: "0.0100", effectiveFrom: FROM },
    });
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 1 });
    expect(await storedCall(tenantId, "sc.3")).toMatchObject({ status: "RATED", matched_prefix: "5550101" });
  });

  it("keeps a local number dialled on an unknown account off the country rate when the account is mapped and re-rated", async () => {
    const { world, tenantId } = await tenantWithCountryRates();
    await ingestLines(world, "unknown.csv", [
      asteriskLine("acct-new", "5550101", "2026-10-06 10:00:00", 30, "uk.1"),
      asteriskLine("acct-new", "911", "2026-10-06 10:01:00", 30, "uk.2"),
      asteriskLine("acct-new", "16139990123", "2026-10-06 10:02:00", 30, "uk.3"),
    ]);
    // Unbillable for the account, not the number: only the flag says how the number was dialled.
    expect(await storedCall(tenantId, "uk.1")).toMatchObject({ callee: "5550101", callee_short_code: true, unbillable_reason: "unknown account" });
    expect(await storedCall(tenantId, "uk.2")).toMatchObject({ callee: "911", callee_short_code: true, unbillable_reason: "unknown account" });
    expect(await storedCall(tenantId, "uk.3")).toMatchObject({ callee: "16139990123", callee_short_code: false, unbillable_reason: "unknown account" });

    await mapAccountCode({ tenantId, actor: ACTOR, input: { accountCode: "acct-new", customerId: world.alice.id } });
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 1 });
    // Not +5550101 (Brazil) or +911 (India): short codes without a rate for the whole number.
    expect(await storedCall(tenantId, "uk.1")).toMatchObject({ status: "UNBILLABLE", unbillable_reason: "no rate for short code", callee_short_code: true, price: null });
    expect(await storedCall(tenantId, "uk.2")).toMatchObject({ status: "UNBILLABLE", unbillable_reason: "no rate for short code", callee_short_code: true });
    expect(await storedCall(tenantId, "uk.3")).toMatchObject({ status: "RATED", matched_prefix: "1613", callee_short_code: false });
  });
});

describe("a SIP trunk's tech prefix", () => {
  it("is stripped from the called number of the trunk's calls at ingest and at re-rate, and only of that trunk's", async () => {
    const { world, tenantId } = await tenantWithCountryRates();
    await saveTrunk({
      tenantId,
      actor: ACTOR,
      trunkId: world.aliceTrunk.id,
      fields: { customerId: world.alice.id, name: "Alice main", accountCode: "acct-1001", techPrefix: "5501" },
    });
    const context = await loadCallRatingContext({ tenantId, costDeckId: null });
    const call = (callee: string) => ({ caller: "6135550101", callee, startUtc: START, billsec: 60 });

    // Ingest: the owner is found by the trunk's account code.
    expect(context.rate(call("55016139990123"), context.ownerOf("acct-1001", "55016139990123"))).toMatchObject({
      status: "RATED",
      callee: "16139990123",
      matchedPrefix: "1613",
    });
    // The retail deck's longest prefix for 1613555… is its premium block.
    expect(context.rate(call("55016135550101"), context.ownerOf("acct-1001", "55016135550101"))).toMatchObject({
      status: "RATED",
      callee: "16135550101",
      matchedPrefix: "1613555",
    });
    // Re-rate of a call ingested before the trunk was known: its stored digits still carry the prefix.
    const owner = context.accountOwner("acct-1001");
    const storedBefore = context.storedCallee("55016139990123", { shortCode: false, trunkId: null }, owner);
    expect(context.rate(call(storedBefore), owner)).toMatchObject({ callee: "16139990123", matchedPrefix: "1613" });
    // Re-rate of a call stored with the prefix already stripped is unchanged.
    expect(context.rate(call("+16139990123"), context.storedOwner(world.alice.id, world.aliceTrunk.id))).toMatchObject({
      callee: "16139990123",
      matchedPrefix: "1613",
    });
    // Bob's trunk has no tech prefix: the same digits are his number as dialled.
    expect(context.rate(call("55016135550101"), context.ownerOf("acct-1002", "55016135550101"))).toMatchObject({
      callee: "55016135550101",
      matchedPrefix: "55",
    });
  });

  it("bills an ingested call by the number after the prefix, and re-rates a call that came before its trunk", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    await saveTrunk({
      tenantId,
      actor: ACTOR,
      trunkId: world.aliceTrunk.id,
      fields: { customerId: world.alice.id, name: "Alice main", accountCode: "acct-1001", techPrefix: "5501" },
    });
    await ingestLines(world, "tech.csv", [
      asteriskLine("acct-1001", "55016139990123", "2026-10-06 10:00:00", 60, "tp.1"),
      asteriskLine("acct-4242", "55016139990123", "2026-10-06 10:05:00", 60, "tp.2"),
    ]);
    // 1613 Ottawa: $0.0050/min, 60/60 → 60 s = 5000 µ.
    expect(await storedCall(tenantId, "tp.1")).toEqual({ callee: "16139990123", callee_short_code: false, status: "RATED", unbillable_reason: null, matched_prefix: "1613", price: "5000" });
    expect(await storedCall(tenantId, "tp.2")).toMatchObject({ callee: "55016139990123", status: "UNBILLABLE", unbillable_reason: "unknown account" });

    // The customer's second trunk, with the same prefix, arrives; the call is re-rated.
    await saveTrunk({ tenantId, actor: ACTOR, fields: { customerId: world.alice.id, name: "Alice branch", accountCode: "acct-4242", techPrefix: "5501" } });
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 1 });
    expect(await storedCall(tenantId, "tp.2")).toEqual({ callee: "16139990123", callee_short_code: false, status: "RATED", unbillable_reason: null, matched_prefix: "1613", price: "5000" });
  });

  it("strips a prefix once: a call stored with its trunk is re-rated by its stored number, and E.164 dialled on the trunk is kept", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    // A tech prefix that is also a country code (44): only a number as dialled loses it.
    await saveTrunk({ tenantId, actor: ACTOR, trunkId: world.aliceTrunk.id, fields: { customerId: world.alice.id, name: "Alice main", accountCode: "acct-1001", techPrefix: "44" } });
    const context = await loadCallRatingContext({ tenantId, costDeckId: null });
    const owner = context.accountOwner("acct-1001");
    const at = { caller: "16135550101", startUtc: START, billsec: 60 };
    expect(context.rate({ ...at, callee: "446135550101" }, owner)).toMatchObject({ callee: "16135550101" });
    expect(context.rate({ ...at, callee: "+442071838750" }, owner)).toMatchObject({ callee: "442071838750" });
    // Re-rated: stored with its trunk (already stripped), the digits go back as E.164.
    const stored = context.storedCallee("442071838750", { shortCode: false, trunkId: world.aliceTrunk.id }, context.storedOwner(world.alice.id, world.aliceTrunk.id));
    expect(context.rate({ ...at, callee: stored }, context.storedOwner(world.alice.id, world.aliceTrunk.id))).toMatchObject({ callee: "442071838750" });
  });

  it("re-rates a stored short code as stored: its trunk's prefix does not come off it a second time", async () => {
    const { world, tenantId } = await tenantWithCountryRates();
    await saveTrunk({ tenantId, actor: ACTOR, trunkId: world.aliceTrunk.id, fields: { customerId: world.alice.id, name: "Alice main", accountCode: "acct-1001", techPrefix: "9" } });
    await ingestLines(world, "nine.csv", [asteriskLine("acct-1001", "9911", "2026-10-06 11:00:00", 30, "nine.1")]);
    expect(await storedCall(tenantId, "nine.1")).toMatchObject({ callee: "911", callee_short_code: true, unbillable_reason: "no rate for short code" });
    // Not "11" (too short, and then read as +911, India, by the re-rate after).
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 0 });
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 0 });
    expect(await storedCall(tenantId, "nine.1")).toMatchObject({ callee: "911", callee_short_code: true, unbillable_reason: "no rate for short code" });
    await addRateForPrefix({
      tenantId,
      actor: ACTOR,
      input: { deckId: world.deck.id, prefix: "911", description: "Emergency", category: "OTHER", ratePerMinute: "0", effectiveFrom: FROM },
    });
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 1 });
    expect(await storedCall(tenantId, "nine.1")).toMatchObject({ callee: "911", status: "RATED", matched_prefix: "911" });
  });
});

describe("a national trunk prefix set after calls were stored", () => {
  it("re-rates a national number kept as dialled (no E.164 number begins with 0) by the new plan", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    await pool().query(`UPDATE tenants SET country_code = '44', international_prefixes = '{00}', national_number_length = 10 WHERE id = $1`, [tenantId]);
    // The retail deck prices 4420 (London).
    await ingestLines(world, "uk.csv", [asteriskLine("acct-1001", "02071838750", "2026-10-06 12:00:00", 60, "uk.london")]);
    expect(await storedCall(tenantId, "uk.london")).toMatchObject({ callee: "02071838750", status: "UNBILLABLE", unbillable_reason: "no rate for prefix" });
    await pool().query(`UPDATE tenants SET national_trunk_prefix = '0' WHERE id = $1`, [tenantId]);
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 1 });
    expect(await storedCall(tenantId, "uk.london")).toMatchObject({ callee: "442071838750", status: "RATED", matched_prefix: "4420" });
  });
});
