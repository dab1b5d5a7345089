import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ensureDatabase } from "@/server/db/embedded";
import { MIGRATIONS_DIR, migrate, readMigrations } from "@/server/db/migrate";

const adminUrl = inject("pgAdminUrl");
const created: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = `migrate_${randomBytes(5).toString("hex")}`;
  await ensureDatabase(adminUrl, name);
  created.push(name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

function migrationsFolder(files: Record<string, string>): string {
  const directory = mkdtempSync(path.join(os.tmpdir(), "migrations-"));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(path.join(directory, name));
    writeFileSync(path.join(directory, name, "migration.sql"), sql);
  }
  return directory;
}

afterAll(async () => {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  for (const name of created) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
});

describe("migration runner", () => {
  it("applies the project's migrations once and records them as prisma migrate deploy does", async () => {
    const url = await freshDatabase();
    const first = await migrate({ databaseUrl: url });
    const onDisk = await readMigrations(MIGRATIONS_DIR);
    expect(first.applied).toEqual(onDisk.map((migration) => migration.name));
    const second = await migrate({ databaseUrl: url });
    expect(second).toEqual({ applied: [], alreadyApplied: onDisk.length });

    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number; started_at: Date }>(
      url,
      `SELECT migration_name, checksum, finished_at, applied_steps_count, started_at FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((row) => row.migration_name)).toEqual(onDisk.map((migration) => migration.name));
    for (const [index, row] of rows.entries()) {
      expect(row.checksum).toBe(onDisk[index]?.checksum);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("refuses to run when an applied migration's file has changed", async () => {
    const url = await freshDatabase();
    const folder = migrationsFolder({ "20260101000000_a": "CREATE TABLE a (id int);" });
    await migrate({ databaseUrl: url, directory: folder });
    writeFileSync(path.join(folder, "20260101000000_a", "migration.sql"), "CREATE TABLE a (id bigint);");
    await expect(migrate({ databaseUrl: url, directory: folder })).rejects.toThrow(/20260101000000_a was modified after it was applied/);
  });

  it("rolls back a failing migration whole and records nothing for it", async () => {
    const url = await freshDatabase();
    const folder = migrationsFolder({
      "20260101000000_ok": "CREATE TABLE ok (id int);",
      "20260102000000_bad": "CREATE TABLE half (id int);\nSELECT * FROM no_such_table;",
    });
    await expect(migrate({ databaseUrl: url, directory: folder })).rejects.toThrow(/20260102000000_bad failed and was rolled back/);
    const tables = await query<{ table_name: string }>(url, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('ok','half')`);
    expect(tables.map((table) => table.table_name)).toEqual(["ok"]);
    const recorded = await query<{ migration_name: string }>(url, `SELECT migration_name FROM "_prisma_migrations"`);
    expect(recorded.map((row) => row.migration_name)).toEqual(["20260101000000_ok"]);
  });

  it("lets two runners race without applying anything twice", async () => {
    const url = await freshDatabase();
    const results = await Promise.all([migrate({ databaseUrl: url }), migrate({ databaseUrl: url })]);
    const total = results.reduce((sum, result) => sum + result.applied.length, 0);
    expect(total).toBe((await readMigrations()).length);
  });
});
