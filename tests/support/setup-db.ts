import { randomBytes } from "node:crypto";
import { afterAll, inject } from "vitest";
import pg from "pg";
import { ensureDatabase } from "@/server/db/embedded";
import "./test-env";

/**
 * A fresh database per test file, cloned from the migrated template (fast: a file copy).
 * Runs before the file's imports, so server/env.ts sees this DATABASE_URL.
 */
const adminUrl = inject("pgAdminUrl");
const databaseName = `test_${randomBytes(6).toString("hex")}`;
await ensureDatabase(adminUrl, databaseName, inject("pgTemplate"));
const url = new URL(adminUrl);
url.pathname = `/${databaseName}`;
process.env.DATABASE_URL = url.toString();

afterAll(async () => {
  const { disconnect } = await import("@/server/db/client");
  await disconnect();
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  await client.end();
});
