import { quoteCsvField } from "@/server/rating/csv-text";

// Text a spreadsheet would take for a formula: =, +, -, @, or a tab or carriage return first.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A free-text cell of a CSV download meant for a spreadsheet (calls, ledger, rejected lines).
 * Text that starts like a formula — a caller ID name, a memo, a raw line — gets a leading
 * apostrophe, so Excel and LibreOffice show it rather than evaluate it (CSV injection); then
 * RFC 4180 quoting. Not for numbers, and not for files meant to be imported again (rate decks),
 * whose text must come back unchanged.
 */
export function csvText(value: string | null | undefined): string {
  if (value === null || value === undefined) return "";
  return quoteCsvField(FORMULA_START.test(value) ? `'${value}` : value);
}
