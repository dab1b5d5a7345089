import { z } from "zod";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError, type TFieldErrors } from "@/server/errors";
import {
  createNumberNormalizer,
  NANP_NUMBERING_PLAN,
  NumberingPlanError,
  type NormalizeResult,
  type NumberingPlan,
} from "@/server/rating/normalize";

/**
 * A tenant's dialling plan: how the numbers its switches write are read as E.164 before a
 * rate deck is searched. Stored on the tenant row; every rating path builds its
 * NumberingPlan with {@link numberingPlanOf}, so a new setting cannot reach one path and not
 * another (ingest, re-rate and "Price a call" must agree, or the tool lies about the bill).
 */

/** The tenant columns a plan is built from; select these wherever a normaliser is compiled. */
export const DIALLING_PLAN_COLUMNS = {
  countryCode: true,
  internationalPrefixes: true,
  nationalNumberLength: true,
  nationalTrunkPrefix: true,
  techPrefixes: true,
} as const;

export type TDiallingPlan = {
  countryCode: string;
  internationalPrefixes: string[];
  nationalNumberLength: number;
  /** "" when the plan has none (NANP). */
  nationalTrunkPrefix: string;
  techPrefixes: string[];
};

export type TDiallingPlanField = keyof TDiallingPlan;

export function numberingPlanOf(row: Readonly<TDiallingPlan>): NumberingPlan {
  return {
    countryCode: row.countryCode,
    internationalPrefixes: row.internationalPrefixes,
    nationalNumberLength: row.nationalNumberLength,
    techPrefixes: row.techPrefixes,
    // The normaliser refuses an empty trunk prefix; absent is how it spells "none".
    ...(row.nationalTrunkPrefix !== "" ? { trunkPrefix: row.nationalTrunkPrefix } : {}),
  };
}

export const DIALLING_PLAN_LABELS: Record<TDiallingPlanField, string> = {
  countryCode: "Country code",
  internationalPrefixes: "International prefixes",
  nationalNumberLength: "National number length",
  nationalTrunkPrefix: "National trunk prefix",
  techPrefixes: "Tech prefixes",
};

/** The normaliser's names for our fields, which its NumberingPlanError messages begin with. */
const NORMALISER_KEY: Record<TDiallingPlanField, keyof NumberingPlan> = {
  countryCode: "countryCode",
  internationalPrefixes: "internationalPrefixes",
  nationalNumberLength: "nationalNumberLength",
  nationalTrunkPrefix: "trunkPrefix",
  techPrefixes: "techPrefixes",
};

/** Same limit as the column's CHECK (tenants_national_trunk_prefix_digits). */
export const MAX_TRUNK_PREFIX_DIGITS = 4;
const MAX_INTERNATIONAL_PREFIX_DIGITS = 6;
const MAX_INTERNATIONAL_PREFIXES = 5;
const MAX_TECH_PREFIXES = 20;
const MAX_TECH_PREFIX_LENGTH = 16;
const DIGITS = /^\d+$/;

/**
 * The problem the normaliser finds with one field, judged on its own: the other fields are
 * the NANP plan's (known good), so a message is never blamed on the wrong input.
 */
function normaliserProblem(field: TDiallingPlanField, plan: TDiallingPlan): string | null {
  const trial: NumberingPlan = { ...NANP_NUMBERING_PLAN, [NORMALISER_KEY[field]]: plan[field] };
  try {
    createNumberNormalizer(trial);
    return null;
  } catch (error) {
    if (!(error instanceof NumberingPlanError)) throw error;
    const key = NORMALISER_KEY[field];
    // "trunkPrefix must be digits, …" → "National trunk prefix must be digits, …": the admin
    // never sees the normaliser's property names.
    return error.message.startsWith(`${key} `) ? `${DIALLING_PLAN_LABELS[field]}${error.message.slice(key.length)}` : error.message;
  }
}

const ZDiallingPlanShape = z.object({
  countryCode: z.string().trim().max(16, "Country code is at most 3 digits"),
  internationalPrefixes: z
    .array(z.string().trim().max(MAX_INTERNATIONAL_PREFIX_DIGITS, `An international prefix is at most ${MAX_INTERNATIONAL_PREFIX_DIGITS} digits`))
    .max(MAX_INTERNATIONAL_PREFIXES, `At most ${MAX_INTERNATIONAL_PREFIXES} international prefixes`),
  nationalNumberLength: z.number({ error: "National number length must be a number" }),
  nationalTrunkPrefix: z.string().trim().max(MAX_TRUNK_PREFIX_DIGITS, `National trunk prefix is at most ${MAX_TRUNK_PREFIX_DIGITS} digits`).default(""),
  techPrefixes: z
    .array(z.string().trim().max(MAX_TECH_PREFIX_LENGTH, `A tech prefix is at most ${MAX_TECH_PREFIX_LENGTH} characters`))
    .max(MAX_TECH_PREFIXES, `At most ${MAX_TECH_PREFIXES} tech prefixes`)
    .default([]),
});

