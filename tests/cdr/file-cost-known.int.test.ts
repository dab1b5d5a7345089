import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { db, pool } from "@/server/db/client";
import { getCdrFile } from "@/server/cdr/file-queries";
import { createWorld } from "../support/factories";

/**
 * A file's page says whether its cost total means anything: "0.00" for a file none of whose
 * rated calls has a cost (no cost deck) would read as break-even, as the Calls page says too.
 * Its billed minutes are given as the Calls page's totals give them (two decimals).
 */

type TWorld = Awaited<ReturnType<typeof createWorld>>;

let world: TWorld;
/** A source with a cost deck, and one without. */
let sourceId: string;
let sourceWithoutDeckId: string;
const START = new Date("2026-03-10T12:00:00Z");

/** A file with its rated calls stored as ingestion stores them, and the totals it keeps. */
async function fileWithCalls(options: { costs: (bigint | null)[]; status?: "DONE" | "PROCESSING"; billedSeconds?: bigint; sourceId?: string }) {
  const fileSourceId = options.sourceId ?? sourceId;
  const costTotal = options.costs.reduce<bigint>((sum, cost) => sum + (cost ?? 0n), 0n);
  const file = await db().cdrFile.create({
    data: {
      tenantId: world.tenant.id,
      sourceId: fileSourceId,
      fileName: `Master-${randomUUID()}.csv`,
      remotePath: "/cdr/Master.csv",
      size: 100n,
      sha256: randomUUID().replaceAll("-", "").padEnd(64, "0"),
      status: options.status ?? "DONE",
      lines: options.costs.length,
      rated: options.costs.length,
      callsStored: options.costs.length,
      billedSeconds: options.billedSeconds ?? BigInt(60 * options.costs.length),
      priceTotal: 1000n * BigInt(options.costs.length),
      costTotal,
      firstCallAt: START,
      lastCallAt: new Date(START.getTime() + (options.costs.length - 1) * 60_000),
    },
  });
  for (const [index, cost] of options.costs.entries()) {
    await pool().query(
      `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, duration, billsec, caller, callee, customer_id,
                         status, category, billed_seconds, price, cost)
       VALUES ($1, $2, $3, $4, $5, $6, 60, 60, '16135550100', '442071234567', $7, 'RATED', 'INTERNATIONAL', 60, 1000, $8)`,
      [world.tenant.id, fileSourceId, file.id, index + 1, `call-${randomUUID()}`, new Date(START.getTime() + index * 60_000), world.customer.id, cost === null ? null : String(cost)],
    );
  }
  return file;
}

beforeAll(async () => {
  await pool().query(`SELECT ensure_cdr_partitions('2026-03-01', '2026-03-01')`);
  world = await createWorld("File cost");
  const carrier = await db().carrier.create({ data: { tenantId: world.tenant.id, name: "Upstream" } });
  const deck = await db().rateDeck.create({ data: { tenantId: world.tenant.id, name: "Upstream cost", currency: "USD", kind: "BUY", carrierId: carrier.id } });
  sourceId = (await db().cdrSource.create({ data: { tenantId: world.tenant.id, name: "Switch", format: "asterisk", timeZone: "UTC", costDeckId: deck.id } })).id;
  sourceWithoutDeckId = (await db().cdrSource.create({ data: { tenantId: world.tenant.id, name: "Switch without cost", format: "asterisk", timeZone: "UTC" } })).id;
});

describe("a CDR file's cost and minutes", () => {
  it("is unknown when no rated call of the file has a cost", async () => {
    const file = await fileWithCalls({ costs: [null, null] });
    expect(await getCdrFile({ tenantId: world.tenant.id, fileId: file.id })).toMatchObject({ costTotal: 0n, costKnown: false });
  });

  it("is unknown, without reading its calls, when its zero total comes from a source without a cost deck", async () => {
    const file = await fileWithCalls({ costs: [0n, null], sourceId: sourceWithoutDeckId });
    const queries = vi.spyOn(pool(), "query");
    try {
      expect(await getCdrFile({ tenantId: world.tenant.id, fileId: file.id })).toMatchObject({ costTotal: 0n, costKnown: false });
      expect(queries.mock.calls.some(([text]) => typeof text === "string" && /FROM cdrs/.test(text))).toBe(false);
    } finally {
      queries.mockRestore();
    }
  });

  it("is known when the calls' costs are known, even if they add up to zero", async () => {
    const free = await fileWithCalls({ costs: [0n, null] });
    expect(await getCdrFile({ tenantId: world.tenant.id, fileId: free.id })).toMatchObject({ costTotal: 0n, costKnown: true });
    const costed = await fileWithCalls({ costs: [700n, null] });
    expect(await getCdrFile({ tenantId: world.tenant.id, fileId: costed.id })).toMatchObject({ costTotal: 700n, costKnown: true });
  });

  it("is not known yet while the file is read, and is known (zero) for a file without rated calls", async () => {
    const reading = await fileWithCalls({ costs: [null], status: "PROCESSING" });
    expect(await getCdrFile({ tenantId: world.tenant.id, fileId: reading.id })).toMatchObject({ costKnown: null });
    const empty = await fileWithCalls({ costs: [] });
    expect(await getCdrFile({ tenantId: world.tenant.id, fileId: empty.id })).toMatchObject({ costKnown: true });
  });

  it("gives billed minutes to two decimals, as the calls' totals do", async () => {
    const file = await fileWithCalls({ costs: [null], billedSeconds: 74_074n });
    expect((await getCdrFile({ tenantId: world.tenant.id, fileId: file.id })).billedMinutes).toBe("1234.57");
  });
});
