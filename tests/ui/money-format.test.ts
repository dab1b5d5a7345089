import { describe, it, expect } from "vitest";
import {
  currencyDigits,
  formatMicros,
  microsToDecimalString,
  parseDecimalToMicros,
  splitMicros,
} from "@/components/ui/money-format";

describe("formatMicros", () => {
  it("formats whole and fractional amounts with the currency's default 2 decimals", () => {
    expect(formatMicros(0n, "USD")).toBe("$0.00");
    expect(formatMicros(1_000_000n, "USD")).toBe("$1.00");
    expect(formatMicros(12_340_000n, "USD")).toBe("$12.34");
    expect(formatMicros(1_234_567_890_000n, "USD")).toBe("$1,234,567.89");
    expect(formatMicros(5_000_000n, "EUR")).toBe("€5.00");
    expect(formatMicros(5_000_000n, "GBP")).toBe("£5.00");
  });

  it("rounds half away from zero when reducing precision", () => {
    expect(formatMicros(1_004_999n, "USD")).toBe("$1.00");
    expect(formatMicros(1_005_000n, "USD")).toBe("$1.01");
    expect(formatMicros(1_995_000n, "USD")).toBe("$2.00");
    expect(formatMicros(999_995_000n, "USD")).toBe("$1,000.00");
    expect(formatMicros(-1_005_000n, "USD")).toBe("-$1.01");
    expect(formatMicros(-1_004_999n, "USD")).toBe("-$1.00");
    expect(formatMicros(2_500_000n, "USD", { precision: 0 })).toBe("$3");
    expect(formatMicros(-2_500_000n, "USD", { precision: 0 })).toBe("-$3");
    expect(formatMicros(2_499_999n, "USD", { precision: 0 })).toBe("$2");
  });

  it("formats negative values with a leading minus and never shows negative zero", () => {
    expect(formatMicros(-1n, "USD", { precision: 6 })).toBe("-$0.000001");
    expect(formatMicros(-12_345_678n, "USD")).toBe("-$12.35");
    expect(formatMicros(-1_234_567_000_000n, "USD")).toBe("-$1,234,567.00");
    expect(formatMicros(-4_999n, "USD")).toBe("$0.00");
    expect(formatMicros(-5_000n, "USD")).toBe("-$0.01");
  });

  it("is exact for values far beyond 2^53", () => {
    const twoTo53 = 2n ** 53n; // 9,007,199,254,740,992 micros
    expect(formatMicros(twoTo53 + 1n, "USD", { precision: 6 })).toBe("$9,007,199,254.740993");
    expect(formatMicros(twoTo53 + 1n, "USD")).toBe("$9,007,199,254.74");
    // Largest BIGINT PostgreSQL can hold.
    const maxBigint = 9_223_372_036_854_775_807n;
    expect(formatMicros(maxBigint, "USD", { precision: 6 })).toBe("$9,223,372,036,854.775807");
    expect(formatMicros(maxBigint, "USD")).toBe("$9,223,372,036,854.78");
    expect(formatMicros(-maxBigint - 1n, "USD")).toBe("-$9,223,372,036,854.78");
    expect(formatMicros(123_456_789_012_345_678_901_234_567n, "USD", { precision: 6 })).toBe(
      "$123,456,789,012,345,678,901.234567",
    );
  });

  it("shows per-minute rates with up to 6 decimals", () => {
    expect(formatMicros(12_300n, "USD", { precision: 6 })).toBe("$0.012300");
    expect(formatMicros(12_300n, "USD", { precision: 4 })).toBe("$0.0123");
    expect(formatMicros(12_345n, "USD", { precision: 4 })).toBe("$0.0123");
    expect(formatMicros(12_350n, "USD", { precision: 4 })).toBe("$0.0124");
    expect(formatMicros(1n, "USD", { precision: 6 })).toBe("$0.000001");
    expect(formatMicros(1n, "USD", { precision: 5 })).toBe("$0.00000");
    expect(formatMicros(5n, "USD", { precision: 5 })).toBe("$0.00001");
  });

  it("trims trailing zeros down to minPrecision", () => {
    expect(formatMicros(12_300n, "USD", { precision: 6, minPrecision: 2 })).toBe("$0.0123");
    expect(formatMicros(10_000_000n, "USD", { precision: 6, minPrecision: 2 })).toBe("$10.00");
    expect(formatMicros(10_500_000n, "USD", { precision: 6, minPrecision: 0 })).toBe("$10.5");
    expect(formatMicros(10_000_000n, "USD", { precision: 6, minPrecision: 0 })).toBe("$10");
    expect(formatMicros(1_234_567n, "USD", { precision: 6, minPrecision: 2 })).toBe("$1.234567");
  });

  it("supports currency display, grouping and explicit plus sign", () => {
    expect(formatMicros(1_234_000_000n, "USD", { currencyDisplay: "code" })).toBe("USD\u00a01,234.00");
    expect(formatMicros(1_234_000_000n, "USD", { currencyDisplay: "none" })).toBe("1,234.00");
    expect(formatMicros(1_234_000_000n, "USD", { grouping: false })).toBe("$1234.00");
    expect(formatMicros(1_000_000n, "USD", { signPositive: true })).toBe("+$1.00");
    expect(formatMicros(0n, "USD", { signPositive: true })).toBe("$0.00");
    expect(formatMicros(1_000_000n, "CHF")).toBe("CHF\u00a01.00");
    expect(formatMicros(1_000_000n, "CAD")).toBe("CA$1.00");
  });

  it("follows the currency's minor digits by default and tolerates unknown codes", () => {
    expect(currencyDigits("USD")).toBe(2);
    expect(currencyDigits("JPY")).toBe(0);
    expect(formatMicros(1_500_000_000n, "JPY")).toBe("¥1,500");
    expect(formatMicros(1_500_000n, "XYZ1")).toBe("XYZ1\u00a01.50");
  });

  it("rejects a precision outside 0–6", () => {
    expect(() => formatMicros(1n, "USD", { precision: 7 })).toThrow(RangeError);
    expect(() => formatMicros(1n, "USD", { precision: -1 })).toThrow(RangeError);
    expect(() => formatMicros(1n, "USD", { precision: 1.5 })).toThrow(RangeError);
  });
});

