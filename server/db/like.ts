/** Text for a LIKE/ILIKE pattern that matches it literally: its `%`, `_` and `\` match only themselves. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
