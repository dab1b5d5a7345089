import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { migrate } from "@/server/db/migrate";
import { DEFAULT_LOCK_TIMEOUT_MS, parseLockTimeout } from "@/server/db/lock-timeout";
import { parseEnv } from "@/server/env";
import { dropScratchDatabases, freshDatabase, migrationsFolder, query } from "../support/migrations";
import { expectStillWaiting } from "../support/waiting";

afterAll(dropScratchDatabases);

const CREATE = { "20260101000000_accounts": "CREATE TABLE accounts (id int PRIMARY KEY); INSERT INTO accounts VALUES (1), (2);" };
const ALTER = "20260102000000_accounts_note";
// Two statements: the first gets its lock at once, the second needs the table's exclusive lock.
const ALTER_SQL = "CREATE TABLE notes_audit (id int);\nALTER TABLE accounts ADD COLUMN note text;";

const clients: pg.Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.end().catch(() => {});
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  return client;
}

/** A database with `accounts` migrated, the folder that also alters it, and a reader holding the table as an export's cursor does. */
async function tableHeldByAReader(): Promise<{ url: string; folder: string; reader: pg.Client }> {
  const url = await freshDatabase();
  await migrate({ databaseUrl: url, directory: migrationsFolder(CREATE) });
  const folder = migrationsFolder({ ...CREATE, [ALTER]: ALTER_SQL });
  const reader = await connect(url);
  await reader.query("BEGIN");
  await reader.query("DECLARE export CURSOR FOR SELECT * FROM accounts");
  await reader.query("FETCH 1 FROM export");
  return { url, folder, reader };
}

async function nothingOfTheMigration(url: string): Promise<void> {
  expect(await query(url, `SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name`)).toEqual([{ migration_name: "20260101000000_accounts" }]);
  expect(await query(url, `SELECT to_regclass('notes_audit') AS half, (SELECT count(*)::int FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note') AS note`)).toEqual([
    { half: null, note: 0 },
  ]);
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("migration lock timeout", () => {
  it("waits for a lock at most the timeout, lets the queries queued behind it through, retries, and applies once the lock is released", async () => {
    const { url, folder, reader } = await tableHeldByAReader();
    const lines: string[] = [];
    const running = migrate({ databaseUrl: url, directory: folder, lockTimeoutMs: 300, lockRetries: 50, retryDelayMs: 20, log: (line) => lines.push(line) });
    await expectStillWaiting(running, reader);

    // A tenant's query on the table queues behind the waiting ALTER; it gets through when the
    // migration gives up its attempt, not when the export ends.
    const tenant = await connect(url);
    expect((await tenant.query<{ count: number }>("SELECT count(*)::int AS count FROM accounts")).rows).toEqual([{ count: 2 }]);

    await until(() => lines.some((line) => line.includes("retrying")), "a retry");
    expect(lines.find((line) => line.includes("retrying"))).toMatch(/^20260102000000_accounts_note: something held a lock it needs for over 0\.3 s; rolled back, retrying in/);
    // Between attempts nothing of it is applied or recorded, not even its first statement.
    await nothingOfTheMigration(url);

    await reader.query("COMMIT");
    await expect(running).resolves.toEqual({ applied: [ALTER], alreadyApplied: 1 });
    expect(lines.filter((line) => line.startsWith(`applying ${ALTER}`)).length).toBeGreaterThan(1);
    const records = await query<{ migration_name: string; finished: boolean; applied_steps_count: number }>(
      url,
      `SELECT migration_name, finished_at IS NOT NULL AS finished, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(records).toEqual([
      { migration_name: "20260101000000_accounts", finished: true, applied_steps_count: 1 },
      { migration_name: ALTER, finished: true, applied_steps_count: 1 },
    ]);
    expect(await query(url, `SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'`)).toEqual([{ column_name: "note" }]);
  });

  it("fails naming the migration and the lock when the lock is never released, and applies nothing of it", async () => {
    const { url, folder, reader } = await tableHeldByAReader();
    const lines: string[] = [];
    const started = Date.now();
    const error = await migrate({ databaseUrl: url, directory: folder, lockTimeoutMs: 100, lockRetries: 2, retryDelayMs: 10, log: (line) => lines.push(line) }).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^Migration 20260102000000_accounts_note was rolled back: it waited 0\.1 s for a lock 3 times and something else held it each time .*Nothing of it was applied/,
    );
    expect(lines.filter((line) => line.includes("retrying"))).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(10_000);
    await nothingOfTheMigration(url);
    // The export never noticed; once it ends the migration applies.
    expect((await reader.query("FETCH 1 FROM export")).rows).toEqual([{ id: 2 }]);
    await reader.query("COMMIT");
    expect((await migrate({ databaseUrl: url, directory: folder })).applied).toEqual([ALTER]);
  });

  it("does not retry a migration that fails for another reason", async () => {
    const url = await freshDatabase();
    const lines: string[] = [];
    const folder = migrationsFolder({ "20260101000000_bad": "SELECT * FROM no_such_table;" });
    await expect(migrate({ databaseUrl: url, directory: folder, lockTimeoutMs: 100, retryDelayMs: 10, log: (line) => lines.push(line) })).rejects.toThrow(
      /20260101000000_bad failed and was rolled back: relation "no_such_table" does not exist/,
    );
    expect(lines).toEqual(["applying 20260101000000_bad"]);
  });

  it("takes the timeout it is given (the scripts pass MIGRATION_LOCK_TIMEOUT)", async () => {
    const { url, folder, reader } = await tableHeldByAReader();
    await expect(migrate({ databaseUrl: url, directory: folder, lockTimeoutMs: 150, lockRetries: 0 })).rejects.toThrow(/waited 0\.15 s for a lock once and something else held it \(/);
    await nothingOfTheMigration(url);
    await reader.query("COMMIT");
  });

  it("reads MIGRATION_LOCK_TIMEOUT as milliseconds or with a unit, never 0", () => {
    expect(parseLockTimeout(undefined)).toBe(DEFAULT_LOCK_TIMEOUT_MS);
    expect(parseLockTimeout("")).toBe(DEFAULT_LOCK_TIMEOUT_MS);
    expect(DEFAULT_LOCK_TIMEOUT_MS).toBe(10_000);
    expect(parseLockTimeout("2500")).toBe(2_500);
    expect(parseLockTimeout("500ms")).toBe(500);
    expect(parseLockTimeout("30s")).toBe(30_000);
    expect(parseLockTimeout(" 2min ")).toBe(120_000);
    for (const bad of ["0", "0s", "-1", "1.5s", "10 seconds", "2h", "61min"]) expect(parseLockTimeout(bad), bad).toBeNull();
    // The configuration names the variable, before anything connects.
    const required = { AUTH_SECRET: "x".repeat(32), ENCRYPTION_KEY: Buffer.alloc(32).toString("base64") };
    expect(parseEnv(required).MIGRATION_LOCK_TIMEOUT).toBe(DEFAULT_LOCK_TIMEOUT_MS);
    expect(parseEnv({ ...required, MIGRATION_LOCK_TIMEOUT: "150ms" }).MIGRATION_LOCK_TIMEOUT).toBe(150);
    expect(() => parseEnv({ ...required, MIGRATION_LOCK_TIMEOUT: "soon" })).toThrow(/MIGRATION_LOCK_TIMEOUT is malformed: a duration above 0/);
  });
});
