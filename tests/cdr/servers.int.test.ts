import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { createCdrSource, getCdrSource, listCdrSources, serversForTest, setCdrSourceEnabled, updateCdrSource, type TCdrSourceFields } from "@/server/cdr/sources";
import { dueSources, pollSource, requestPoll } from "@/server/cdr/polling";
import { sourceAvailability } from "@/server/cdr/availability";
import { callerAs, createWorld, TEST_ACTOR } from "../support/factories";
import { startSftpServer, unusedPort, type TSftpServer } from "../support/sftp-server";

/**
 * Removing a server from a source is a soft delete: the row and its outages (SLA evidence)
 * stay, its open outage ends at the removal without a recovery mail, it is no longer polled,
 * listed or counted, and its id cannot be edited back. Mails land in the outbox (no SMTP_URL).
 */

const actor = TEST_ACTOR;
const TIMEOUT = 2000;
const USER = "cdr";
const PASSWORD = "s3cret-sftp-pass";
/** Loopback, but nothing listens there: connection refused. Distinct from 127.0.0.1 for searches. */
const DEAD_HOST = "127.0.0.2";

let scratch: string;
let live: TSftpServer;
let deadPort: number;
let world: Awaited<ReturnType<typeof createWorld>>;

function liveServer(id?: string): NonNullable<TCdrSourceFields["servers"]>[number] {
  return { ...(id ? { id } : {}), host: "127.0.0.1", port: live.port, username: USER, password: id ? "" : PASSWORD };
}

function deadServer(id?: string): NonNullable<TCdrSourceFields["servers"]>[number] {
  return { ...(id ? { id } : {}), host: DEAD_HOST, port: deadPort, username: USER, password: id ? "" : PASSWORD };
}

function fieldsFor(name: string, servers: TCdrSourceFields["servers"]): TCdrSourceFields {
  return { name, format: "asterisk", timeZone: "America/Toronto", filePattern: "*.csv", alertEmails: ["noc@carrier.test"], servers };
}

async function outbox(pattern: RegExp): Promise<string[]> {
  const mails = await db().outboundEmail.findMany({ where: { tenantId: world.tenant.id }, select: { subject: true } });
  return mails.map((mail) => mail.subject).filter((subject) => pattern.test(subject));
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "trunkline-cdr-servers-"));
  process.env.DATA_DIR = path.join(scratch, "data");
  live = await startSftpServer({ root: path.join(scratch, "sftp"), username: USER, password: PASSWORD });
  deadPort = await unusedPort();
  world = await createWorld();
});

