import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { compileRateMatcher, RateDeckCompileError, type Rate } from "@/server/rating/matcher";

const JAN_1 = new Date("2026-01-01T00:00:00Z");
const RATE_CHANGE = new Date("2026-10-15T00:00:00Z");

function rate(prefix: string, overrides: Partial<Rate> = {}): Rate {
  return {
    prefix,
    description: `rate ${prefix}`,
    category: "OTHER",
    ratePerMinuteMicros: 10_000n,
    connectFeeMicros: 0n,
    initialIncrement: 60,
    increment: 6,
    graceSeconds: 0,
    effectiveFrom: JAN_1,
    effectiveTo: null,
    ...overrides,
  };
}

const at = (iso: string): number => new Date(iso).getTime();

describe("longest prefix", () => {
  const deck = compileRateMatcher([
    rate("1", { description: "USA/Canada" }),
    rate("1613", { description: "Ottawa" }),
    rate("1613555", { description: "Ottawa premium" }),
    rate("44"),
    rate("4420"),
  ]);

  it.each([
    ["16135551234", "1613555"],
    ["16135561234", "1613"],
    ["16145551234", "1"],
    ["1613", "1613"], // the number equals a prefix
    ["161355", "1613"], // shorter than the nested prefix
    ["442071838750", "4420"],
    ["447700900123", "44"],
  ])("%s → %s", (number, prefix) => {
    expect(deck.lookup(number, at("2026-06-01T00:00:00Z"))?.prefix).toBe(prefix);
  });

  it("returns null when no prefix covers the number", () => {
    expect(deck.lookup("33123456789", at("2026-06-01T00:00:00Z"))).toBeNull();
    expect(deck.lookup("", at("2026-06-01T00:00:00Z"))).toBeNull();
  });

  it("stops at the first non-digit", () => {
    expect(deck.lookup("1613x555", at("2026-06-01T00:00:00Z"))?.prefix).toBe("1613");
  });

  it("reports its size and returns indexes into the compiled array", () => {
    expect(deck.rateCount).toBe(5);
    expect(deck.prefixCount).toBe(5);
    expect(deck.lookupIndex("16135551234", at("2026-06-01T00:00:00Z"))).toBe(2);
    expect(deck.lookupIndex("33", at("2026-06-01T00:00:00Z"))).toBe(-1);
  });

  it("an empty prefix is a catch-all", () => {
    const withDefault = compileRateMatcher([rate(""), rate("44")]);
    expect(withDefault.lookup("33123456789", at("2026-06-01T00:00:00Z"))?.prefix).toBe("");
    expect(withDefault.lookup("4412", at("2026-06-01T00:00:00Z"))?.prefix).toBe("44");
  });
});

describe("effective dates: effectiveFrom <= start < effectiveTo", () => {
  const before = rate("1212", { ratePerMinuteMicros: 9_000n, effectiveTo: RATE_CHANGE });
  const after = rate("1212", { ratePerMinuteMicros: 7_500n, effectiveFrom: RATE_CHANGE });
  // Versions given out of order on purpose: compile sorts them.
  const deck = compileRateMatcher([after, rate("1", { effectiveFrom: new Date("2025-01-01T00:00:00Z") }), before]);

  it("picks the version in force at the exact boundary instant", () => {
    expect(deck.lookup("12125550199", RATE_CHANGE.getTime() - 1)).toBe(before);
    expect(deck.lookup("12125550199", RATE_CHANGE.getTime())).toBe(after); // effectiveTo is exclusive
    expect(deck.lookup("12125550199", RATE_CHANGE.getTime() + 1)).toBe(after);
    expect(deck.lookup("12125550199", JAN_1.getTime())).toBe(before); // effectiveFrom is inclusive
  });

  it("falls back to the parent prefix before a nested prefix takes effect", () => {
    expect(deck.lookup("12125550199", JAN_1.getTime() - 1)?.prefix).toBe("1");
    expect(deck.lookup("12125550199", at("2024-12-31T23:59:59.999Z"))).toBeNull();
  });

  it("falls back in a gap between two versions and after the last one ends", () => {
    const gapped = compileRateMatcher([
      rate("1"),
      rate("1613", { effectiveTo: new Date("2026-03-01T00:00:00Z"), ratePerMinuteMicros: 1n }),
      rate("1613", { effectiveFrom: new Date("2026-04-01T00:00:00Z"), effectiveTo: new Date("2026-05-01T00:00:00Z"), ratePerMinuteMicros: 2n }),
    ]);
    expect(gapped.lookup("16135550101", at("2026-02-28T23:59:59Z"))?.ratePerMinuteMicros).toBe(1n);
    expect(gapped.lookup("16135550101", at("2026-03-15T00:00:00Z"))?.prefix).toBe("1");
    expect(gapped.lookup("16135550101", at("2026-04-01T00:00:00Z"))?.ratePerMinuteMicros).toBe(2n);
    expect(gapped.lookup("16135550101", at("2026-05-01T00:00:00Z"))?.prefix).toBe("1");
  });
});

