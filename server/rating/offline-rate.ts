/**
 * Offline rating: one deck file + one CDR file → one output CSV row per CDR line, with no
 * database. It is the reference run of the rating engine (what a tenant can reproduce on
 * a laptop to check an invoice) and the engine behind `npm run trunkline -- rate`.
 *
 * There are no accounts offline: every call is rated against the one deck, so "unknown
 * account" never applies.
 */

import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { once } from "node:events";

import { CdrFileError, parseCdrBatches, type CdrFormat, type CdrRecord } from "./cdr-formats";
import { quoteCsvField } from "./csv-text";
import { DeckFileError, readDeck, type DeckFormat, type DeckReadResult } from "./deck-formats";
import { compileRateMatcher, RateDeckCompileError, type Rate, type RateMatcher } from "./matcher";
import { formatMicros } from "./money";
import { createNumberNormalizer, type NumberingPlan, type NumberNormalizer } from "./normalize";
import { rateCall, type RatedCall } from "./pricing";
import { formatUtcInstant, resolveTimeZone, TimeZoneError } from "./time-zone";
import { errorMessage } from "@/server/errors";

export const OFFLINE_OUTPUT_COLUMNS = [
  "record_key",
  "account",
  "caller",
  "callee",
  "start_utc",
  "billsec",
  "matched_prefix",
  "category",
  "billed_seconds",
  "price_micros",
  "status",
  "reason",
] as const;

/** A failure to report to the person running the command (missing file, refused deck …). */
export class OfflineRateError extends Error {
  override name = "OfflineRateError";
}

export interface OfflineRateOptions {
  deckPath: string;
  deckFormat: DeckFormat;
  cdrPath: string;
  cdrFormat: CdrFormat;
  outPath: string;
  /** IANA zone of CDR timestamps (and deck dates) written without an offset. Default UTC. */
  timeZone?: string;
  /** Home country calling code. Default "1" (NANP). */
  countryCode?: string;
  /** Default ["011"] for country 1, ["00"] otherwise. */
  internationalPrefixes?: string[];
  /** Default 10. */
  nationalNumberLength?: number;
  techPrefixes?: string[];
  /**
   * National trunk prefix ("0" in the UK): "020 7183 8750" → 44 20 7183 8750. Default none:
   * not every country outside NANP has one (Italy's leading 0 is part of the E.164 number).
   */
  trunkPrefix?: string;
}

export interface OfflineRateSummary {
  lines: number;
  rated: number;
  unanswered: number;
  unbillable: number;
  rejected: number;
  billedSeconds: number;
  totalPriceMicros: bigint;
}

/** Largest number of refused deck rows listed in the error message. */
const MAX_LISTED_DECK_ERRORS = 50;

async function assertReadableFile(path: string, what: string): Promise<void> {
  let stats;
  try {
    stats = await stat(path);
  } catch {
    throw new OfflineRateError(`${what} not found: ${path}`);
  }
  if (!stats.isFile()) throw new OfflineRateError(`${what} is not a file: ${path}`);
}

function listLines(entries: { line: number; error: string }[]): string {
  const shown = entries.slice(0, MAX_LISTED_DECK_ERRORS).map((entry) => `  line ${entry.line}: ${entry.error}`);
  if (entries.length > shown.length) shown.push(`  … and ${entries.length - shown.length} more`);
  return shown.join("\n");
}

/**
 * Reads and compiles a deck file. Refuses (OfflineRateError) a deck with any invalid row or
 * overlapping versions, listing every offending line, and a deck without rates.
 */
export async function loadDeckFile(
  path: string,
  options: { format: DeckFormat; timeZone?: string },
): Promise<RateMatcher> {
  await assertReadableFile(path, "deck file");
  let deck: DeckReadResult;
  try {
    deck = await readDeck(createReadStream(path), {
      format: options.format,
      ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
    });
  } catch (error) {
    if (error instanceof DeckFileError || error instanceof TimeZoneError) {
      throw new OfflineRateError(`deck ${path} is unreadable as a ${options.format} deck: ${error.message}`);
    }
    throw error;
  }
  const { rates, errors } = deck;
  if (errors.length > 0) {
    throw new OfflineRateError(
      `deck ${path} refused: ${errors.length} invalid row${errors.length === 1 ? "" : "s"} (nothing was rated)\n${listLines(errors)}`,
    );
  }
  if (rates.length === 0) throw new OfflineRateError(`deck ${path} has no rates`);
  try {
    return compileRateMatcher<Rate>(rates.map((row) => row.rate));
  } catch (error) {
    if (!(error instanceof RateDeckCompileError)) throw error;
    const entries = error.issues.map((issue) => ({
      line: rates[issue.rateIndexes[issue.rateIndexes.length - 1] ?? 0]?.line ?? 0,
      error: `${issue.message}${issue.rateIndexes.length > 1 ? ` (lines ${issue.rateIndexes.map((index) => rates[index]?.line).join(" and ")})` : ""}`,
    }));
    throw new OfflineRateError(`deck ${path} refused: ${entries.length} conflicting rate version(s)\n${listLines(entries)}`);
  }
}

