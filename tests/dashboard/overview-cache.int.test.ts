import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { DASHBOARD_FIGURES_TTL_MS, getDashboardFigures } from "@/server/dashboard/overview";
import { rebuildTrafficTotals } from "@/server/cdr/traffic-totals";
import { createWorld } from "../support/factories";

type TWorld = Awaited<ReturnType<typeof createWorld>>;

/** One rated call as ingestion writes it, with the traffic totals it keeps (see overview.int.test.ts). */
async function insertCall(world: TWorld, sourceId: string, startAt: Date, price: bigint): Promise<void> {
  await pool().query(
    `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, duration, billsec, caller, callee, customer_id,
                       status, category, billed_seconds, price, cost)
     VALUES ($1::uuid, $2::uuid, $3::uuid, 1, $4, $5, 60, 60, '16135550100', '442071234567', $6::uuid, 'RATED', 'INTERNATIONAL', 60, $7::bigint, 100)`,
    [world.tenant.id, sourceId, randomUUID(), `call-${randomUUID()}`, startAt, world.customer.id, String(price)],
  );
  await rebuildTrafficTotals(pool(), world.tenant.id);
}

// 15 March 2026, 14:00Z: 10:00 in Toronto (the factories' zone), well inside the local day.
const NOW = new Date("2026-03-15T14:00:00Z");
const later = (ms: number) => new Date(NOW.getTime() + ms);

let c: TWorld;
let d: TWorld;
let sourceC: string;

beforeAll(async () => {
  await pool().query(`SELECT ensure_cdr_partitions('2026-02-01', '2026-03-01')`);
  c = await createWorld("Overview cache C");
  d = await createWorld("Overview cache D");
  const source = (tenantId: string, name: string) => db().cdrSource.create({ data: { tenantId, name, format: "asterisk", timeZone: "UTC" } });
  sourceC = (await source(c.tenant.id, "C switch")).id;
  const sourceD = (await source(d.tenant.id, "D switch")).id;
  await insertCall(c, sourceC, later(-60 * 60_000), 1_000_000n);
  await insertCall(d, sourceD, later(-60 * 60_000), 9_000_000n);
  await insertCall(d, sourceD, later(-50 * 60_000), 9_000_000n);
});

describe("admin overview figures cache", () => {
  it("serves a tenant's figures from the cache within the TTL, and fresh ones after it", async () => {
    const first = await getDashboardFigures({ tenantId: c.tenant.id, now: NOW });
    expect(first.computedAt).toEqual(NOW);
    expect(first.traffic.today.calls).toBe(1);

    await insertCall(c, sourceC, later(-30 * 60_000), 2_000_000n);
    const cached = await getDashboardFigures({ tenantId: c.tenant.id, now: later(DASHBOARD_FIGURES_TTL_MS - 1000) });
    expect(cached.computedAt).toEqual(NOW);
    expect(cached.traffic.today).toEqual(first.traffic.today);

    // The TTL runs from when the figures were ready, a few milliseconds after NOW here.
    const fresh = await getDashboardFigures({ tenantId: c.tenant.id, now: later(2 * DASHBOARD_FIGURES_TTL_MS) });
    expect(fresh.computedAt).toEqual(later(2 * DASHBOARD_FIGURES_TTL_MS));
    expect(fresh.traffic.today.calls).toBe(2);
    expect(fresh.traffic.today.revenue).toBe(3_000_000n);
  });

  it("never serves one tenant's cached figures to another", async () => {
    const at = later(10 * DASHBOARD_FIGURES_TTL_MS);
    const ofC = await getDashboardFigures({ tenantId: c.tenant.id, now: at });
    expect(ofC.traffic.today.revenue).toBe(3_000_000n);
    // Within C's TTL: D's own figures, computed for D.
    const ofD = await getDashboardFigures({ tenantId: d.tenant.id, now: new Date(at.getTime() + 1000) });
    expect(ofD.computedAt).toEqual(new Date(at.getTime() + 1000));
    expect(ofD.traffic.today.calls).toBe(2);
    expect(ofD.traffic.today.revenue).toBe(18_000_000n);
    const ofCAgain = await getDashboardFigures({ tenantId: c.tenant.id, now: new Date(at.getTime() + 2000) });
    expect(ofCAgain.computedAt).toEqual(at);
    expect(ofCAgain.traffic.today.revenue).toBe(3_000_000n);
  });

  it("shares one computation between loads that arrive while it runs", async () => {
    const at = later(20 * DASHBOARD_FIGURES_TTL_MS);
    const [one, two] = await Promise.all([
      getDashboardFigures({ tenantId: d.tenant.id, now: at }),
      getDashboardFigures({ tenantId: d.tenant.id, now: new Date(at.getTime() + 10) }),
    ]);
    expect(two).toBe(one);
  });
});
