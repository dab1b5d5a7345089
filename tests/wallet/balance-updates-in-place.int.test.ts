import { describe, expect, it } from "vitest";
import { pool } from "@/server/db/client";
import { postLedgerEntriesOnConnection } from "@/server/wallet/ledger";
import { createCustomer, createTenant } from "../support/factories";

/**
 * A balance change rewrites the customer's row. Each ingest batch does that to every
 * customer it charges, so the new version must fit on the row's own page (a HOT update):
 * otherwise the row moves, every index of customers gets an entry for it, and the tenant's
 * lookups slow down as the dead ones pile up (migration 20261203020000_customers_fillfactor).
 */

/** The heap page each customer's row is on. */
async function pagesOf(tenantId: string): Promise<Map<string, number>> {
  const { rows } = await pool().query<{ id: string; page: number }>(
    `SELECT id::text, (ctid::text::point)[0]::int AS page FROM customers WHERE tenant_id = $1::uuid`,
    [tenantId],
  );
  return new Map(rows.map((row) => [row.id, row.page]));
}

describe("balance updates", () => {
  it("keep every customer's row on its page through many batches of postings", async () => {
    const tenant = await createTenant();
    const customers = [];
    for (let index = 0; index < 60; index++) customers.push(await createCustomer(tenant.id));
    const before = await pagesOf(tenant.id);
    expect(new Set(before.values()).size).toBeGreaterThan(1); // spread over several pages

    const client = await pool().connect();
    try {
      for (let batch = 1; batch <= 12; batch++) {
        await client.query("BEGIN");
        await postLedgerEntriesOnConnection(
          client,
          customers.map((customer) => ({
            tenantId: tenant.id,
            customerId: customer.id,
            amount: -1_234n,
            kind: "CALL_CHARGES" as const,
            idempotencyKey: `test:batch-${batch}:${customer.id}`,
            memo: `batch ${batch}`,
          })),
        );
        await client.query("COMMIT");
      }
    } finally {
      client.release();
    }

    expect(await pagesOf(tenant.id)).toEqual(before);
    const { rows } = await pool().query<{ balance: string }>(`SELECT DISTINCT balance::text FROM customers WHERE tenant_id = $1::uuid`, [tenant.id]);
    expect(rows).toEqual([{ balance: String(12 * -1_234) }]);
  });
});
