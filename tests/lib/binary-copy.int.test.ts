import { describe, expect, it } from "vitest";
import { pool } from "@/server/db/client";
import { BinaryCopyWriter, BufferPool, copyBinaryChunks, encodeUuidFields } from "@/server/lib/copy";

const COLUMNS = ["id", "label", "count", "amount", "at", "ref"] as const;

type TRow = { id: number; label: string | null; count: number | null; amount: bigint | null; at: Date | null; ref: string | null };

function write(rows: TRow[], pool?: BufferPool): Buffer[] {
  const out = new BinaryCopyWriter(pool);
  for (const row of rows) {
    out.startRow(COLUMNS.length);
    out.int4(row.id);
    out.text(row.label);
    out.int4(row.count);
    out.int8(row.amount);
    out.timestamptz(row.at);
    out.uuid(row.ref);
  }
  return out.finish();
}

async function roundTrip(rows: TRow[], buffers?: BufferPool): Promise<TRow[]> {
  const client = await pool().connect();
  try {
    await client.query(
      `CREATE TEMP TABLE copied (id INTEGER, label TEXT, count INTEGER, amount BIGINT, at TIMESTAMPTZ(3), ref UUID)`,
    );
    await copyBinaryChunks(client, "copied", COLUMNS, write(rows, buffers));
    const { rows: back } = await client.query<{ id: number; label: string | null; count: number | null; amount: string | null; at: Date | null; ref: string | null }>(
      `SELECT id, label, count, amount::text, at, ref::text FROM copied ORDER BY id`,
    );
    await client.query(`DROP TABLE copied`);
    return back.map((row) => ({ ...row, amount: row.amount === null ? null : BigInt(row.amount) }));
  } finally {
    client.release();
  }
}

describe("BinaryCopyWriter", () => {
  it("writes every type PostgreSQL reads back unchanged: nulls, Unicode, extremes, dates before 2000", async () => {
    const rows: TRow[] = [
      { id: 1, label: "plain", count: 0, amount: 0n, at: new Date("2026-10-01T04:00:00.123Z"), ref: "0b8e4a3c-1f2d-4e5f-8a9b-0c1d2e3f4a5b" },
      { id: 2, label: null, count: null, amount: null, at: null, ref: null },
      { id: 3, label: "tab\there, \\N, newline\n, «Zoë» 📞", count: -2147483648, amount: -9223372036854775808n, at: new Date("1999-12-31T23:59:59.999Z"), ref: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF" },
      { id: 4, label: "", count: 2147483647, amount: 9223372036854775807n, at: new Date("1970-01-01T00:00:00.000Z"), ref: "00000000-0000-0000-0000-000000000000" },
    ];
    const back = await roundTrip(rows);
    expect(back).toEqual(rows.map((row) => ({ ...row, ref: row.ref?.toLowerCase() ?? null })));
  });

  it("splits a long stream over many buffers, a row across two of them included", async () => {
    const rows: TRow[] = Array.from({ length: 2_000 }, (_, index) => ({
      id: index,
      label: `call ${index} ${"x".repeat(index % 50)}`,
      count: index * 7,
      amount: BigInt(index) * 1_000_003n,
      at: new Date(Date.UTC(2026, 9, 1) + index * 2_500),
      ref: `00000000-0000-4000-8000-${String(index % 17).padStart(12, "0")}`,
    }));
    const chunks = write(rows, new BufferPool(256));
    expect(chunks.length).toBeGreaterThan(100);
    expect(await roundTrip(rows, new BufferPool(256))).toEqual(rows);
  });

  it("gives its buffers back to the pool once released, and the next stream reuses them", async () => {
    const pool = new BufferPool(256, 1_000);
    const rows: TRow[] = Array.from({ length: 300 }, (_, index) => ({ id: index, label: `row ${index}`, count: index, amount: null, at: null, ref: null }));
    const first = write(rows, pool);
    const firstBuffers = new Set(first.map((chunk) => chunk.buffer));
    expect(firstBuffers.size).toBe(first.length); // one buffer each, none shared
    const again = write(rows, pool);
    // Nothing released yet: all new buffers.
    expect(again.some((chunk) => firstBuffers.has(chunk.buffer))).toBe(false);

    const released = new BinaryCopyWriter(pool);
    for (const row of rows) {
      released.startRow(1);
      released.int4(row.id);
    }
    const releasedBuffers = new Set(released.finish().map((chunk) => chunk.buffer));
    released.release();
    const next = new BinaryCopyWriter(pool);
    for (const row of rows) {
      next.startRow(1);
      next.int4(row.id);
    }
    // The same amount of data fits in exactly the buffers given back.
    expect(new Set(next.finish().map((chunk) => chunk.buffer))).toEqual(releasedBuffers);
    // Reused buffers hold a new stream intact.
    expect(await roundTrip(rows, pool)).toEqual(rows);
  });

  it("copies UUID fields encoded once into every row, rows across buffers included", async () => {
    const ids = ["0b8e4a3c-1f2d-4e5f-8a9b-0c1d2e3f4a5b", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"];
    const encoded = encodeUuidFields(ids);
    const out = new BinaryCopyWriter(new BufferPool(64));
    for (let id = 0; id < 50; id++) {
      out.startRow(3);
      out.encoded(encoded);
      out.int4(id);
    }
    const chunks = out.finish();
    expect(chunks.length).toBeGreaterThan(10);
    const client = await pool().connect();
    try {
      await client.query(`CREATE TEMP TABLE encoded (a UUID, b UUID, id INTEGER)`);
      await copyBinaryChunks(client, "encoded", ["a", "b", "id"], chunks);
      const { rows } = await client.query<{ a: string; b: string; n: string }>(`SELECT a::text, b::text, count(*)::text AS n FROM encoded GROUP BY a, b`);
      await client.query(`DROP TABLE encoded`);
      expect(rows).toEqual([{ a: ids[0], b: ids[1]!.toLowerCase(), n: "50" }]);
    } finally {
      client.release();
    }
    expect(() => encodeUuidFields(["0b8e4a3c", ids[0]!])).toThrow("not a UUID: 0b8e4a3c");
  });

  it("refuses what its column type cannot hold on this side, naming the value", () => {
    const out = new BinaryCopyWriter();
    out.startRow(3);
    expect(() => out.uuid("not-a-uuid")).toThrow("not a UUID: not-a-uuid");
    expect(() => out.int4(2 ** 31)).toThrow("not a 32-bit integer: 2147483648");
    expect(() => out.int4(1.5)).toThrow("not a 32-bit integer: 1.5");
  });
});
