import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { DEFAULT_LOCK_TIMEOUT_MS } from "@/server/db/lock-timeout";
import { errorMessage } from "@/server/errors";

/**
 * Applies the SQL migrations in prisma/migrations and records them in `_prisma_migrations`
 * the way `prisma migrate deploy` does (same table, sha256 checksum of the file, timestamps,
 * step count), so either tool can take over from the other. Prisma's schema engine cannot be
 * downloaded on every machine we run on; this runner needs nothing but the driver.
 */

export type TMigrationFile = { name: string; sql: string; checksum: string };
export type TMigrateResult = { applied: string[]; alreadyApplied: number };

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "../../prisma/migrations");

// The same key `prisma migrate` locks on, so the two never run concurrently either.
const PRISMA_ADVISORY_LOCK = 72707369;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export const DEFAULT_LOCK_RETRIES = 4;
/** Wait before the first retry; doubles with each further one (1, 2, 4, 8 s). */
export const DEFAULT_LOCK_RETRY_DELAY_MS = 1_000;
const LOCK_NOT_AVAILABLE = "55P03";

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

/**
 * One migration and its record in one transaction: the record is written, and the migration
 * counted as applied, only if the whole of it commits. Any failure (a lock wait that timed out
 * included) rolls back both, so a later attempt finds nothing half done and no record of it.
 */
async function applyOne(client: pg.Client, migration: TMigrationFile, lockTimeoutMs: number): Promise<void> {
  await client.query("BEGIN");
  try {
    // SET LOCAL: ends with the transaction, so the session's advisory lock wait (another
    // runner) is not limited, only the locks this migration takes.
    await client.query(`SET LOCAL lock_timeout = ${Math.trunc(lockTimeoutMs)}`);
    const id = randomUUID();
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}

export async function readMigrations(directory = MIGRATIONS_DIR): Promise<TMigrationFile[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const content = await readFile(path.join(directory, name, "migration.sql"));
      return { name, sql: content.toString("utf8"), checksum: createHash("sha256").update(content).digest("hex") };
    }),
  );
}

function isLockTimeout(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === LOCK_NOT_AVAILABLE;
}

type TAppliedRow = { migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null };

export async function migrate(options: {
  databaseUrl: string;
  directory?: string;
  log?: (line: string) => void;
  /** Longest wait for one lock, per attempt (default 10 s; the scripts pass MIGRATION_LOCK_TIMEOUT). */
  lockTimeoutMs?: number;
  /** Attempts after the first that timed out on a lock (default 4). */
  lockRetries?: number;
  /** Pause before the first retry, doubled for each next one (default 1 s). */
  retryDelayMs?: number;
}): Promise<TMigrateResult> {
  const log = options.log ?? (() => {});
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (!Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs <= 0) throw new MigrationError(`lockTimeoutMs must be a whole number of milliseconds above 0, not ${lockTimeoutMs}`);
  const lockRetries = options.lockRetries ?? DEFAULT_LOCK_RETRIES;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_LOCK_RETRY_DELAY_MS;
  const migrations = await readMigrations(options.directory);
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<TAppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const applied = new Map(rows.map((row) => [row.migration_name, row]));
    const known = new Set(migrations.map((migration) => migration.name));

    for (const row of rows) {
      if (row.finished_at === null) {
        throw new MigrationError(
          `Migration ${row.migration_name} started but did not finish. Resolve it (prisma migrate resolve) before migrating again.`,
        );
      }
      if (!known.has(row.migration_name)) {
        log(`warning: migration ${row.migration_name} is recorded in the database but missing from ${options.directory ?? MIGRATIONS_DIR}`);
      }
    }
    for (const migration of migrations) {
      const row = applied.get(migration.name);
      if (row && row.checksum !== migration.checksum) {
        throw new MigrationError(
          `Migration ${migration.name} was modified after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${migration.checksum.slice(0, 12)}… on disk). Restore the file and add a new migration instead.`,
        );
      }
    }

    const pending = migrations.filter((migration) => !applied.has(migration.name));
    for (const migration of pending) {
      for (let attempt = 0; ; attempt += 1) {
        log(attempt === 0 ? `applying ${migration.name}` : `applying ${migration.name} (attempt ${attempt + 1} of ${lockRetries + 1})`);
        try {
          await applyOne(client, migration, lockTimeoutMs);
          break;
        } catch (error) {
          const reason = errorMessage(error);
          if (!isLockTimeout(error)) throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${reason}`);
          const waited = `${lockTimeoutMs / 1000} s`;
          if (attempt >= lockRetries) {
            throw new MigrationError(
              `Migration ${migration.name} was rolled back: it waited ${waited} for a lock ${lockRetries === 0 ? "once" : `${lockRetries + 1} times`} and something else held it ${lockRetries === 0 ? "" : "each time "}` +
                `(a long query or open transaction on a table it changes, such as a CSV export; see pg_stat_activity and pg_locks). ` +
                `Nothing of it was applied; run the migration again when the database is quieter, or raise MIGRATION_LOCK_TIMEOUT. (${reason})`,
            );
          }
          const delay = retryDelayMs * 2 ** attempt;
          log(`${migration.name}: something held a lock it needs for over ${waited}; rolled back, retrying in ${delay / 1000} s`);
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    }
    return { applied: pending.map((migration) => migration.name), alreadyApplied: migrations.length - pending.length };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK]).catch(() => {});
    await client.end();
  }
}
