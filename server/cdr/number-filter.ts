import { createNumberNormalizer, isSeparator, MAX_NUMBER_DIGITS, type NumberingPlan } from "@/server/rating/normalize";

/**
 * The Calls search's number filters read what people type the way rating reads a dialled
 * number (server/rating/normalize.ts, with the tenant's dialling plan), so a number that
 * "Price a call" accepts finds the calls stored under it. Stored numbers are E.164 digits
 * without "+" ("13035550100", "442079460000"); a short code or local number is stored as
 * dialled ("911").
 *
 * Both filters accept digits, spaces and ( ) - . / between them, and one "+" before the first
 * digit; anything else (a letter, "*", "#") is a field error naming the filter: it could never
 * match a stored number. Then, in order:
 * 1. After "+", the digits are taken as they are stored: "+44 20" → "4420", "+1 303-555-0100"
 *    → "13035550100", and "+911" → "911" (how to reach a stored short code by prefix).
 * 2. A complete number (at least the plan's national number length) is read exactly as rating
 *    reads it: "(303) 555-0100" → "13035550100", "011 44 20 7946 0000" → "442079460000",
 *    "13035550100" → "13035550100"; UK plan "020 7946 0000" → "442079460000". The plan's tech
 *    prefixes are not stripped: people type numbers here, not switch routing prefixes.
 * 3. A shorter input is part of a number, and the two filters differ:
 *    - Caller (contains): the digits as typed, punctuation dropped ("555-0100" → "5550100"),
 *      since they may come from anywhere in the number. A caller typed with letters is matched
 *      as typed instead: callers rating could not read are stored as received ("anonymous").
 *    - Callee prefix (the start of the number): an international prefix is dropped ("011 4420"
 *      → "4420"; the prefix alone, "011", is an error: add a country code after it); a national
 *      trunk prefix becomes the country code (UK "020 79" → "442079", "0" alone → "44"); digits
 *      that already begin with the country code are taken as E.164 ("1303555" → "1303555",
 *      "4420" under a UK plan); any other digits are national and get the country code
 *      ("303555" → "1303555" under NANP), as they would be dialled. So under NANP "1…" is
 *      always the country code (no area code begins with 1), a number abroad needs its "+" or
 *      exit code ("+4420", "011 4420"), and a short code is found with "+" ("+911", see 1).
 * The result has at most 15 digits (E.164).
 */

export type TNumberFilterField = "caller" | "calleePrefix";
export type TNumberFilterResult = { ok: true; match: string } | { ok: false; message: string };
export type TNumberFilters = Record<TNumberFilterField, (text: string) => TNumberFilterResult>;

/** The filters' names as the Calls form labels them, for error messages. */
const NUMBER_FILTER_LABELS: Record<TNumberFilterField, string> = { caller: "Caller", calleePrefix: "Callee prefix" };

const HELP = 'use digits (spaces and ( ) - . / are fine), with an optional leading "+"';

/** Compiles the filters for a tenant's plan (validated by rating's normaliser). */
export function createNumberFilters(plan: NumberingPlan): TNumberFilters {
  const readComplete = createNumberNormalizer({ ...plan, techPrefixes: [] });
  const internationalPrefixes = [...plan.internationalPrefixes].sort((a, b) => b.length - a.length);
  const trunkPrefix = plan.trunkPrefix ?? "";
  const countryCode = plan.countryCode;

  function read(field: TNumberFilterField, text: string, partial: (digits: string) => TNumberFilterResult): TNumberFilterResult {
    const label = NUMBER_FILTER_LABELS[field];
    const fail = (problem: string): TNumberFilterResult => ({ ok: false, message: `${label}: ${problem}` });
    let digits = "";
    let plus = false;
    for (const char of text.trim()) {
      if (char >= "0" && char <= "9") digits += char;
      else if (char === "+" && !plus && digits.length === 0) plus = true;
      else if (!isSeparator(char.charCodeAt(0))) return fail(`not a phone number (unexpected ${JSON.stringify(char)}); ${HELP}`);
    }
    if (digits.length === 0) return fail(`enter some digits; ${HELP}`);
    let result: TNumberFilterResult;
    if (plus) result = { ok: true, match: digits };
    else if (digits.length >= plan.nationalNumberLength) {
      const complete = readComplete(digits);
      result = complete.ok ? { ok: true, match: complete.digits } : { ok: false, message: complete.reason };
    } else result = partial(digits);
    if (!result.ok) return fail(result.message);
    if (result.match.length > MAX_NUMBER_DIGITS) return fail(`too long: ${result.match.length} digits (E.164 allows ${MAX_NUMBER_DIGITS})`);
    return result;
  }

  function startOfNumber(digits: string): TNumberFilterResult {
    const exit = internationalPrefixes.find((prefix) => digits.startsWith(prefix));
    if (exit !== undefined) {
      if (digits.length === exit.length) return { ok: false, message: `${exit} is the international prefix: add the country code after it` };
      return { ok: true, match: digits.slice(exit.length) };
    }
    if (trunkPrefix !== "" && digits.startsWith(trunkPrefix)) {
      const national = digits.slice(trunkPrefix.length);
      // As rating refuses it: where the trunk prefix begins with 0 no national number does.
      if (trunkPrefix.startsWith("0") && national.startsWith(trunkPrefix)) return { ok: false, message: "dialled with an international prefix this plan does not list" };
      return { ok: true, match: countryCode + national };
    }
    return { ok: true, match: digits.startsWith(countryCode) ? digits : countryCode + digits };
  }

  return {
    caller: (text) => (/\p{L}/u.test(text) ? { ok: true, match: text.trim() } : read("caller", text, (digits) => ({ ok: true, match: digits }))),
    calleePrefix: (text) => read("calleePrefix", text, startOfNumber),
  };
}
