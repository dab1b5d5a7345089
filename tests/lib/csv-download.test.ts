import { describe, expect, it } from "vitest";
import { csvDownload } from "@/server/http/csv-download";

/** Rows from a generator that records whether it was finished (its `finally` ran). */
function trackedRows(chunks: string[], failAfter?: number) {
  const state = { finished: false, yielded: 0 };
  async function* rows(): AsyncGenerator<string> {
    try {
      for (const chunk of chunks) {
        if (state.yielded === failAfter) throw new Error("connection to the database lost");
        state.yielded++;
        yield chunk;
      }
    } finally {
      state.finished = true;
    }
  }
  return { rows: rows(), state };
}

describe("csvDownload", () => {
  it("streams every row as an attachment with the caller's headers", async () => {
    const { rows, state } = trackedRows(["a,b\n", "1,2\n", "3,4\n"]);
    const response = csvDownload(rows, { fileName: "calls.csv", headers: { "x-total-rows": "2" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="calls.csv"');
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-total-rows")).toBe("2");
    expect(await response.text()).toBe("a,b\n1,2\n3,4\n");
    expect(state.finished).toBe(true);
  });

  it("fails the body when the rows fail midway, so no short file passes for a whole one", async () => {
    const { rows, state } = trackedRows(["a,b\n", "1,2\n", "3,4\n"], 2);
    const reader = csvDownload(rows, { fileName: "calls.csv" }).body!.getReader();
    const received: string[] = [];
    const decoder = new TextDecoder();
    const readAll = async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received.push(decoder.decode(value));
      }
    };
    await expect(readAll()).rejects.toThrow("connection to the database lost");
    expect(received.join("")).toBe("a,b\n1,2\n");
    expect(state.finished).toBe(true);
  });

  it("ends the rows when the client stops reading, releasing what they hold", async () => {
    const chunks = Array.from({ length: 10_000 }, (_, index) => `${index},${"x".repeat(100)}\n`);
    const { rows, state } = trackedRows(chunks);
    const reader = csvDownload(rows, { fileName: "calls.csv" }).body!.getReader();
    await reader.read();
    await reader.cancel();
    await expect.poll(() => state.finished).toBe(true);
    expect(state.yielded).toBeLessThan(chunks.length);
  });
});