/**
 * NANP's international prefix, every tenant's default. It begins with "0", but no country with a
 * trunk prefix dials abroad with it (Japan's "010" and Australia's "0011" do begin with "0"), so
 * under a trunk prefix it is a default left in place, never the prefix the tenant's callers dial.
 */
const NANP_INTERNATIONAL_PREFIX = "011";

/** The international prefix dialled where the plan's trunk prefix is (the UK's "00" after "0"). */
function internationalPrefixOfTrunk(plan: TDiallingPlan): string | undefined {
  const trunk = plan.nationalTrunkPrefix;
  if (trunk === "") return undefined;
  return plan.internationalPrefixes.find((prefix) => prefix !== NANP_INTERNATIONAL_PREFIX && prefix.startsWith(trunk));
}

/** Problems of a plan that has the right shape: the normaliser's, then how the fields combine. */
function planProblems(plan: TDiallingPlan): TFieldErrors {
  const problems: TFieldErrors = {};
  const add = (field: TDiallingPlanField, message: string) => (problems[field] ??= []).push(message);
  for (const field of Object.keys(NORMALISER_KEY) as TDiallingPlanField[]) {
    if (field === "nationalTrunkPrefix" && plan.nationalTrunkPrefix === "") continue;
    const problem = normaliserProblem(field, plan);
    if (problem) add(field, problem);
  }
  // The normaliser would take "01" as a country code and bill calls to numbers no network has.
  if (/^0\d*$/.test(plan.countryCode)) add("countryCode", `Country code cannot begin with 0, got "${plan.countryCode}"`);
  const trunk = plan.nationalTrunkPrefix;
  // International prefixes are tried first: "00" before the UK's "0" is right, but a trunk
  // prefix that starts with an international one is never reached.
  const shadowing = trunk === "" ? undefined : plan.internationalPrefixes.find((prefix) => prefix !== "" && trunk.startsWith(prefix));
  if (shadowing !== undefined) {
    add("nationalTrunkPrefix", `National trunk prefix "${trunk}" would never apply: numbers starting with it are read as international (prefix "${shadowing}")`);
  }
  // Where people dial a trunk prefix, the international one is the trunk prefix followed by
  // more digits. Without it listed (NANP's default "011" left with the UK's "0"), numbers
  // dialled abroad with it ("00 1 613…") cannot be read, or are read as national.
  if (DIGITS.test(trunk) && internationalPrefixOfTrunk(plan) === undefined) {
    const leftover = plan.internationalPrefixes.includes(NANP_INTERNATIONAL_PREFIX) ? ` ("${NANP_INTERNATIONAL_PREFIX}" is NANP's, where there is no trunk prefix)` : "";
    add(
      "internationalPrefixes",
      `List the international prefix dialled with national trunk prefix "${trunk}": it begins with "${trunk}", e.g. "00" with "0" in the UK or "810" with "8" in Russia${leftover}`,
    );
  }
  // Tech prefixes come off first, so one that every national or international number as
  // dialled begins with would eat the digits that say which it is, and a digits-only one that
  // begins with such a prefix would eat the first digits of real numbers ("01" of "01632…").
  for (const tech of plan.techPrefixes) {
    if (tech === "") continue;
    const dialPrefixes = [trunk, ...plan.internationalPrefixes].filter((prefix) => prefix !== "");
    const eaten = dialPrefixes.find((prefix) => prefix.startsWith(tech));
    const within = DIGITS.test(tech) ? dialPrefixes.find((prefix) => tech.startsWith(prefix)) : undefined;
    if (eaten !== undefined) add("techPrefixes", `Tech prefix "${tech}" would be stripped from every number dialled with "${eaten}"`);
    else if (within !== undefined) add("techPrefixes", `Tech prefix "${tech}" would be stripped from real numbers dialled with "${within}", taking their first digits`);
  }
  return problems;
}

const dedupe = (values: string[]) => [...new Set(values)];

