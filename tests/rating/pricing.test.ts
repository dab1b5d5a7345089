import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { compileRateMatcher, type Rate } from "@/server/rating/matcher";
import { createNumberNormalizer, NANP_NUMBERING_PLAN } from "@/server/rating/normalize";
import {
  billedSecondsFor,
  computeCallPrice,
  priceCall,
  rateCall,
  type PricingTerms,
} from "@/server/rating/pricing";

function terms(initialIncrement: number, increment: number, overrides: Partial<PricingTerms> = {}): PricingTerms {
  return { ratePerMinuteMicros: 12_300n, connectFeeMicros: 0n, initialIncrement, increment, graceSeconds: 0, ...overrides };
}

describe("billed seconds by increment (rule 4)", () => {
  // [initial/increment, billsec, billed]
  it.each([
    // 60/60: everything rounds up to whole minutes.
    [60, 60, 1, 60],
    [60, 60, 60, 60],
    [60, 60, 61, 120], // DESIGN.md example
    [60, 60, 121, 180],
    // 60/6: first minute, then 6-second blocks.
    [60, 6, 1, 60],
    [60, 6, 60, 60],
    [60, 6, 61, 66], // DESIGN.md example
    [60, 6, 66, 66],
    [60, 6, 67, 72],
    // 30/6
    [30, 6, 1, 30],
    [30, 6, 21, 30], // DESIGN.md example
    [30, 6, 30, 30],
    [30, 6, 31, 36],
    [30, 6, 32, 36], // DESIGN.md example
    [30, 6, 37, 42],
    // 6/6
    [6, 6, 1, 6],
    [6, 6, 6, 6],
    [6, 6, 7, 12],
    [6, 6, 45, 48],
    // 1/1: per second.
    [1, 1, 1, 1],
    [1, 1, 59, 59],
    [1, 1, 302, 302],
  ])("%i/%i: %i s bills %i s", (initial, increment, billsec, billed) => {
    expect(billedSecondsFor({ initialIncrement: initial, increment }, billsec)).toBe(billed);
    expect(computeCallPrice(terms(initial, increment), billsec).billedSeconds).toBe(billed);
  });
});

describe("price (rule 5): connect fee + ceil(billed × rate / 60), in micro-units", () => {
  it("60/6: 61 s → 66 s × $0.0123/min = ceil(66 × 12300 / 60) = 13530", () => {
    expect(computeCallPrice(terms(60, 6), 61)).toEqual({ billedSeconds: 66, priceMicros: 13_530n });
  });

  it("rounds up to the next micro-unit, once per call", () => {
    // 1/1 at 12345 µ/min, 7 s: 7 × 12345 / 60 = 1440.25 → 1441.
    expect(computeCallPrice(terms(1, 1, { ratePerMinuteMicros: 12_345n }), 7).priceMicros).toBe(1_441n);
    // 1 µ/min for 1 s is 1/60 µ → 1 µ, never 0.
    expect(computeCallPrice(terms(1, 1, { ratePerMinuteMicros: 1n }), 1).priceMicros).toBe(1n);
    // One rounding per call, not per block: 12 s at 5 µ/min is exactly 1 µ, whereas rounding
    // each 6-second block (ceil(6 × 5 / 60) = 1) would charge 2.
    expect(computeCallPrice(terms(6, 6, { ratePerMinuteMicros: 5n }), 12).priceMicros).toBe(1n);
  });

  it("adds the connect fee to answered calls", () => {
    // 30/6 at $0.0450 + $0.0100: 61 s → 66 s; ceil(66 × 45000 / 60) = 49500; + 10000 = 59500.
    expect(computeCallPrice(terms(30, 6, { ratePerMinuteMicros: 45_000n, connectFeeMicros: 10_000n }), 61)).toEqual({
      billedSeconds: 66,
      priceMicros: 59_500n,
    });
    // A zero-rated destination with a connect fee costs exactly the fee.
    expect(computeCallPrice(terms(60, 60, { ratePerMinuteMicros: 0n, connectFeeMicros: 20_000n }), 5).priceMicros).toBe(20_000n);
  });

  it("unanswered calls (billsec 0) cost nothing, connect fee included", () => {
    expect(computeCallPrice(terms(60, 6, { connectFeeMicros: 20_000n }), 0)).toEqual({ billedSeconds: 0, priceMicros: 0n });
  });

  it("billsec ≤ grace bills 0 s at price 0, connect fee included; grace + 1 is billed in full", () => {
    const withGrace = terms(30, 6, { graceSeconds: 3, connectFeeMicros: 10_000n, ratePerMinuteMicros: 45_000n });
    expect(computeCallPrice(withGrace, 2)).toEqual({ billedSeconds: 0, priceMicros: 0n });
    expect(computeCallPrice(withGrace, 3)).toEqual({ billedSeconds: 0, priceMicros: 0n });
    // 4 s > grace → 30 s; ceil(30 × 45000 / 60) = 22500; + 10000 = 32500.
    expect(computeCallPrice(withGrace, 4)).toEqual({ billedSeconds: 30, priceMicros: 32_500n });
  });

  it("handles amounts far beyond the float range exactly", () => {
    const expensive = terms(1, 1, { ratePerMinuteMicros: 9_000_000_000_000_000n });
    expect(computeCallPrice(expensive, 7).priceMicros).toBe(1_050_000_000_000_000n);
  });

  it("refuses impossible input", () => {
    expect(() => computeCallPrice(terms(60, 6), -1)).toThrow(/billsec/);
    expect(() => computeCallPrice(terms(60, 6), 1.5)).toThrow(/billsec/);
    expect(() => computeCallPrice(terms(60, 0), 10)).toThrow(/increment/);
  });
});

