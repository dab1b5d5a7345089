import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { db, pool, spareConnection } from "@/server/db/client";

/** spareConnection against the real pool (10 connections to the test database). */

const held: pg.PoolClient[] = [];

afterEach(() => {
  for (const client of held.splice(0)) client.release();
});

describe("spare connections for a bulk job's parallel streams", () => {
  it("are given while three of the pool's connections stay for everyone else", async () => {
    const max = pool().options.max ?? 10;
    // Warm: a spare connection has 1 s to come, and a cold one can take longer on a busy machine.
    await Promise.all(Array.from({ length: max }, () => pool().connect())).then((clients) => clients.forEach((client) => client.release()));
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

/** The backend process a pooled connection talks to (pg keeps it; its types leave it out). */
function backendPid(client: pg.PoolClient): number {
  return (client as unknown as { processID: number }).processID;
}

/** Ends backends as an administrator would, from a connection of its own. */
async function terminateBackends(pids: number[]): Promise<void> {
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    await admin.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [pids]);
  } finally {
    await admin.end();
  }
}

describe("the shared pool", () => {
  it("survives the server dropping its idle connections, and serves the next query", async () => {
    // Connections in the pool, idle, with Prisma disconnected (as between jobs in a worker).
    const clients = await Promise.all([pool().connect(), pool().connect()]);
    const pids = clients.map(backendPid);
    for (const client of clients) client.release();
    const before = pool().totalCount;
    await db().$disconnect();

    await terminateBackends(pids);
    // The pool drops each as its error arrives; no listener here, so only the pool's own hears it.
    await expect.poll(() => pool().totalCount).toBe(before - clients.length);
    // The process is still here (an unheard pool 'error' would have ended it) and so is the pool.
    expect((await pool().query<{ one: number }>("SELECT 1 AS one")).rows[0]!.one).toBe(1);
    expect(await db().tenant.count()).toBeGreaterThanOrEqual(0);
  });

  it("survives the server dropping a connection someone holds: the holder's next query says why", async () => {
    const held = await pool().connect();
    await terminateBackends([backendPid(held)]);
    await expect.poll(async () => held.query("SELECT 1").then(() => "alive", (error: Error) => error.message)).not.toBe("alive");
    held.release(true);
    expect((await pool().query<{ one: number }>("SELECT 1 AS one")).rows[0]!.one).toBe(1);
  });
});
