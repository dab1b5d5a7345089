import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { createCdrSource, setCdrSourceEnabled, updateCdrSource, type TCdrSourceFields } from "@/server/cdr/sources";
import { pollSource } from "@/server/cdr/polling";
import { sourceAvailability } from "@/server/cdr/availability";
import { callerAs, createTenant, createWorld, TEST_ACTOR } from "../support/factories";
import { startSmtpServer } from "../support/smtp";
import { startSftpServer, unusedPort, type TSftpServer } from "../support/sftp-server";

/**
 * The availability report says, per outage, whether and when its alerts went out: polled
 * against real SFTP servers on loopback and a real SMTP relay that refuses one address.
 */

const actor = TEST_ACTOR;
const TIMEOUT = 2000;
const USER = "cdr";
const PASSWORD = "s3cret-sftp-pass";
const REFUSED = "refused-noc@carrier.test";
const HOUR = 3_600_000;

let scratch: string;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let live: TSftpServer;
let world: Awaited<ReturnType<typeof createWorld>>;

function serverAt(port: number, id?: string): NonNullable<TCdrSourceFields["servers"]>[number] {
  return { ...(id ? { id } : {}), host: "127.0.0.1", port, username: USER, password: id ? "" : PASSWORD };
}

function fieldsFor(name: string, alertEmails: string[], servers: TCdrSourceFields["servers"]): TCdrSourceFields {
  return { name, format: "asterisk", timeZone: "America/Toronto", filePattern: "*.csv", alertEmails, servers };
}

function report(tenantId: string, sourceId: string) {
  return sourceAvailability({ tenantId, sourceId, from: new Date(Date.now() - HOUR), to: new Date(Date.now() + HOUR) });
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "trunkline-cdr-availability-alerts-"));
  process.env.DATA_DIR = path.join(scratch, "data");
  smtp = await startSmtpServer({ refuse: [REFUSED] });
  process.env.SMTP_URL = smtp.url;
  live = await startSftpServer({ root: path.join(scratch, "sftp-live"), username: USER, password: PASSWORD });
  world = await createWorld();
});