/** An update of the plan: the whole plan, checked by the normaliser that will use it. */
export const ZDiallingPlanInput = ZDiallingPlanShape.superRefine((plan, context) => {
  for (const [field, messages] of Object.entries(planProblems(plan))) {
    for (const message of messages) context.addIssue({ code: "custom", path: [field], message });
  }
}).transform(
  (plan): TDiallingPlan => ({
    ...plan,
    internationalPrefixes: dedupe(plan.internationalPrefixes),
    techPrefixes: dedupe(plan.techPrefixes),
  }),
);
export type TDiallingPlanInput = z.input<typeof ZDiallingPlanInput>;

/** Zod issues as AppError field errors keyed by the plan's field ("internationalPrefixes.1" → "internationalPrefixes"). */
function fieldErrorsOfIssues(issues: readonly z.core.$ZodIssue[]): TFieldErrors {
  const errors: TFieldErrors = {};
  for (const issue of issues) {
    const field = issue.path.length > 0 ? String(issue.path[0]) : "_form";
    (errors[field] ??= []).push(issue.message);
  }
  return errors;
}

function parsePlan(input: unknown): { plan: TDiallingPlan } | { fieldErrors: TFieldErrors } {
  const parsed = ZDiallingPlanInput.safeParse(input);
  return parsed.success ? { plan: parsed.data } : { fieldErrors: fieldErrorsOfIssues(parsed.error.issues) };
}

function planOfRow(row: TDiallingPlan): TDiallingPlan {
  return {
    countryCode: row.countryCode,
    internationalPrefixes: [...row.internationalPrefixes],
    nationalNumberLength: row.nationalNumberLength,
    nationalTrunkPrefix: row.nationalTrunkPrefix,
    techPrefixes: [...row.techPrefixes],
  };
}

/**
 * Numbers worth trying against a plan: a national number as dialled (with the trunk prefix),
 * one dialled abroad through the international prefix and in "+" form, and an emergency
 * short code. A start for the admin, who edits them.
 */
export function suggestedSampleNumbers(plan: TDiallingPlan): string[] {
  const length = Math.min(Math.max(plan.nationalNumberLength, 4), 14);
  const national = "2071838750".padEnd(length, "0").slice(0, length);
  const abroad = plan.countryCode === "44" ? "16135550101" : "442071838750";
  const trunk = plan.nationalTrunkPrefix;
  // With a trunk prefix, the international prefix people dial begins with it ("00" after "0");
  // a plan saved without one (before that was checked) is shown what "00" does to a call abroad.
  const dialledAbroad = internationalPrefixOfTrunk(plan);
  const international = dialledAbroad ?? plan.internationalPrefixes[0];
  const tech = plan.techPrefixes[0];
  const samples = [
    `${trunk}${national}`,
    ...(international !== undefined ? [`${international}${abroad}`] : []),
    ...(trunk !== "" && dialledAbroad === undefined ? [`00${abroad}`] : []),
    `+${abroad}`,
    plan.countryCode === "1" ? "911" : "112",
    ...(tech !== undefined ? [`${tech}${trunk}${national}`] : []),
  ];
  return dedupe(samples);
}

export async function getDiallingPlan(options: { tenantId: string }) {
  const row = await db().tenant.findUnique({ where: { id: options.tenantId }, select: DIALLING_PLAN_COLUMNS });
  if (!row) throw AppError.notFound("Tenant");
  const plan = planOfRow(row);
  return { plan, sampleNumbers: suggestedSampleNumbers(plan) };
}

function samePlan(a: TDiallingPlan, b: TDiallingPlan): boolean {
  const sameList = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((value, index) => value === y[index]);
  return (
    a.countryCode === b.countryCode &&
    a.nationalNumberLength === b.nationalNumberLength &&
    a.nationalTrunkPrefix === b.nationalTrunkPrefix &&
    sameList(a.internationalPrefixes, b.internationalPrefixes) &&
    sameList(a.techPrefixes, b.techPrefixes)
  );
}

/**
 * Replaces the tenant's plan. Calls are normalised when rated, so this changes how calls
 * ingested (and short codes re-rated) from now on are read, never a stored call's price.
 */
