/**
 * Dialled numbers to E.164 digits (no "+"), following the tenant's numbering plan.
 *
 * This runs once or twice per CDR, so it is a hand-written scan over char codes rather
 * than libphonenumber: we only need the digits a rate deck is keyed by, not validation
 * against every country's numbering rules (a number no rate covers is reported as
 * UNBILLABLE by the rating step anyway).
 */

export interface NumberingPlan {
  /** Country calling code of the tenant's home network, digits only: "1" for NANP. */
  countryCode: string;
  /** International dial prefixes that introduce a country code: ["011"] in NANP, ["00"] in most of the world. */
  internationalPrefixes: readonly string[];
  /** Length of a national number without country code or trunk prefix: 10 in NANP. */
  nationalNumberLength: number;
  /**
   * Routing prefixes a switch or customer trunk puts in front of the number, e.g. "99#"
   * or "5501". Any leading `<digits>#` is stripped even when not listed, because "#"
   * can never be part of a phone number.
   */
  techPrefixes?: readonly string[];
  /**
   * National trunk prefix for plans that dial "0" + national number (e.g. "0" in the UK or
   * Germany). Optional; NANP has none because "1" + 10 digits is already E.164.
   */
  trunkPrefix?: string;
}

/**
 * On failure, `reason` says what is wrong without repeating the number (callers show it).
 * `shortCode` marks a number dialled without "+" or an international prefix that is shorter
 * than a national number ("911", "411", a 7-digit local "5550101"), or an international one
 * too short to be a real number: its digits are not a country code plus a subscriber number,
 * so only a rate for the whole number may price it (rating checks this; "911" must never be
 * billed by India's "91").
 */
export type NormalizeResult = { ok: true; digits: string; shortCode: boolean } | { ok: false; reason: string };
export type NumberNormalizer = (raw: string) => NormalizeResult;

export interface NormalizerOptions {
  /**
   * The tech prefix of the SIP trunk the call came in on (SipTrunk.techPrefix), stripped
   * before the tenant's own. Also stripped right after a leading "+": a re-rate passes stored
   * digits as "+digits", and a call stored before its trunk was known still carries it.
   */
  trunkTechPrefix?: string | null;
}

export const MIN_NUMBER_DIGITS = 3;
export const MAX_NUMBER_DIGITS = 15; // E.164 maximum
/**
 * No country's numbers are shorter in E.164 (Niue and Tokelau: 3-digit code + 4 digits), so a
 * shorter "+"-number is a short code — typically one re-rated, which passes stored digits as
 * "+digits" — and must not be priced by a country's rate either ("+911" is not India).
 */
export const MIN_INTERNATIONAL_DIGITS = 7;

export class NumberingPlanError extends Error {
  override name = "NumberingPlanError";
}

const DIGITS_ONLY = /^\d+$/;
const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_PLUS = 43;
const CHAR_HASH = 35;
/** Characters people and switches put between digits: space, tab, "-", ".", "(", ")", "/". */
export function isSeparator(code: number): boolean {
  return code === 32 || code === 9 || code === 45 || code === 46 || code === 40 || code === 41 || code === 47;
}

function validatePlan(plan: NumberingPlan): void {
  if (!DIGITS_ONLY.test(plan.countryCode) || plan.countryCode.length > 3) {
    throw new NumberingPlanError(`countryCode must be 1 to 3 digits, got ${JSON.stringify(plan.countryCode)}`);
  }
  for (const prefix of plan.internationalPrefixes) {
    if (!DIGITS_ONLY.test(prefix)) {
      throw new NumberingPlanError(`internationalPrefixes must be digits, got ${JSON.stringify(prefix)}`);
    }
  }
  if (!Number.isInteger(plan.nationalNumberLength) || plan.nationalNumberLength < 4 || plan.nationalNumberLength > 14) {
    throw new NumberingPlanError(`nationalNumberLength must be an integer from 4 to 14, got ${plan.nationalNumberLength}`);
  }
  for (const prefix of plan.techPrefixes ?? []) {
    if (prefix.length === 0 || /\s/.test(prefix)) {
      throw new NumberingPlanError(`techPrefixes must be non-empty and without spaces, got ${JSON.stringify(prefix)}`);
    }
  }
  if (plan.trunkPrefix !== undefined && !DIGITS_ONLY.test(plan.trunkPrefix)) {
    throw new NumberingPlanError(`trunkPrefix must be digits, got ${JSON.stringify(plan.trunkPrefix)}`);
  }
}

