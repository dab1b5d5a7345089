import { cpSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, migrate, readMigrations } from "@/server/db/migrate";
import { databaseMigratedUpTo, dropScratchDatabases, freshDatabase, migrationsFolder, query } from "../support/migrations";

afterAll(dropScratchDatabases);

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

describe("data migrations", () => {
  it("20261202090000 gives every file the totals and time range of the calls it stored, then drops the file index; 20261202100000 keeps one run per event", async () => {
    const url = await freshDatabase();
    const before = mkdtempSync(path.join(os.tmpdir(), "migrations-"));
    for (const name of readdirSync(MIGRATIONS_DIR).filter((entry) => /^\d{14}_/.test(entry) && entry < "20261202090000")) {
      cpSync(path.join(MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
    }
    await migrate({ databaseUrl: url, directory: before });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const tenant = (await client.query<{ id: string }>(`INSERT INTO tenants (name, slug, time_zone, updated_at) VALUES ('T', 't', 'UTC', now()) RETURNING id`)).rows[0]!.id;
      const source = (await client.query<{ id: string }>(`INSERT INTO cdr_sources (tenant_id, name, format, time_zone, updated_at) VALUES ($1, 'S', 'asterisk', 'UTC', now()) RETURNING id`, [tenant])).rows[0]!.id;
      const file = async (name: string, status: string) =>
        (await client.query<{ id: string }>(
          `INSERT INTO cdr_files (tenant_id, source_id, file_name, remote_path, size, sha256, status)
           VALUES ($1, $2, $3, $3, 0, encode(sha256(convert_to($3, 'UTF8')), 'hex'), $4::"CdrFileStatus") RETURNING id`,
          [tenant, source, name, status],
        )).rows[0]!.id;
      // A finished file across a month boundary, a file a crash left half done, one with no calls.
      const done = await file("done.csv", "DONE");
      const failed = await file("failed.csv", "FAILED");
      const empty = await file("empty.csv", "DONE");
      await client.query(`SELECT ensure_cdr_partitions('2026-10-01', '2026-11-01')`);
      for (const [fileId, calls, from] of [[done, 3, "2026-10-31T23:00:00Z"], [failed, 2, "2026-10-05T00:00:00Z"]] as const) {
        await client.query(
          `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, caller, callee, status, category, billed_seconds, price, cost)
           SELECT $1, $2, $3::uuid, g, $3::uuid::text || g, $4::timestamptz + g * interval '30 minutes', 60, '1', '1', 'RATED', 'OTHER', 60, 100, 40
           FROM generate_series(1, $5::int) g`,
          [tenant, source, fileId, from, calls],
        );
      }
      // Two runs of one event, as two racing runners could queue them before 20261202100000.
      await client.query(
        `INSERT INTO job_runs (function_id, event_name, event_id, status, max_attempts, created_at)
         VALUES ('fn', 'e', 'twice', 'COMPLETED', 1, now() - interval '1 minute'), ('fn', 'e', 'twice', 'QUEUED', 1, now()), ('fn', 'e', 'once', 'QUEUED', 1, now())`,
      );
      await migrate({ databaseUrl: url });
      const runs = await client.query(`SELECT event_id, status FROM job_runs WHERE function_id = 'fn' ORDER BY event_id`);
      expect(runs.rows).toEqual([
        { event_id: "once", status: "QUEUED" },
        { event_id: "twice", status: "COMPLETED" },
      ]);
      const files = await client.query(
        `SELECT id, calls_stored, billed_seconds::int, price_total::int, cost_total::int, first_call_at, last_call_at FROM cdr_files ORDER BY file_name`,
      );
      expect(files.rows).toEqual([
        { id: done, calls_stored: 3, billed_seconds: 180, price_total: 300, cost_total: 120, first_call_at: new Date("2026-10-31T23:30:00Z"), last_call_at: new Date("2026-11-01T00:30:00Z") },
        { id: empty, calls_stored: 0, billed_seconds: 0, price_total: 0, cost_total: 0, first_call_at: null, last_call_at: null },
        { id: failed, calls_stored: 2, billed_seconds: 120, price_total: 200, cost_total: 80, first_call_at: new Date("2026-10-05T00:30:00Z"), last_call_at: new Date("2026-10-05T01:00:00Z") },
      ]);
      const fileIndexes = await client.query(`SELECT indexname FROM pg_indexes WHERE tablename LIKE 'cdrs%' AND indexdef LIKE '%(file_id%'`);
      expect(fileIndexes.rows).toEqual([]);
    } finally {
      await client.end();
    }
  });
  it("counts a finished file's own stored calls when it moves to counting lines already present apart", async () => {
    const target = "20261203030000_cdr_file_counts_of_stored_calls";
    const { url, before } = await databaseMigratedUpTo(target);
    // Under the old rule a file of 5 lines whose 3 calls were all stored by an earlier file
    // counted them as its own (3 rated): 5 = 3 + 1 + 0 + 1, already present 3, none stored.
    // Its neighbour stored its own 2 calls and met none already present: left as it was.
    await query(
      url,
      `INSERT INTO tenants (id, name, slug, time_zone, updated_at) VALUES ('00000000-0000-4000-8000-000000000001', 'T', 't', 'UTC', now());
       INSERT INTO cdr_sources (id, tenant_id, name, format, time_zone, updated_at)
         VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'S', 'asterisk', 'UTC', now());
       INSERT INTO cdr_files (id, tenant_id, source_id, file_name, remote_path, size, sha256, status, lines, rated, unanswered, unbillable, rejected, already_present, calls_stored)
         VALUES ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002',
                 'again.csv', '/again.csv', 1, repeat('a', 64), 'DONE', 5, 3, 1, 0, 1, 3, 1),
                ('00000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002',
                 'first.csv', '/first.csv', 1, repeat('b', 64), 'DONE', 2, 1, 1, 0, 0, 0, 2);
       SELECT ensure_cdr_partitions('2026-10-01', '2026-10-01');
       INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, caller, callee, status)
         VALUES ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003',
                 4, 'own-1', '2026-10-02T00:00:00Z', 0, '1', '2', 'UNANSWERED');`,
    );
    cpSync(path.join(MIGRATIONS_DIR, target), path.join(before, target), { recursive: true });
    expect((await migrate({ databaseUrl: url, directory: before })).applied).toEqual([target]);
    const files = await query<{ file_name: string; lines: number; rated: number; unanswered: number; unbillable: number; rejected: number; already_present: number }>(
      url,
      `SELECT file_name, lines, rated, unanswered, unbillable, rejected, already_present FROM cdr_files ORDER BY file_name`,
    );
    expect(files).toEqual([
      { file_name: "again.csv", lines: 5, rated: 0, unanswered: 1, unbillable: 0, rejected: 1, already_present: 3 },
      { file_name: "first.csv", lines: 2, rated: 1, unanswered: 1, unbillable: 0, rejected: 0, already_present: 0 },
    ]);
  });
  it("marks the stored short codes it can know of when calls start keeping the flag", async () => {
    const target = "20261203110000_cdr_callee_short_code";
    const { url, before } = await databaseMigratedUpTo(target);
    const call = (key: string, callee: string, status: string, reason: string | null) =>
      `('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003',
        1, '${key}', '2026-10-02T00:00:00Z', 30, '1', '${callee}', '${status}', ${reason === null ? "NULL" : `'${reason}'`})`;
    await query(
      url,
      `INSERT INTO tenants (id, name, slug, time_zone, updated_at) VALUES ('00000000-0000-4000-8000-000000000001', 'T', 't', 'UTC', now());
       INSERT INTO cdr_sources (id, tenant_id, name, format, time_zone, updated_at)
         VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'S', 'asterisk', 'UTC', now());
       SELECT ensure_cdr_partitions('2026-10-01', '2026-10-01');
       INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, caller, callee, status, unbillable_reason) VALUES
         ${call("short", "911", "UNBILLABLE", "no rate for short code")},
         ${call("prefix", "442071838750", "UNBILLABLE", "no rate for prefix")},
         ${call("account-local", "5550101", "UNBILLABLE", "unknown account")},
         ${call("account-national", "16135550123", "UNBILLABLE", "unknown account")},
         ${call("unanswered-local", "5550102", "UNANSWERED", null)};`,
    );
    cpSync(path.join(MIGRATIONS_DIR, target), path.join(before, target), { recursive: true });
    expect((await migrate({ databaseUrl: url, directory: before })).applied).toEqual([target]);
    const calls = await query<{ record_key: string; callee_short_code: boolean }>(url, `SELECT record_key, callee_short_code FROM cdrs ORDER BY record_key`);
    // An unknown account's local number is shorter than the tenant's national numbers (10 digits).
    expect(calls).toEqual([
      { record_key: "account-local", callee_short_code: true },
      { record_key: "account-national", callee_short_code: false },
      { record_key: "prefix", callee_short_code: false },
      { record_key: "short", callee_short_code: true },
      { record_key: "unanswered-local", callee_short_code: false },
    ]);
  });
  it("disables the active trunks of customers closed before closing did, with the audit event a closing writes", async () => {
    const target = "20261203130000_closed_customers_trunks_disabled";
    const { url, before } = await databaseMigratedUpTo(target);
    await query(
      url,
      `INSERT INTO tenants (id, name, slug, time_zone, updated_at) VALUES ('00000000-0000-4000-8000-000000000001', 'T', 't', 'UTC', now());
       INSERT INTO customers (id, tenant_id, account_number, name, billing_type, status, contact_email, updated_at) VALUES
         ('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-000000000001', '1', 'Closed', 'PREPAID', 'CLOSED', 'c@example.com', now()),
         ('00000000-0000-4000-8000-0000000000c2', '00000000-0000-4000-8000-000000000001', '2', 'Open', 'PREPAID', 'ACTIVE', 'o@example.com', now());
       INSERT INTO sip_trunks (id, tenant_id, customer_id, name, account_code, status, updated_at) VALUES
         ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000c1', 'closed main', 'c-1', 'ACTIVE', now()),
         ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000c1', 'closed spare', 'c-2', 'DISABLED', now()),
         ('00000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000c2', 'open main', 'o-1', 'ACTIVE', now());`,
    );
    cpSync(path.join(MIGRATIONS_DIR, target), path.join(before, target), { recursive: true });
    expect((await migrate({ databaseUrl: url, directory: before })).applied).toEqual([target]);
    expect(await query(url, `SELECT name, status::text FROM sip_trunks ORDER BY name`)).toEqual([
      { name: "closed main", status: "DISABLED" },
      { name: "closed spare", status: "DISABLED" },
      { name: "open main", status: "ACTIVE" },
    ]);
    // One event, for the trunk this disabled (the spare was disabled already).
    expect(await query(url, `SELECT actor_email, action, target_id, after->>'name' AS trunk FROM audit_events`)).toEqual([
      { actor_email: "system", action: "trunk.disabled", target_id: "00000000-0000-4000-8000-0000000000c1", trunk: "closed main" },
    ]);
  });
  it("totals the calls stored before the traffic totals existed, per tenant and 15-minute UTC bucket", async () => {
    const target = "20261204120000_cdr_traffic_totals";
    const { url, before } = await databaseMigratedUpTo(target);
    const [one, two, source] = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-0000000000a1"];
    const call = (tenant: string, key: string, start: string, status: string, seconds: number | null, price: number | null, cost: number | null) =>
      `('${tenant}', '${source}', '${source}', 1, '${key}', '${start}', ${seconds ?? 0}, '1', '2', '${status}', ${seconds ?? "NULL"}, ${price ?? "NULL"}, ${cost ?? "NULL"})`;
    await query(
      url,
      `INSERT INTO tenants (id, name, slug, time_zone, updated_at) VALUES ('${one}', 'One', 'one', 'UTC', now()), ('${two}', 'Two', 'two', 'Asia/Kathmandu', now());
       SELECT ensure_cdr_partitions('2026-10-01', '2026-10-01');
       INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, caller, callee, status, billed_seconds, price, cost) VALUES
         ${call(one, "a", "2026-10-05T10:00:00Z", "RATED", 60, 1000, 400)},
         ${call(one, "b", "2026-10-05T10:14:59.999Z", "RATED", 30, 500, null)},
         ${call(one, "c", "2026-10-05T10:07:00Z", "UNANSWERED", null, null, null)},
         -- Seconds of an unbillable call: in billsec, not in the billed seconds (RATED calls only).
         ${call(one, "d", "2026-10-05T10:08:00Z", "UNBILLABLE", 45, null, null)},
         ${call(one, "e", "2026-10-05T10:15:00Z", "RATED", 120, 2000, 900)},
         ${call(two, "a", "2026-10-05T10:00:00Z", "RATED", 6, 7, 3)},
         -- A call of a tenant since deleted (cdrs has no foreign keys): nothing to total it under.
         ${call("00000000-0000-4000-8000-0000000000ff", "orphan", "2026-10-05T10:00:00Z", "UNANSWERED", null, null, null)};`,
    );
    cpSync(path.join(MIGRATIONS_DIR, target), path.join(before, target), { recursive: true });
    expect((await migrate({ databaseUrl: url, directory: before })).applied).toEqual([target]);
    expect(
      await query(
        url,
        `SELECT tenant_id, bucket_start, calls::int, answered::int, rated::int, billsec::int, billed_seconds::int, price::int, cost::int, price_with_cost::int, rated_without_cost::int
         FROM cdr_traffic_totals ORDER BY tenant_id, bucket_start`,
      ),
    ).toEqual([
      // 10:00–10:15: a (cost known), b (none), c unanswered, d unbillable.
      { tenant_id: one, bucket_start: new Date("2026-10-05T10:00:00Z"), calls: 4, answered: 3, rated: 2, billsec: 135, billed_seconds: 90, price: 1500, cost: 400, price_with_cost: 1000, rated_without_cost: 1 },
      { tenant_id: one, bucket_start: new Date("2026-10-05T10:15:00Z"), calls: 1, answered: 1, rated: 1, billsec: 120, billed_seconds: 120, price: 2000, cost: 900, price_with_cost: 2000, rated_without_cost: 0 },
      { tenant_id: two, bucket_start: new Date("2026-10-05T10:00:00Z"), calls: 1, answered: 1, rated: 1, billsec: 6, billed_seconds: 6, price: 7, cost: 3, price_with_cost: 7, rated_without_cost: 0 },
    ]);
    // The totals go with their tenant.
    await query(url, `DELETE FROM tenants WHERE id = '${two}'`);
    expect(await query(url, `SELECT count(*)::int AS n FROM cdr_traffic_totals WHERE tenant_id = '${two}'`)).toEqual([{ n: 0 }]);
  });
});
