import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { computeDashboardFigures } from "@/server/dashboard/overview";
import { FILES_NEEDING_ATTENTION_SQL } from "@/server/cdr/file-queries";
import { callerAs, createWorld } from "../support/factories";

/**
 * CDR files that wait for an admin (held for review, failed) are counted for the overview and
 * the menu's badge: per tenant, only those two statuses, on the partial index that holds them.
 */

type TWorld = Awaited<ReturnType<typeof createWorld>>;
type TStatus = "RECEIVED" | "PROCESSING" | "DONE" | "FAILED" | "HELD" | "DUPLICATE" | "DISMISSED";

let a: TWorld;
let b: TWorld;

async function files(world: TWorld, statuses: TStatus[]): Promise<void> {
  const source = await db().cdrSource.create({ data: { tenantId: world.tenant.id, name: `Switch ${randomUUID()}`, format: "asterisk", timeZone: "UTC" } });
  await db().cdrFile.createMany({
    data: statuses.map((status, index) => ({
      tenantId: world.tenant.id,
      sourceId: source.id,
      fileName: `Master-${index}.csv`,
      remotePath: `/cdr/Master-${index}.csv`,
      size: 100n,
      sha256: randomUUID().replaceAll("-", "").padEnd(64, "0"),
      status,
    })),
  });
}

beforeAll(async () => {
  a = await createWorld("Attention A");
  b = await createWorld("Attention B");
  await files(a, ["RECEIVED", "PROCESSING", "DONE", "FAILED", "HELD", "HELD", "DUPLICATE", "DISMISSED"]);
  await files(b, ["HELD", "FAILED", "FAILED", "FAILED"]);
});

describe("CDR files needing attention", () => {
  it("are on the overview: held and failed files of the tenant only", async () => {
    expect((await computeDashboardFigures({ tenantId: a.tenant.id })).files).toEqual({ held: 2, failed: 1 });
    expect((await computeDashboardFigures({ tenantId: b.tenant.id })).files).toEqual({ held: 1, failed: 3 });
  });

  it("count zero for a tenant without any", async () => {
    const empty = await createWorld("Attention empty");
    expect((await computeDashboardFigures({ tenantId: empty.tenant.id })).files).toEqual({ held: 0, failed: 0 });
  });

  it("are served to the tenant's staff for the menu's badge, not to customer users", async () => {
    expect(await (await callerAs(a.admin.user.id)).cdrFiles.needingAttention()).toEqual({ held: 2, failed: 1 });
    expect(await (await callerAs(a.support.user.id)).cdrFiles.needingAttention()).toEqual({ held: 2, failed: 1 });
    expect(await (await callerAs(b.admin.user.id)).cdrFiles.needingAttention()).toEqual({ held: 1, failed: 3 });
    await expect((await callerAs(a.customerAdmin.user.id)).cdrFiles.needingAttention()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("are counted from the partial index of held and failed files, not by reading the tenant's files", async () => {
    const client = await pool().connect();
    try {
      // The tables are tiny here: a sequential scan would win on cost alone, so it is ruled out
      // to see which index the query can use.
      await client.query("BEGIN");
      await client.query("SET LOCAL enable_seqscan = off");
      const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${FILES_NEEDING_ATTENTION_SQL}`, [a.tenant.id]);
      expect(rows.map((row) => row["QUERY PLAN"]).join("\n")).toContain("cdr_files_needing_attention");
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
  });
});
