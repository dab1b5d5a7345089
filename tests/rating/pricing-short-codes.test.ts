import { describe, expect, it } from "vitest";

import { compileRateMatcher, type Rate } from "@/server/rating/matcher";
import { createNumberNormalizer, NANP_NUMBERING_PLAN } from "@/server/rating/normalize";
import { rateCall, UNBILLABLE_REASONS } from "@/server/rating/pricing";

const JAN_1 = new Date("2026-01-01T00:00:00Z");
const rate = (prefix: string, micros: bigint, extra: Partial<Rate> = {}): Rate => ({
  prefix,
  description: prefix,
  category: "INTERNATIONAL",
  ratePerMinuteMicros: micros,
  connectFeeMicros: 0n,
  initialIncrement: 60,
  increment: 60,
  graceSeconds: 0,
  effectiveFrom: JAN_1,
  effectiveTo: null,
  ...extra,
});

const countries = [rate("1", 12_000n), rate("7", 90_000n), rate("55", 80_000n), rate("91", 70_000n), rate("44", 21_000n)];
const normalizeNumber = createNumberNormalizer(NANP_NUMBERING_PLAN);
const call = { caller: "6135550101", callee: "911", startUtc: new Date("2026-10-01T12:00:00Z"), billsec: 61 };

describe("short codes are priced only by a rate for the whole number", () => {
  const sellDeck = compileRateMatcher(countries);

  it.each(["911", "711", "411", "311", "611", "811", "5550101"])("%s is not a call abroad: UNBILLABLE, not billed by a country code", (callee) => {
    expect(rateCall({ ...call, callee }, { normalizeNumber, sellDeck })).toMatchObject({
      status: "UNBILLABLE",
      reason: UNBILLABLE_REASONS.noShortCodeRate,
      callee,
      rate: null,
      matchedPrefix: null,
      priceMicros: null,
    });
  });

  it("says so in words", () => {
    expect(UNBILLABLE_REASONS.noShortCodeRate).toBe("no rate for short code");
  });

  it("a deck's rate for the whole short code prices it", () => {
    const withShortCodes = compileRateMatcher([
      ...countries,
      rate("911", 0n, { category: "OTHER", description: "Emergency" }),
      rate("411", 1_500_000n, { category: "OTHER", description: "Directory assistance", initialIncrement: 1, increment: 1 }),
    ]);
    expect(rateCall({ ...call, callee: "911" }, { normalizeNumber, sellDeck: withShortCodes })).toMatchObject({
      status: "RATED",
      matchedPrefix: "911",
      priceMicros: 0n,
    });
    // 61 s at $1.50/min, per second: ceil(61 × 1500000 / 60) = 1525000.
    expect(rateCall({ ...call, callee: "411" }, { normalizeNumber, sellDeck: withShortCodes })).toMatchObject({
      status: "RATED",
      matchedPrefix: "411",
      priceMicros: 1_525_000n,
    });
    expect(rateCall({ ...call, callee: "711" }, { normalizeNumber, sellDeck: withShortCodes })).toMatchObject({ status: "UNBILLABLE" });
  });

  it("a whole-number rate not yet in force does not fall back to the country code", () => {
    const later = compileRateMatcher([...countries, rate("911", 0n, { effectiveFrom: new Date("2027-01-01T00:00:00Z") })]);
    expect(rateCall(call, { normalizeNumber, sellDeck: later })).toMatchObject({ status: "UNBILLABLE", reason: "no rate for short code" });
  });

  it("costs only by the BUY deck's rate for the whole number", () => {
    const sell = compileRateMatcher([...countries, rate("411", 1_500_000n)]);
    const buyCountries = compileRateMatcher([rate("41", 10_000n)]);
    expect(rateCall({ ...call, callee: "411" }, { normalizeNumber, sellDeck: sell, buyDeck: buyCountries })).toMatchObject({
      status: "RATED",
      costMicros: null,
      costReason: "no buy rate for short code",
    });
    const buyExact = compileRateMatcher([rate("41", 10_000n), rate("411", 600_000n)]);
    expect(rateCall({ ...call, callee: "411" }, { normalizeNumber, sellDeck: sell, buyDeck: buyExact })).toMatchObject({
      status: "RATED",
      costMicros: 1_200_000n, // 61 s → 120 s at 60/60
    });
  });

  it("leaves full numbers, international ones included, to the longest prefix", () => {
    const sellDeck = compileRateMatcher(countries);
    expect(rateCall({ ...call, callee: "6135550101" }, { normalizeNumber, sellDeck })).toMatchObject({ status: "RATED", matchedPrefix: "1" });
    expect(rateCall({ ...call, callee: "011911234567890" }, { normalizeNumber, sellDeck })).toMatchObject({ status: "RATED", matchedPrefix: "91" });
    expect(rateCall({ ...call, callee: "+74951234567" }, { normalizeNumber, sellDeck })).toMatchObject({ status: "RATED", matchedPrefix: "7" });
    expect(rateCall({ ...call, callee: "442071838750" }, { normalizeNumber, sellDeck })).toMatchObject({ status: "RATED", matchedPrefix: "44" });
  });

  it("an unanswered short-code call is still free, not unbillable", () => {
    expect(rateCall({ ...call, billsec: 0 }, { normalizeNumber, sellDeck })).toMatchObject({ status: "UNANSWERED", priceMicros: 0n });
  });
});

describe("normalizeCallee", () => {
  it("normalises the called number only; the caller keeps the tenant's rules", () => {
    const sellDeck = compileRateMatcher([rate("1", 12_000n), rate("1613", 5_000n), rate("55", 80_000n)]);
    const normalizeCallee = createNumberNormalizer(NANP_NUMBERING_PLAN, { trunkTechPrefix: "5501" });
    const rated = rateCall(
      { ...call, caller: "55016135550199", callee: "55016135550101" },
      { normalizeNumber, normalizeCallee, sellDeck },
    );
    expect(rated).toMatchObject({ status: "RATED", caller: "55016135550199", callee: "16135550101", matchedPrefix: "1613" });
  });
});