/**
 * Compiles a numbering plan into a normaliser; validate once, call per CDR. Rules, in order:
 * 1. trim; strip one configured tech prefix (longest first), else any leading `<digits>#`;
 * 2. drop separators (space, - . ( ) /); a "+" is allowed only before the first digit;
 *    anything else (letters, "*") rejects the number;
 * 3. "+"-numbers are already E.164; otherwise strip an international prefix (longest
 *    first), or give a national-length number the country code ("6135550101" →
 *    "16135550101"), or replace a trunk prefix by the country code. A national-length
 *    number starting with a trunk prefix that begins with "0" is trunk + number ("0123456789"
 *    in the UK), and one whose remainder begins with that trunk prefix again ("00…" where
 *    "00" is not listed) is refused; with another trunk prefix (Russia's "8") it is a national
 *    number ("8001234567" → "78001234567"). A shorter number is a short code or a local
 *    number and is kept as dialled, flagged `shortCode`; anything longer is taken as E.164
 *    already ("16135550101", "442071838750"). An international number shorter than
 *    {@link MIN_INTERNATIONAL_DIGITS} is flagged `shortCode` too, and so is a national one that
 *    would be with the country code: "0123" in the UK is kept as dialled, not read as "44123";
 * 4. the result must have 3 to 15 digits.
 * With `options.trunkTechPrefix`, that prefix is stripped first (or, failing that, after the
 * tenant's tech prefix, whichever order the switch wrote them in).
 */
