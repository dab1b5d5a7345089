import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  ceilDiv,
  formatMicros,
  MAX_MICROS,
  MicrosSum,
  microsFromUnits,
  MoneyParseError,
  parseMoneyToMicros,
  sumMicros,
  tryParseMoneyToMicros,
} from "@/server/rating/money";

describe("parseMoneyToMicros", () => {
  it.each([
    ["0.0123", 12_300n],
    ["1", 1_000_000n],
    [".5", 500_000n],
    ["5.", 5_000_000n],
    ["0", 0n],
    ["0.000001", 1n],
    ["0.1", 100_000n], // 0.1 is not representable as a float; the text route is exact
    ["1.2345670", 1_234_567n], // extra decimals are fine when they are zeros
    ["12.3400000000", 12_340_000n],
    ["  0.0210 ", 21_000n],
    ["+2.5", 2_500_000n],
    ["007.5", 7_500_000n],
    ["123456789012.123456", 123_456_789_012_123_456n],
  ])("%j → %d micro-units", (text, micros) => {
    expect(parseMoneyToMicros(text)).toBe(micros);
  });

  it("parses negatives only when allowed", () => {
    expect(parseMoneyToMicros("-0.01", { allowNegative: true })).toBe(-10_000n);
    expect(() => parseMoneyToMicros("-0.01")).toThrow(/must not be negative/);
    expect(parseMoneyToMicros("-0")).toBe(0n);
  });

  it.each([
    ["", /empty/],
    ["   ", /empty/],
    ["1.2345678", /more than 6 decimals/],
    ["0.0000001", /more than 6 decimals/],
    ["1,5", /unexpected ",".*decimal separator/],
    ["1,000.00", /unexpected ","/],
    ["1e-3", /exponent/],
    ["$1.00", /unexpected "\$"/],
    ["abc", /unexpected "a"/],
    [".", /no digits/],
    ["-", /no digits/],
    ["1.2.3", /unexpected "\."/],
    ["1 000", /unexpected " "/],
    ["NaN", /unexpected "N"/],
    ["99999999999999", /too large/],
  ])("refuses %j", (text, message) => {
    expect(() => parseMoneyToMicros(text)).toThrow(MoneyParseError);
    expect(() => parseMoneyToMicros(text)).toThrow(message);
  });

  it("names the field in its errors", () => {
    const result = tryParseMoneyToMicros("0,012", { field: "rate_per_minute" });
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^rate_per_minute: "0,012" is not a decimal amount/) });
  });

  it("accepts the largest amount a BIGINT holds and nothing above", () => {
    expect(parseMoneyToMicros("9223372036854.775807")).toBe(MAX_MICROS);
    expect(() => parseMoneyToMicros("9223372036854.775808")).toThrow(/too large/);
  });
});

describe("formatMicros", () => {
  it.each([
    [12_300n, {}, "0.0123"],
    [1_000_000n, {}, "1"],
    [0n, {}, "0"],
    [1n, {}, "0.000001"],
    [-10_000n, {}, "-0.01"],
    [1_000_000n, { minFractionDigits: 2 }, "1.00"],
    [12_000n, { minFractionDigits: 4 }, "0.0120"],
    [123_456_789n, { minFractionDigits: 2 }, "123.456789"],
  ] as const)("%d with %j → %s", (micros, options, text) => {
    expect(formatMicros(micros, options)).toBe(text);
  });

  it("round-trips through parseMoneyToMicros for any amount", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -MAX_MICROS, max: MAX_MICROS }), fc.integer({ min: 0, max: 6 }), (micros, digits) => {
        const text = formatMicros(micros, { minFractionDigits: digits });
        expect(parseMoneyToMicros(text, { allowNegative: true })).toBe(micros);
      }),
    );
  });
});

describe("helpers", () => {
  it("ceilDiv rounds towards +infinity", () => {
    expect(ceilDiv(811_800n, 60n)).toBe(13_530n);
    expect(ceilDiv(86_415n, 60n)).toBe(1_441n);
    expect(ceilDiv(0n, 60n)).toBe(0n);
    expect(ceilDiv(-61n, 60n)).toBe(-1n);
    expect(() => ceilDiv(1n, 0n)).toThrow(RangeError);
  });

  it("microsFromUnits and sumMicros", () => {
    expect(microsFromUnits(5)).toBe(5_000_000n);
    expect(() => microsFromUnits(0.5)).toThrow(/whole number/);
    expect(sumMicros([1n, 2n, 3n])).toBe(6n);
  });
});

describe("MicrosSum", () => {
  it("adds exactly, across the doubles' safe range and with amounts beyond it", () => {
    const amounts = [1n, 999_999n, BigInt(Number.MAX_SAFE_INTEGER) - 5n, 7n, 10n ** 20n + 3n, -4n, 123_456_789n];
    const sum = new MicrosSum();
    for (const amount of amounts) sum.add(amount);
    expect(sum.total).toBe(amounts.reduce((a, b) => a + b, 0n));
    // Many small amounts, as a batch's charges: the same as BigInt addition.
    const many = new MicrosSum();
    let exact = 0n;
    for (let index = 0; index < 100_000; index++) {
      const amount = BigInt(index * 7919 + 1) * 1_000_003n;
      many.add(amount);
      exact += amount;
    }
    expect(many.total).toBe(exact);
    expect(new MicrosSum().total).toBe(0n);
  });
});
