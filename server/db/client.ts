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
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
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
