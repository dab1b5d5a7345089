import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import pg from "pg";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "@/server/db/embedded";
import { migrate } from "@/server/db/migrate";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * A real, durable (fsync on) embedded PostgreSQL in a temporary folder for a benchmark,
 * migrated, with DATABASE_URL and test secrets set for the app's modules. Benchmarks that
 * print figures must not run against a database tuned for tests.
 */
export async function startBenchDatabase(): Promise<{ url: string; scratch: string; stop: () => Promise<void> }> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "trunkline-bench-"));
  chmodSync(scratch, 0o755);
  if (process.env.BENCH_DATABASE_URL) return createDatabaseOnExternalServer(process.env.BENCH_DATABASE_URL, scratch);
  const server = await startEmbeddedPostgres({
    dataDir: path.join(scratch, "pg"),
    port: await freePort(),
    databaseName: "bench",
    persistent: true,
    onLog: process.env.BENCH_PG_LOG ? (line) => console.error(`[pg] ${line}`) : undefined,
  });
  const url = server.url();
  await migrate({ databaseUrl: url });
  const slowMs = process.env.BENCH_PG_SLOW_MS;
  if (slowMs) {
    // With BENCH_PG_LOG: statements slower than this are logged with their duration.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`ALTER DATABASE bench SET log_min_duration_statement = ${Number(slowMs)}`);
    await client.end();
  }
  setAppEnvironment(url);
  return {
    url,
    scratch,
    stop: async () => {
      await server.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

function setAppEnvironment(url: string): void {
  process.env.DATABASE_URL = url;
  process.env.AUTH_SECRET ??= "bench-auth-secret-bench-auth-secret-0123456789";
  process.env.ENCRYPTION_KEY ??= Buffer.alloc(32, 3).toString("base64");
}

/**
 * BENCH_DATABASE_URL=postgresql://user:password@host:port/postgres runs a benchmark on a
 * server of your own (a packaged PostgreSQL, tuned as in the README) instead of the embedded
 * one: a fresh database is created on it, migrated, and dropped at the end.
 */
async function createDatabaseOnExternalServer(adminUrl: string, scratch: string): Promise<{ url: string; scratch: string; stop: () => Promise<void> }> {
  const databaseName = path.basename(scratch).replace(/[^a-z0-9]/gi, "_").toLowerCase();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const version = (await admin.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version;
  await admin.query(`CREATE DATABASE "${databaseName}"`);
  await admin.end();
  console.log(`PostgreSQL ${version} at BENCH_DATABASE_URL, database ${databaseName}`);
  const target = new URL(adminUrl);
  target.pathname = `/${databaseName}`;
  const url = target.toString();
  await migrate({ databaseUrl: url });
  setAppEnvironment(url);
  return {
    url,
    scratch,
    stop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
      await client.end();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
