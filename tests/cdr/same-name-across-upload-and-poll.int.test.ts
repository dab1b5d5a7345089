import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { receiveCdrFile, spoolTempPath } from "@/server/cdr/files";
import { uploadCdrFile } from "@/server/cdr/upload";
import { ACTOR, balances, createBillingTenant, syntheticAsteriskFile, withJobRunner } from "./ingest-support";

/**
 * A carrier's file keeps its name when it is re-issued, however it reaches us: polled from
 * the drop folder one day, uploaded by an admin the next. The second copy with other content
 * must be held for review, not billed, even though a poll records `<remote dir>/<name>` and
 * an upload `upload:<name>`.
 */

const runner = withJobRunner();

/** Records content as a poll does: the remote path is the source's folder and the name. */
async function polled(options: { tenantId: string; sourceId: string; remotePath: string; content: string }) {
  const temp = await spoolTempPath();
  await writeFile(temp, options.content);
  const bytes = Buffer.from(options.content);
  return receiveCdrFile({
    tenantId: options.tenantId,
    sourceId: options.sourceId,
    fileName: options.remotePath.slice(options.remotePath.lastIndexOf("/") + 1),
    remotePath: options.remotePath,
    remoteModifiedAt: new Date("2026-10-06T01:00:00Z"),
    localPath: temp,
    content: { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") },
  });
}

async function uploaded(options: { tenantId: string; sourceId: string; fileName: string; content: string }) {
  async function* body(): AsyncGenerator<Uint8Array> {
    yield Buffer.from(options.content);
  }
  return uploadCdrFile({ tenantId: options.tenantId, actor: ACTOR, sourceId: options.sourceId, fileName: options.fileName, body: body() });
}

const storedCallCount = (tenantId: string) => db().cdr.count({ where: { tenantId } });

const ORIGINAL = syntheticAsteriskFile(12);
/** The carrier's corrected re-issue: the same day, other lines. */
const CORRECTED = syntheticAsteriskFile(12, { startMs: Date.UTC(2026, 9, 10, 12, 0, 30) });

describe("a file re-issued under the same name, once polled and once uploaded", () => {
  it("holds an upload whose name a poll already brought with other content, and bills nothing of it", async () => {
    const world = await createBillingTenant();
    const first = await polled({ tenantId: world.tenant.id, sourceId: world.asterisk.id, remotePath: "/cdr/2026-10-05.csv", content: ORIGINAL });
    expect(first.status).toBe("RECEIVED");
    await runner.drain();
    const billed = await balances(world.tenant.id);
    const calls = await storedCallCount(world.tenant.id);
    expect(calls).toBeGreaterThan(0);

    const reissued = await uploaded({ tenantId: world.tenant.id, sourceId: world.asterisk.id, fileName: "2026-10-05.csv", content: CORRECTED });
    expect(reissued.status).toBe("HELD");
    // The admin sees which earlier file it collides with.
    expect(reissued.note).toMatch(/^A file named 2026-10-05\.csv with different content was received .* \(polled from \/cdr\/2026-10-05\.csv\)\. Held for review/);
    expect(await db().cdrFile.findUniqueOrThrow({ where: { id: reissued.id }, select: { duplicateOfId: true } })).toEqual({ duplicateOfId: first.id });
    await runner.drain();
    expect(await balances(world.tenant.id)).toEqual(billed);
    expect(await storedCallCount(world.tenant.id)).toBe(calls);
  });

  it("holds a polled file whose name was uploaded before with other content, from a folder or a bare remote path", async () => {
    const world = await createBillingTenant();
    const first = await uploaded({ tenantId: world.tenant.id, sourceId: world.asterisk.id, fileName: "2026-10-05.csv", content: ORIGINAL });
    expect(first.status).toBe("RECEIVED");
    await runner.drain();
    const billed = await balances(world.tenant.id);
    const calls = await storedCallCount(world.tenant.id);

    const fromFolder = await polled({ tenantId: world.tenant.id, sourceId: world.asterisk.id, remotePath: "/outgoing/cdr/2026-10-05.csv", content: CORRECTED });
    expect(fromFolder.status).toBe("HELD");
    expect(fromFolder.note).toMatch(/received .* \(uploaded\)\. Held for review/);
    // A source polling "." records the bare name as its remote path.
    const bare = await polled({ tenantId: world.tenant.id, sourceId: world.asterisk.id, remotePath: "2026-10-05.csv", content: syntheticAsteriskFile(5, { startMs: Date.UTC(2026, 9, 12) }) });
    expect(bare.status).toBe("HELD");
    await runner.drain();
    expect(await balances(world.tenant.id)).toEqual(billed);
    expect(await storedCallCount(world.tenant.id)).toBe(calls);
  });

  it("does not hold the same name on another source, nor a name that merely ends the same, yet holds it on its own source", async () => {
    const world = await createBillingTenant();
    const first = await polled({ tenantId: world.tenant.id, sourceId: world.asterisk.id, remotePath: "/cdr/2026-10-05.csv", content: ORIGINAL });
    const otherSource = await uploaded({ tenantId: world.tenant.id, sourceId: world.freeswitch.id, fileName: "2026-10-05.csv", content: CORRECTED });
    expect(otherSource.status).toBe("RECEIVED");
    const longerName = await uploaded({
      tenantId: world.tenant.id,
      sourceId: world.asterisk.id,
      fileName: "x2026-10-05.csv",
      content: syntheticAsteriskFile(5, { startMs: Date.UTC(2026, 9, 13) }),
    });
    expect(longerName.status).toBe("RECEIVED");
    // The name is the polled file's on its own source: held, and against that file.
    const sameSource = await uploaded({
      tenantId: world.tenant.id,
      sourceId: world.asterisk.id,
      fileName: "2026-10-05.csv",
      content: syntheticAsteriskFile(5, { startMs: Date.UTC(2026, 9, 14) }),
    });
    expect(sameSource.status).toBe("HELD");
    expect(await db().cdrFile.findUniqueOrThrow({ where: { id: sameSource.id }, select: { duplicateOfId: true } })).toEqual({ duplicateOfId: first.id });
    await runner.drain();
  });

  it("still records identical content as a duplicate, whichever way each copy came, before any name is compared", async () => {
    const world = await createBillingTenant();
    const first = await polled({ tenantId: world.tenant.id, sourceId: world.asterisk.id, remotePath: "/cdr/2026-10-05.csv", content: ORIGINAL });
    await runner.drain();
    const billed = await balances(world.tenant.id);
    const again = await uploaded({ tenantId: world.tenant.id, sourceId: world.asterisk.id, fileName: "2026-10-05.csv", content: ORIGINAL });
    const renamed = await uploaded({ tenantId: world.tenant.id, sourceId: world.asterisk.id, fileName: "copy.csv", content: ORIGINAL });
    expect([again.status, renamed.status]).toEqual(["DUPLICATE", "DUPLICATE"]);
    expect(await db().cdrFile.findUniqueOrThrow({ where: { id: again.id }, select: { duplicateOfId: true } })).toEqual({ duplicateOfId: first.id });
    // Only other content under the polled name waits for an admin.
    const corrected = await uploaded({ tenantId: world.tenant.id, sourceId: world.asterisk.id, fileName: "2026-10-05.csv", content: CORRECTED });
    expect(corrected.status).toBe("HELD");
    await runner.drain();
    expect(await balances(world.tenant.id)).toEqual(billed);
  });
});