afterAll(async () => {
  await live.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe("removing a server from a source", () => {
  let sourceId: string;
  let keptId: string;
  let removedId: string;
  let removedAt: Date;

  it("keeps the row and its outages, ends its open outage without a recovery mail", async () => {
    const tenantId = world.tenant.id;
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor("Removal carrier", [liveServer(), deadServer()]) });
    // Only an enabled source is monitored: a disabled one's polls record no outage.
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    sourceId = source.id;
    [keptId, removedId] = source.servers.map((server) => server.id) as [string, string];

    // The backup is probed and refused: its outage opens and is announced.
    const polled = await pollSource({ tenantId, sourceId, connectTimeoutMs: TIMEOUT });
    expect(polled.outcome).toBe("POLLED");
    expect(polled.attempts.map((attempt) => [attempt.serverId, attempt.ok])).toEqual([
      [keptId, true],
      [removedId, false],
    ]);
    const open = await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId, serverId: removedId } });
    expect(open).toMatchObject({ endedAt: null, downAlertedAt: expect.any(Date) });
    expect(await outbox(/CDR server down/)).toHaveLength(1);
    expect((await listCdrSources({ tenantId, query: { search: DEAD_HOST } })).rows.map((row) => row.id)).toEqual([sourceId]);

    const before = new Date();
    const updated = await updateCdrSource({ tenantId, actor, sourceId, fields: fieldsFor("Removal carrier", [liveServer(keptId)]) });
    expect(updated.servers.map((server) => [server.id, server.position])).toEqual([[keptId, 0]]);

    const row = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: removedId } });
    expect(row.removedAt).not.toBeNull();
    removedAt = row.removedAt!;
    expect(removedAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 5);
    expect(row).toMatchObject({ host: DEAD_HOST, port: deadPort, position: 1 });

    const ended = await db().cdrSourceOutage.findUniqueOrThrow({ where: { id: open.id } });
    expect(ended.endedAt).toEqual(removedAt);
    expect(ended.recoveryAlertedAt).not.toBeNull();
    expect(ended.lastError).toMatch(/server removed from the source/);
    expect(await db().cdrSourceOutage.count({ where: { sourceId, endedAt: null } })).toBe(0);

    // Not listed, found or counted any more.
    expect((await getCdrSource({ tenantId, sourceId })).servers.map((server) => server.id)).toEqual([keptId]);
    expect((await listCdrSources({ tenantId, query: { search: DEAD_HOST } })).total).toBe(0);
    expect((await serversForTest({ tenantId, sourceId })).servers.map((server) => server.id)).toEqual([keptId]);
    const audit = await db().auditEvent.findFirstOrThrow({ where: { targetId: sourceId, action: "cdr_source.updated" } });
    expect(JSON.stringify(audit.before)).toContain(DEAD_HOST);
    expect(JSON.stringify(audit.after)).not.toContain(DEAD_HOST);
  });

  it("does not poll a removed server, and sends no recovery mail for it", async () => {
    const tenantId = world.tenant.id;
    const polled = await pollSource({ tenantId, sourceId, connectTimeoutMs: TIMEOUT });
    expect(polled.attempts.map((attempt) => attempt.serverId)).toEqual([keptId]);
    expect(await db().cdrSourceOutage.count({ where: { sourceId, serverId: removedId } })).toBe(1);
    expect(await db().cdrSourceServer.findUniqueOrThrow({ where: { id: removedId } })).toMatchObject({ removedAt, status: "DOWN" });
    expect(await outbox(/recovered/i)).toEqual([]);
  });

  it("lists the removed server's outages in the availability report, measured until its removal", async () => {
    const tenantId = world.tenant.id;
    const report = await sourceAvailability({ tenantId, sourceId, from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) });
    const outage = report.outages.find((entry) => entry.serverKey === removedId);
    expect(outage).toMatchObject({ server: `${DEAD_HOST}:${deadPort}`, serverRemovedAt: removedAt, endedAt: removedAt, ongoing: false });
    const totals = Object.fromEntries(report.totals.map((total) => [total.serverKey, total]));
    expect(report.totals.map((total) => total.serverKey)).toEqual(["all", keptId, removedId]);
    expect(totals[keptId]).toMatchObject({ removedAt: null, status: "UP" });
    const removed = totals[removedId]!;
    expect(removed).toMatchObject({ removedAt, status: null, measuredTo: removedAt, outageCount: 1, downtimeMs: outage!.durationMs });
    expect(removed.measuredMs).toBe(removedAt.getTime() - removed.measuredFrom.getTime());
    expect(report.timeline.find((row) => row.serverKey === removedId)).toMatchObject({ removedAt, segments: [{ from: outage!.startedAt, to: removedAt }] });
    // Through the router too (support may read availability).
    const support = await callerAs(world.support.user.id);
    const routed = await support.cdrSources.availability({ sourceId, from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) });
    expect(routed.totals.find((total) => total.serverKey === removedId)).toMatchObject({ removedAt });
  });

  it("refuses to update or revive a removed server by its id", async () => {
    const tenantId = world.tenant.id;
    await expect(
      updateCdrSource({ tenantId, actor, sourceId, fields: fieldsFor("Removal carrier", [liveServer(keptId), { ...deadServer(removedId), host: "sftp.revived.test" }]) }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", fieldErrors: { "servers.1.host": [expect.stringMatching(/no longer part of the source/)] } });
    await expect(updateCdrSource({ tenantId, actor, sourceId, fields: fieldsFor("Removal carrier", [deadServer(removedId)]) })).rejects.toMatchObject({
      fieldErrors: { "servers.0.host": [expect.any(String)] },
    });
    const admin = await callerAs(world.admin.user.id);
    await expect(admin.cdrSources.update({ sourceId, fields: fieldsFor("Removal carrier", [liveServer(keptId), deadServer(removedId)]) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    // A connection test with unsaved fields does not reach its stored secret either.
    await expect(serversForTest({ tenantId, sourceId, fields: fieldsFor("Removal carrier", [deadServer(removedId)]) })).rejects.toMatchObject({
      fieldErrors: { "servers.0.host": [expect.any(String)] },
    });
    const row = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: removedId } });
    expect(row).toMatchObject({ removedAt, host: DEAD_HOST, position: 1 });
    expect((await getCdrSource({ tenantId, sourceId })).servers.map((server) => server.id)).toEqual([keptId]);
  });

  it("re-adds a server at the removed one's position as a new server", async () => {
    const tenantId = world.tenant.id;
    const updated = await updateCdrSource({ tenantId, actor, sourceId, fields: fieldsFor("Removal carrier", [liveServer(keptId), deadServer()]) });
    expect(updated.servers.map((server) => server.position)).toEqual([0, 1]);
    const readded = updated.servers[1]!;
    expect(readded.id).not.toBe(removedId);
    expect(readded).toMatchObject({ host: DEAD_HOST, port: deadPort, status: "UNKNOWN", hasPassword: true });
    const atOne = await db().cdrSourceServer.findMany({ where: { sourceId, position: 1 }, orderBy: { createdAt: "asc" } });
    expect(atOne.map((server) => [server.id, server.removedAt === null])).toEqual([
      [removedId, false],
      [readded.id, true],
    ]);
    // Reordering the live servers steps around the removed one's position.
    const swapped = await updateCdrSource({ tenantId, actor, sourceId, fields: fieldsFor("Removal carrier", [deadServer(readded.id), liveServer(keptId)]) });
    expect(swapped.servers.map((server) => server.id)).toEqual([readded.id, keptId]);
    const report = await sourceAvailability({ tenantId, sourceId, from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) });
    expect(report.totals.map((total) => [total.serverKey, total.removedAt])).toEqual([
      ["all", null],
      [readded.id, null],
      [keptId, null],
      [removedId, removedAt],
    ]);
  });
});

