import { z } from "zod";
import { db } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { forgetDashboardFigures } from "@/server/dashboard/overview";
import { AppError, type TFieldErrors } from "@/server/errors";
import { getZoneConverter } from "@/server/rating/time-zone";
import { offsetText } from "@/server/lib/local-timestamp";

/**
 * The company's name and time zone, which its admins change, and what they cannot (slug,
 * currency), shown beside them.
 *
 * The zone decides how every instant is read and written for the tenant's people: pages, date
 * inputs, CSV downloads, the overview's days, statement months, "spent this month", a rate
 * deck's default zone. It never moves a stored instant, and nothing that moves money is keyed by
 * an instant read in it: recurring fees are posted once per fee and local month *label*
 * (`recurring:<fee>:2026-12`, server/wallet/recurring.ts), so a zone change shifts when a
 * month's fee is posted by at most the offsets' difference but can neither post a label twice
 * nor leave one out (every label lasts four weeks or more in any zone, and the job runs hourly).
 */

export const MIN_NAME_LENGTH = 2;
export const MAX_NAME_LENGTH = 100;
/** Longest IANA name is 32 characters ("America/Argentina/ComodRivadavia"); room to spare. */
const MAX_TIME_ZONE_LENGTH = 64;
const QUARTER_HOUR_MS = 15 * 60_000;
/** Half a year on: a zone's other side of daylight saving time must fit the buckets too. */
const HALF_YEAR_MS = 182 * 24 * 60 * 60_000;

export type TGeneralSettingsField = "name" | "timeZone";
export type TGeneralSettings = { name: string; timeZone: string };

export const GENERAL_SETTINGS_LABELS: Record<TGeneralSettingsField, string> = { name: "Company name", timeZone: "Time zone" };

/** "UTC-05:00", "UTC+05:41:16": the offset in force at `at`, for the refusal of an odd one. */
function utcOffsetText(timeZone: string, at: Date): string {
  return `UTC${offsetText(getZoneConverter(timeZone).offsetAt(at.getTime()))}`;
}

function intlKnows(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * What is wrong with a zone name on its own, without the database: null when Intl knows it as
 * an Area/Location zone (or UTC) whose offsets are whole quarter hours.
 */
export function timeZoneNameProblem(timeZone: string, now: Date = new Date()): string | null {
  if (timeZone === "") return "Choose a time zone";
  if (timeZone.length > MAX_TIME_ZONE_LENGTH) return `A time zone name is at most ${MAX_TIME_ZONE_LENGTH} characters`;
  // Abbreviations ("EST", "IST") name different zones in different places and POSIX strings
  // ("UTC+5:20", "EST5EDT") carry no history or their own sign convention: PostgreSQL reads
  // "UTC+5" as five hours *west* of UTC. Only a place's name says which rules apply.
  if (timeZone.toUpperCase() !== "UTC" && !timeZone.includes("/")) {
    return /\d/.test(timeZone)
      ? `"${timeZone}" is a fixed offset, not a time zone: choose the zone of a place (e.g. America/Toronto) so daylight saving time is followed`
      : `"${timeZone}" is an abbreviation, not a time zone name: choose a zone such as America/Toronto, or UTC`;
  }
  if (!intlKnows(timeZone)) return `Unknown time zone "${timeZone}": choose one from the list`;
  // The overview's traffic is kept per 15-minute UTC bucket (server/cdr/traffic-totals.ts), so
  // a local day is a union of buckets only when the offset is whole quarter hours. No zone in
  // use today breaks this (+5:45 Kathmandu is the oddest); this guards the day one does, or a
  // historical zone whose "now" is still its local mean time.
  for (const at of [now, new Date(now.getTime() + HALF_YEAR_MS)]) {
    const offsetMs = getZoneConverter(timeZone).offsetAt(at.getTime());
    if (offsetMs % QUARTER_HOUR_MS !== 0) {
      return `"${timeZone}" is ${utcOffsetText(timeZone, at)} on ${at.toISOString().slice(0, 10)}, not a whole number of quarter hours from UTC; the overview's daily traffic needs one`;
    }
  }
  return null;
}

/**
 * The update as given: both fields, trimmed. Loose about the zone's existence on purpose, since
 * only the database can say whether it knows a zone; {@link updateGeneralSettings} asks it.
 */
export const ZGeneralSettingsInput = z
  .object({
    name: z.string({ error: "Enter the company's name" }).max(1_000, `The name is at most ${MAX_NAME_LENGTH} characters`).trim(),
    timeZone: z.string({ error: "Choose a time zone" }).max(1_000, `A time zone name is at most ${MAX_TIME_ZONE_LENGTH} characters`).trim(),
  })
  .superRefine((input, context) => {
    const nameProblem =
      input.name === ""
        ? "Enter the company's name"
        : input.name.length < MIN_NAME_LENGTH
          ? `The name is at least ${MIN_NAME_LENGTH} characters`
          : input.name.length > MAX_NAME_LENGTH
            ? `The name is at most ${MAX_NAME_LENGTH} characters`
            : // It heads emails and statements: a line break would split a subject line.
              /\p{Cc}/u.test(input.name)
              ? "The name cannot contain line breaks or control characters"
              : null;
    if (nameProblem) context.addIssue({ code: "custom", path: ["name"], message: nameProblem });
    const zoneProblem = timeZoneNameProblem(input.timeZone);
    if (zoneProblem) context.addIssue({ code: "custom", path: ["timeZone"], message: zoneProblem });
  });
export type TGeneralSettingsInput = z.input<typeof ZGeneralSettingsInput>;

function refuse(fieldErrors: TFieldErrors): never {
  const first = Object.values(fieldErrors)[0]?.[0] ?? "Check the company settings";
  throw new AppError("INVALID_INPUT", first, { fieldErrors });
}

function parseInput(input: unknown): TGeneralSettings {
  const parsed = ZGeneralSettingsInput.safeParse(input);
  if (parsed.success) return parsed.data;
  const fieldErrors: TFieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path.length > 0 ? String(issue.path[0]) : "_form";
    (fieldErrors[field] ??= []).push(issue.message);
  }
  refuse(fieldErrors);
}

