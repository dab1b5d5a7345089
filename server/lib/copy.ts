import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

const COPY_SPECIAL = /[\\\t\n\r]/;

/** Text as one field of PostgreSQL's COPY text format (backslash escapes; not NULL). */
export function copyText(value: string): string {
  if (!COPY_SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (character) => (character === "\\" ? "\\\\" : character === "\t" ? "\\t" : character === "\n" ? "\\n" : "\\r"));
}

/** A value of PostgreSQL's COPY text format: `\N` for NULL, backslash escapes otherwise. */
export function copyValue(value: string | number | bigint | boolean | Date | null | undefined): string {
  if (value === null || value === undefined) return "\\N";
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== "string") return String(value);
  return copyText(value);
}

function copySql(table: string, columns: readonly string[]): string {
  return `COPY ${table} (${columns.map((column) => `"${column}"`).join(", ")}) FROM STDIN`;
}

/**
 * Streams text already in COPY text format — whole lines, each ending in "\n", in chunks
 * of any number of lines — into `COPY <table> (<columns>) FROM STDIN`, honouring
 * back-pressure. The fast path for bulk loads whose producer formats lines itself.
 */
export async function copyTextChunks(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
): Promise<void> {
  const stream = client.query(copyFrom(copySql(table, columns)));
  await pipeline(Readable.from(chunks), stream);
  if (!stream.writableFinished) await once(stream, "finish");
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
  await copyTextChunks(client, table, columns, lines());
  return count;
}

/**
 * {@link copyTextChunks} over several connections at once, each taking the next chunk when
 * it is ready for more: the server parses, checks and indexes the rows on as many cores.
 * Each connection's COPY is its own transaction, so when one fails the others stop taking
 * chunks and what they loaded stays: the caller removes it (the first error is rethrown
 * once every COPY has ended and the connections are usable again).
 */
export async function copyTextChunksInParallel(
  clients: readonly (pg.PoolClient | pg.Client)[],
  table: string,
  columns: readonly string[],
  chunks: AsyncIterable<string>,
): Promise<void> {
  const source = chunks[Symbol.asyncIterator]();
  let stopped = false;
  // Calls to an async generator's next() queue up, so each chunk goes to exactly one COPY.
  async function* share(): AsyncGenerator<string> {
    while (!stopped) {
      const next = await source.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const results = await Promise.allSettled(
    clients.map(async (client) => {
      try {
        await copyTextChunks(client, table, columns, share());
      } catch (error) {
        stopped = true;
        throw error;
      }
    }),
  );
  const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure) {
    // Releases the input (e.g. closes the file) when it was not read to the end.
    await source.return?.(undefined);
    throw failure.reason;
  }
}
