import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { createCdrSource, getCdrSource, serversForTest, setCdrSourceEnabled, updateCdrSource, type TCdrSourceFields } from "@/server/cdr/sources";
import { pollSource } from "@/server/cdr/polling";
import { sourceAvailability } from "@/server/cdr/availability";
import { decryptSecret } from "@/server/security/secrets";
import { callerAs, createWorld, TEST_ACTOR } from "../support/factories";
import { startSftpServer, unusedPort, type TSftpServer } from "../support/sftp-server";

/**
 * A server's row is the history of one machine: moving it to another host or port is a
 * removal (the old machine's outages stay under its own host, its open outage ends without
 * a recovery mail) plus a new server with a clean history. A new username, secret or place
 * in the list keeps the row. Mails land in the outbox (no SMTP_URL).
 */

const actor = TEST_ACTOR;
const TIMEOUT = 2000;
const USER = "cdr";
const PASSWORD = "s3cret-sftp-pass";
/** Loopback, but nothing listens there: connection refused ("sftp1", down). */
const DEAD_HOST = "127.0.0.2";
const HOUR = 3_600_000;

let scratch: string;
/** The primary, up throughout: keeps the source polling while the backup is down. */
let primary: TSftpServer;
/** "sftp3": the machine the backup is moved to. */
let replacement: TSftpServer;
let deadPort: number;
let world: Awaited<ReturnType<typeof createWorld>>;

type TServer = NonNullable<TCdrSourceFields["servers"]>[number];

function fieldsFor(name: string, servers: TServer[]): TCdrSourceFields {
  return { name, format: "asterisk", timeZone: "UTC", filePattern: "*.csv", alertEmails: ["noc@carrier.test"], servers };
}

function primaryServer(id?: string): TServer {
  return { ...(id ? { id } : {}), host: "127.0.0.1", port: primary.port, username: USER, password: id ? "" : PASSWORD };
}

function deadServer(id?: string): TServer {
  return { ...(id ? { id } : {}), host: DEAD_HOST, port: deadPort, username: USER, password: id ? "" : PASSWORD };
}

async function outbox(pattern: RegExp): Promise<string[]> {
  const mails = await db().outboundEmail.findMany({ where: { tenantId: world.tenant.id }, select: { subject: true } });
  return mails.map((mail) => mail.subject).filter((subject) => pattern.test(subject));
}

/** A source whose backup (DEAD_HOST) has been down for two hours, announced. */
async function sourceWithBackupDown(name: string) {
  const tenantId = world.tenant.id;
  const source = await createCdrSource({ tenantId, actor, fields: fieldsFor(name, [primaryServer(), deadServer()]) });
  await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
  const [primaryId, backupId] = source.servers.map((server) => server.id) as [string, string];
  const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
  // Part of the source, and monitored, since before the outage.
  await pool().query(`UPDATE cdr_source_servers SET created_at = $2 WHERE source_id = $1`, [source.id, new Date(twoHoursAgo.getTime() - HOUR)]);
  await pool().query(`UPDATE cdr_source_monitoring SET started_at = $2 WHERE source_id = $1`, [source.id, new Date(twoHoursAgo.getTime() - HOUR)]);
  const polled = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
  expect(polled.attempts.map((attempt) => [attempt.serverId, attempt.ok])).toEqual([
    [primaryId, true],
    [backupId, false],
  ]);
  const outage = await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId: source.id, serverId: backupId } });
  expect(outage).toMatchObject({ endedAt: null, downAlertedAt: expect.any(Date) });
  await pool().query(`UPDATE cdr_source_outages SET started_at = $2 WHERE id = $1`, [outage.id, twoHoursAgo]);
  expect(await outbox(new RegExp(`CDR server down: ${DEAD_HOST}:${deadPort} \\(${name}\\)`))).toHaveLength(1);
  return { sourceId: source.id, primaryId, backupId, outageId: outage.id, startedAt: twoHoursAgo };
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "trunkline-cdr-moved-"));
  process.env.DATA_DIR = path.join(scratch, "data");
  primary = await startSftpServer({ root: path.join(scratch, "primary"), username: USER, password: PASSWORD });
  replacement = await startSftpServer({ root: path.join(scratch, "replacement"), username: USER, password: PASSWORD });
  deadPort = await unusedPort();
  world = await createWorld();
});