describe("windows off whole minutes or far in the future", () => {
  it("checks windows with seconds exactly", () => {
    const from = new Date("2026-10-15T00:00:30.500Z");
    const deck = compileRateMatcher([rate("1"), rate("1212", { effectiveFrom: from, effectiveTo: new Date("2026-10-15T00:01:00.250Z") })]);
    expect(deck.lookup("12125550199", from.getTime() - 1)?.prefix).toBe("1");
    expect(deck.lookup("12125550199", from.getTime())?.prefix).toBe("1212");
    expect(deck.lookup("12125550199", at("2026-10-15T00:01:00.249Z"))?.prefix).toBe("1212");
    expect(deck.lookup("12125550199", at("2026-10-15T00:01:00.250Z"))?.prefix).toBe("1");
  });

  it("handles 9999-12-31 style end dates and instants beyond the minute range", () => {
    const deck = compileRateMatcher([
      rate("1", { effectiveTo: new Date("9999-12-31T00:00:00Z") }),
      rate("44"),
    ]);
    expect(deck.lookup("12125550199", at("9999-12-30T23:59:59Z"))?.prefix).toBe("1");
    expect(deck.lookup("12125550199", at("9999-12-31T00:00:00Z"))).toBeNull();
    expect(deck.lookup("442071838750", at("9999-12-31T00:00:00Z"))?.prefix).toBe("44");
    expect(deck.lookup("442071838750", 8.64e15)?.prefix).toBe("44"); // the last instant a Date can hold
    expect(deck.lookup("442071838750", Number.NaN)).toBeNull();
  });
});

describe("compile errors", () => {
  it("refuses overlapping versions of one prefix, naming both", () => {
    const rates = [
      rate("1212", { effectiveTo: new Date("2026-10-16T00:00:00Z") }),
      rate("44"),
      rate("1212", { effectiveFrom: RATE_CHANGE }),
    ];
    let error: unknown;
    try {
      compileRateMatcher(rates);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RateDeckCompileError);
    const issues = (error as RateDeckCompileError).issues;
    expect(issues).toEqual([{ rateIndexes: [0, 2], message: expect.stringMatching(/overlapping versions: prefix 1212/) }]);
  });

  it("refuses two open-ended versions from the same instant", () => {
    expect(() => compileRateMatcher([rate("44"), rate("44")])).toThrow(/overlapping/);
  });

  it("refuses invalid prefixes and empty windows, listing every problem", () => {
    try {
      compileRateMatcher([rate("12a"), rate("1234567890123456"), rate("44", { effectiveTo: JAN_1 })]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RateDeckCompileError);
      expect((error as RateDeckCompileError).issues.map((issue) => issue.rateIndexes)).toEqual([[0], [1], [2]]);
    }
  });
});

describe("agrees with a brute-force reference on random decks", () => {
  // Prefixes over a small alphabet nest a lot; windows are drawn per prefix without overlap.
  const prefixArbitrary = fc.string({ unit: fc.constantFrom("1", "2", "3"), minLength: 0, maxLength: 5 });
  // Whole-minute boundaries (checked in place, in minutes) mixed with odd milliseconds
  // (checked exactly), so both kinds of node are compared with the reference.
  const boundaries = [0, 60_000, 60_001, 120_000, 240_000];
  const instantArbitrary = fc.oneof(
    fc.integer({ min: -61_000, max: 250_000 }),
    fc.constantFrom(-1, 0, 59_999, 60_000, 60_001, 60_002, 119_999, 120_000, 239_999, 240_000),
  );
  const versionsArbitrary = fc
    .subarray(boundaries, { minLength: 2 })
    .chain((points) => fc.tuple(fc.constant(points), fc.array(fc.boolean(), { minLength: points.length, maxLength: points.length })));
  const deckArbitrary = fc.uniqueArray(fc.tuple(prefixArbitrary, versionsArbitrary), {
    selector: ([prefix]) => prefix,
    maxLength: 25,
  });

  it("longest effective prefix, for any number and instant", () => {
    fc.assert(
      fc.property(
        deckArbitrary,
        fc.array(fc.tuple(fc.string({ unit: fc.constantFrom("1", "2", "3"), maxLength: 7 }), instantArbitrary), {
          minLength: 1,
          maxLength: 30,
        }),
        (deckSpec, queries) => {
          const rates: Rate[] = [];
          for (const [prefix, [points, openEnded]] of deckSpec) {
            // Consecutive boundaries form windows; `openEnded` randomly drops some to make gaps
            // and makes the last one open-ended.
            for (let index = 0; index + 1 < points.length; index++) {
              if (!openEnded[index]) continue;
              const isLast = index + 2 === points.length;
              rates.push(
                rate(prefix, {
                  effectiveFrom: new Date(points[index]!),
                  effectiveTo: isLast && openEnded[index + 1] ? null : new Date(points[index + 1]!),
                }),
              );
            }
          }
          const matcher = compileRateMatcher(rates);
          for (const [number, instant] of queries) {
            let expected = -1;
            rates.forEach((candidate, index) => {
              const effective =
                candidate.effectiveFrom.getTime() <= instant &&
                (candidate.effectiveTo === null || instant < candidate.effectiveTo.getTime());
              if (effective && number.startsWith(candidate.prefix)) {
                if (expected === -1 || candidate.prefix.length > rates[expected]!.prefix.length) expected = index;
              }
            });
            expect(matcher.lookupIndex(number, instant)).toBe(expected);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