describe("properties", () => {
  const termsArbitrary = fc.record({
    ratePerMinuteMicros: fc.bigInt({ min: 0n, max: 10_000_000_000n }),
    connectFeeMicros: fc.bigInt({ min: 0n, max: 1_000_000n }),
    initialIncrement: fc.integer({ min: 0, max: 120 }),
    increment: fc.integer({ min: 1, max: 60 }),
    graceSeconds: fc.integer({ min: 0, max: 10 }),
  });

  it("price never decreases as billsec grows", () => {
    fc.assert(
      fc.property(termsArbitrary, fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 600 }), (rate, billsec, more) => {
        expect(computeCallPrice(rate, billsec + more).priceMicros >= computeCallPrice(rate, billsec).priceMicros).toBe(true);
      }),
    );
  });

  it("billed seconds are never below billsec (above grace), and overshoot by less than one block", () => {
    fc.assert(
      fc.property(termsArbitrary, fc.integer({ min: 1, max: 20_000 }), (rate, billsec) => {
        fc.pre(billsec > rate.graceSeconds);
        const { billedSeconds } = computeCallPrice(rate, billsec);
        expect(billedSeconds).toBeGreaterThanOrEqual(billsec);
        expect(billedSeconds - billsec).toBeLessThan(Math.max(rate.initialIncrement, rate.increment));
      }),
    );
  });

  it("priceCall and computeCallPrice agree", () => {
    fc.assert(
      fc.property(termsArbitrary, fc.integer({ min: 0, max: 5_000 }), (rate, billsec) => {
        const { steps, ...price } = priceCall({ rate, billsec });
        expect(price).toEqual(computeCallPrice(rate, billsec));
        expect(steps.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe("priceCall explanation", () => {
  it("lists each rule applied", () => {
    const priced = priceCall({
      rate: terms(30, 6, { ratePerMinuteMicros: 45_000n, connectFeeMicros: 10_000n, graceSeconds: 3 }),
      billsec: 61,
    });
    expect(priced.billedSeconds).toBe(66);
    expect(priced.priceMicros).toBe(59_500n);
    expect(priced.steps.map((step) => step.rule)).toEqual(["SUBSEQUENT_INCREMENTS", "PER_MINUTE_CHARGE", "CONNECT_FEE", "TOTAL"]);
    expect(priced.steps[0]!.detail).toBe(
      "increments 30/6: billsec 61 s > initial 30 s, so 30 + ceil((61 − 30) / 6) × 6 = 30 + 6 × 6 = 66 s are billed",
    );
    expect(priced.steps[1]!.detail).toBe("66 s at 0.0450/min: 66 × 0.0450 / 60 = 0.0495");
    expect(priced.steps[2]!.detail).toBe("connect fee 0.01, charged once because the call was answered");
    expect(priced.steps[3]!.detail).toBe("price 0.0595 for 66 billed seconds");
  });

  it("writes amounts in the deck's currency, keeping the sub-cent digits a price is made of", () => {
    const priced = priceCall({ rate: terms(60, 6, { ratePerMinuteMicros: 12_000n }), billsec: 61, currency: "USD" });
    expect(priced.steps.find((step) => step.rule === "PER_MINUTE_CHARGE")?.detail).toBe("66 s at $0.0120/min: 66 × $0.0120 / 60 = $0.0132");
    expect(priced.steps.find((step) => step.rule === "TOTAL")?.detail).toBe("price $0.0132 for 66 billed seconds");
    expect(priced.steps.map((step) => step.detail).join(" ")).not.toMatch(/µ|13200/);
    const rounded = priceCall({ rate: terms(1, 1, { ratePerMinuteMicros: 12_345n }), billsec: 7, currency: "CHF" });
    expect(rounded.steps.find((step) => step.rule === "PER_MINUTE_CHARGE")?.detail).toBe(
      "7 s at CHF\u00a00.012345/min: 7 × CHF\u00a00.012345 / 60 = CHF\u00a00.001441 (rounded up to the next CHF\u00a00.000001: one rounding per call, always up)",
    );
  });

  it("says when the price was rounded up", () => {
    const priced = priceCall({ rate: terms(1, 1, { ratePerMinuteMicros: 12_345n }), billsec: 7 });
    expect(priced.steps.find((step) => step.rule === "PER_MINUTE_CHARGE")?.detail).toMatch(/rounded up/);
  });

  it("explains unanswered, grace and initial-increment calls", () => {
    expect(priceCall({ rate: terms(60, 6), billsec: 0 }).steps.map((step) => step.rule)).toEqual(["UNANSWERED"]);
    expect(priceCall({ rate: terms(60, 6, { graceSeconds: 5 }), billsec: 5 }).steps.map((step) => step.rule)).toEqual(["GRACE"]);
    expect(priceCall({ rate: terms(60, 6), billsec: 21 }).steps[0]!.rule).toBe("INITIAL_INCREMENT");
  });
});

describe("rateCall", () => {
  const JAN_1 = new Date("2026-01-01T00:00:00Z");
  const sellRate = (prefix: string, micros: bigint, extra: Partial<Rate> = {}): Rate => ({
    prefix,
    description: prefix,
    category: "LONG_DISTANCE",
    ratePerMinuteMicros: micros,
    connectFeeMicros: 0n,
    initialIncrement: 60,
    increment: 6,
    graceSeconds: 0,
    effectiveFrom: JAN_1,
    effectiveTo: null,
    ...extra,
  });
  const sellDeck = compileRateMatcher([sellRate("1", 12_000n), sellRate("44", 21_000n, { category: "INTERNATIONAL" })]);
  const buyDeck = compileRateMatcher([sellRate("1", 5_000n)]);
  const normalizeNumber = createNumberNormalizer(NANP_NUMBERING_PLAN);
  const call = { caller: "6135550101", callee: "2125550199", startUtc: new Date("2026-10-01T12:00:00Z"), billsec: 61 };

  it("RATED with price, cost and margin", () => {
    const rated = rateCall(call, { normalizeNumber, sellDeck, buyDeck });
    // Sell 60/6: 61 s → 66 s × 12000 / 60 = 13200; buy 60/6 at 5000: 66 × 5000 / 60 = 5500.
    expect(rated).toMatchObject({
      status: "RATED",
      reason: null,
      caller: "16135550101",
      callee: "12125550199",
      matchedPrefix: "1",
      category: "LONG_DISTANCE",
      billedSeconds: 66,
      priceMicros: 13_200n,
      costMicros: 5_500n,
      marginMicros: 7_700n,
      costReason: null,
      steps: null,
    });
  });

  it("no buy rate: still RATED, cost unknown with a reason", () => {
    const rated = rateCall({ ...call, callee: "011442071838750" }, { normalizeNumber, sellDeck, buyDeck });
    expect(rated).toMatchObject({ status: "RATED", costMicros: null, marginMicros: null, costReason: "no buy rate for prefix" });
  });

  it("UNANSWERED costs nothing whatever the account or deck", () => {
    expect(rateCall({ ...call, billsec: 0 }, { normalizeNumber, sellDeck: null, accountKnown: false })).toMatchObject({
      status: "UNANSWERED",
      billedSeconds: 0,
      priceMicros: 0n,
    });
  });

  it("UNBILLABLE: unknown account, no deck, no rate for the number", () => {
    expect(rateCall(call, { normalizeNumber, sellDeck, accountKnown: false })).toMatchObject({
      status: "UNBILLABLE",
      reason: "unknown account",
      priceMicros: null,
    });
    expect(rateCall(call, { normalizeNumber, sellDeck: null })).toMatchObject({ status: "UNBILLABLE", reason: "no rate deck assigned" });
    expect(rateCall({ ...call, callee: "0113312345678" }, { normalizeNumber, sellDeck })).toMatchObject({
      status: "UNBILLABLE",
      reason: "no rate for prefix",
      callee: "3312345678",
    });
  });

  it("REJECTED: parser rejection passed through, missing fields, a callee that is not a number", () => {
    expect(rateCall({ ...call, rejectedReason: "not a CDR" }, { normalizeNumber, sellDeck })).toMatchObject({
      status: "REJECTED",
      reason: "not a CDR",
    });
    expect(rateCall({ ...call, startUtc: null }, { normalizeNumber, sellDeck })).toMatchObject({ status: "REJECTED" });
    expect(rateCall({ ...call, billsec: null }, { normalizeNumber, sellDeck })).toMatchObject({ status: "REJECTED" });
    expect(rateCall({ ...call, callee: "not-a-number" }, { normalizeNumber, sellDeck })).toMatchObject({
      status: "REJECTED",
      reason: 'called number "not-a-number": not a phone number (unexpected "n")',
      callee: "not-a-number",
    });
  });

  it("keeps an odd caller ID as received instead of refusing the call", () => {
    expect(rateCall({ ...call, caller: "Anonymous" }, { normalizeNumber, sellDeck })).toMatchObject({
      status: "RATED",
      caller: "Anonymous",
    });
  });

  it("explains the price on request", () => {
    const rated = rateCall(call, { normalizeNumber, sellDeck, explain: true });
    expect(rated.steps?.map((step) => step.rule)).toEqual(["SUBSEQUENT_INCREMENTS", "PER_MINUTE_CHARGE", "CONNECT_FEE", "TOTAL"]);
  });
});
