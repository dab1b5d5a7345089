import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { dismissFile, releaseHeldFile } from "@/server/cdr/files";
import { getCdrFile, listCdrFiles } from "@/server/cdr/file-queries";
import { ZPageInput } from "@/server/lib/pagination";
import { ACTOR, balances, createBillingTenant, deliver, syntheticAsteriskFile, withJobRunner } from "./ingest-support";
import { expectStillWaiting } from "../support/waiting";

const runner = withJobRunner();

/** Two sources reading the same switch's files, as a wrong source chosen on upload would be. */
async function twoSwitches() {
  const world = await createBillingTenant();
  const switchB = await db().cdrSource.create({ data: { tenantId: world.tenant.id, name: "Switch B", format: "asterisk", timeZone: "America/Toronto" } });
  return { world, tenantId: world.tenant.id, switchA: world.asterisk, switchB };
}



async function heldReasons(tenantId: string) {
  const page = await listCdrFiles({ tenantId, query: ZPageInput.parse({ pageSize: 100 }), filter: { status: "HELD", sourceId: null } });
  return Object.fromEntries(page.rows.map((row) => [row.id, row.heldReason]));
}

describe("releasing a held file", () => {
  it("refuses to bill under a second source content another source already billed, whichever way the file was held", async () => {
    const { tenantId, switchA, switchB } = await twoSwitches();
    const first = syntheticAsteriskFile(20);
    const reissued = syntheticAsteriskFile(20, { startMs: Date.UTC(2026, 9, 12) });

    // A bills X.csv; the carrier re-issues X.csv on A with other content: held for its name.
    const billed = await deliver({ tenantId, sourceId: switchA.id, name: "X.csv", content: first });
    await runner.drain();
    const heldOnA = await deliver({ tenantId, sourceId: switchA.id, name: "X.csv", content: reissued });
    expect(heldOnA.status).toBe("HELD");
    // The admin uploads the re-issued content to B: nothing accepted has it yet, so B bills it.
    const onB = await deliver({ tenantId, sourceId: switchB.id, name: "X.csv", content: reissued });
    expect(onB.status).toBe("RECEIVED");
    await runner.drain();
    expect((await db().cdrFile.findUniqueOrThrow({ where: { id: onB.id } })).status).toBe("DONE");
    const afterB = await balances(tenantId);
    const callsAfterB = await db().cdr.count({ where: { tenantId } });

    // Releasing A's copy would store and charge every call of B's file again, under A.
    await expect(releaseHeldFile({ tenantId, actor: ACTOR, fileId: heldOnA.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/^Source Switch B already has this content, as X\.csv received .*: releasing this file would bill its calls a second time/),
    });
    const detail = await getCdrFile({ tenantId, fileId: heldOnA.id });
    expect(detail).toMatchObject({ status: "HELD", heldReason: "SAME_NAME_OTHER_CONTENT", acceptedElsewhere: { id: onB.id, source: { name: "Switch B" } } });
    await runner.drain();
    expect(await balances(tenantId)).toEqual(afterB);
    expect(await db().cdr.count({ where: { tenantId } })).toBe(callsAfterB);

    // A's first content arriving on B is held for another source's content, and stays unbillable here too.
    const heldOnB = await deliver({ tenantId, sourceId: switchB.id, name: "X-copy.csv", content: first });
    expect(heldOnB).toMatchObject({ status: "HELD", note: expect.stringMatching(/source Switch \(Asterisk\).*cannot be released while that file stands; dismiss it/) });
    expect(await heldReasons(tenantId)).toEqual({ [heldOnA.id]: "SAME_NAME_OTHER_CONTENT", [heldOnB.id]: "SAME_CONTENT_OTHER_SOURCE" });
    expect(await getCdrFile({ tenantId, fileId: heldOnB.id })).toMatchObject({
      heldReason: "SAME_CONTENT_OTHER_SOURCE",
      duplicateOf: { id: billed.id, source: { id: switchA.id } },
      acceptedElsewhere: { id: billed.id, fileName: "X.csv", source: { name: "Switch (Asterisk)" } },
    });
    await expect(releaseHeldFile({ tenantId, actor: ACTOR, fileId: heldOnB.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/^Source Switch \(Asterisk\) already has this content, as X\.csv .*second time/),
    });
    // Dismissing is what is left, and it bills nothing.
    await dismissFile({ tenantId, actor: ACTOR, fileId: heldOnB.id, reason: "uploaded to the wrong source" });
    await runner.drain();
    expect(await balances(tenantId)).toEqual(afterB);
    expect(await db().cdrFile.findMany({ where: { tenantId, status: "HELD" }, select: { id: true } })).toEqual([{ id: heldOnA.id }]);
  });

  it("waits for an arrival being decided, and refuses once that arrival accepted the same content on another source", async () => {
    const { tenantId, switchA, switchB } = await twoSwitches();
    await deliver({ tenantId, sourceId: switchA.id, name: "Y.csv", content: syntheticAsteriskFile(5) });
    await runner.drain();
    const reissued = syntheticAsteriskFile(5, { startMs: Date.UTC(2026, 9, 13) });
    const held = await deliver({ tenantId, sourceId: switchA.id, name: "Y.csv", content: reissued });
    expect(held.status).toBe("HELD");

    // Another connection deciding an arrival of the same content on B, as receiveCdrFile does.
    const arrival = await pool().connect();
    try {
      await arrival.query("BEGIN");
      await arrival.query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", [`cdr-file-arrival:${tenantId}`]);
      const release = releaseHeldFile({ tenantId, actor: ACTOR, fileId: held.id });
      await expectStillWaiting(release, arrival);
      await arrival.query(
        `INSERT INTO cdr_files (tenant_id, source_id, file_name, remote_path, size, sha256, status)
         VALUES ($1::uuid, $2::uuid, 'Y.csv', 'upload:Y.csv', $3, $4, 'RECEIVED')`,
        [tenantId, switchB.id, Buffer.byteLength(reissued), createHash("sha256").update(reissued).digest("hex")],
      );
      await arrival.query("COMMIT");
      await expect(release).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/^Source Switch B .*second time/) });
    } finally {
      await arrival.query("ROLLBACK").catch(() => undefined);
      arrival.release();
    }
    expect((await db().cdrFile.findUniqueOrThrow({ where: { id: held.id } })).status).toBe("HELD");
    // The stand-in arrival never sent its event: take it out of the sweep's way.
    await db().cdrFile.updateMany({ where: { tenantId, sourceId: switchB.id }, data: { status: "DONE" } });
  });

  it("still releases a file held for its name when no other source has its content", async () => {
    const { tenantId, switchA } = await twoSwitches();
    await deliver({ tenantId, sourceId: switchA.id, name: "Z.csv", content: syntheticAsteriskFile(5) });
    await runner.drain();
    const held = await deliver({ tenantId, sourceId: switchA.id, name: "Z.csv", content: syntheticAsteriskFile(7, { startMs: Date.UTC(2026, 9, 14) }) });
    expect(await getCdrFile({ tenantId, fileId: held.id })).toMatchObject({ heldReason: "SAME_NAME_OTHER_CONTENT", acceptedElsewhere: null });
    await releaseHeldFile({ tenantId, actor: ACTOR, fileId: held.id });
    await runner.drain();
    expect(await getCdrFile({ tenantId, fileId: held.id })).toMatchObject({ status: "DONE", heldReason: null, acceptedElsewhere: null });
  });
});
