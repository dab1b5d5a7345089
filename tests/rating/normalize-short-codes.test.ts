import { describe, expect, it } from "vitest";

import { createNumberNormalizer, NANP_NUMBERING_PLAN, NumberingPlanError, type NumberingPlan, type NormalizeResult } from "@/server/rating/normalize";

const nanp = createNumberNormalizer(NANP_NUMBERING_PLAN);
const germanyPlan: NumberingPlan = { countryCode: "49", internationalPrefixes: ["00"], nationalNumberLength: 10, trunkPrefix: "0" };
const germany = createNumberNormalizer(germanyPlan);

function shape(result: NormalizeResult): string {
  if (!result.ok) return `rejected: ${result.reason}`;
  return result.shortCode ? `short ${result.digits}` : result.digits;
}

describe("short codes and local numbers", () => {
  it.each([
    ["911", "short 911"],
    ["411", "short 411"],
    ["711", "short 711"],
    ["311", "short 311"],
    ["611", "short 611"],
    ["811", "short 811"],
    ["5550101", "short 5550101"], // a 7-digit local number, not Brazil (55)
    ["555-0101", "short 5550101"],
    ["99#911", "short 911"], // a tech prefix does not make it international
    ["613555010", "short 613555010"], // one digit short of a national number: incomplete
  ])("NANP %j → %s", (raw, expected) => {
    expect(shape(nanp(raw))).toBe(expected);
  });

  it.each([
    ["6135550101", "16135550101"],
    ["16135550101", "16135550101"],
    ["442071838750", "442071838750"], // longer than national: E.164 as written
    ["+442071838750", "442071838750"],
    ["0114420718387", "4420718387"],
    ["+6831234", "6831234"], // Niue: 7 digits is a real international number
    ["0116831234", "6831234"],
  ])("NANP %j → %s (not a short code)", (raw, expected) => {
    expect(shape(nanp(raw))).toBe(expected);
  });

  it.each([
    // Too short to be anyone's number: re-rating passes a stored short code back as "+911".
    ["+911", "short 911"],
    ["+41112", "short 41112"],
    ["011911", "short 911"],
  ])("an international number shorter than any country's %j → %s", (raw, expected) => {
    expect(shape(nanp(raw))).toBe(expected);
  });

  it("follows the tenant's national length", () => {
    expect(shape(germany("112"))).toBe("short 112");
    expect(shape(germany("030 1234567"))).toBe("49301234567"); // trunk prefix 0: national
    expect(shape(germany("0049301234567"))).toBe("49301234567");
  });
});

describe("a SIP trunk's tech prefix", () => {
  const trunk = createNumberNormalizer({ ...NANP_NUMBERING_PLAN, techPrefixes: ["99#"] }, { trunkTechPrefix: "5501" });

  it.each([
    ["55016135550101", "16135550101"],
    ["5501 613 555 0101", "16135550101"],
    ["550116135550101", "16135550101"],
    ["5501011442071838750", "442071838750"],
    ["5501+442071838750", "442071838750"],
    ["5501911", "short 911"],
    ["99#55016135550101", "16135550101"], // tenant's prefix first, then the trunk's
    ["550199#6135550101", "16135550101"], // or the other way round
    ["6135550101", "16135550101"], // dialled without it
    // E.164 ("+" first) is never stripped: a customer dialling +5501…, or a stored number re-rated.
    ["+55016135550101", "55016135550101"],
    ["+16135550101", "16135550101"],
  ])("%j → %s", (raw, expected) => {
    expect(shape(trunk(raw))).toBe(expected);
  });

  it("keeps a number that is only the prefix", () => {
    expect(shape(trunk("5501"))).toBe("short 5501");
  });

  it("is not stripped without the option", () => {
    expect(shape(nanp("55016135550101"))).toBe("55016135550101");
  });

  it("refuses a prefix with spaces or a plus", () => {
    expect(() => createNumberNormalizer(NANP_NUMBERING_PLAN, { trunkTechPrefix: "55 01" })).toThrow(NumberingPlanError);
    expect(() => createNumberNormalizer(NANP_NUMBERING_PLAN, { trunkTechPrefix: "+1" })).toThrow(NumberingPlanError);
  });
});