describe("removing every server", () => {
  it("is refused while polling is on; turned off (outages ended without a recovery mail), the source has nothing left to poll", async () => {
    const tenantId = world.tenant.id;
    const otherDead = await unusedPort();
    const source = await createCdrSource({
      tenantId,
      actor,
      fields: fieldsFor("All gone carrier", [deadServer(), { host: DEAD_HOST, port: otherDead, username: USER, password: PASSWORD }]),
    });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    const down = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    expect(down.outcome).toBe("ALL_SERVERS_DOWN");
    expect(await db().cdrSourceOutage.count({ where: { sourceId: source.id, endedAt: null } })).toBe(3);
    const loud = await outbox(/ALL servers down/);
    expect(loud.filter((subject) => subject.includes("All gone carrier"))).toHaveLength(1);

    // A source keeps a server while it is enabled: turned off first (which ends its outages
    // without a recovery mail), then emptied.
    await expect(updateCdrSource({ tenantId, actor, sourceId: source.id, fields: fieldsFor("All gone carrier", []) })).rejects.toMatchObject({ fieldErrors: { servers: [expect.stringContaining("disable polling first")] } });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
    await updateCdrSource({ tenantId, actor, sourceId: source.id, fields: fieldsFor("All gone carrier", []) });
    const outages = await db().cdrSourceOutage.findMany({ where: { sourceId: source.id } });
    expect(outages).toHaveLength(3);
    expect(outages.every((outage) => outage.endedAt !== null && outage.recoveryAlertedAt !== null)).toBe(true);
    expect(await db().cdrSourceServer.count({ where: { sourceId: source.id, removedAt: null } })).toBe(0);
    expect(await db().cdrSourceServer.count({ where: { sourceId: source.id } })).toBe(2);

    // No live server: uploads only.
    expect(await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT })).toMatchObject({ outcome: "NO_SERVERS", attempts: [] });
    await expect(setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    await expect(requestPoll({ tenantId, actor, sourceId: source.id })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(await outbox(/Recovered: CDR source All gone carrier/)).toEqual([]);

    // The report keeps both servers, each measured until its removal.
    const report = await sourceAvailability({ tenantId, sourceId: source.id, from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) });
    expect(report.outages).toHaveLength(3);
    expect(report.outages.filter((outage) => outage.serverRemovedAt !== null)).toHaveLength(2);
    expect(report.totals.filter((total) => total.removedAt !== null)).toHaveLength(2);
  });

  it("does not schedule an enabled source whose servers are all removed", async () => {
    const tenantId = world.tenant.id;
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor("Scheduled carrier", [liveServer()]) });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    expect((await dueSources(new Date())).map((entry) => entry.sourceId)).toContain(source.id);
    // Enabled sources keep a server through the service; the scheduler must not count removed rows anyway.
    await db().cdrSourceServer.updateMany({ where: { sourceId: source.id }, data: { removedAt: new Date() } });
    expect((await dueSources(new Date())).map((entry) => entry.sourceId)).not.toContain(source.id);
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
  });
});

