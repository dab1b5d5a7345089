import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

/** A value of PostgreSQL's COPY text format: `\N` for NULL, backslash escapes otherwise. */
export function copyValue(value: string | number | bigint | boolean | Date | null | undefined): string {
  if (value === null || value === undefined) return "\\N";
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== "string") return String(value);
  return value.replace(/[\\\t\n\r]/g, (character) => (character === "\\" ? "\\\\" : character === "\t" ? "\\t" : character === "\n" ? "\\n" : "\\r"));
}

/**
 * Streams rows into `COPY <table> (<columns>) FROM STDIN` on the given client, batching
 * lines and honouring back-pressure, so memory stays flat whatever the row count.
 */
export async function copyRows(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  rows: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>,
): Promise<number> {
  const sql = `COPY ${table} (${columns.map((column) => `"${column}"`).join(", ")}) FROM STDIN`;
  const stream = client.query(copyFrom(sql));
  let count = 0;
  async function* lines(): AsyncGenerator<string> {
    let batch: string[] = [];
    for await (const row of rows) {
      batch.push(row.map((value) => copyValue(value as Parameters<typeof copyValue>[0])).join("\t"));
      count += 1;
      if (batch.length >= 2000) {
        yield batch.join("\n") + "\n";
        batch = [];
      }
    }
    if (batch.length > 0) yield batch.join("\n") + "\n";
  }
  await pipeline(Readable.from(lines()), stream);
  if (!stream.writableFinished) await once(stream, "finish");
  return count;
}
