import { describe, expect, it } from "vitest";
import { saveTrunk } from "@/server/catalog/trunks";
import { addRateForPrefix } from "@/server/cdr/unbillable";
import { describeInstant, priceCallTool } from "@/server/rating/price-call";
import { ACTOR, createBillingTenant } from "../cdr/ingest-support";

const AT = new Date("2026-10-06T14:00:00Z");

describe("the 'price a call' tool gives the answer rating gives", () => {
  it("a short code is priced only by a rate for the whole number, never by a country code", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    for (const [prefix, description] of [
      ["91", "India"],
      ["55", "Brazil"],
    ] as const) {
      await addRateForPrefix({
        tenantId,
        actor: ACTOR,
        input: { deckId: world.deck.id, prefix, description, category: "INTERNATIONAL", ratePerMinute: "0.5000", effectiveFrom: new Date("2026-01-01T00:00:00Z") },
      });
    }
    const price = (number: string) => priceCallTool({ tenantId, input: { deckId: world.deck.id, number, billsec: 60, at: AT } });

    const emergency = await price("911");
    expect(emergency).toMatchObject({ status: "UNBILLABLE", reason: "no rate for short code", normalizedNumber: "911", matchedPrefix: null, priceMicros: null });
    expect(emergency.steps.find((step) => step.rule === "NORMALISE")?.detail).toMatch(/short code/);
    expect(emergency.steps.find((step) => step.rule === "MATCH")?.detail).toBe("no rate for short code");
    expect(await price("5550101")).toMatchObject({ status: "UNBILLABLE", reason: "no rate for short code" });
    expect(await price("011919876543210")).toMatchObject({ status: "RATED", matchedPrefix: "91" });
  });

  it("strips the tech prefix of the trunk chosen", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    await saveTrunk({
      tenantId,
      actor: ACTOR,
      trunkId: world.aliceTrunk.id,
      fields: { customerId: world.alice.id, name: "Alice main", accountCode: "acct-1001", techPrefix: "5501" },
    });
    const input = { customerId: world.alice.id, trunkId: world.aliceTrunk.id, number: "55016139990123", billsec: 60, at: AT };
    expect(await priceCallTool({ tenantId, input })).toMatchObject({ status: "RATED", normalizedNumber: "16139990123", matchedPrefix: "1613", priceMicros: 5_000n });
    // A deck chosen outright still dials through the trunk.
    expect(await priceCallTool({ tenantId, input: { ...input, deckId: world.deck.id } })).toMatchObject({ normalizedNumber: "16139990123", matchedPrefix: "1613" });
    // Without the trunk, the digits are read as dialled.
    expect(await priceCallTool({ tenantId, input: { ...input, trunkId: null } })).toMatchObject({ normalizedNumber: "55016139990123" });
  });
});

describe("describeInstant", () => {
  it("reads as the pages do, on the tenant's clock, with the zone named", () => {
    expect(describeInstant(new Date("2026-12-03T10:13:07Z"), "America/Toronto")).toBe("03 Dec 2026, 05:13:07 EST");
    expect(describeInstant(new Date("2026-07-01T00:00:00Z"), "America/Toronto", { seconds: false })).toBe("30 Jun 2026, 20:00 EDT");
    expect(describeInstant(new Date("2026-12-03T10:13:07Z"), "UTC")).toBe("03 Dec 2026, 10:13:07 UTC");
  });
});