afterAll(async () => {
  await live.stop();
  await smtp.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("alerts in the availability report", () => {
  it("shows a down alert the relay refused as owed, then when each alert went out, and no recovery alert once monitoring stopped", async () => {
    const tenantId = world.tenant.id;
    const backupPort = await unusedPort();
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor("Alerted carrier", [REFUSED], [serverAt(live.port), serverAt(backupPort)]) });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    const [primaryId, backupId] = source.servers.map((server) => server.id) as [string, string];
    const backupOutage = async () => {
      const outages = (await report(tenantId, source.id)).outages.filter((outage) => outage.serverKey === backupId);
      return outages.at(-1)!;
    };

    // The backup is probed and refused: its outage opens, and the relay refuses its only recipient.
    await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    expect(await backupOutage()).toMatchObject({ ongoing: true, alertState: "DOWN_OWED", downAlertedAt: null, recoveryAlertedAt: null });
    expect((await report(tenantId, source.id)).source.alertsBlockedBy).toBeNull();

    // An address the relay accepts: the next poll sends the owed alert, and the report says when.
    await db().cdrSource.update({ where: { id: source.id }, data: { alertEmails: ["noc@carrier.test"] } });
    await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    const announced = await db().cdrSourceOutage.findFirstOrThrow({ where: { serverId: backupId, endedAt: null } });
    expect(announced.downAlertedAt).toBeInstanceOf(Date);
    expect(await backupOutage()).toMatchObject({ alertState: "DOWN_SENT", downAlertedAt: announced.downAlertedAt, recoveryAlertedAt: null });
    expect(smtp.received.filter((mail) => /CDR server down/.test(mail.subject))).toHaveLength(1);

    // The backup comes back: its recovery alert goes out.
    const backup = await startSftpServer({ root: path.join(scratch, "sftp-backup"), username: USER, password: PASSWORD, port: backupPort });
    try {
      await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    } finally {
      await backup.stop();
    }
    const recovered = await db().cdrSourceOutage.findUniqueOrThrow({ where: { id: announced.id } });
    expect(recovered.recoveryAlertedAt).toBeInstanceOf(Date);
    expect(await backupOutage()).toMatchObject({
      id: announced.id,
      ongoing: false,
      alertState: "RECOVERY_SENT",
      downAlertedAt: announced.downAlertedAt,
      recoveryAlertedAt: recovered.recoveryAlertedAt,
    });

    // Down again and announced, then removed from the source: the outage ends without a recovery
    // mail (the row is marked as if one went out, so none ever does), and the report says so.
    await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    const second = await db().cdrSourceOutage.findFirstOrThrow({ where: { serverId: backupId, endedAt: null } });
    expect(second.downAlertedAt).toBeInstanceOf(Date);
    await updateCdrSource({ tenantId, actor, sourceId: source.id, fields: fieldsFor("Alerted carrier", ["noc@carrier.test"], [serverAt(live.port, primaryId)]) });
    expect((await db().cdrSourceOutage.findUniqueOrThrow({ where: { id: second.id } })).recoveryAlertedAt).toBeInstanceOf(Date);
    expect(await backupOutage()).toMatchObject({ id: second.id, alertState: "MONITORING_STOPPED", downAlertedAt: second.downAlertedAt, recoveryAlertedAt: null });
    expect(smtp.received.filter((mail) => /CDR server recovered/.test(mail.subject))).toHaveLength(1);

    // Through the router too (support may read availability).
    const support = await callerAs(world.support.user.id);
    const routed = await support.cdrSources.availability({ sourceId: source.id, from: new Date(Date.now() - HOUR), to: new Date(Date.now() + HOUR) });
    expect(routed.outages.find((outage) => outage.id === announced.id)).toMatchObject({ downAlertedAt: announced.downAlertedAt, recoveryAlertedAt: recovered.recoveryAlertedAt });
  });

  it("says why owed alerts wait (nobody to mail, polling off), and that an outage ended before its down alert got none", async () => {
    // A tenant with no admin, and a source with no alert address: nobody to mail.
    const tenant = await createTenant();
    const tenantId = tenant.id;
    const deadPort = await unusedPort();
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor("Unheard carrier", [], [serverAt(deadPort)]) });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    const serverId = source.servers[0]!.id;
    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    const [recoveryOwed, downOwed] = await Promise.all([
      db().cdrSourceOutage.create({
        data: { tenantId, sourceId: source.id, serverId, startedAt: minutesAgo(50), endedAt: minutesAgo(40), downAlertedAt: minutesAgo(49), error: "refused" },
      }),
      db().cdrSourceOutage.create({ data: { tenantId, sourceId: source.id, serverId, startedAt: minutesAgo(30), error: "refused" } }),
    ]);
    const before = await report(tenantId, source.id);
    expect(before.source.alertsBlockedBy).toBe("NO_RECIPIENTS");
    expect(before.outages.map((outage) => [outage.id, outage.alertState, outage.recoveryAlertedAt])).toEqual([
      [recoveryOwed.id, "RECOVERY_OWED", null],
      [downOwed.id, "DOWN_OWED", null],
    ]);

    // Polling off: the open outage ends before its down alert went out (so no alert ever will),
    // and the owed recovery alert waits for polling to be turned on again.
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
    expect((await db().cdrSourceOutage.findUniqueOrThrow({ where: { id: downOwed.id } })).recoveryAlertedAt).toBeInstanceOf(Date);
    const after = await report(tenantId, source.id);
    expect(after.source.alertsBlockedBy).toBe("POLLING_OFF");
    expect(after.outages.map((outage) => [outage.id, outage.alertState, outage.downAlertedAt, outage.recoveryAlertedAt])).toEqual([
      [recoveryOwed.id, "RECOVERY_OWED", recoveryOwed.downAlertedAt, null],
      [downOwed.id, "NEVER_SENT", null, null],
    ]);
  });
});