export async function updateDiallingPlan(options: { tenantId: string; actor: TActor; input: TDiallingPlanInput }) {
  const parsed = parsePlan(options.input);
  if ("fieldErrors" in parsed) {
    const first = Object.values(parsed.fieldErrors)[0]?.[0] ?? "Check the dialling plan";
    throw new AppError("INVALID_INPUT", first, { fieldErrors: parsed.fieldErrors });
  }
  const next = parsed.plan;
  const changed = await db().$transaction(async (tx) => {
    // Locked so the audit's "before" is what this save replaced, not what a concurrent one did;
    // NO KEY UPDATE leaves the row's KEY SHARE (every ledger entry's foreign key) free meanwhile.
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM tenants WHERE id = ${options.tenantId}::uuid FOR NO KEY UPDATE`;
    if (locked.length === 0) throw AppError.notFound("Tenant");
    const before = planOfRow(await tx.tenant.findUniqueOrThrow({ where: { id: options.tenantId }, select: DIALLING_PLAN_COLUMNS }));
    if (samePlan(before, next)) return false;
    await tx.tenant.update({ where: { id: options.tenantId }, data: next });
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "tenant.dialling-plan.updated",
      targetType: "tenant",
      targetId: options.tenantId,
      before,
      after: next,
    });
    return true;
  });
  return { ...(await getDiallingPlan({ tenantId: options.tenantId })), changed };
}

export const MAX_PREVIEW_NUMBERS = 12;
const MAX_SAMPLE_LENGTH = 64;
/**
 * Bounds on what the preview accepts at all, well past every limit of a plan: within them a
 * draft that breaks a limit (a sixth international prefix, a long tech prefix or sample) is
 * answered with the field's error like any other problem, so the form shows it where the admin
 * typed it rather than failing the whole preview.
 */
const MAX_LOOSE_TEXT = 1_000;
const MAX_LOOSE_ITEMS = 100;
const looseText = z.string().max(MAX_LOOSE_TEXT);
const looseList = z.array(looseText).max(MAX_LOOSE_ITEMS);

/** A proposed plan (not yet valid: the preview reports its problems) and numbers to read with it. */
export const ZDiallingPlanPreviewInput = z.object({
  plan: z.object({
    countryCode: looseText,
    internationalPrefixes: looseList,
    nationalNumberLength: z.number({ error: "National number length must be a number" }),
    nationalTrunkPrefix: looseText.default(""),
    techPrefixes: looseList.default([]),
  }),
  numbers: looseList,
});
export type TDiallingPlanPreviewInput = z.input<typeof ZDiallingPlanPreviewInput>;

export type TPreviewOutcome = "E164" | "SHORT_CODE" | "INVALID";
export type TPreviewRow = {
  number: string;
  outcome: TPreviewOutcome;
  /** E.164 digits without "+", or the short code as dialled; null when not a number. */
  digits: string | null;
  reason: string | null;
  /** "02071838750 → +442071838750", "911 → short code 911", "abc → not a phone number (…)". */
  text: string;
};

function previewRow(number: string, result: NormalizeResult): TPreviewRow {
  if (!result.ok) return { number, outcome: "INVALID", digits: null, reason: result.reason, text: `${number} → ${result.reason}` };
  if (result.shortCode) return { number, outcome: "SHORT_CODE", digits: result.digits, reason: null, text: `${number} → short code ${result.digits}` };
  return { number, outcome: "E164", digits: result.digits, reason: null, text: `${number} → +${result.digits}` };
}

/**
 * How a proposed plan would read sample numbers, before anyone saves it: the same
 * validation as {@link updateDiallingPlan} (its field errors, and no rows while there are
 * any) and the same normaliser ingest compiles. Pure: reads and writes nothing.
 */
export function previewDiallingPlan(input: TDiallingPlanPreviewInput): { fieldErrors: TFieldErrors | null; rows: TPreviewRow[] } {
  const { plan: proposed, numbers: given } = ZDiallingPlanPreviewInput.parse(input);
  const parsed = parsePlan(proposed);
  const fieldErrors: TFieldErrors = "fieldErrors" in parsed ? { ...parsed.fieldErrors } : {};
  const numbers = given.map((number) => number.trim()).filter((number) => number !== "");
  const sampleProblems = [
    ...(numbers.length > MAX_PREVIEW_NUMBERS ? [`At most ${MAX_PREVIEW_NUMBERS} sample numbers`] : []),
    ...(numbers.some((number) => number.length > MAX_SAMPLE_LENGTH) ? [`A sample number is at most ${MAX_SAMPLE_LENGTH} characters`] : []),
  ];
  if (sampleProblems.length > 0) fieldErrors.sampleNumbers = sampleProblems;
  if ("fieldErrors" in parsed || sampleProblems.length > 0) return { fieldErrors, rows: [] };
  const normalize = createNumberNormalizer(numberingPlanOf(parsed.plan));
  return { fieldErrors: null, rows: numbers.map((number) => previewRow(number, normalize(number))) };
}