/** One output row, in the order of {@link OFFLINE_OUTPUT_COLUMNS}. */
function outputRow(record: CdrRecord, rated: RatedCall): string {
  const startUtc = record.startUtc === null ? "" : formatUtcInstant(record.startUtc);
  const billsec = record.billsec === null ? "" : record.billsec;
  const billedSeconds = rated.billedSeconds === null ? "" : rated.billedSeconds;
  const price = rated.priceMicros === null ? "" : rated.priceMicros;
  return (
    `${quoteCsvField(record.recordKey)},${quoteCsvField(record.account ?? "")},` +
    `${quoteCsvField(rated.caller)},${quoteCsvField(rated.callee)},${startUtc},${billsec},` +
    `${rated.matchedPrefix ?? ""},${rated.category ?? ""},${billedSeconds},${price},` +
    `${rated.status},${quoteCsvField(rated.reason ?? "")}`
  );
}

export function numberingPlanFor(
  options: Pick<OfflineRateOptions, "countryCode" | "internationalPrefixes" | "nationalNumberLength" | "techPrefixes" | "trunkPrefix">,
): NumberingPlan {
  const countryCode = options.countryCode ?? "1";
  return {
    countryCode,
    internationalPrefixes: options.internationalPrefixes ?? (countryCode === "1" ? ["011"] : ["00"]),
    nationalNumberLength: options.nationalNumberLength ?? 10,
    techPrefixes: options.techPrefixes ?? [],
    // "" means none, as in the tenant's column; the normaliser refuses an empty prefix.
    ...(options.trunkPrefix ? { trunkPrefix: options.trunkPrefix } : {}),
  };
}

/** Rates one parsed CDR against the deck (exported for tests and for the rating service). */
export function rateRecordOffline(record: CdrRecord, deck: RateMatcher, normalizeNumber: NumberNormalizer): RatedCall {
  return rateCall(
    {
      caller: record.caller,
      callee: record.callee,
      startUtc: record.startUtc,
      billsec: record.billsec,
      rejectedReason: record.status === "REJECTED" ? (record.reason ?? "rejected") : null,
    },
    { normalizeNumber, sellDeck: deck },
  );
}

/**
 * Rates a CDR file against a deck file and writes the output CSV. The output is written to
 * a temporary file and renamed at the end, so a failed run never leaves a half file that
 * looks complete.
 */
export async function rateCdrFileOffline(options: OfflineRateOptions): Promise<OfflineRateSummary> {
  let normalizeNumber: NumberNormalizer;
  try {
    normalizeNumber = createNumberNormalizer(numberingPlanFor(options));
    if (options.timeZone !== undefined) resolveTimeZone(options.timeZone);
  } catch (error) {
    throw new OfflineRateError(errorMessage(error));
  }
  await assertReadableFile(options.cdrPath, "CDR file");
  const deck = await loadDeckFile(options.deckPath, {
    format: options.deckFormat,
    ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
  });

  const summary: OfflineRateSummary = {
    lines: 0,
    rated: 0,
    unanswered: 0,
    unbillable: 0,
    rejected: 0,
    billedSeconds: 0,
    totalPriceMicros: 0n,
  };

  const temporaryPath = `${options.outPath}.tmp-${process.pid}`;
  const output = createWriteStream(temporaryPath, { encoding: "utf8" });
  const outputFailed = new Promise<never>((_, reject) => output.once("error", reject));
  outputFailed.catch(() => undefined); // observed below; avoids an unhandled rejection
  const write = async (text: string): Promise<void> => {
    if (!output.write(text)) await Promise.race([once(output, "drain"), outputFailed]);
  };

  try {
    await write(`${OFFLINE_OUTPUT_COLUMNS.join(",")}\n`);
    const cdrs = parseCdrBatches(createReadStream(options.cdrPath), {
      format: options.cdrFormat,
      ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
    });
    for await (const batch of cdrs) {
      const rows: string[] = [];
      for (const record of batch) {
        const rated = rateRecordOffline(record, deck, normalizeNumber);
        summary.lines++;
        switch (rated.status) {
          case "RATED":
            summary.rated++;
            summary.billedSeconds += rated.billedSeconds ?? 0;
            summary.totalPriceMicros += rated.priceMicros ?? 0n;
            break;
          case "UNANSWERED":
            summary.unanswered++;
            break;
          case "UNBILLABLE":
            summary.unbillable++;
            break;
          case "REJECTED":
            summary.rejected++;
            break;
        }
        rows.push(outputRow(record, rated));
      }
      rows.push("");
      await write(rows.join("\n"));
    }
    output.end();
    await Promise.race([once(output, "finish"), outputFailed]);
    await rename(temporaryPath, options.outPath);
  } catch (error) {
    output.destroy();
    await rm(temporaryPath, { force: true });
    if (error instanceof CdrFileError) throw new OfflineRateError(`CDR file ${options.cdrPath}: ${error.message}`);
    throw error;
  }
  return summary;
}

/** The summary as printed by the CLI. */
export function formatOfflineSummary(summary: OfflineRateSummary): string {
  const rows: [string, string][] = [
    ["lines", String(summary.lines)],
    ["rated", String(summary.rated)],
    ["unanswered", String(summary.unanswered)],
    ["unbillable", String(summary.unbillable)],
    ["rejected", String(summary.rejected)],
    ["billed seconds", String(summary.billedSeconds)],
    ["total price", `${formatMicros(summary.totalPriceMicros, { minFractionDigits: 2 })} (${summary.totalPriceMicros} micro-units)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}${value}`).join("\n");
}
