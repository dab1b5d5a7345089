import { Readable } from "node:stream";

/**
 * A CSV attachment streamed from `rows` as the client reads it, so memory stays flat however
 * large the result. The status and headers go out before the first row; a failure after that
 * cannot become an error status, so it aborts the body instead and the client sees a failed
 * download, never a short file that looks complete. A client that stops reading ends `rows`
 * (its `finally` runs), which releases whatever cursor or connection it holds.
 */
export function csvDownload(rows: AsyncIterable<string>, options: { fileName: string; headers?: Record<string, string> }): Response {
  const body = Readable.toWeb(Readable.from(rows, { objectMode: false })) as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${options.fileName}"`,
      "cache-control": "no-store",
      ...options.headers,
    },
  });
}
