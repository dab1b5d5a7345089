import { quoteCsvField } from "@/server/rating/csv-text";

// Text a spreadsheet would take for a formula: =, +, -, @, or a tab or carriage return first.
const FORMULA_START = /^[=+\-@\t\r]/;
// The same after a semicolon, a tab or a line break inside the text: a spreadsheet in a locale
// whose list separator is ";" (most of Europe) splits the line there, tab-separated import
// splits at tabs, and such a reading takes a CR or LF for the end of a row, so the character
// starts a cell of its own, whatever our commas and quotes say.
const FORMULA_AFTER_SEPARATOR = /([;\t\r\n])(?=[=+\-@])/g;

/**
 * A free-text cell of a CSV download meant for a spreadsheet (calls, ledger, rejected lines).
 * Text that starts like a formula — a caller ID name, a memo, a raw line — gets a leading
 * apostrophe, so Excel and LibreOffice show it rather than evaluate it (CSV injection), as does
 * such text after a ";", a tab or a line break inside the value (a caller ID of `1;=cmd|…`);
 * then RFC 4180 quoting. Not for numbers, and not for files meant to be imported again (rate
 * decks), whose text must come back unchanged.
 */
export function csvText(value: string | null | undefined): string {
  if (value === null || value === undefined) return "";
  const inert = value.replace(FORMULA_AFTER_SEPARATOR, "$1'");
  return quoteCsvField(FORMULA_START.test(inert) ? `'${inert}` : inert);
}
