import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { createCdrSource, deleteCdrSource, getCdrSource, setCdrSourceEnabled } from "@/server/cdr/sources";
import { createTenant } from "../support/factories";
import { ACTOR, deliverQuietly, withJobRunner } from "./ingest-support";

const runner = withJobRunner();

async function sourceWithServer(tenantId: string, name = "Mistyped feed") {
  return createCdrSource({
    tenantId,
    actor: ACTOR,
    fields: { name, format: "asterisk", timeZone: "UTC", filePattern: "*.csv", servers: [{ host: "sftp.example.test", username: "cdr", password: "secret" }] },
  });
}

describe("deleting a CDR source", () => {
  it("removes a source that never delivered a file, with its servers and availability record, audited", async () => {
    const tenant = await createTenant();
    const source = await sourceWithServer(tenant.id);
    await setCdrSourceEnabled({ tenantId: tenant.id, actor: ACTOR, sourceId: source.id, enabled: true });
    expect((await getCdrSource({ tenantId: tenant.id, sourceId: source.id })).hasFiles).toBe(false);

    // Another tenant cannot, nor can anyone once it is gone.
    const stranger = await createTenant();
    await expect(deleteCdrSource({ tenantId: stranger.id, actor: ACTOR, sourceId: source.id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    await deleteCdrSource({ tenantId: tenant.id, actor: ACTOR, sourceId: source.id });
    expect(await db().cdrSource.count({ where: { id: source.id } })).toBe(0);
    expect(await db().cdrSourceServer.count({ where: { sourceId: source.id } })).toBe(0);
    expect(await db().cdrSourceMonitoring.count({ where: { sourceId: source.id } })).toBe(0);
    expect(await db().auditEvent.findFirst({ where: { tenantId: tenant.id, action: "cdr_source.deleted", targetId: source.id }, select: { before: true } })).toEqual({
      before: { name: "Mistyped feed" },
    });
    await expect(deleteCdrSource({ tenantId: tenant.id, actor: ACTOR, sourceId: source.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses a source being polled", async () => {
    const tenant = await createTenant();
    const source = await sourceWithServer(tenant.id, "Busy feed");
    await db().cdrSource.update({ where: { id: source.id }, data: { pollLeaseUntil: new Date(Date.now() + 60_000) } });
    await expect(deleteCdrSource({ tenantId: tenant.id, actor: ACTOR, sourceId: source.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "Busy feed is being polled: turn its polling off, wait for the poll to end, then delete it.",
    });
    await db().cdrSource.update({ where: { id: source.id }, data: { pollLeaseUntil: new Date(Date.now() - 1000) } });
    await deleteCdrSource({ tenantId: tenant.id, actor: ACTOR, sourceId: source.id });
    expect(await db().cdrSource.count({ where: { id: source.id } })).toBe(0);
  });

  it("refuses a source any file came from, whatever became of the file: the files are the calls' record", async () => {
    const tenant = await createTenant();
    const source = await sourceWithServer(tenant.id, "Carrier feed");
    await deliverQuietly(runner, { tenantId: tenant.id, sourceId: source.id, name: "junk.csv", content: "not a cdr\n" });
    expect((await getCdrSource({ tenantId: tenant.id, sourceId: source.id })).hasFiles).toBe(true);
    await expect(deleteCdrSource({ tenantId: tenant.id, actor: ACTOR, sourceId: source.id })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "Carrier feed has a file on record, and the calls it brought: it cannot be deleted. Turn its polling off instead.",
    });
    expect(await db().cdrSource.count({ where: { id: source.id } })).toBe(1);
    expect(await db().cdrFile.count({ where: { sourceId: source.id } })).toBe(1);
  });
});