describe("splitMicros / microsToDecimalString", () => {
  it("splits with exact fraction width", () => {
    expect(splitMicros(1_050_000n, 2)).toEqual({ negative: false, integer: "1", fraction: "05" });
    expect(splitMicros(-999_999n, 0)).toEqual({ negative: true, integer: "1", fraction: "" });
    expect(microsToDecimalString(-1_234_567n)).toBe("-1.234567");
    expect(microsToDecimalString(-1_234_567n, 2)).toBe("-1.23");
    expect(microsToDecimalString(0n, 2)).toBe("0.00");
    expect(microsToDecimalString(2n ** 63n, 6)).toBe("9223372036854.775808");
  });
});

describe("parseDecimalToMicros", () => {
  it("parses what a person types", () => {
    expect(parseDecimalToMicros("12.50")).toBe(12_500_000n);
    expect(parseDecimalToMicros(" 1,234.5 ")).toBe(1_234_500_000n);
    expect(parseDecimalToMicros("-0.0123")).toBe(-12_300n);
    expect(parseDecimalToMicros("+3")).toBe(3_000_000n);
    expect(parseDecimalToMicros(".5")).toBe(500_000n);
    expect(parseDecimalToMicros("7.")).toBe(7_000_000n);
    expect(parseDecimalToMicros("0.000001")).toBe(1n);
    expect(parseDecimalToMicros("9223372036854.775807")).toBe(9_223_372_036_854_775_807n);
  });

  it("rejects non-numbers and more than 6 decimals", () => {
    for (const bad of ["", " ", ".", "-", "abc", "1e3", "1.2.3", "0.0000001", "$5", "--1", "1 000"]) {
      expect(parseDecimalToMicros(bad), bad).toBeNull();
    }
  });

  it("round-trips with microsToDecimalString", () => {
    for (const micros of [0n, 1n, -1n, 12_300n, -987_654_321n, 2n ** 60n]) {
      expect(parseDecimalToMicros(microsToDecimalString(micros))).toBe(micros);
    }
  });
});
