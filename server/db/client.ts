import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { env } from "@/server/env";
import { PrismaClient } from "./generated/client";

export type { PrismaClient } from "./generated/client";
export type TTransaction = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];
export type TDb = PrismaClient | TTransaction;

type TDatabase = { prisma: PrismaClient; pool: pg.Pool; url: string };

// One pool per process, shared by Prisma and by the code paths that need the driver
// directly (COPY). Kept on globalThis so Next.js hot reloads do not leak connections.
const globalForDb = globalThis as unknown as { trunklineDb?: TDatabase };

function databaseUrl(): string {
  const url = env().DATABASE_URL;
  if (!url) {
    throw new Error("DATABASE_URL is not set: start the app with `npm start` (embedded PostgreSQL) or set it.");
  }
  return url;
}

function connect(): TDatabase {
  const url = databaseUrl();
  const existing = globalForDb.trunklineDb;
  if (existing && existing.url === url) return existing;
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // A connection the server drops (a restart, an administrator's terminate) must not end the
  // process, which an unheard 'error' event does. Idle in the pool, it is removed and replaced
  // on next use (Prisma listens only while it is connected, so the pool keeps its own ear).
  // Checked out, its holder's next query fails with the cause; the client's own listener
  // only keeps the event from being unheard.
  pool.on("error", (error) => console.error(`database: an idle connection was lost: ${error.message}`));
  pool.on("connect", (client) => client.on("error", () => {}));
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    // Prisma's defaults (2 s to get a connection, 5 s in all) fail money transactions that
    // only wait: for a pooled connection while a bulk load keeps both cores busy, or for a
    // customer's row lock behind that customer's other postings. Waiting is correct there.
    transactionOptions: { maxWait: 10_000, timeout: 20_000 },
  });
  const database = { prisma, pool, url };
  globalForDb.trunklineDb = database;
  return database;
}

export function db(): PrismaClient {
  return connect().prisma;
}

export function pool(): pg.Pool {
  return connect().pool;
}

export async function disconnect(): Promise<void> {
  const existing = globalForDb.trunklineDb;
  if (!existing) return;
  globalForDb.trunklineDb = undefined;
  await existing.prisma.$disconnect();
  await existing.pool.end();
}

/** Connections a bulk job's extra streams never take: they stay for requests and other jobs. */
const KEPT_FOR_OTHERS = 3;

/**
 * One more pooled connection for a bulk job's parallel stream if the pool can spare one now
 * (leaving KEPT_FOR_OTHERS), else null. Never waits for another request to release one:
 * requests that each hold a connection and wait for a second could otherwise wait for each
 * other forever.
 */
export async function spareConnection(): Promise<pg.PoolClient | null> {
  const connections = pool();
  const inUse = connections.totalCount - connections.idleCount;
  if (inUse + 1 > (connections.options.max ?? 10) - KEPT_FOR_OTHERS) return null;
  const pending = connections.connect();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 1_000)));
  // A connection error only costs the second stream.
  const winner = await Promise.race([pending.catch(() => null), timedOut]).finally(() => clearTimeout(timer));
  if (winner === null) {
    // Taken by someone else meanwhile; give it back whenever it comes.
    pending.then((late) => late.release(), () => {});
  }
  return winner;
}
