import { describe, expect, it } from "vitest";
import { numberingPlanFor } from "@/server/rating/offline-rate";
import { numberingPlanOf, previewDiallingPlan, suggestedSampleNumbers, type TDiallingPlan } from "@/server/tenants/dialling-plan";

const UK: TDiallingPlan = { countryCode: "44", internationalPrefixes: ["00"], nationalNumberLength: 10, nationalTrunkPrefix: "0", techPrefixes: [] };
const NANP: TDiallingPlan = { countryCode: "1", internationalPrefixes: ["011"], nationalNumberLength: 10, nationalTrunkPrefix: "", techPrefixes: [] };

const texts = (plan: TDiallingPlan, numbers: string[]) => previewDiallingPlan({ plan, numbers }).rows.map((row) => row.text);

describe("previewing a dialling plan", () => {
  it("reads a UK national number through the trunk prefix, international and '+' numbers, and short codes", () => {
    const preview = previewDiallingPlan({ plan: UK, numbers: ["02071838750", "020 7183 8750", "00442071838750", "+16135550101", "999", "2071838750", "abc"] });
    expect(preview.fieldErrors).toBeNull();
    expect(preview.rows.map((row) => row.text)).toEqual([
      "02071838750 → +442071838750",
      "020 7183 8750 → +442071838750",
      "00442071838750 → +442071838750",
      "+16135550101 → +16135550101",
      "999 → short code 999",
      "2071838750 → +442071838750",
      'abc → not a phone number (unexpected "a")',
    ]);
    expect(preview.rows[4]).toMatchObject({ outcome: "SHORT_CODE", digits: "999", reason: null });
    expect(preview.rows[6]).toMatchObject({ outcome: "INVALID", digits: null, reason: 'not a phone number (unexpected "a")' });
  });

  it("shows what the plan without a trunk prefix gets wrong, and NANP as before", () => {
    expect(texts({ ...UK, nationalTrunkPrefix: "" }, ["02071838750"])).toEqual(["02071838750 → +02071838750"]);
    expect(texts(NANP, ["6135550101", "011442071838750", "911", " ", ""])).toEqual([
      "6135550101 → +16135550101",
      "011442071838750 → +442071838750",
      "911 → short code 911",
    ]);
  });

  it("reports a plan the normaliser refuses by field, in the normaliser's words, and reads nothing with it", () => {
    const refused = (patch: Partial<TDiallingPlan>) => previewDiallingPlan({ plan: { ...UK, ...patch }, numbers: ["02071838750"] });
    expect(refused({ countryCode: "4a" })).toEqual({ fieldErrors: { countryCode: ['Country code must be 1 to 3 digits, got "4a"'] }, rows: [] });
    expect(refused({ nationalTrunkPrefix: "0a" }).fieldErrors).toEqual({ nationalTrunkPrefix: ['National trunk prefix must be digits, got "0a"'] });
    expect(refused({ internationalPrefixes: ["00", "+"] }).fieldErrors).toEqual({ internationalPrefixes: ['International prefixes must be digits, got "+"'] });
    expect(refused({ nationalNumberLength: 3 }).fieldErrors).toEqual({ nationalNumberLength: ["National number length must be an integer from 4 to 14, got 3"] });
    expect(refused({ techPrefixes: ["9 9"] }).fieldErrors).toEqual({ techPrefixes: ['Tech prefixes must be non-empty and without spaces, got "9 9"'] });
    // Several fields at once: each named, none blamed for another's problem.
    expect(Object.keys(refused({ countryCode: "", nationalTrunkPrefix: "x" }).fieldErrors ?? {}).sort()).toEqual(["countryCode", "nationalTrunkPrefix"]);
  });

  it("refuses combinations that make a prefix useless", () => {
    expect(previewDiallingPlan({ plan: { ...UK, nationalTrunkPrefix: "00" }, numbers: [] }).fieldErrors).toEqual({
      nationalTrunkPrefix: ['National trunk prefix "00" would never apply: numbers starting with it are read as international (prefix "00")'],
    });
    expect(previewDiallingPlan({ plan: { ...UK, techPrefixes: ["0"] }, numbers: [] }).fieldErrors).toEqual({
      techPrefixes: ['Tech prefix "0" would be stripped from every number dialled with "0"'],
    });
    // "00" after the UK's "0" is the normal case: international prefixes are tried first.
    expect(previewDiallingPlan({ plan: UK, numbers: [] }).fieldErrors).toBeNull();
  });

  it("builds the normaliser's plan from a tenant row: an empty trunk prefix is none", () => {
    expect(numberingPlanOf(NANP)).toEqual({ countryCode: "1", internationalPrefixes: ["011"], nationalNumberLength: 10, techPrefixes: [] });
    expect(numberingPlanOf(UK)).toMatchObject({ trunkPrefix: "0" });
    // Offline rating (no tenant row) builds the same plan from its options.
    expect(numberingPlanFor({ countryCode: "44", trunkPrefix: "0" })).toEqual(numberingPlanOf(UK));
    expect(numberingPlanFor({ countryCode: "1", trunkPrefix: "" })).toEqual(numberingPlanOf(NANP));
  });

  it("suggests samples that exercise the plan", () => {
    expect(texts(UK, suggestedSampleNumbers(UK))).toEqual([
      "02071838750 → +442071838750",
      "0016135550101 → +16135550101",
      "+16135550101 → +16135550101",
      "112 → short code 112",
    ]);
    expect(suggestedSampleNumbers(NANP)).toEqual(["2071838750", "011442071838750", "+442071838750", "911"]);
  });
});
