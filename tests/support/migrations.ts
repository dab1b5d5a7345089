import { cpSync, mkdtempSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { ensureDatabase } from "@/server/db/embedded";
import { MIGRATIONS_DIR, migrate } from "@/server/db/migrate";

/**
 * Empty databases and throwaway migration folders for tests of the migration runner
 * (server/db/migrate.ts), which start from nothing rather than from the migrated template.
 * Call `afterAll(dropScratchDatabases)` in the test file.
 */
const created: string[] = [];

/** A new, empty database on the test server; its URL. */
export async function freshDatabase(): Promise<string> {
  const adminUrl = inject("pgAdminUrl");
  const name = `migrate_${randomBytes(5).toString("hex")}`;
  await ensureDatabase(adminUrl, name);
  created.push(name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops every database freshDatabase made in this file. */
export async function dropScratchDatabases(): Promise<void> {
  const client = new pg.Client({ connectionString: inject("pgAdminUrl") });
  await client.connect();
  try {
    for (const name of created.splice(0)) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** One statement (or several, without parameters) on a connection of its own. */
export async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A migrations folder holding `files` (folder name → migration.sql). */
export function migrationsFolder(files: Record<string, string>): string {
  const directory = mkdtempSync(path.join(os.tmpdir(), "migrations-"));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(path.join(directory, name));
    writeFileSync(path.join(directory, name, "migration.sql"), sql);
  }
  return directory;
}

/** A fresh database with every migration before `target` applied, and the folder holding them. */
export async function databaseMigratedUpTo(target: string): Promise<{ url: string; before: string }> {
  const before = mkdtempSync(path.join(os.tmpdir(), "migrations-"));
  for (const name of readdirSync(MIGRATIONS_DIR)) {
    if (/^\d{14}_/.test(name) && name < target) cpSync(path.join(MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
  }
  const url = await freshDatabase();
  await migrate({ databaseUrl: url, directory: before });
  return { url, before };
}