export function createNumberNormalizer(plan: NumberingPlan, options: NormalizerOptions = {}): NumberNormalizer {
  validatePlan(plan);
  const ownPrefix = options.trunkTechPrefix ?? "";
  if (/\s|\+/.test(ownPrefix)) {
    throw new NumberingPlanError(`trunkTechPrefix must be without spaces or "+", got ${JSON.stringify(ownPrefix)}`);
  }
  const countryCode = plan.countryCode;
  const nationalLength = plan.nationalNumberLength;
  const internationalPrefixes = [...plan.internationalPrefixes].sort((a, b) => b.length - a.length);
  const techPrefixes = [...(plan.techPrefixes ?? [])].sort((a, b) => b.length - a.length);
  const trunkPrefix = plan.trunkPrefix ?? "";
  /**
   * "0" (UK, Germany, Australia) or "06" (Hungary): no national number there begins with 0,
   * so digits starting with the trunk prefix are always trunk + national number. A trunk
   * prefix like Russia's "8" is also how national numbers may begin ("800…", "812…").
   */
  const trunkIsZero = trunkPrefix.startsWith("0");

  /** Where the number goes on after the trunk's tech prefix at `start`, or -1 when it has none there. */
  function afterOwnPrefix(raw: string, start: number, end: number): number {
    if (ownPrefix.length === 0) return -1;
    // Only in front of a number as dialled: "+44…" is E.164 (a customer dialling it, or a
    // stored number re-rated), whose first digits are the country's, never a tech prefix.
    return end - start > ownPrefix.length && raw.startsWith(ownPrefix, start) ? start + ownPrefix.length : -1;
  }

  return function normalizeNumber(raw: string): NormalizeResult {
    let start = 0;
    let end = raw.length;
    while (start < end && raw.charCodeAt(start) <= 32) start++;
    while (end > start && raw.charCodeAt(end - 1) <= 32) end--;
    if (start === end) return { ok: false, reason: "number is empty" };

    const afterOwn = afterOwnPrefix(raw, start, end);
    if (afterOwn !== -1) start = afterOwn;
    for (const prefix of techPrefixes) {
      if (end - start > prefix.length && raw.startsWith(prefix, start)) {
        start += prefix.length;
        break;
      }
    }
    // A leading "<digits>#" is a tech prefix whether configured or not.
    let scan = start;
    while (scan < end && scan - start <= 8) {
      const code = raw.charCodeAt(scan);
      if (code < CHAR_0 || code > CHAR_9) break;
      scan++;
    }
    if (scan > start && scan < end - 1 && raw.charCodeAt(scan) === CHAR_HASH) start = scan + 1;
    if (afterOwn === -1) {
      const afterOwnLate = afterOwnPrefix(raw, start, end);
      if (afterOwnLate !== -1) start = afterOwnLate;
    }

    let digits = "";
    let hasPlus = false;
    let cleanFrom = start; // start of the current run of digits not yet appended
    for (let index = start; index < end; index++) {
      const code = raw.charCodeAt(index);
      if (code >= CHAR_0 && code <= CHAR_9) continue;
      if (code === CHAR_PLUS && !hasPlus && digits.length === 0 && index === cleanFrom) {
        hasPlus = true;
      } else if (!isSeparator(code)) {
        return { ok: false, reason: `not a phone number (unexpected ${JSON.stringify(raw[index])})` };
      }
      digits += raw.slice(cleanFrom, index);
      cleanFrom = index + 1;
    }
    digits += raw.slice(cleanFrom, end);
    if (digits.length === 0) return { ok: false, reason: "not a phone number (no digits)" };

    let e164 = digits;
    let shortCode = hasPlus && digits.length < MIN_INTERNATIONAL_DIGITS;
    if (!hasPlus) {
      let matchedInternational = false;
      for (const prefix of internationalPrefixes) {
        if (digits.length > prefix.length && digits.startsWith(prefix)) {
          e164 = digits.slice(prefix.length);
          matchedInternational = true;
          shortCode = e164.length < MIN_INTERNATIONAL_DIGITS;
          break;
        }
      }
      if (!matchedInternational) {
        const trunked = trunkPrefix.length > 0 && digits.length > trunkPrefix.length && digits.startsWith(trunkPrefix);
        // Russia's "8001234567" is an 800 number dialled without the trunk "8", not 7 + 001….
        const asDialled = digits.length === nationalLength && !(trunked && trunkIsZero);
        const national = asDialled ? digits : trunked ? digits.slice(trunkPrefix.length) : null;
        if (national === null) {
          // Read as E.164, "911" would be India (91) and "5550101" Brazil (55).
          if (digits.length < nationalLength) shortCode = true;
        } else if (countryCode.length + national.length < MIN_INTERNATIONAL_DIGITS) {
          // With the country code "0123" would look like a UK number ("44123") and be priced by
          // the UK's "44"; it is too short to be anyone's, so it stays as dialled like "911"
          // (Australia's "000" too), for a rate for the whole number only.
          shortCode = true;
        } else if (!asDialled && trunkIsZero && national.startsWith(trunkPrefix)) {
          // Where the trunk prefix begins with 0 no national number does, so "0" + "0…" is an
          // international prefix the plan does not list: reading it as national would bill a
          // call abroad as a call at home ("00 1 613…" as +44 01613…).
          return { ok: false, reason: "dialled with an international prefix this plan does not list" };
        } else {
          e164 = countryCode + national;
        }
      }
    }

    if (e164.length < MIN_NUMBER_DIGITS) {
      return { ok: false, reason: `too short: ${e164.length} digits (minimum ${MIN_NUMBER_DIGITS})` };
    }
    if (e164.length > MAX_NUMBER_DIGITS) {
      return { ok: false, reason: `too long: ${e164.length} digits (E.164 allows ${MAX_NUMBER_DIGITS})` };
    }
    return { ok: true, digits: e164, shortCode };
  };
}

const normalizerCache = new WeakMap<NumberingPlan, NumberNormalizer>();

/** One-off normalisation; compiles (and caches per plan object) a normaliser. */
export function normalizeNumber(raw: string, plan: NumberingPlan): NormalizeResult {
  let normalizer = normalizerCache.get(plan);
  if (!normalizer) {
    normalizer = createNumberNormalizer(plan);
    normalizerCache.set(plan, normalizer);
  }
  return normalizer(raw);
}

/** The numbering plan of a NANP tenant: country code 1, international prefix 011, 10-digit numbers. */
export const NANP_NUMBERING_PLAN: NumberingPlan = Object.freeze({
  countryCode: "1",
  internationalPrefixes: Object.freeze(["011"]),
  nationalNumberLength: 10,
});