describe("a server removed during a poll", () => {
  it("gets no outage from the poll that was already trying it", async () => {
    const tenantId = world.tenant.id;
    // Accepts TCP and never speaks SSH: the poll waits on it until the handshake times out.
    const sockets = new Set<net.Socket>();
    let connected: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (connected = resolve));
    const hung = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      connected();
    });
    const hungPort = await new Promise<number>((resolve) => {
      hung.listen(0, "127.0.0.1", () => {
        const address = hung.address();
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
    try {
      const source = await createCdrSource({
        tenantId,
        actor,
        fields: fieldsFor("Racing carrier", [{ host: "127.0.0.1", port: hungPort, username: USER, password: PASSWORD }, liveServer()]),
      });
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
      const [hungId, liveId] = source.servers.map((server) => server.id) as [string, string];
      const polling = pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: 3000 });
      await reached;
      await updateCdrSource({ tenantId, actor, sourceId: source.id, fields: fieldsFor("Racing carrier", [liveServer(liveId)]) });
      const polled = await polling;
      expect(polled.attempts.map((attempt) => [attempt.serverId, attempt.ok, attempt.kind])).toEqual([
        [hungId, false, "TIMEOUT"],
        [liveId, true, null],
      ]);
      expect(await db().cdrSourceOutage.count({ where: { sourceId: source.id } })).toBe(0);
      expect(await db().cdrSourceServer.findUniqueOrThrow({ where: { id: hungId } })).toMatchObject({ status: "UNKNOWN", removedAt: expect.any(Date) });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });
});

describe("availability of a removed server", () => {
  it("counts only the time it was part of the source", async () => {
    const tenantId = world.tenant.id;
    const at = (iso: string) => new Date(`2026-03-${iso}Z`);
    const created = new Date("2026-01-01T00:00:00Z");
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor("SLA removal carrier", [liveServer(), deadServer()]) });
    await db().cdrSource.update({ where: { id: source.id }, data: { createdAt: created } });
    await db().cdrSourceServer.updateMany({ where: { sourceId: source.id }, data: { createdAt: created } });
    // Monitored (polling on) since its creation.
    await db().cdrSourceMonitoring.create({ data: { tenantId, sourceId: source.id, startedAt: created } });
    const [primary, backup] = source.servers;
    await updateCdrSource({ tenantId, actor, sourceId: source.id, fields: fieldsFor("SLA removal carrier", [liveServer(primary!.id)]) });
    // Removed at noon on the 10th.
    await pool().query(`UPDATE cdr_source_servers SET removed_at = $2 WHERE id = $1`, [backup!.id, at("10T12:00:00")]);
    await db().cdrSourceOutage.createMany({
      data: [
        // 1 h down while it was part of the source.
        { tenantId, sourceId: source.id, serverId: backup!.id, startedAt: at("10T02:00:00"), endedAt: at("10T03:00:00"), error: "refused" },
        // Ended by the removal: 30 min.
        { tenantId, sourceId: source.id, serverId: backup!.id, startedAt: at("10T11:30:00"), endedAt: at("10T12:00:00"), error: "timeout" },
        { tenantId, sourceId: source.id, serverId: primary!.id, startedAt: at("10T18:00:00"), endedAt: at("10T20:00:00"), error: "refused" },
      ],
    });
    const day = await sourceAvailability({ tenantId, sourceId: source.id, from: at("10T00:00:00"), to: at("11T00:00:00"), now: at("12T00:00:00") });
    expect(day.outages.map((outage) => [outage.serverKey, outage.serverRemovedAt, outage.inPeriodMs / 60_000])).toEqual([
      [backup!.id, at("10T12:00:00"), 60],
      [backup!.id, at("10T12:00:00"), 30],
      [primary!.id, null, 120],
    ]);
    const totals = Object.fromEntries(day.totals.map((total) => [total.serverKey, total]));
    // 12 h measured (until the removal), 90 min down.
    expect(totals[backup!.id]).toMatchObject({
      removedAt: at("10T12:00:00"),
      measuredFrom: at("10T00:00:00"),
      measuredTo: at("10T12:00:00"),
      measuredMs: 12 * 3_600_000,
      downtimeMs: 90 * 60_000,
      outageCount: 2,
      availabilityPercent: 87.5,
    });
    expect(totals[primary!.id]).toMatchObject({ removedAt: null, measuredMs: 24 * 3_600_000, downtimeMs: 120 * 60_000, availabilityPercent: 91.667 });

    // A period after the removal: the removed server is not part of it.
    const later = await sourceAvailability({ tenantId, sourceId: source.id, from: at("10T13:00:00"), to: at("11T00:00:00"), now: at("12T00:00:00") });
    expect(later.totals.map((total) => total.serverKey)).toEqual(["all", primary!.id]);
    expect(later.outages.map((outage) => outage.serverKey)).toEqual([primary!.id]);
  });
});
