import type pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { pool, spareConnection } from "@/server/db/client";

/** spareConnection against the real pool (10 connections to the test database). */

const held: pg.PoolClient[] = [];

afterEach(() => {
  for (const client of held.splice(0)) client.release();
});

describe("spare connections for a bulk job's parallel streams", () => {
  it("are given while three of the pool's connections stay for everyone else", async () => {
    const max = pool().options.max ?? 10;
    for (;;) {
      const spare = await spareConnection();
      if (spare === null) break;
      held.push(spare);
    }
    expect(held.length).toBe(max - 3);
    // The rest is still there for an ordinary request, which waits for none.
    const ordinary = await pool().connect();
    held.push(ordinary);
    expect((await ordinary.query<{ one: number }>("SELECT 1 AS one")).rows[0]!.one).toBe(1);
  });

  it("are given again once connections come back", async () => {
    const first = await spareConnection();
    expect(first).not.toBeNull();
    held.push(first!);
  });
});
