/**
 * Trunkline command line. `npm run trunkline -- <command> [options]`.
 *
 *   rate   rate a CDR file against a deck file, offline (no database)
 *
 * Exit codes: 0 ran (whatever the calls' statuses), 1 failed (missing file, refused deck,
 * unreadable CDR file), 2 wrong usage.
 */

import { parseArgs } from "node:util";

import { CDR_FORMATS, type CdrFormat } from "@/server/rating/cdr-formats";
import { DECK_FORMATS, type DeckFormat } from "@/server/rating/deck-formats";
import { formatOfflineSummary, OfflineRateError, rateCdrFileOffline } from "@/server/rating/offline-rate";

const USAGE = `Usage:
  npm run trunkline -- rate --deck <file> [--deck-format native|astpp|magnus]
                            --cdrs <file> --format asterisk|freeswitch|csv
                            [--tz <IANA zone>] [--country 1] [--intl-prefix 011[,00]]
                            [--national-length 10] [--trunk-prefix 0] [--tech-prefix 99#[,5501]]
                            --out <file>

  --tz            zone of timestamps written without an offset (default UTC)
  --country       home country calling code for number normalisation (default 1)
  --intl-prefix   international dial prefixes (default 011 for country 1, else 00)
  --trunk-prefix  national trunk prefix dialled before a national number (0 in the UK; default none)
`;

class UsageError extends Error {}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string, fallback?: T): T {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`--${option} is required (${allowed.join(", ")})`);
  }
  const match = allowed.find((candidate) => candidate === value);
  if (!match) throw new UsageError(`--${option} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  return match;
}

function required(value: string | undefined, option: string): string {
  if (value === undefined || value.length === 0) throw new UsageError(`--${option} <file> is required`);
  return value;
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(",").map((item) => item.trim()).filter((item) => item.length > 0);
}

async function runRate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      deck: { type: "string" },
      "deck-format": { type: "string" },
      cdrs: { type: "string" },
      format: { type: "string" },
      tz: { type: "string" },
      country: { type: "string" },
      "intl-prefix": { type: "string" },
      "national-length": { type: "string" },
      "tech-prefix": { type: "string" },
      "trunk-prefix": { type: "string" },
      out: { type: "string" },
    },
  });
  const deckFormat: DeckFormat = oneOf(values["deck-format"], DECK_FORMATS, "deck-format", "native");
  const cdrFormat: CdrFormat = oneOf(values.format, CDR_FORMATS, "format");
  const nationalLengthText = values["national-length"];
  if (nationalLengthText !== undefined && !/^\d+$/.test(nationalLengthText)) {
    throw new UsageError(`--national-length must be a number, got ${JSON.stringify(nationalLengthText)}`);
  }
  const internationalPrefixes = list(values["intl-prefix"]);
  const techPrefixes = list(values["tech-prefix"]);

  const startedAt = performance.now();
  const summary = await rateCdrFileOffline({
    deckPath: required(values.deck, "deck"),
    deckFormat,
    cdrPath: required(values.cdrs, "cdrs"),
    cdrFormat,
    outPath: required(values.out, "out"),
    ...(values.tz !== undefined ? { timeZone: values.tz } : {}),
    ...(values.country !== undefined ? { countryCode: values.country } : {}),
    ...(internationalPrefixes !== undefined ? { internationalPrefixes } : {}),
    ...(nationalLengthText !== undefined ? { nationalNumberLength: Number(nationalLengthText) } : {}),
    ...(techPrefixes !== undefined ? { techPrefixes } : {}),
    ...(values["trunk-prefix"] !== undefined ? { trunkPrefix: values["trunk-prefix"] } : {}),
  });
  const seconds = (performance.now() - startedAt) / 1000;
  console.log(formatOfflineSummary(summary));
  console.log(`output:         ${values.out} (${seconds.toFixed(2)} s)`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "rate":
        await runRate(rest);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`trunkline: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof OfflineRateError) {
      console.error(`trunkline: ${error.message}`);
      return 1;
    }
    console.error("trunkline: unexpected failure");
    console.error(error);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