afterAll(async () => {
  await primary.stop();
  await replacement.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe("moving a server to another host", () => {
  it("removes the old machine (its outage ended at the edit, no recovery mail) and adds the new one with a clean history", async () => {
    const tenantId = world.tenant.id;
    const name = "Moved carrier";
    const { sourceId, primaryId, backupId, outageId, startedAt } = await sourceWithBackupDown(name);
    const moved = { id: backupId, host: "127.0.0.1", port: replacement.port, username: USER, password: "" };

    // A blank secret does not follow the server to another machine.
    await expect(updateCdrSource({ tenantId, actor, sourceId, fields: fieldsFor(name, [primaryServer(primaryId), moved]) })).rejects.toMatchObject({
      fieldErrors: { "servers.1.password": [expect.stringMatching(/enter the password again/)] },
    });
    expect(await db().cdrSourceServer.findUniqueOrThrow({ where: { id: backupId } })).toMatchObject({ removedAt: null, host: DEAD_HOST });

    const before = new Date();
    const updated = await updateCdrSource({ tenantId, actor, sourceId, fields: fieldsFor(name, [primaryServer(primaryId), { ...moved, password: PASSWORD }]) });
    const [kept, added] = updated.servers;
    expect(kept!.id).toBe(primaryId);
    // The UI gets the new server's id back, and reloads its form from it.
    expect(added!.id).not.toBe(backupId);
    expect(added).toMatchObject({ position: 1, host: "127.0.0.1", port: replacement.port, status: "UNKNOWN", lastError: null, lastCheckedAt: null, hostKey: null, hasPassword: true });
    expect((await getCdrSource({ tenantId, sourceId })).servers.map((server) => server.id)).toEqual([primaryId, added!.id]);
    const addedRow = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: added!.id } });
    expect(addedRow.createdAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 5);
    expect(decryptSecret(addedRow.passwordEnc!)).toBe(PASSWORD);

    // The old machine is removed as if taken out of the list: untouched, its outage ended then.
    const oldRow = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: backupId } });
    expect(oldRow).toMatchObject({ host: DEAD_HOST, port: deadPort, status: "DOWN", removedAt: expect.any(Date) });
    const ended = await db().cdrSourceOutage.findUniqueOrThrow({ where: { id: outageId } });
    expect(ended).toMatchObject({ serverId: backupId, startedAt, endedAt: oldRow.removedAt, recoveryAlertedAt: expect.any(Date) });
    expect(ended.lastError).toMatch(/server removed from the source/);
    expect(await db().cdrSourceOutage.count({ where: { serverId: added!.id } })).toBe(0);

    // The next poll reaches the new machine: nothing recovered, nothing mailed.
    const polled = await pollSource({ tenantId, sourceId, connectTimeoutMs: TIMEOUT });
    expect(polled.attempts.map((attempt) => [attempt.serverId, attempt.ok])).toEqual([
      [primaryId, true],
      [added!.id, true],
    ]);
    expect(await outbox(/recovered/i)).toEqual([]);
    expect(await db().cdrSourceServer.findUniqueOrThrow({ where: { id: added!.id } })).toMatchObject({ status: "UP", hostKey: expect.stringMatching(/^SHA256:/) });
    expect(await db().cdrSourceOutage.count({ where: { sourceId, endedAt: null } })).toBe(0);

    // The report keeps the downtime under the old host, measured until the move; the new host starts clean.
    const report = await sourceAvailability({ tenantId, sourceId, from: new Date(Date.now() - 4 * HOUR), to: new Date(Date.now() + HOUR) });
    expect(report.outages.map((outage) => [outage.serverKey, outage.server, outage.serverRemovedAt])).toEqual([[backupId, `${DEAD_HOST}:${deadPort}`, oldRow.removedAt]]);
    expect(report.outages[0]!.durationMs).toBeGreaterThanOrEqual(2 * HOUR);
    const totals = Object.fromEntries(report.totals.map((total) => [total.serverKey, total]));
    expect(report.totals.map((total) => total.serverKey)).toEqual(["all", primaryId, added!.id, backupId]);
    expect(totals[backupId]).toMatchObject({ server: `${DEAD_HOST}:${deadPort}`, removedAt: oldRow.removedAt, outageCount: 1, status: null });
    expect(totals[added!.id]).toMatchObject({ server: `127.0.0.1:${replacement.port}`, removedAt: null, outageCount: 0, downtimeMs: 0, status: "UP" });
    expect(totals[added!.id]!.measuredFrom.getTime()).toBe(addedRow.createdAt.getTime());
  });

  it("treats a new port on the same host as another machine too", async () => {
    const tenantId = world.tenant.id;
    const name = "Port moved carrier";
    const { sourceId, primaryId, backupId, outageId } = await sourceWithBackupDown(name);
    const otherPort = await unusedPort();
    const updated = await updateCdrSource({
      tenantId,
      actor,
      sourceId,
      fields: fieldsFor(name, [primaryServer(primaryId), { id: backupId, host: DEAD_HOST, port: otherPort, username: USER, password: PASSWORD }]),
    });
    expect(updated.servers[1]).toMatchObject({ port: otherPort, status: "UNKNOWN" });
    expect(updated.servers[1]!.id).not.toBe(backupId);
    expect(await db().cdrSourceServer.findUniqueOrThrow({ where: { id: backupId } })).toMatchObject({ port: deadPort, removedAt: expect.any(Date) });
    expect(await db().cdrSourceOutage.findUniqueOrThrow({ where: { id: outageId } })).toMatchObject({ endedAt: expect.any(Date), recoveryAlertedAt: expect.any(Date) });
    // A connection test of unsaved fields does not report the new machine under the old id either.
    const tested = await serversForTest({
      tenantId,
      sourceId,
      fields: fieldsFor(name, [primaryServer(primaryId), { id: updated.servers[1]!.id, host: DEAD_HOST, port: deadPort, username: USER, password: PASSWORD }]),
    });
    expect(tested.servers.map((server) => server.id)).toEqual([primaryId, null]);
    expect(await outbox(new RegExp(`recovered.*\\(${name}\\)`, "i"))).toEqual([]);
  });

  it("keeps the row and its history when only the username, the password or the order changes", async () => {
    const tenantId = world.tenant.id;
    const name = "Same machine carrier";
    const { sourceId, primaryId, backupId, outageId, startedAt } = await sourceWithBackupDown(name);
    const primaryBefore = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: primaryId } });
    const backupBefore = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: backupId } });
    expect(primaryBefore.hostKey).toMatch(/^SHA256:/);

    // Reordered, a new password for one and another account (with its password) for the other.
    const updated = await updateCdrSource({
      tenantId,
      actor,
      sourceId,
      fields: fieldsFor(name, [
        { ...deadServer(backupId), username: "cdr-new", password: "another-pass" },
        { ...primaryServer(primaryId), password: PASSWORD },
      ]),
    });
    expect(updated.servers.map((server) => [server.id, server.position])).toEqual([
      [backupId, 0],
      [primaryId, 1],
    ]);
    const backupAfter = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: backupId } });
    expect(backupAfter).toMatchObject({ removedAt: null, username: "cdr-new", status: "DOWN", lastError: backupBefore.lastError, createdAt: backupBefore.createdAt });
    expect(decryptSecret(backupAfter.passwordEnc!)).toBe("another-pass");
    expect(await db().cdrSourceServer.findUniqueOrThrow({ where: { id: primaryId } })).toMatchObject({
      removedAt: null,
      status: "UP",
      hostKey: primaryBefore.hostKey,
      createdAt: primaryBefore.createdAt,
    });
    expect(await db().cdrSourceOutage.findUniqueOrThrow({ where: { id: outageId } })).toMatchObject({ serverId: backupId, startedAt, endedAt: null, recoveryAlertedAt: null });
    expect(await db().cdrSourceServer.count({ where: { sourceId } })).toBe(2);

    // Still down: the same outage counts one more check.
    const polled = await pollSource({ tenantId, sourceId, connectTimeoutMs: TIMEOUT });
    expect(polled.attempts.map((attempt) => [attempt.serverId, attempt.ok])).toEqual([
      [backupId, false],
      [primaryId, true],
    ]);
    expect(await db().cdrSourceOutage.findMany({ where: { sourceId }, select: { id: true, failedChecks: true, endedAt: true } })).toEqual([{ id: outageId, failedChecks: 2, endedAt: null }]);
  });

  it("refuses the same server twice in one list", async () => {
    const tenantId = world.tenant.id;
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor("Twice carrier", [primaryServer()]) });
    const id = source.servers[0]!.id;
    const admin = await callerAs(world.admin.user.id);
    await expect(
      updateCdrSource({ tenantId, actor, sourceId: source.id, fields: fieldsFor("Twice carrier", [primaryServer(id), { ...deadServer(id), password: PASSWORD }]) }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", fieldErrors: { "servers.1.host": [expect.stringMatching(/already in the list/)] } });
    await expect(admin.cdrSources.update({ sourceId: source.id, fields: fieldsFor("Twice carrier", [primaryServer(id), { ...deadServer(id), password: PASSWORD }]) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await db().cdrSourceServer.findMany({ where: { sourceId: source.id }, select: { id: true, removedAt: true } })).toEqual([{ id, removedAt: null }]);
  });
});
