import { describe, expect, it } from "vitest";

import {
  createNumberNormalizer,
  NANP_NUMBERING_PLAN,
  normalizeNumber,
  NumberingPlanError,
  type NumberingPlan,
} from "@/server/rating/normalize";

const nanp = createNumberNormalizer({ ...NANP_NUMBERING_PLAN, techPrefixes: ["5501"] });
const europe: NumberingPlan = { countryCode: "49", internationalPrefixes: ["00"], nationalNumberLength: 10, trunkPrefix: "0" };
const germany = createNumberNormalizer(europe);

function digitsOf(result: ReturnType<typeof nanp>): string {
  if (!result.ok) throw new Error(`expected a number, got: ${result.reason}`);
  return result.digits;
}

describe("number normalisation, NANP tenant (country 1, 011, 10 digits)", () => {
  it.each([
    ["6135550101", "16135550101"], // 10-digit national number gets the country code
    ["16135550101", "16135550101"], // 1 + 10 digits is already E.164
    ["+16135550101", "16135550101"],
    ["+1 (613) 555-0101", "16135550101"],
    ["613.555.0101", "16135550101"],
    ["  613-555-0101 ", "16135550101"],
    ["0114420718387", "4420718387"], // 011 international prefix stripped
    ["011 44 20 7183 8750", "442071838750"],
    ["+442071838750", "442071838750"],
    ["442071838750", "442071838750"], // already E.164 without "+"
    ["99#6135550101", "16135550101"], // "<digits>#" tech prefix stripped even if not configured
    ["55016135550101", "16135550101"], // configured digit tech prefix
    ["18005551234", "18005551234"],
    ["911", "911"], // short codes of 3 digits are numbers
  ])("%j → %s", (raw, expected) => {
    expect(digitsOf(nanp(raw))).toBe(expected);
  });

  it("does not treat 00 as international unless configured", () => {
    // A NANP plan only knows 011; a European-style 00 number stays as dialled (and will find
    // no rate), which is how the asterisk fixture's 00351… call becomes UNBILLABLE.
    expect(digitsOf(nanp("00351912345678"))).toBe("00351912345678");
    const both = createNumberNormalizer({ ...NANP_NUMBERING_PLAN, internationalPrefixes: ["011", "00"] });
    expect(digitsOf(both("00351912345678"))).toBe("351912345678");
  });

  it.each([
    ["", /empty/],
    ["   ", /empty/],
    ["not-a-number", /not a phone number \(unexpected "n"\)/],
    ["anonymous", /unexpected "a"/],
    ["*67", /unexpected "\*"/],
    ["61355501O1", /unexpected "O"/], // letter O instead of zero
    ["1+613", /unexpected "\+"/], // "+" only before the first digit
    ["++16135550101", /unexpected "\+"/],
    ["---", /no digits/],
    ["12", /too short: 2 digits/],
    ["0111234567890123456", /too long: 16 digits/],
    ["1234567890123456", /too long: 16 digits/],
  ])("rejects %j", (raw, reason) => {
    const result = nanp(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe("number normalisation, 00 tenant with trunk prefix 0", () => {
  it.each([
    ["004420718387", "4420718387"],
    ["+49 30 1234567", "49301234567"],
    ["030 1234567", "49301234567"], // national trunk prefix 0 replaced by the country code
    ["3012345678", "493012345678"], // national length
  ])("%j → %s", (raw, expected) => {
    expect(digitsOf(germany(raw))).toBe(expected);
  });
});

describe("numbering plan validation", () => {
  it.each([
    [{ ...NANP_NUMBERING_PLAN, countryCode: "+1" }, /countryCode/],
    [{ ...NANP_NUMBERING_PLAN, internationalPrefixes: ["0x1"] }, /internationalPrefixes/],
    [{ ...NANP_NUMBERING_PLAN, nationalNumberLength: 0 }, /nationalNumberLength/],
    [{ ...NANP_NUMBERING_PLAN, techPrefixes: [""] }, /techPrefixes/],
  ])("refuses %j", (plan, message) => {
    expect(() => createNumberNormalizer(plan)).toThrow(NumberingPlanError);
    expect(() => createNumberNormalizer(plan)).toThrow(message);
  });

  it("normalizeNumber compiles once per plan object", () => {
    expect(normalizeNumber("6135550101", NANP_NUMBERING_PLAN)).toEqual({ ok: true, digits: "16135550101", shortCode: false });
  });
});
