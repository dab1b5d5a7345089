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
  try {
    // The pool's end() resolves once it has asked its connections to close, not once they
    // have: a backend still closing would be terminated by the forced drop, and its FATAL
    // would reach this process as an error after the file's last test.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await client.query<{ open: number }>("SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'", [databaseName]);
      if (rows[0]!.open === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
});
