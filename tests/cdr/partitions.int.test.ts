import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { pool } from "@/server/db/client";

/** The monthly partitions of cdrs, created by `ensure_cdr_partitions` (migrations). */

const opened: pg.Client[] = [];

async function connection(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  opened.push(client);
  return client;
}

afterEach(async () => {
  for (const client of opened.splice(0)) await client.end();
});

/** A partition's index definitions with its own name taken out, to compare with another month's. */
async function indexShapes(partition: string): Promise<string[]> {
  const { rows } = await pool().query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1`, [partition]);
  return rows.map((row) => row.def.replaceAll(partition, "<partition>").replace(/INDEX \S+ ON/, "INDEX ON")).sort();
}

describe("cdrs partitions", () => {
  it("creates a month while a reader holds cdrs open, without waiting for it or making others wait", async () => {
    // An export's cursor: a transaction that has read cdrs and stays open.
    const reader = await connection();
    await reader.query("BEGIN READ ONLY");
    await reader.query("SELECT count(*) FROM cdrs");

    const creator = await connection();
    // Waiting for the reader would show as an error here rather than as a hang.
    await creator.query("SET lock_timeout = '2s'");
    await creator.query("BEGIN");
    expect((await creator.query<{ created: number }>("SELECT ensure_cdr_partitions('2031-03-01', '2031-03-01') AS created")).rows[0]!.created).toBe(1);
    // While the creating transaction is still open, others read and write cdrs.
    const other = await connection();
    await other.query("SET lock_timeout = '2s'");
    await other.query("SELECT count(*) FROM cdrs");
    await creator.query("COMMIT");
    await reader.query("COMMIT");

    // The new month is a full partition: the parent's indexes, primary key and checks.
    expect(await indexShapes("cdrs_2031_03")).toEqual(await indexShapes("cdrs_2026_11"));
    const { rows } = await pool().query<{ bound: string }>(
      `SELECT pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid WHERE c.relname = 'cdrs_2031_03' AND i.inhparent = 'cdrs'::regclass`,
    );
    expect(rows[0]?.bound).toBe("FOR VALUES FROM ('2031-03-01 00:00:00+00') TO ('2031-04-01 00:00:00+00')");
    const checks = await pool().query<{ count: number }>(`SELECT count(*)::int AS count FROM pg_constraint WHERE conrelid = 'cdrs_2031_03'::regclass AND contype = 'c'`);
    const parentChecks = await pool().query<{ count: number }>(`SELECT count(*)::int AS count FROM pg_constraint WHERE conrelid = 'cdrs'::regclass AND contype = 'c'`);
    expect(checks.rows[0]!.count).toBe(parentChecks.rows[0]!.count);
    // Asked again, it creates nothing.
    expect((await pool().query<{ created: number }>("SELECT ensure_cdr_partitions('2031-03-01', '2031-03-01') AS created")).rows[0]!.created).toBe(0);
  });

  it("creates a month once when two sessions ask at the same time", async () => {
    const [first, second] = [await connection(), await connection()];
    const results = await Promise.all([first, second].map((client) => client.query<{ created: number }>("SELECT ensure_cdr_partitions('2031-05-01', '2031-06-01') AS created")));
    expect(results.map((result) => result.rows[0]!.created).reduce((sum, created) => sum + created, 0)).toBe(2);
    const { rows } = await pool().query<{ count: number }>(`SELECT count(*)::int AS count FROM pg_inherits WHERE inhparent = 'cdrs'::regclass AND inhrelid::regclass::text IN ('cdrs_2031_05', 'cdrs_2031_06')`);
    expect(rows[0]!.count).toBe(2);
  });
});
