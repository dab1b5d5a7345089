import { describe, expect, it } from "vitest";
import { microsPerMinorUnit, microsToMinor, microsToMinorCeil, minorToMicros, minorUnitDigits } from "@/server/payments/stripe-amounts";

describe("Stripe minor units ↔ micro-units", () => {
  it("knows the minor unit of 2-, 0- and 3-decimal currencies", () => {
    expect(minorUnitDigits("USD")).toBe(2);
    expect(minorUnitDigits("usd")).toBe(2);
    expect(minorUnitDigits("JPY")).toBe(0);
    expect(minorUnitDigits("KWD")).toBe(3);
    expect(microsPerMinorUnit("USD")).toBe(10_000n);
    expect(microsPerMinorUnit("JPY")).toBe(1_000_000n);
    expect(microsPerMinorUnit("BHD")).toBe(1_000n);
  });

  it("converts cents to micro-units exactly (cents × 10,000)", () => {
    expect(minorToMicros(2500, "USD")).toBe(25_000_000n);
    expect(minorToMicros(1999, "USD")).toBe(19_990_000n);
    expect(minorToMicros(1, "usd")).toBe(10_000n);
    expect(minorToMicros(0, "USD")).toBe(0n);
    expect(minorToMicros(500, "JPY")).toBe(500_000_000n);
    expect(minorToMicros(1234, "KWD")).toBe(1_234_000n);
    expect(minorToMicros(9_007_199_254_740_991, "USD")).toBe(90_071_992_547_409_910_000n);
    expect(() => minorToMicros(19.99, "USD")).toThrow(RangeError);
  });

  it("converts micro-units to cents, refusing fractions of a cent", () => {
    expect(microsToMinor(25_000_000n, "USD")).toBe(2500);
    expect(microsToMinor(19_990_000n, "USD")).toBe(1999);
    expect(microsToMinor(10_000n, "USD")).toBe(1);
    expect(() => microsToMinor(12_345n, "USD")).toThrow(/whole number of cents/);
    expect(() => microsToMinor(1_500_000n, "JPY")).toThrow(/whole number of units/);
    expect(microsToMinor(1_001_000n, "KWD")).toBe(1001);
  });

  it("rounds amounts owed up to the next cent, never down", () => {
    expect(microsToMinorCeil(12_345n, "USD")).toBe(2);
    expect(microsToMinorCeil(10_000n, "USD")).toBe(1);
    expect(microsToMinorCeil(10_001n, "USD")).toBe(2);
    expect(microsToMinorCeil(0n, "USD")).toBe(0);
  });

  it("round-trips every cent value in a range", () => {
    for (let cents = 0; cents < 5000; cents += 7) {
      expect(microsToMinor(minorToMicros(cents, "USD"), "USD")).toBe(cents);
    }
  });
});
