import { afterAll, describe, expect, it } from "vitest";
import { migrate } from "@/server/db/migrate";
import { databaseMigratedUpTo, dropScratchDatabases, query } from "../support/migrations";

afterAll(dropScratchDatabases);

const TARGET = "20261204140000_statement_period_bounds";

describe(TARGET, () => {
  it("gives every written statement the bounds of its month in its tenant's zone", async () => {
    const { url } = await databaseMigratedUpTo(TARGET);
    await query(
      url,
      `INSERT INTO tenants (id, name, slug, time_zone, updated_at) VALUES
         ('00000000-0000-4000-8000-000000000001', 'Toronto', 'toronto', 'America/Toronto', now()),
         ('00000000-0000-4000-8000-000000000002', 'Kathmandu', 'kathmandu', 'Asia/Kathmandu', now());
       INSERT INTO customers (id, tenant_id, account_number, name, billing_type, contact_email, updated_at) VALUES
         ('00000000-0000-4000-8000-000000000011', '00000000-0000-4000-8000-000000000001', 'a', 'A', 'PREPAID', 'a@example.test', now()),
         ('00000000-0000-4000-8000-000000000012', '00000000-0000-4000-8000-000000000002', 'b', 'B', 'PREPAID', 'b@example.test', now());
       INSERT INTO statements (tenant_id, customer_id, period, opening_balance, closing_balance, totals) VALUES
         ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000011', '2026-11', 0, 0, '{}'),
         ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000012', '2026-12', 0, 0, '{}');`,
    );
    expect((await migrate({ databaseUrl: url })).applied).toContain(TARGET);
    const rows = await query<{ period: string; period_start: Date; period_end: Date }>(url, `SELECT period, period_start, period_end FROM statements ORDER BY period`);
    expect(rows).toEqual([
      // Toronto: EDT at the start of November, EST at its end.
      { period: "2026-11", period_start: new Date("2026-11-01T04:00:00Z"), period_end: new Date("2026-12-01T05:00:00Z") },
      { period: "2026-12", period_start: new Date("2026-11-30T18:15:00Z"), period_end: new Date("2026-12-31T18:15:00Z") },
    ]);
  });
});
