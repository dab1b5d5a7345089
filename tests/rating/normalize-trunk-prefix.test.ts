import { describe, expect, it } from "vitest";

import { createNumberNormalizer, type NormalizeResult, type NumberingPlan } from "@/server/rating/normalize";

const russiaPlan: NumberingPlan = { countryCode: "7", internationalPrefixes: ["810"], nationalNumberLength: 10, trunkPrefix: "8" };
const ukPlan: NumberingPlan = { countryCode: "44", internationalPrefixes: ["00"], nationalNumberLength: 10, trunkPrefix: "0" };
const russia = createNumberNormalizer(russiaPlan);
const uk = createNumberNormalizer(ukPlan);
const germany = createNumberNormalizer({ countryCode: "49", internationalPrefixes: ["00"], nationalNumberLength: 10, trunkPrefix: "0" });
const france = createNumberNormalizer({ countryCode: "33", internationalPrefixes: ["00"], nationalNumberLength: 9, trunkPrefix: "0" });
const byCountry = { UK: uk, Germany: germany, France: france, Russia: russia };

function shape(result: NormalizeResult): string {
  if (!result.ok) return `rejected: ${result.reason}`;
  return result.shortCode ? `short ${result.digits}` : result.digits;
}

describe("a national-length number and a trunk prefix that is not 0", () => {
  it.each([
    ["8001234567", "78001234567"], // an 800 number dialled without the trunk 8, not 7 + 001…
    ["8123456789", "78123456789"], // St Petersburg (812) dialled without the trunk
    ["4951234567", "74951234567"],
    ["84951234567", "74951234567"], // trunk 8 + Moscow
    ["88001234567", "78001234567"], // trunk 8 + an 800 number: the remainder may begin with 8
    ["8104420718387", "4420718387"], // 810 international
    ["+74951234567", "74951234567"],
  ])("Russia %j → %s", (raw, expected) => {
    expect(shape(russia(raw))).toBe(expected);
  });
});

describe("trunk prefix 0 as before", () => {
  it.each([
    ["UK" as const, "02071838750", "442071838750"],
    ["UK" as const, "0207183875", "44207183875"], // national length, but begins with the trunk 0
    ["UK" as const, "2071838750", "442071838750"],
    ["Germany" as const, "030 1234567", "49301234567"],
    ["Germany" as const, "3012345678", "493012345678"],
    ["France" as const, "0142685300", "33142685300"],
    ["France" as const, "142685300", "33142685300"],
  ])("%s %j → %s", (country, raw, expected) => {
    expect(shape(byCountry[country](raw))).toBe(expected);
  });
});

describe("a number dialled with the trunk prefix that is too short to be anyone's", () => {
  const australia = createNumberNormalizer({ countryCode: "61", internationalPrefixes: ["0011"], nationalNumberLength: 9, trunkPrefix: "0" });

  it.each([
    ["UK" as const, "0123", "short 0123"], // not "44123", which the UK's "44" would price
    ["UK" as const, "0 999", "short 0999"],
    ["Russia" as const, "8123", "short 8123"],
  ])("%s %j → %s", (country, raw, expected) => {
    expect(shape(byCountry[country](raw))).toBe(expected);
  });

  it("keeps Australia's emergency number 000 as dialled", () => {
    expect(shape(australia("000"))).toBe("short 000");
    expect(shape(australia("0011 44 20 7183 8750"))).toBe("442071838750");
  });

  it("is an ordinary number from 7 digits on", () => {
    expect(shape(uk("012345"))).toBe("4412345");
  });
});

describe("the trunk prefix twice where 00 is not a listed international prefix", () => {
  const ukWithout00 = createNumberNormalizer({ ...ukPlan, internationalPrefixes: ["011"] });

  it("is refused rather than read as a national number", () => {
    expect(shape(ukWithout00("00 1 613 555 0101"))).toBe("rejected: dialled with an international prefix this plan does not list");
    expect(shape(ukWithout00("0016135550101"))).toBe("rejected: dialled with an international prefix this plan does not list");
    expect(shape(ukWithout00("011 1 613 555 0101"))).toBe("16135550101");
    expect(shape(ukWithout00("0012345"))).toBe("rejected: dialled with an international prefix this plan does not list");
    expect(shape(ukWithout00("02071838750"))).toBe("442071838750");
  });

  it("is read as international where 00 is listed", () => {
    expect(shape(uk("0016135550101"))).toBe("16135550101");
  });
});
