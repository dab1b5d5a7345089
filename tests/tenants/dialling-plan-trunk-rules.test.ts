import { describe, expect, it } from "vitest";
import { ZDiallingPlanInput, ZDiallingPlanPreviewInput, previewDiallingPlan, suggestedSampleNumbers, type TDiallingPlan } from "@/server/tenants/dialling-plan";

const UK: TDiallingPlan = { countryCode: "44", internationalPrefixes: ["00"], nationalNumberLength: 10, nationalTrunkPrefix: "0", techPrefixes: [] };
const RUSSIA: TDiallingPlan = { countryCode: "7", internationalPrefixes: ["810"], nationalNumberLength: 10, nationalTrunkPrefix: "8", techPrefixes: [] };
const NANP: TDiallingPlan = { countryCode: "1", internationalPrefixes: ["011"], nationalNumberLength: 10, nationalTrunkPrefix: "", techPrefixes: [] };

const problemsOf = (plan: TDiallingPlan) => previewDiallingPlan({ plan, numbers: [] }).fieldErrors;
const texts = (plan: TDiallingPlan, numbers: string[]) => previewDiallingPlan({ plan, numbers }).rows.map((row) => row.text);

describe("a trunk prefix needs the international prefix dialled with it", () => {
  it("refuses NANP's 011 left in place with the UK's trunk prefix 0, naming the trunk prefix and an example", () => {
    const errors = problemsOf({ ...UK, internationalPrefixes: ["011"] });
    expect(Object.keys(errors ?? {})).toEqual(["internationalPrefixes"]);
    expect(errors?.internationalPrefixes).toEqual([expect.stringContaining('national trunk prefix "0"')]);
    expect(errors?.internationalPrefixes?.[0]).toContain('"00"');
    expect(problemsOf({ ...UK, internationalPrefixes: [] })).toMatchObject({ internationalPrefixes: [expect.stringContaining('"0"')] });
    expect(problemsOf({ ...RUSSIA, internationalPrefixes: ["00"] })).toMatchObject({ internationalPrefixes: [expect.stringContaining('national trunk prefix "8"')] });
  });

  it("accepts the pairs countries use", () => {
    for (const plan of [
      UK,
      { ...UK, internationalPrefixes: ["011", "00"] },
      RUSSIA,
      { ...UK, countryCode: "61", nationalNumberLength: 9, internationalPrefixes: ["0011"] }, // Australia
      { ...UK, countryCode: "81", internationalPrefixes: ["010"] }, // Japan
      NANP,
    ]) {
      expect(problemsOf(plan), JSON.stringify(plan)).toBeNull();
    }
  });

  it("is refused on save too", () => {
    const parsed = ZDiallingPlanInput.safeParse({ ...UK, internationalPrefixes: ["011"] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path)).toEqual([["internationalPrefixes"]]);
  });
});

describe("tech prefixes that would take the first digits of real numbers", () => {
  it.each([["01"], ["001"], ["0044"]])("refuses %j under the UK's 0 and 00", (tech) => {
    expect(problemsOf({ ...UK, techPrefixes: [tech] })).toEqual({
      techPrefixes: [expect.stringMatching(new RegExp(`^Tech prefix "${tech}" would be stripped from real numbers dialled with "0+"`))],
    });
  });

  it("refuses one beginning with an international prefix without a trunk prefix", () => {
    expect(problemsOf({ ...NANP, techPrefixes: ["0114"] })).toEqual({ techPrefixes: [expect.stringContaining('dialled with "011"')] });
  });

  it("accepts one that cannot be part of a number, or does not begin with a dialling prefix", () => {
    expect(problemsOf({ ...UK, techPrefixes: ["0#", "01#", "99#", "5501"] })).toBeNull();
    // The reverse (a prefix every national number begins with) keeps its own message.
    expect(problemsOf({ ...UK, techPrefixes: ["0"] })).toEqual({ techPrefixes: ['Tech prefix "0" would be stripped from every number dialled with "0"'] });
  });
});

describe("a country code", () => {
  it.each([["0"], ["01"], ["044"]])("refuses %j, which begins with 0", (countryCode) => {
    expect(problemsOf({ ...NANP, countryCode })).toEqual({ countryCode: [`Country code cannot begin with 0, got "${countryCode}"`] });
  });
});

describe("suggested samples with a trunk prefix", () => {
  it("dial abroad through the international prefix that begins with the trunk prefix", () => {
    expect(suggestedSampleNumbers({ ...UK, internationalPrefixes: ["011", "00"] })).toContain("0016135550101");
    expect(suggestedSampleNumbers(RUSSIA)).toEqual(["82071838750", "810442071838750", "+442071838750", "112"]);
    expect(texts(RUSSIA, suggestedSampleNumbers(RUSSIA))).toEqual([
      "82071838750 → +72071838750",
      "810442071838750 → +442071838750",
      "+442071838750 → +442071838750",
      "112 → short code 112",
    ]);
  });

  it("show a plan stored without one what 00 does to a call abroad", () => {
    expect(suggestedSampleNumbers({ ...UK, internationalPrefixes: ["011"] })).toContain("0016135550101");
    expect(suggestedSampleNumbers({ ...UK, internationalPrefixes: [] })).toContain("0016135550101");
  });
});

describe("the preview takes a draft beyond the plan's limits and answers with field errors", () => {
  const tooMany = ["00", "011", "010", "0011", "0012", "0013"];

  it("accepts loose input at the API", () => {
    const input = {
      plan: { ...UK, internationalPrefixes: tooMany, techPrefixes: ["9".repeat(17)], countryCode: "4".repeat(20), nationalTrunkPrefix: "00000" },
      numbers: ["1".repeat(65)],
    };
    expect(ZDiallingPlanPreviewInput.safeParse(input).success).toBe(true);
  });

  it.each([
    [{ internationalPrefixes: tooMany }, "internationalPrefixes", "At most 5 international prefixes"],
    [{ internationalPrefixes: ["0000000"] }, "internationalPrefixes", "An international prefix is at most 6 digits"],
    [{ techPrefixes: ["9".repeat(17)] }, "techPrefixes", "A tech prefix is at most 16 characters"],
    [{ nationalTrunkPrefix: "00000" }, "nationalTrunkPrefix", "National trunk prefix is at most 4 digits"],
    [{ countryCode: "4".repeat(17) }, "countryCode", "Country code is at most 3 digits"],
  ])("%j", (patch, field, message) => {
    const preview = previewDiallingPlan({ plan: { ...UK, ...patch }, numbers: ["02071838750"] });
    expect(preview.rows).toEqual([]);
    expect(preview.fieldErrors?.[field]).toContain(message);
  });

  it("reports a sample number that is too long on the samples, and reads none", () => {
    expect(previewDiallingPlan({ plan: UK, numbers: ["02071838750", "1".repeat(65)] })).toEqual({
      fieldErrors: { sampleNumbers: ["A sample number is at most 64 characters"] },
      rows: [],
    });
    expect(previewDiallingPlan({ plan: UK, numbers: Array.from({ length: 13 }, () => "02071838750") }).fieldErrors).toEqual({
      sampleNumbers: ["At most 12 sample numbers"],
    });
  });

  it("keeps the save strict", () => {
    expect(ZDiallingPlanInput.safeParse({ ...UK, internationalPrefixes: tooMany }).success).toBe(false);
    expect(ZDiallingPlanInput.safeParse({ ...UK, techPrefixes: ["9".repeat(17)] }).success).toBe(false);
  });
});