/**
 * The zone as PostgreSQL spells it, or null when it does not know it. Every local day, month
 * and bucket the database computes (`AT TIME ZONE`) uses its own zone data, which is not Node's:
 * a zone only one of them knows would fail, or be read differently, on one side. Matched without
 * case ("europe/london") and stored with PostgreSQL's spelling, which Intl also accepts.
 */
async function postgresZoneName(timeZone: string): Promise<string | null> {
  const rows = await db().$queryRaw<{ name: string }[]>`
    SELECT name FROM pg_timezone_names WHERE lower(name) = lower(${timeZone}) ORDER BY name = ${timeZone} DESC, name LIMIT 1`;
  return rows[0]?.name ?? null;
}

export async function getGeneralSettings(options: { tenantId: string }) {
  const tenant = await db().tenant.findUnique({
    where: { id: options.tenantId },
    select: { name: true, slug: true, currency: true, timeZone: true },
  });
  if (!tenant) throw AppError.notFound("Tenant");
  return {
    name: tenant.name,
    /** In the tenant's Stripe webhook address (/api/webhooks/stripe/<slug>): not editable. */
    slug: tenant.slug,
    /** Balances, rates and payments are amounts in it: not editable. */
    currency: tenant.currency,
    timeZone: tenant.timeZone,
  };
}

export type TGeneralSettingsView = Awaited<ReturnType<typeof getGeneralSettings>>;

/**
 * Renames the company and/or moves it to another time zone. The zone applies to every read from
 * now on (see the file's comment); stored instants, calls' prices and posted fees stay as they are.
 * Statements already written keep the totals of the month as it was bounded when they were
 * written, while their page shows the period in the zone of the day.
 */
export async function updateGeneralSettings(options: { tenantId: string; actor: TActor; input: TGeneralSettingsInput }) {
  const next = parseInput(options.input);
  // Outside the transaction: pg_timezone_names reads the zone files from disk, no lock need wait for it.
  const postgresName = await postgresZoneName(next.timeZone);
  if (postgresName === null) {
    refuse({ timeZone: [`The database does not know time zone "${next.timeZone}" (its zone data may be older): choose another zone with the same rules`] });
  }
  const wanted: TGeneralSettings = { name: next.name, timeZone: postgresName };

  const change = await db().$transaction(async (tx) => {
    // Locked so the audit's "before" is what this save replaced, not what a concurrent one did.
    // NO KEY UPDATE, not UPDATE: every ledger entry's foreign key takes KEY SHARE on this row,
    // and a CDR charge holding a customer would otherwise deadlock with a save waiting on it.
    const [locked] = await tx.$queryRaw<TGeneralSettings[]>`
      SELECT name, time_zone AS "timeZone" FROM tenants WHERE id = ${options.tenantId}::uuid FOR NO KEY UPDATE`;
    if (!locked) throw AppError.notFound("Tenant");
    const fields = (Object.keys(wanted) as TGeneralSettingsField[]).filter((field) => locked[field] !== wanted[field]);
    if (fields.length === 0) return null;
    const pick = (source: TGeneralSettings) => Object.fromEntries(fields.map((field) => [field, source[field]]));
    await tx.tenant.update({ where: { id: options.tenantId }, data: wanted });
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "tenant.general.updated",
      targetType: "tenant",
      targetId: options.tenantId,
      before: pick(locked),
      after: pick(wanted),
    });
    return { fields };
  });

  // After the commit: a figure computed from here on reads the new zone. Another process's cache
  // still serves the old days until its minute is up; each is labelled with its zone.
  if (change?.fields.includes("timeZone")) forgetDashboardFigures(options.tenantId);
  return { ...(await getGeneralSettings({ tenantId: options.tenantId })), changed: change !== null, changedFields: change?.fields ?? [] };
}
