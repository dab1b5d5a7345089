import net from "node:net";
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { AppError } from "@/server/errors";
import { db, pool } from "@/server/db/client";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { pollCdrSource } from "@/server/jobs/functions/cdr-polling";
import { decryptSecret } from "@/server/security/secrets";
import { createCdrSource, setCdrSourceEnabled, updateCdrSource, type TCdrSourceFields } from "@/server/cdr/sources";
import { alertRecipients, dueSources, pollSource, testSourceConnection } from "@/server/cdr/polling";
import { sourceAvailability } from "@/server/cdr/availability";
import { callerAs, createWorld, TEST_ACTOR } from "../support/factories";
import { startSmtpServer, type TReceivedMail } from "../support/smtp";
import { generateSshKeyPair, startSftpServer, startSilentServer, unusedPort, type TSftpServer, type TSftpServerOptions, type TUnansweredRequest } from "../support/sftp-server";

/**
 * Polling against two real SFTP servers on loopback (ssh2's Server over temp folders) and a
 * real SMTP server: failover, outages, one alert per event, all-down, files once,
 * after-download actions, availability over a period.
 */

const actor = TEST_ACTOR;
const TIMEOUT = 2000;
const USER = "cdr";
const PASSWORD = "s3cret-sftp-pass";

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let runner: EmbeddedRunner;
let scratch: string;
let rootA: string;
let rootB: string;
let serverA: TSftpServer;
let serverB: TSftpServer;
let world: Awaited<ReturnType<typeof createWorld>>;

/** A file at the same path and modification time on both mirrors, like a replicated drop folder. */
async function dropFile(name: string, content: string, roots: string[], ageSeconds = 120): Promise<void> {
  const when = new Date(Math.floor(Date.now() / 1000 - ageSeconds) * 1000);
  for (const root of roots) {
    const file = path.join(root, name);
    await writeFile(file, content);
    await utimes(file, when, when);
  }
}

/** A source's server on a test SFTP server on loopback, with the test's login. */
function serverAt(port: number) {
  return { host: "127.0.0.1", port, username: USER, password: PASSWORD };
}

function fieldsFor(overrides: Partial<TCdrSourceFields> = {}): TCdrSourceFields {
  return {
    name: `Carrier ${Math.random().toString(36).slice(2, 8)}`,
    format: "asterisk",
    timeZone: "america/toronto",
    filePattern: "*.csv",
    alertEmails: ["noc@carrier.test"],
    servers: [
      serverAt(serverA.port),
      serverAt(serverB.port),
    ],
    ...overrides,
  };
}

/** Waits for a condition another connection or the poll makes true. */
async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Mails so far whose subject matches, after letting in-flight deliveries land. */
async function mailsMatching(pattern: RegExp): Promise<TReceivedMail[]> {
  await new Promise((resolve) => setTimeout(resolve, 150));
  return smtp.received.filter((mail) => pattern.test(mail.subject));
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "trunkline-cdr-poll-"));
  process.env.DATA_DIR = path.join(scratch, "data");
  smtp = await startSmtpServer({ refuse: ["no-such-noc@carrier.test"] });
  process.env.SMTP_URL = smtp.url;
  // Only the poll function: received files are not ingested here (tests/cdr/ingest covers that).
  runner = new EmbeddedRunner({ functions: [pollCdrSource], backoffMs: () => 10 });
  setEmbeddedRunner(runner);
  rootA = path.join(scratch, "sftp-a");
  rootB = path.join(scratch, "sftp-b");
  serverA = await startSftpServer({ root: rootA, username: USER, password: PASSWORD });
  serverB = await startSftpServer({ root: rootB, username: USER, password: PASSWORD });
  world = await createWorld();
});

afterAll(async () => {
  await runner.drain();
  runner.stop();
  setEmbeddedRunner(undefined);
  await serverA.stop();
  await serverB.stop();
  await smtp.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("CDR sources (service and router)", () => {
  it("stores secrets encrypted, never returns them, and keeps a stored secret when the form leaves it blank", async () => {
    const admin = await callerAs(world.admin.user.id);
    const created = await admin.cdrSources.create({ fields: fieldsFor({ name: "Secretive carrier" }) });
    const serialized = JSON.stringify(created);
    expect(serialized).not.toContain(PASSWORD);
    expect(serialized).not.toContain("passwordEnc");
    expect(created.servers.map((server) => [server.position, server.hasPassword, server.hasPrivateKey])).toEqual([
      [0, true, false],
      [1, true, false],
    ]);
    expect(created.timeZone).toBe("America/Toronto");
    const listed = await admin.cdrSources.list({ search: "Secretive" });
    expect(JSON.stringify(listed)).not.toContain(PASSWORD);

    const stored = await db().cdrSourceServer.findMany({ where: { sourceId: created.id }, orderBy: { position: "asc" } });
    expect(stored[0]?.passwordEnc).not.toContain(PASSWORD);
    expect(decryptSecret(stored[0]!.passwordEnc!)).toBe(PASSWORD);

    // Edit: reorder, blank password keeps the stored one; the server rows (and their history) stay.
    const [first, second] = created.servers;
    const updated = await admin.cdrSources.update({
      sourceId: created.id,
      fields: fieldsFor({
        name: "Secretive carrier",
        servers: [
          { id: second!.id, host: "127.0.0.1", port: serverB.port, username: USER, password: "" },
          { id: first!.id, host: "127.0.0.1", port: serverA.port, username: USER, password: "" },
        ],
      }),
    });
    expect(updated.servers.map((server) => server.id)).toEqual([second!.id, first!.id]);
    const after = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: first!.id } });
    expect(decryptSecret(after.passwordEnc!)).toBe(PASSWORD);
    expect(await db().auditEvent.count({ where: { targetId: created.id, action: { in: ["cdr_source.created", "cdr_source.updated"] } } })).toBe(2);
    const audits = await db().auditEvent.findMany({ where: { targetId: created.id } });
    expect(JSON.stringify(audits)).not.toContain(PASSWORD);
  });

  it("sends a stored secret only to the account it was stored for: a changed host, port or username needs it again", async () => {
    const admin = await callerAs(world.admin.user.id);
    const created = await admin.cdrSources.create({ fields: fieldsFor({ name: "Guarded carrier" }) });
    const [first, second] = created.servers;
    const keep = { id: second!.id, host: "127.0.0.1", port: serverB.port, username: USER, password: "" };
    const moved = [
      { id: first!.id, host: "sftp.attacker.test", port: serverA.port, username: USER, password: "" },
      { id: first!.id, host: "127.0.0.1", port: 2222, username: USER, password: "" },
      { id: first!.id, host: "127.0.0.1", port: serverA.port, username: "someone-else", password: "" },
    ];
    for (const server of moved) {
      const fields = fieldsFor({ name: "Guarded carrier", servers: [server, keep] });
      // Neither a connection test (which would send it to that host) nor a save takes the stored password along.
      for (const attempt of [() => admin.cdrSources.testConnection({ sourceId: created.id, fields }), () => admin.cdrSources.update({ sourceId: created.id, fields })]) {
        const error = await attempt().then(
          () => null,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(TRPCError);
        expect(((error as TRPCError).cause as AppError).fieldErrors).toEqual({ "servers.0.password": [expect.stringMatching(/changed: enter the password again/)] });
      }
    }
    const stored = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: first!.id } });
    expect(stored).toMatchObject({ host: "127.0.0.1", port: serverA.port, username: USER });
    // The same account, or a new password typed: accepted.
    const tested = await admin.cdrSources.testConnection({
      sourceId: created.id,
      fields: fieldsFor({ name: "Guarded carrier", servers: [{ id: first!.id, host: "127.0.0.1", port: serverA.port, username: USER, password: "" }, keep] }),
    });
    expect(tested.servers.map((server) => server.ok)).toEqual([true, true]);
    await expect(
      admin.cdrSources.update({ sourceId: created.id, fields: fieldsFor({ name: "Guarded carrier", servers: [{ ...moved[2]!, username: USER, password: PASSWORD }, keep] }) }),
    ).resolves.toMatchObject({ name: "Guarded carrier" });
  });

  it("names the invalid field: time zone, cost deck, processed folder, missing secret", async () => {
    const tenantId = world.tenant.id;
    await expect(createCdrSource({ tenantId, actor, fields: fieldsFor({ timeZone: "Mars/Olympus" }) })).rejects.toSatisfy(
      (error: unknown) => error instanceof ZodError && error.issues.some((issue) => issue.path.join(".") === "timeZone" && /unknown time zone/.test(issue.message)),
    );
    await expect(createCdrSource({ tenantId, actor, fields: fieldsFor({ afterDownload: "MOVE" }) })).rejects.toSatisfy(
      (error: unknown) => error instanceof ZodError && error.issues.some((issue) => issue.path.join(".") === "processedDir"),
    );
    await expect(createCdrSource({ tenantId, actor, fields: fieldsFor({ pollIntervalMinutes: 0 }) })).rejects.toBeInstanceOf(ZodError);
    const sellDeck = await db().rateDeck.create({ data: { tenantId, name: "Retail", kind: "SELL", currency: "USD" } });
    await expect(createCdrSource({ tenantId, actor, fields: fieldsFor({ costDeckId: sellDeck.id }) })).rejects.toMatchObject({
      code: "INVALID_INPUT",
      fieldErrors: { costDeckId: [expect.stringMatching(/BUY deck/)] },
    });
    await expect(
      createCdrSource({ tenantId, actor, fields: fieldsFor({ servers: [{ host: "127.0.0.1", port: 22, username: USER, password: "" }] }) }),
    ).rejects.toMatchObject({ fieldErrors: { "servers.0.password": [expect.any(String)] } });

    // Through tRPC the same refusal is a BAD_REQUEST.
    const admin = await callerAs(world.admin.user.id);
    await expect(admin.cdrSources.create({ fields: fieldsFor({ timeZone: "Nowhere/Land" }) })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("lets support read but not write; polling needs a server", async () => {
    const support = await callerAs(world.support.user.id);
    await expect(support.cdrSources.list({})).resolves.toMatchObject({ total: expect.any(Number) });
    await expect(support.cdrSources.create({ fields: fieldsFor() })).rejects.toSatisfy((error: unknown) => error instanceof TRPCError && error.code === "FORBIDDEN");

    const uploadOnly = await createCdrSource({ tenantId: world.tenant.id, actor, fields: fieldsFor({ name: "Uploads only", servers: [] }) });
    expect(uploadOnly.servers).toEqual([]);
    await expect(setCdrSourceEnabled({ tenantId: world.tenant.id, actor, sourceId: uploadOnly.id, enabled: true })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    const polled = await createCdrSource({ tenantId: world.tenant.id, actor, fields: fieldsFor({ name: "Polled" }) });
    await expect(setCdrSourceEnabled({ tenantId: world.tenant.id, actor, sourceId: polled.id, enabled: true })).resolves.toMatchObject({ enabled: true });
    await expect(updateCdrSource({ tenantId: world.tenant.id, actor, sourceId: polled.id, fields: fieldsFor({ name: "Polled", servers: [] }) })).rejects.toMatchObject({
      fieldErrors: { servers: [expect.any(String)] },
    });
    await setCdrSourceEnabled({ tenantId: world.tenant.id, actor, sourceId: polled.id, enabled: false });
  });
});

describe("polling with failover", () => {
  let sourceId: string;

  it("fetches from the second server while the first is down, records the outage and mails once", async () => {
    const source = await createCdrSource({ tenantId: world.tenant.id, actor, fields: fieldsFor({ name: "Failover carrier" }) });
    sourceId = source.id;
    // Outages and alerts are kept for monitored (enabled) sources only.
    await setCdrSourceEnabled({ tenantId: world.tenant.id, actor, sourceId, enabled: true });
    await dropFile("Master-001.csv", "call-1\ncall-2\n", [rootA, rootB]);
    await dropFile("ignored.txt", "not a cdr", [rootA, rootB]);
    await serverA.stop();

    const first = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
    expect(first.outcome).toBe("POLLED");
    expect(first.server).toBe(`127.0.0.1:${serverB.port}`);
    expect(first.attempts[0]).toMatchObject({ ok: false, kind: "REFUSED" });
    expect(first.fetched).toEqual([expect.objectContaining({ name: "Master-001.csv", status: "RECEIVED" })]);

    const servers = await db().cdrSourceServer.findMany({ where: { sourceId }, orderBy: { position: "asc" } });
    expect(servers.map((server) => server.status)).toEqual(["DOWN", "UP"]);
    expect(servers[0]?.lastError).toMatch(/refused/i);
    const outages = await db().cdrSourceOutage.findMany({ where: { sourceId } });
    expect(outages).toHaveLength(1);
    expect(outages[0]).toMatchObject({ serverId: servers[0]!.id, endedAt: null, failedChecks: 1 });
    expect(outages[0]?.downAlertedAt).not.toBeNull();

    const down = await smtp.waitFor((mail) => /CDR server down/.test(mail.subject));
    expect(down.to).toEqual(["noc@carrier.test"]);
    expect(down.subject).toContain(`127.0.0.1:${serverA.port}`);
    expect(down.text).toContain("Failover carrier");
    expect(down.text).toMatch(/refused/i);
    expect(down.text).toContain(`127.0.0.1:${serverB.port}`);

    // More polls while it stays down: no more mail, the outage counts checks, the file is not fetched again.
    for (let round = 0; round < 2; round++) {
      const again = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
      expect(again).toMatchObject({ outcome: "POLLED", fetched: [], skipped: 1 });
    }
    expect(await mailsMatching(/CDR server down/)).toHaveLength(1);
    expect(await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId } })).toMatchObject({ failedChecks: 3, endedAt: null });
    expect(await db().cdrFile.count({ where: { sourceId } })).toBe(1);
  });

  it("closes the outage and mails once when the first server is back", async () => {
    await serverA.restart();
    const polled = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
    expect(polled.server).toBe(`127.0.0.1:${serverA.port}`);
    // Same path, size and time on the mirror: known, not downloaded twice.
    expect(polled).toMatchObject({ fetched: [], skipped: 1 });
    const outage = await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId } });
    expect(outage.endedAt).not.toBeNull();
    expect(outage.recoveryAlertedAt).not.toBeNull();
    const recovered = await smtp.waitFor((mail) => /CDR server recovered/.test(mail.subject));
    expect(recovered.text).toMatch(/Outage duration: \d+/);
    await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
    expect(await mailsMatching(/CDR server recovered/)).toHaveLength(1);
    expect(await mailsMatching(/CDR server down/)).toHaveLength(1);
    const servers = await db().cdrSourceServer.findMany({ where: { sourceId } });
    expect(servers.every((server) => server.status === "UP")).toBe(true);
  });

  it("raises one louder alert when every server is down, and one recovery", async () => {
    await serverA.stop();
    await serverB.stop();
    const down = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
    expect(down.outcome).toBe("ALL_SERVERS_DOWN");
    await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
    const loud = await mailsMatching(/ALL servers down/);
    expect(loud).toHaveLength(1);
    expect(loud[0]?.text).toContain(`127.0.0.1:${serverA.port}`);
    expect(loud[0]?.text).toContain(`127.0.0.1:${serverB.port}`);
    // The loud mail stands for each server's own "down" mail.
    expect(await mailsMatching(/CDR server down/)).toHaveLength(1);
    const source = await db().cdrSource.findUniqueOrThrow({ where: { id: sourceId } });
    expect(source.lastPollError).toMatch(/All 2 servers are down/);
    expect(source.pollLeaseUntil).toBeNull();
    expect(await db().cdrSourceOutage.count({ where: { sourceId, endedAt: null } })).toBe(3);

    await serverA.restart();
    await serverB.restart();
    const back = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
    expect(back.outcome).toBe("POLLED");
    expect(await mailsMatching(/Recovered: CDR source/)).toHaveLength(1);
    expect(await mailsMatching(/CDR server recovered/)).toHaveLength(1);
    expect(await db().cdrSourceOutage.count({ where: { sourceId, endedAt: null } })).toBe(0);
    expect((await db().cdrSource.findUniqueOrThrow({ where: { id: sourceId } })).lastPollError).toBeNull();
  });

  it("polls a source at most once at a time; a crashed poll's lease expires", async () => {
    await pool().query(`UPDATE cdr_sources SET poll_lease_until = now() + interval '5 minutes' WHERE id = $1`, [sourceId]);
    expect((await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT })).outcome).toBe("BUSY");
    await pool().query(`UPDATE cdr_sources SET poll_lease_until = now() - interval '1 second' WHERE id = $1`, [sourceId]);
    expect((await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT })).outcome).toBe("POLLED");
  });

  it("moves or deletes the remote file only after it is recorded", async () => {
    await mkdir(path.join(rootA, "inbox"), { recursive: true });
    await dropFile("inbox/Master-move.csv", "move-me\n", [rootA], 120);
    const moving = await createCdrSource({
      tenantId: world.tenant.id,
      actor,
      fields: fieldsFor({ name: "Mover", remoteDir: "inbox", afterDownload: "MOVE", processedDir: "inbox/done", servers: [fieldsFor().servers![0]!] }),
    });
    const moved = await pollSource({ tenantId: world.tenant.id, sourceId: moving.id, connectTimeoutMs: TIMEOUT });
    expect(moved.fetched).toEqual([expect.objectContaining({ name: "Master-move.csv", afterDownload: "moved to inbox/done/Master-move.csv" })]);
    expect(await readdir(path.join(rootA, "inbox", "done"))).toEqual(["Master-move.csv"]);
    expect((await readdir(path.join(rootA, "inbox"))).filter((name) => name.endsWith(".csv"))).toEqual([]);
    // The same name again (re-issued with other content): held for review, and moved beside the first.
    await dropFile("inbox/Master-move.csv", "move-me, corrected\n", [rootA], 60);
    const again = await pollSource({ tenantId: world.tenant.id, sourceId: moving.id, connectTimeoutMs: TIMEOUT });
    expect(again.fetched).toEqual([expect.objectContaining({ status: "HELD", afterDownload: expect.stringMatching(/^moved to inbox\/done\/Master-move\.csv\.\d/) })]);
    expect(await readdir(path.join(rootA, "inbox", "done"))).toHaveLength(2);

    await dropFile("inbox/Master-delete.csv", "delete-me\n", [rootA], 120);
    const deleting = await createCdrSource({
      tenantId: world.tenant.id,
      actor,
      fields: fieldsFor({ name: "Deleter", remoteDir: "inbox", afterDownload: "DELETE", servers: [fieldsFor().servers![0]!] }),
    });
    const deleted = await pollSource({ tenantId: world.tenant.id, sourceId: deleting.id, connectTimeoutMs: TIMEOUT });
    expect(deleted.fetched).toEqual([expect.objectContaining({ name: "Master-delete.csv", afterDownload: "deleted", status: "RECEIVED" })]);
    expect((await readdir(path.join(rootA, "inbox"))).filter((name) => name.endsWith(".csv"))).toEqual([]);
    expect(await db().cdrFile.count({ where: { sourceId: deleting.id } })).toBe(1);
  });

  it("leaves a file that is still being written for a later poll", async () => {
    await dropFile("Master-fresh.csv", "fresh\n", [rootA, rootB], 0);
    const polling = pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT, settleSeconds: 1 });
    // The carrier writes more while the poll waits to list the folder again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const root of [rootA, rootB]) await appendFile(path.join(root, "Master-fresh.csv"), "more\n");
    expect(await polling).toMatchObject({ fetched: [], waiting: 1 });
  });

  it("tests a connection without side effects: per-server result, files it would fetch", async () => {
    const silent = await startSilentServer();
    try {
      const result = await testSourceConnection({
        tenantId: world.tenant.id,
        sourceId,
        connectTimeoutMs: 1000,
        fields: fieldsFor({
          name: "Failover carrier",
          servers: [
            serverAt(silent.port),
            { host: "127.0.0.1", port: serverB.port, username: USER, password: "wrong" },
            serverAt(serverA.port),
          ],
        }),
      });
      expect(result.servers.map((server) => [server.ok, server.kind])).toEqual([
        [false, "TIMEOUT"],
        [false, "AUTH"],
        [true, null],
      ]);
      expect(result.servers[2]?.files.map((file) => [file.name, file.known])).toEqual([
        ["Master-001.csv", true],
        ["Master-fresh.csv", false],
      ]);
    } finally {
      await silent.stop();
    }
    expect(await db().cdrSourceOutage.count({ where: { sourceId, endedAt: null } })).toBe(0);
    // A stored source tests with its stored secrets.
    const admin = await callerAs(world.admin.user.id);
    const stored = await admin.cdrSources.testConnection({ sourceId });
    expect(stored.servers.every((server) => server.ok)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(PASSWORD);
  });

  it("schedules due sources and polls through the job function", async () => {
    await setCdrSourceEnabled({ tenantId: world.tenant.id, actor, sourceId, enabled: true });
    await pool().query(`UPDATE cdr_sources SET last_polled_at = now() - interval '10 minutes', poll_interval_minutes = 5 WHERE id = $1`, [sourceId]);
    const due = await dueSources(new Date());
    expect(due.map((entry) => entry.sourceId)).toContain(sourceId);
    await pool().query(`UPDATE cdr_sources SET last_polled_at = now() - interval '2 minutes' WHERE id = $1`, [sourceId]);
    expect((await dueSources(new Date())).map((entry) => entry.sourceId)).not.toContain(sourceId);

    // The carrier finished the file it was writing an hour ago: no recent new file, so the
    // job's poll (30 s settle) has nothing to list twice.
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const root of [rootA, rootB]) await utimes(path.join(root, "Master-fresh.csv"), hourAgo, hourAgo);
    const admin = await callerAs(world.admin.user.id);
    const before = new Date();
    await admin.cdrSources.pollNow({ sourceId });
    await runner.drain();
    const run = await db().jobRun.findFirstOrThrow({ where: { functionId: "cdr-poll-source" }, orderBy: { createdAt: "desc" } });
    expect(run.status).toBe("COMPLETED");
    expect((await db().cdrSource.findUniqueOrThrow({ where: { id: sourceId } })).lastPolledAt!.getTime()).toBeGreaterThanOrEqual(before.getTime() - 5);
    await setCdrSourceEnabled({ tenantId: world.tenant.id, actor, sourceId, enabled: false });
  });

  it("signs in with a private key; the key is never returned", async () => {
    const keys = generateSshKeyPair();
    const keyed = await startSftpServer({ root: rootA, username: USER, password: "not-this-one", publicKey: keys.public });
    try {
      const source = await createCdrSource({
        tenantId: world.tenant.id,
        actor,
        fields: fieldsFor({ name: "Key auth", servers: [{ host: "127.0.0.1", port: keyed.port, username: USER, authMethod: "KEY", privateKey: keys.private }] }),
      });
      expect(source.servers[0]).toMatchObject({ authMethod: "KEY", hasPrivateKey: true, hasPassword: false });
      expect(JSON.stringify(source)).not.toContain("PRIVATE KEY");
      const result = await testSourceConnection({ tenantId: world.tenant.id, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(result.servers[0]).toMatchObject({ ok: true });
    } finally {
      await keyed.stop();
    }
  });

  it("ends open outages when polling is turned off, without a recovery mail; later polls open none", async () => {
    await setCdrSourceEnabled({ tenantId: world.tenant.id, actor, sourceId, enabled: true });
    await serverA.stop();
    try {
      await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
      expect(await db().cdrSourceOutage.count({ where: { sourceId, endedAt: null } })).toBe(1);
      const recoveredBefore = (await mailsMatching(/recovered/i)).length;
      const downBefore = (await mailsMatching(/down/i)).length;
      await setCdrSourceEnabled({ tenantId: world.tenant.id, actor, sourceId, enabled: false });
      expect(await db().cdrSourceOutage.count({ where: { sourceId, endedAt: null } })).toBe(0);
      const closed = await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId }, orderBy: { startedAt: "desc" } });
      expect(closed.lastError).toMatch(/monitoring stopped/);
      // "Poll now" while off, the first server still down: fetched from the second, nothing reopened.
      const polled = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
      expect(polled).toMatchObject({ outcome: "POLLED", server: `127.0.0.1:${serverB.port}`, alertsSent: 0 });
      expect(await db().cdrSourceOutage.count({ where: { sourceId, endedAt: null } })).toBe(0);
      expect((await mailsMatching(/recovered/i)).length).toBe(recoveredBefore);
      expect((await mailsMatching(/down/i)).length).toBe(downBefore);
    } finally {
      await serverA.restart();
    }
  });

  it("polls a disabled source (fetches, reports the error) without recording an outage or alerting; enabled, it does both", async () => {
    const tenantId = world.tenant.id;
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor({ name: "Paused carrier", alertEmails: ["paused@carrier.test"] }) });
    expect(source.enabled).toBe(false);
    const mailsToPaused = async () => (await mailsMatching(/./)).filter((mail) => mail.to.includes("paused@carrier.test"));
    await dropFile("Master-paused.csv", "paused-1\n", [rootA, rootB]);
    await serverA.stop();
    try {
      // The backup is in maintenance and polling is off; the admin clicks "Poll now".
      const polled = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(polled).toMatchObject({ outcome: "POLLED", server: `127.0.0.1:${serverB.port}`, alertsSent: 0 });
      expect(polled.attempts[0]).toMatchObject({ ok: false, kind: "REFUSED" });
      expect(polled.fetched.map((file) => file.name)).toContain("Master-paused.csv");
      // The admin still sees what is wrong with the server.
      expect((await db().cdrSourceServer.findFirstOrThrow({ where: { sourceId: source.id, position: 0 } })).lastError).toMatch(/refused/i);

      await serverB.stop();
      try {
        const down = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
        expect(down).toMatchObject({ outcome: "ALL_SERVERS_DOWN", alertsSent: 0 });
        expect((await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } })).lastPollError).toMatch(/All 2 servers are down/);
      } finally {
        await serverB.restart();
      }
      expect(await db().cdrSourceOutage.count({ where: { sourceId: source.id } })).toBe(0);
      expect(await mailsToPaused()).toEqual([]);

      // The same source with polling on: the outage is recorded and announced as before.
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
      const enabled = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(enabled).toMatchObject({ outcome: "POLLED", alertsSent: 1 });
      expect(await db().cdrSourceOutage.count({ where: { sourceId: source.id, endedAt: null } })).toBe(1);
      expect((await mailsToPaused()).map((mail) => mail.subject)).toEqual([expect.stringMatching(/CDR server down/)]);
    } finally {
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
      await serverA.restart();
    }
  });

  it("opens no outage when polling is turned off while the poll is failing a server", async () => {
    const tenantId = world.tenant.id;
    const silent = await startSilentServer();
    const disabler = await pool().connect();
    try {
      const source = await createCdrSource({
        tenantId,
        actor,
        fields: fieldsFor({
          name: "Disabled mid-poll",
          alertEmails: ["midpoll@carrier.test"],
          servers: [
            serverAt(silent.port),
            serverAt(serverB.port),
          ],
        }),
      });
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
      const polling = pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: 500 });
      await until(async () => (await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } })).pollLeaseUntil !== null);
      // "Turn polling off" is committing (its row lock held) when the poll records the hung server's failure.
      await disabler.query("BEGIN");
      await disabler.query("UPDATE cdr_sources SET enabled = false WHERE tenant_id = $1 AND id = $2", [tenantId, source.id]);
      await disabler.query("UPDATE cdr_source_outages SET ended_at = now() WHERE tenant_id = $1 AND source_id = $2 AND ended_at IS NULL", [tenantId, source.id]);
      // The outage insert must wait for the disable rather than read the old "enabled".
      await until(async () => {
        const waiting = await pool().query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO cdr_source_outages%'`,
        );
        return (waiting.rowCount ?? 0) > 0;
      });
      await disabler.query("COMMIT");
      const polled = await polling;
      expect(polled.attempts.map((attempt) => [attempt.ok, attempt.kind])).toEqual([
        [false, "TIMEOUT"],
        [true, null],
      ]);
      expect(await db().cdrSourceOutage.count({ where: { sourceId: source.id } })).toBe(0);
      expect((await mailsMatching(/./)).filter((mail) => mail.to.includes("midpoll@carrier.test"))).toEqual([]);
    } finally {
      await disabler.query("ROLLBACK").catch(() => undefined);
      disabler.release();
      await silent.stop();
    }
  });

  it("renews the lease during a long step, and a poll that lost its lease stops without touching the new owner's", async () => {
    const tenantId = world.tenant.id;
    const silent = await startSilentServer();
    try {
      await mkdir(path.join(rootB, "stalled"), { recursive: true });
      await dropFile("stalled/Master-stalled.csv", "stalled-1\n", [rootB]);
      const source = await createCdrSource({
        tenantId,
        actor,
        fields: fieldsFor({
          name: "Stalled carrier",
          remoteDir: "stalled",
          servers: [
            serverAt(silent.port),
            serverAt(serverB.port),
          ],
        }),
      });
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
      // A 1.5 s lease and a hung first server (5 s): the poll outlives its lease.
      const polling = pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: 5000, leaseMs: 1500 });
      await until(async () => (await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } })).pollLeaseUntil !== null);
      const firstLease = (await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } })).pollLeaseUntil!;
      // Renewed on a timer, not only per file: the lease moves on while the poll waits, and
      // the source is still held after the first lease would have ended.
      await until(async () => ((await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } })).pollLeaseUntil?.getTime() ?? 0) > firstLease.getTime());
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstLease.getTime() - Date.now()) + 100));
      expect((await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: 2000, leaseMs: 1500 })).outcome).toBe("BUSY");

      // Another poll takes over (as after a stall past the lease).
      const taken = await pool().query<{ until: Date }>(
        `UPDATE cdr_sources SET poll_lease_until = now() + interval '10 minutes' WHERE tenant_id = $1 AND id = $2 RETURNING poll_lease_until AS until`,
        [tenantId, source.id],
      );
      const polled = await polling;
      expect(polled).toMatchObject({ outcome: "LEASE_LOST", fetched: [], alertsSent: 0 });
      const after = await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } });
      expect(after.pollLeaseUntil).toEqual(taken.rows[0]!.until);
      expect(after).toMatchObject({ lastPolledAt: null, lastPollError: null });
      expect(await db().cdrFile.count({ where: { sourceId: source.id } })).toBe(0);
      expect(await db().cdrSourceOutage.count({ where: { sourceId: source.id } })).toBe(0);
    } finally {
      await silent.stop();
    }
  });

  it("mails an alert once to the recipients the relay accepts, though it refuses another for good", async () => {
    const tenantId = world.tenant.id;
    const root = path.join(scratch, "sftp-typo");
    const live = await startSftpServer({ root, username: USER, password: PASSWORD });
    const deadPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    try {
      const source = await createCdrSource({
        tenantId,
        actor,
        fields: fieldsFor({
          name: "Typo carrier",
          alertEmails: ["no-such-noc@carrier.test", "typo-noc@carrier.test"],
          servers: [
            serverAt(deadPort),
            serverAt(live.port),
          ],
        }),
      });
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
      for (let poll = 0; poll < 3; poll++) await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      const mails = (await mailsMatching(/CDR server down/)).filter((mail) => mail.to.includes("typo-noc@carrier.test"));
      expect(mails).toHaveLength(1);
      expect(mails[0]!.to).toEqual(["typo-noc@carrier.test"]);
      expect((await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId: source.id, endedAt: null } })).downAlertedAt).not.toBeNull();
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
    } finally {
      await live.stop();
    }
  });

  it("marks an outage announced only once the relay accepted its mail: a worker that dies mid-send mails it at the next poll", async () => {
    const tenantId = world.tenant.id;
    const recipient = "announce-noc@carrier.test";
    const deadPort = await unusedPort();
    const source = await createCdrSource({
      tenantId,
      actor,
      fields: fieldsFor({
        name: "Announcing carrier",
        alertEmails: [recipient],
        servers: [
          serverAt(deadPort),
          serverAt(serverB.port),
        ],
      }),
    });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    const announcedWhenMailed: (Date | null)[] = [];
    smtp.beforeAccept(async (mail) => {
      if (!mail.to.includes(recipient) || !/CDR server down/.test(mail.subject)) return;
      const outage = await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId: source.id, endedAt: null } });
      announcedWhenMailed.push(outage.downAlertedAt);
    });
    try {
      expect(await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT })).toMatchObject({ alertsSent: 1 });
      // Still unmarked while the relay took the message: a crash there leaves it owed, not lost.
      expect(announcedWhenMailed).toEqual([null]);
      const outage = await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId: source.id, endedAt: null } });
      expect(outage.downAlertedAt).not.toBeNull();
      // The next poll owes nothing.
      expect(await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT })).toMatchObject({ alertsSent: 0 });
      expect((await mailsMatching(/CDR server down/)).filter((mail) => mail.to.includes(recipient))).toHaveLength(1);
    } finally {
      smtp.beforeAccept(null);
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
    }
  });

  it("falls back to the tenant's admins when a source has no alert recipients", async () => {
    expect(await alertRecipients(world.tenant.id, [])).toEqual([world.admin.user.email]);
    expect(await alertRecipients(world.tenant.id, ["a@b.test"])).toEqual(["a@b.test"]);
  });
});

describe("a server that logs in and then stops answering", () => {
  // Short for the test; 60 s in production.
  const STALL_MS = 500;

  /** A source on one server whose storage hangs: it accepts the login, then never answers `request`. */
  async function hungSource(request: TUnansweredRequest): Promise<{ server: TSftpServer; root: string; sourceId: string; recipient: string }> {
    const root = path.join(scratch, `sftp-hung-${request.toLowerCase()}`);
    const server = await startSftpServer({ root, username: USER, password: PASSWORD, neverAnswer: [request] });
    await dropFile(`Master-hung-${request}.csv`, "hung-1\n", [root]);
    const recipient = `hung-${request.toLowerCase()}@carrier.test`;
    const source = await createCdrSource({
      tenantId: world.tenant.id,
      actor,
      fields: fieldsFor({
        name: `Hung ${request} carrier`,
        alertEmails: [recipient],
        servers: [serverAt(server.port)],
      }),
    });
    await setCdrSourceEnabled({ tenantId: world.tenant.id, actor, sourceId: source.id, enabled: true });
    return { server, root, sourceId: source.id, recipient };
  }

  /** Unhandled rejections while `work` runs (a stalled read's promise nobody awaits would show here). */
  async function collectingUnhandled<T>(work: () => Promise<T>): Promise<{ result: T; unhandled: unknown[] }> {
    const unhandled: unknown[] = [];
    const collect = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", collect);
    try {
      const result = await work();
      // Rejections are reported after a turn of the event loop.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { result, unhandled };
    } finally {
      process.off("unhandledRejection", collect);
    }
  }

  const spoolParts = async () => (await readdir(path.join(process.env.DATA_DIR!, "spool", "cdr", "incoming")).catch(() => [])).filter((name) => name.endsWith(".part"));

  it("ends a download the server never answers: the server (the only one) down, one loud mail, the source free", async () => {
    const { server, sourceId, recipient } = await hungSource("READ");
    try {
      const partsBefore = await spoolParts();
      const started = Date.now();
      const { result: polled, unhandled } = await collectingUnhandled(() =>
        pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT, stallTimeoutMs: STALL_MS }),
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(unhandled).toEqual([]);
      const stall = new RegExp(`127\\.0\\.0\\.1:${server.port} stopped answering: no answer to a read of \\S*Master-hung-READ\\.csv for 0\\.5 s`);
      // It listed the folder but delivered nothing: no server delivers, as when a listing stalls.
      expect(polled).toMatchObject({ outcome: "ALL_SERVERS_DOWN", fetched: [] });
      expect(polled.attempts).toEqual([expect.objectContaining({ ok: false, kind: "STALL", error: expect.stringMatching(stall) })]);
      expect(polled.errors).toEqual([expect.stringMatching(stall)]);
      // The partial download is removed, as for any failed download.
      expect(await spoolParts()).toEqual(partsBefore);
      expect(await db().cdrFile.count({ where: { sourceId } })).toBe(0);

      const source = await db().cdrSource.findUniqueOrThrow({ where: { id: sourceId } });
      expect(source.pollLeaseUntil).toBeNull();
      expect(source.lastPollError).toMatch(stall);
      const [stored] = await db().cdrSourceServer.findMany({ where: { sourceId } });
      expect(stored).toMatchObject({ status: "DOWN", lastError: expect.stringMatching(stall) });
      expect(await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId, serverId: stored!.id } })).toMatchObject({ endedAt: null, failedChecks: 1 });
      expect(await db().cdrSourceOutage.count({ where: { sourceId, endedAt: null } })).toBe(2);
      const loud = await smtp.waitFor((mail) => mail.to.includes(recipient) && /ALL servers down/.test(mail.subject));
      expect(loud.text).toMatch(stall);

      // The lease was released: the next poll runs (not BUSY), meets the same stall, and counts
      // it on the same outages without a "recovered" and a second "down" mail.
      const again = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT, stallTimeoutMs: STALL_MS });
      expect(again.outcome).toBe("ALL_SERVERS_DOWN");
      expect(again.errors).toEqual([expect.stringMatching(stall)]);
      expect(await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId, serverId: stored!.id } })).toMatchObject({ endedAt: null, failedChecks: 2 });
      expect((await mailsMatching(/./)).filter((mail) => mail.to.includes(recipient)).map((mail) => mail.subject)).toEqual([loud.subject]);
    } finally {
      await server.stop();
    }
  });

  it("ends a listing the server never answers: the stall named, the server (the only one) down, the source free", async () => {
    const { server, sourceId, recipient } = await hungSource("READDIR");
    try {
      const started = Date.now();
      const { result: polled, unhandled } = await collectingUnhandled(() =>
        pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT, stallTimeoutMs: STALL_MS }),
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(unhandled).toEqual([]);
      const stall = new RegExp(`127\\.0\\.0\\.1:${server.port} stopped answering: no answer to a listing of \\. for 0\\.5 s`);
      expect(polled.outcome).toBe("ALL_SERVERS_DOWN");
      expect(polled.attempts).toEqual([expect.objectContaining({ ok: false, kind: "LIST", error: expect.stringMatching(stall) })]);
      const source = await db().cdrSource.findUniqueOrThrow({ where: { id: sourceId } });
      expect(source).toMatchObject({ pollLeaseUntil: null, lastPollError: expect.stringMatching(stall) });
      expect(await db().cdrSourceServer.findFirstOrThrow({ where: { sourceId } })).toMatchObject({ status: "DOWN", lastError: expect.stringMatching(stall) });
      // The server's outage and the source's (no server delivers files).
      expect(await db().cdrSourceOutage.count({ where: { sourceId, endedAt: null } })).toBe(2);
      const loud = await smtp.waitFor((mail) => mail.to.includes(recipient) && /ALL servers down/.test(mail.subject));
      expect(loud.text).toMatch(stall);
      expect((await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT, stallTimeoutMs: STALL_MS })).outcome).toBe("ALL_SERVERS_DOWN");
      expect((await mailsMatching(/./)).filter((mail) => mail.to.includes(recipient))).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});

describe("a server that lists the folder but cannot deliver the files", () => {
  const STALL_MS = 500;
  const label = (server: { port: number }) => `127.0.0.1:${server.port}`;
  const mailsTo = async (recipient: string) => (await mailsMatching(/./)).filter((mail) => mail.to.includes(recipient)).map((mail) => mail.subject);

  const primaries: [string, TSftpServerOptions["neverAnswer"], TSftpServerOptions["fail"], string, (port: number) => RegExp][] = [
    ["stall", ["READ"], [], "STALL", (port) => new RegExp(`127\\.0\\.0\\.1:${port} stopped answering: no answer to a read of \\S*Master-unread-stall-1\\.csv`)],
    ["fail", [], ["READ"], "READ", (port) => new RegExp(`Cannot download \\S*Master-unread-fail-1\\.csv from 127\\.0\\.0\\.1:${port}: I/O error`)],
  ];
  for (const [behaviour, neverAnswer, fail, kind, readError] of primaries) {
    it(`rolls over to the backup when the primary's reads ${behaviour}: files from the backup, the primary down with the read error, one mail naming the backup`, async () => {
      const tenantId = world.tenant.id;
      const primaryRoot = path.join(scratch, `sftp-unread-${behaviour}`);
      const backupRoot = path.join(scratch, `sftp-unread-${behaviour}-backup`);
      const primary = await startSftpServer({ root: primaryRoot, username: USER, password: PASSWORD, neverAnswer, fail });
      const backup = await startSftpServer({ root: backupRoot, username: USER, password: PASSWORD });
      const recipient = `unread-${behaviour}@carrier.test`;
      try {
        await dropFile(`Master-unread-${behaviour}-1.csv`, `unread-${behaviour}-1\n`, [primaryRoot, backupRoot]);
        const source = await createCdrSource({
          tenantId,
          actor,
          fields: fieldsFor({ name: `Unreadable ${behaviour} carrier`, alertEmails: [recipient], servers: [serverAt(primary.port), serverAt(backup.port)] }),
        });
        await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
        const [primaryRow, backupRow] = source.servers;
        const started = Date.now();
        const polled = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT, stallTimeoutMs: STALL_MS });
        expect(polled).toMatchObject({ outcome: "POLLED", server: label(backup), serverId: backupRow!.id });
        expect(polled.fetched).toEqual([expect.objectContaining({ name: `Master-unread-${behaviour}-1.csv`, status: "RECEIVED" })]);
        expect(polled.attempts.map((attempt) => [attempt.server, attempt.ok, attempt.kind])).toEqual([
          [label(primary), false, kind],
          [label(backup), true, null],
        ]);
        expect(await db().cdrFile.findFirstOrThrow({ where: { sourceId: source.id } })).toMatchObject({ serverId: backupRow!.id });

        const servers = await db().cdrSourceServer.findMany({ where: { sourceId: source.id }, orderBy: { position: "asc" } });
        expect(servers.map((server) => server.status)).toEqual(["DOWN", "UP"]);
        expect(servers[0]!.lastError).toMatch(readError(primary.port));
        const outages = await db().cdrSourceOutage.findMany({ where: { sourceId: source.id } });
        expect(outages).toEqual([expect.objectContaining({ serverId: primaryRow!.id, endedAt: null, error: expect.stringMatching(readError(primary.port)) })]);
        if (behaviour === "stall") {
          // Dated when the stall was found, not when the poll began.
          expect(outages[0]!.startedAt.getTime()).toBeGreaterThanOrEqual(started + STALL_MS - 5);
        }
        const down = await smtp.waitFor((mail) => mail.to.includes(recipient) && /CDR server down/.test(mail.subject));
        expect(down.subject).toContain(label(primary));
        expect(down.text).toMatch(readError(primary.port));
        expect(down.text).toContain(`Files now fetched from: ${label(backup)}`);

        // A new file: the primary still cannot serve it, the backup does; the same outage counts on.
        await dropFile(`Master-unread-${behaviour}-2.csv`, `unread-${behaviour}-2\n`, [primaryRoot, backupRoot]);
        const again = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT, stallTimeoutMs: STALL_MS });
        expect(again).toMatchObject({ outcome: "POLLED", server: label(backup), skipped: 1 });
        expect(again.fetched.map((file) => file.name)).toEqual([`Master-unread-${behaviour}-2.csv`]);
        expect(await db().cdrSourceOutage.findMany({ where: { sourceId: source.id } })).toEqual([expect.objectContaining({ endedAt: null, failedChecks: 2 })]);
        expect(await mailsTo(recipient)).toEqual([down.subject]);
        await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
      } finally {
        await primary.stop();
        await backup.stop();
      }
    });
  }

  it("counts every server down when each lists the folder and none can serve a file: one loud mail, no false recovery", async () => {
    const tenantId = world.tenant.id;
    const firstRoot = path.join(scratch, "sftp-unread-both-1");
    const secondRoot = path.join(scratch, "sftp-unread-both-2");
    let first = await startSftpServer({ root: firstRoot, username: USER, password: PASSWORD, fail: ["READ"] });
    const second = await startSftpServer({ root: secondRoot, username: USER, password: PASSWORD, neverAnswer: ["READ"] });
    const recipient = "unread-both@carrier.test";
    try {
      await dropFile("Master-unread-both.csv", "unread-both\n", [firstRoot, secondRoot]);
      const source = await createCdrSource({
        tenantId,
        actor,
        fields: fieldsFor({ name: "Unreadable mirrors", alertEmails: [recipient], servers: [serverAt(first.port), serverAt(second.port)] }),
      });
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
      for (let poll = 1; poll <= 2; poll++) {
        const polled = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT, stallTimeoutMs: STALL_MS });
        expect(polled).toMatchObject({ outcome: "ALL_SERVERS_DOWN", fetched: [], server: null });
        expect(polled.attempts.map((attempt) => [attempt.ok, attempt.kind])).toEqual([
          [false, "READ"],
          [false, "STALL"],
        ]);
        const open = await db().cdrSourceOutage.findMany({ where: { sourceId: source.id, endedAt: null } });
        expect(open.map((outage) => [outage.serverId === null, outage.failedChecks])).toEqual(expect.arrayContaining([[true, poll], [false, poll], [false, poll]]));
        expect(open).toHaveLength(3);
        expect((await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } })).lastPollError).toMatch(/All 2 servers are down: .*I\/O error.*stopped answering/);
        expect((await db().cdrSourceServer.findMany({ where: { sourceId: source.id } })).map((server) => server.status)).toEqual(["DOWN", "DOWN"]);
      }
      const loud = await smtp.waitFor((mail) => mail.to.includes(recipient) && /ALL servers down/.test(mail.subject));
      expect(loud.text).toMatch(/I\/O error/);
      expect(loud.text).toMatch(/stopped answering/);
      expect(await mailsTo(recipient)).toEqual([loud.subject]);

      // The first server serves again: the source has recovered, once.
      await first.stop();
      first = await startSftpServer({ root: firstRoot, username: USER, password: PASSWORD, port: first.port });
      const back = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT, stallTimeoutMs: STALL_MS });
      expect(back).toMatchObject({ outcome: "POLLED", server: label(first) });
      expect(back.fetched.map((file) => file.name)).toEqual(["Master-unread-both.csv"]);
      expect(await mailsTo(recipient)).toEqual([loud.subject, expect.stringMatching(/^\[Trunkline\] Recovered: CDR source Unreadable mirrors/)]);
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});

describe("the database failing around a connect", () => {
  /** Makes keeping the first host key of `serverId` fail, as a database hiccup would. */
  async function failHostKeyWrites(serverId: string): Promise<() => Promise<void>> {
    const name = `fail_host_key_${serverId.replaceAll("-", "_")}`;
    await pool().query(
      `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'database hiccup'; END $$;
       CREATE TRIGGER ${name} BEFORE UPDATE OF host_key ON cdr_source_servers FOR EACH ROW
         WHEN (NEW.id = '${serverId}' AND NEW.host_key IS NOT NULL) EXECUTE FUNCTION ${name}();`,
    );
    return async () => {
      await pool().query(`DROP TRIGGER ${name} ON cdr_source_servers; DROP FUNCTION ${name}();`);
    };
  }

  it("closes the session it cannot record, and a probe's failure neither hides the poll's work nor skips its checks", async () => {
    const tenantId = world.tenant.id;
    const primaryRoot = path.join(scratch, "sftp-db-primary");
    const backupRoot = path.join(scratch, "sftp-db-backup");
    const primary = await startSftpServer({ root: primaryRoot, username: USER, password: PASSWORD });
    const backup = await startSftpServer({ root: backupRoot, username: USER, password: PASSWORD });
    try {
      await dropFile("Master-db.csv", "db-1\n", [primaryRoot, backupRoot]);
      const source = await createCdrSource({ tenantId, actor, fields: fieldsFor({ name: "Hiccup carrier", servers: [serverAt(primary.port), serverAt(backup.port)] }) });
      const [primaryRow, backupRow] = source.servers;

      // The backup's probe cannot record its host key: the poll still fetches, records the
      // primary as checked and reports the probe's failure; the probe's connection is closed.
      const restoreBackup = await failHostKeyWrites(backupRow!.id);
      try {
        const polled = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
        expect(polled).toMatchObject({ outcome: "POLLED", server: `127.0.0.1:${primary.port}` });
        expect(polled.fetched.map((file) => file.name)).toEqual(["Master-db.csv"]);
        expect(polled.errors).toEqual([expect.stringMatching(new RegExp(`^Checking 127\\.0\\.0\\.1:${backup.port} failed: .*database hiccup`, "s"))]);
        expect(await db().cdrSourceServer.findUniqueOrThrow({ where: { id: primaryRow!.id } })).toMatchObject({ status: "UP", lastCheckedAt: expect.any(Date) });
        await until(async () => backup.openConnections() === 0, 3000);
      } finally {
        await restoreBackup();
      }

      // The server used for fetching cannot record its host key: the poll fails with that
      // error, and the connection it opened is closed all the same.
      await db().cdrSourceServer.update({ where: { id: primaryRow!.id }, data: { hostKey: null } });
      const restorePrimary = await failHostKeyWrites(primaryRow!.id);
      try {
        await expect(pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT })).rejects.toThrow(/database hiccup/);
        await until(async () => primary.openConnections() === 0, 3000);
      } finally {
        await restorePrimary();
      }
    } finally {
      await primary.stop();
      await backup.stop();
    }
  });
});

describe("a file received short", () => {
  /** A source on its own server whose `onFileRequest` the test sets. */
  async function sourceOnHookedServer(name: string) {
    const root = path.join(scratch, `sftp-short-${name}`);
    let hook: TSftpServerOptions["onFileRequest"];
    const server = await startSftpServer({ root, username: USER, password: PASSWORD, onFileRequest: (request, remotePath) => hook?.(request, remotePath) });
    const source = await createCdrSource({ tenantId: world.tenant.id, actor, fields: fieldsFor({ name: `Short ${name}`, servers: [serverAt(server.port)] }) });
    return { root, server, sourceId: source.id, setHook: (next: TSftpServerOptions["onFileRequest"]) => (hook = next) };
  }

  it("drops a copy whose size is not the listed size (written to after the listing) and fetches the file whole at a later poll", async () => {
    const { root, server, sourceId, setHook } = await sourceOnHookedServer("grown");
    try {
      // Listed an hour old (the carrier's clock lags), so no second listing: the file grows
      // between the listing and the download.
      await dropFile("Master-grown.csv", "grown-1\n", [root], 3600);
      const file = path.join(root, "Master-grown.csv");
      setHook(async (request) => {
        if (request !== "OPEN") return;
        setHook(undefined);
        await appendFile(file, "grown-2\n");
      });
      const first = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
      expect(first).toMatchObject({ outcome: "POLLED", fetched: [], waiting: 1, errors: [] });
      expect(await db().cdrFile.count({ where: { sourceId } })).toBe(0);

      const second = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
      expect(second.fetched.map((fetched) => [fetched.name, fetched.size])).toEqual([["Master-grown.csv", "grown-1\ngrown-2\n".length]]);
      const stored = await db().cdrFile.findFirstOrThrow({ where: { sourceId } });
      expect(Number(stored.size)).toBe("grown-1\ngrown-2\n".length);
    } finally {
      await server.stop();
    }
  });

  it("drops a copy when a look after the download finds another modification time, and records the identity that was downloaded", async () => {
    const { root, server, sourceId, setHook } = await sourceOnHookedServer("touched");
    try {
      await dropFile("Master-touched.csv", "touched-1\n", [root], 3600);
      const file = path.join(root, "Master-touched.csv");
      const rewrittenAt = new Date(Math.floor(Date.now() / 1000 - 1800) * 1000);
      // Rewritten in place, at the same size, once every byte was read.
      setHook(async (request) => {
        if (request !== "CLOSE") return;
        setHook(undefined);
        await writeFile(file, "touched-2\n");
        await utimes(file, rewrittenAt, rewrittenAt);
      });
      const first = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
      expect(first).toMatchObject({ fetched: [], waiting: 1, errors: [] });
      expect(await db().cdrFile.count({ where: { sourceId } })).toBe(0);

      const second = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: TIMEOUT });
      expect(second.fetched).toHaveLength(1);
      const stored = await db().cdrFile.findFirstOrThrow({ where: { sourceId } });
      expect(stored.remoteModifiedAt).toEqual(rewrittenAt);
      expect(await readFile(stored.spoolPath!, "utf8")).toBe("touched-2\n");
    } finally {
      await server.stop();
    }
  });
});

describe("alerts owed from earlier polls", () => {
  it("are mailed in the order the events happened: a recovery still owed goes before a newer ALL down", async () => {
    const tenantId = world.tenant.id;
    const root = path.join(scratch, "sftp-owed-order");
    const server = await startSftpServer({ root, username: USER, password: PASSWORD });
    const recipient = "owed-order@carrier.test";
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor({ name: "Flapping carrier", alertEmails: [recipient], servers: [serverAt(server.port)] }) });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    const poll = () => pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    try {
      await server.stop();
      expect(await poll()).toMatchObject({ outcome: "ALL_SERVERS_DOWN", alertsSent: 1 });
      // Back, but the relay fails the "recovered" mail: it stays owed.
      await server.restart();
      smtp.beforeAccept(async (mail) => {
        if (mail.to.includes(recipient) && /Recovered/.test(mail.subject)) throw new Error("relay hiccup");
      });
      expect(await poll()).toMatchObject({ outcome: "POLLED", alertsSent: 0 });
      smtp.beforeAccept(null);
      // Down again before the next poll: that poll owes the old recovery and the new ALL down.
      await server.stop();
      expect(await poll()).toMatchObject({ outcome: "ALL_SERVERS_DOWN", alertsSent: 2 });
      const subjects = (await mailsMatching(/./)).filter((mail) => mail.to.includes(recipient)).map((mail) => mail.subject);
      expect(subjects).toEqual([expect.stringMatching(/ALL servers down/), expect.stringMatching(/Recovered: CDR source/), expect.stringMatching(/ALL servers down/)]);
    } finally {
      smtp.beforeAccept(null);
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
      await server.stop();
    }
  });
});

describe("a server that lets the poll in but cannot list the folder", () => {
  it("rolls over when the first server lets the poll in but cannot list the folder, and counts it down until it can", async () => {
    const tenantId = world.tenant.id;
    const folder = "drop-list";
    const recipient = "list-noc@carrier.test";
    await mkdir(path.join(rootB, folder), { recursive: true });
    await dropFile(path.join(folder, "Master-list.csv"), "list-1\n", [rootB]);
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor({ name: "Folderless carrier", remoteDir: folder, alertEmails: [recipient] }) });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    try {
      const polled = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(polled).toMatchObject({ outcome: "POLLED", server: `127.0.0.1:${serverB.port}` });
      expect(polled.attempts[0]).toMatchObject({ ok: false, kind: "LIST", error: expect.stringMatching(new RegExp(`^Cannot list ${folder} on 127\\.0\\.0\\.1:${serverA.port}: .*no such file`, "i")) });
      expect(polled.fetched).toEqual([expect.objectContaining({ name: "Master-list.csv", status: "RECEIVED" })]);
      const servers = await db().cdrSourceServer.findMany({ where: { sourceId: source.id }, orderBy: { position: "asc" } });
      expect(servers.map((server) => server.status)).toEqual(["DOWN", "UP"]);
      expect(servers[0]?.lastError).toMatch(/^Cannot list drop-list/);
      expect(await db().cdrSourceOutage.findMany({ where: { sourceId: source.id } })).toEqual([expect.objectContaining({ serverId: servers[0]!.id, endedAt: null })]);
      const down = await smtp.waitFor((mail) => mail.to.includes(recipient) && /CDR server down/.test(mail.subject));
      expect(down.text).toMatch(/Error: Cannot list drop-list/);
      expect(down.text).toContain(`Files now fetched from: 127.0.0.1:${serverB.port}`);

      // The carrier creates the folder: the first server serves again, and its outage ends with one mail.
      await mkdir(path.join(rootA, folder), { recursive: true });
      const back = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(back).toMatchObject({ outcome: "POLLED", server: `127.0.0.1:${serverA.port}` });
      expect(await db().cdrSourceOutage.findFirstOrThrow({ where: { sourceId: source.id } })).toMatchObject({ endedAt: expect.any(Date), recoveryAlertedAt: expect.any(Date) });
      await smtp.waitFor((mail) => mail.to.includes(recipient) && /CDR server recovered/.test(mail.subject));
    } finally {
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
    }
  });
});

describe("a backup server probed while another serves", () => {
  it("is probed by listing the folder as well: a backup without it is down though it lets the poll in, until the folder exists", async () => {
    const tenantId = world.tenant.id;
    const folder = "drop-probe";
    await mkdir(path.join(rootA, folder), { recursive: true });
    const source = await createCdrSource({
      tenantId,
      actor,
      fields: fieldsFor({
        name: "Half-mirrored carrier",
        remoteDir: folder,
        alertEmails: ["probe-noc@carrier.test"],
        servers: [
          serverAt(serverA.port),
          serverAt(serverB.port),
        ],
      }),
    });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    try {
      const polled = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(polled).toMatchObject({ outcome: "POLLED", server: `127.0.0.1:${serverA.port}` });
      expect(polled.attempts[1]).toMatchObject({ ok: false, kind: "LIST", error: expect.stringMatching(/^Cannot list drop-probe/) });
      const backup = await db().cdrSourceServer.findFirstOrThrow({ where: { sourceId: source.id, position: 1 } });
      expect(backup).toMatchObject({ status: "DOWN", lastError: expect.stringMatching(/^Cannot list drop-probe/) });
      expect(await db().cdrSourceOutage.count({ where: { sourceId: source.id, serverId: backup.id, endedAt: null } })).toBe(1);

      await mkdir(path.join(rootB, folder), { recursive: true });
      await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(await db().cdrSourceServer.findFirstOrThrow({ where: { id: backup.id } })).toMatchObject({ status: "UP", lastError: null });
      expect(await db().cdrSourceOutage.count({ where: { sourceId: source.id, endedAt: null } })).toBe(0);
    } finally {
      await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
    }
  });
});

describe("files the carrier may still be writing", () => {
  it("judges them by two listings, not by the carrier's clock: a lagging clock's growing file waits, a fast clock's finished file is fetched", async () => {
    const tenantId = world.tenant.id;
    const folder = "settle";
    await mkdir(path.join(rootA, folder), { recursive: true });
    const source = await createCdrSource({
      tenantId,
      actor,
      fields: fieldsFor({ name: "Skewed carrier", remoteDir: folder, servers: [serverAt(serverA.port)] }),
    });
    const growing = path.join(rootA, folder, "Master-growing.csv");
    const fiveMinutesAgo = () => new Date(Math.floor(Date.now() / 1000 - 300) * 1000);
    // Written by a server whose clock runs five minutes behind ours: it looks five minutes old.
    await writeFile(growing, "growing-1\n");
    await utimes(growing, fiveMinutesAgo(), fiveMinutesAgo());
    // Finished, by a server whose clock runs an hour ahead: it looks modified in the future.
    await dropFile(path.join(folder, "Master-ahead.csv"), "ahead-1\n", [rootA], -3600);
    const polling = pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT, settleSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await appendFile(growing, "growing-2\n");
    await utimes(growing, fiveMinutesAgo(), fiveMinutesAgo());
    const first = await polling;
    expect(first).toMatchObject({ outcome: "POLLED", waiting: 1 });
    expect(first.fetched.map((file) => file.name)).toEqual(["Master-ahead.csv"]);

    // Written out: the next poll fetches it, whole.
    const second = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT, settleSeconds: 1 });
    expect(second).toMatchObject({ waiting: 0, skipped: 1 });
    expect(second.fetched.map((file) => [file.name, file.size])).toEqual([["Master-growing.csv", "growing-1\ngrowing-2\n".length]]);
    // Nothing recent and new left: no second listing, no wait.
    const started = Date.now();
    expect(await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT, settleSeconds: 30 })).toMatchObject({ fetched: [], skipped: 2, waiting: 0 });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("does not delete a received file that the carrier replaced while the poll waited to list again", async () => {
    const tenantId = world.tenant.id;
    const folder = "settle-replaced";
    await mkdir(path.join(rootA, folder), { recursive: true });
    const source = await createCdrSource({
      tenantId,
      actor,
      fields: fieldsFor({ name: "Replacing carrier", remoteDir: folder, servers: [serverAt(serverA.port)] }),
    });
    const received = path.join(rootA, folder, "Master-received.csv");
    await dropFile(path.join(folder, "Master-received.csv"), "received-1\n", [rootA], 3600);
    expect((await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT, settleSeconds: 1 })).fetched).toHaveLength(1);
    // From now on the source deletes what it has recorded; the received file is still there.
    await db().cdrSource.update({ where: { id: source.id }, data: { afterDownload: "DELETE" } });

    // A new file makes the poll list twice; meanwhile the carrier replaces the received one.
    await dropFile(path.join(folder, "Master-new.csv"), "new-1\n", [rootA], 0);
    const polling = pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT, settleSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await writeFile(received, "received-1\nreceived-2\n");
    const second = await polling;
    expect(second).toMatchObject({ waiting: 1, skipped: 0 });
    expect(second.fetched.map((file) => [file.name, file.afterDownload])).toEqual([["Master-new.csv", "deleted"]]);
    expect(await readFile(received, "utf8")).toBe("received-1\nreceived-2\n");

    // The next poll records the new content under the known name (held for review) before deleting it.
    const third = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT, settleSeconds: 1 });
    expect(third.fetched.map((file) => [file.name, file.status, file.afterDownload])).toEqual([["Master-received.csv", "HELD", "deleted"]]);
  });
});

describe("availability", () => {
  it("clips outages to the period and gives exact downtime and availability per server", async () => {
    const tenantId = world.tenant.id;
    const created = new Date("2026-01-01T00:00:00Z");
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor({ name: "SLA carrier" }) });
    await db().cdrSource.update({ where: { id: source.id }, data: { createdAt: created } });
    await db().cdrSourceServer.updateMany({ where: { sourceId: source.id }, data: { createdAt: created } });
    // Monitored (polling on) since its creation.
    await db().cdrSourceMonitoring.create({ data: { tenantId, sourceId: source.id, startedAt: created } });
    const [primary, backup] = source.servers;
    const at = (iso: string) => new Date(`2026-03-${iso}Z`);
    await db().cdrSourceOutage.createMany({
      data: [
        // Starts before the period: only the part inside counts (1 h of 3 h).
        { tenantId, sourceId: source.id, serverId: primary!.id, startedAt: at("09T22:00:00"), endedAt: at("10T01:00:00"), error: "refused" },
        // Inside: 30 min.
        { tenantId, sourceId: source.id, serverId: primary!.id, startedAt: at("10T12:00:00"), endedAt: at("10T12:30:00"), error: "timeout" },
        // Outside the period: ignored.
        { tenantId, sourceId: source.id, serverId: primary!.id, startedAt: at("08T00:00:00"), endedAt: at("08T01:00:00"), error: "old" },
        // Every server down, still ongoing at `now`: counts up to now (2 h).
        { tenantId, sourceId: source.id, serverId: null, startedAt: at("10T20:00:00"), endedAt: null, error: "all down" },
        { tenantId, sourceId: source.id, serverId: backup!.id, startedAt: at("10T20:00:00"), endedAt: null, error: "refused" },
      ],
    });
    const result = await sourceAvailability({ tenantId, sourceId: source.id, from: at("10T00:00:00"), to: at("11T00:00:00"), now: at("10T22:00:00") });
    expect(result.outages.map((outage) => [outage.server, outage.inPeriodMs / 60_000, outage.ongoing])).toEqual([
      [`127.0.0.1:${serverA.port}`, 60, false],
      [`127.0.0.1:${serverA.port}`, 30, false],
      ["All servers", 120, true],
      [`127.0.0.1:${serverB.port}`, 120, true],
    ]);
    expect(result.outages[0]?.durationMs).toBe(3 * 3_600_000);
    const totals = Object.fromEntries(result.totals.map((total) => [total.serverKey, total]));
    // The period after `now` has not happened: 22 h measured.
    expect(totals[primary!.id]).toMatchObject({ measuredMs: 22 * 3_600_000, downtimeMs: 90 * 60_000, outageCount: 2, availabilityPercent: 93.182 });
    expect(totals[backup!.id]).toMatchObject({ downtimeMs: 120 * 60_000, availabilityPercent: 90.909 });
    expect(totals.all).toMatchObject({ downtimeMs: 120 * 60_000, outageCount: 1 });

    const support = await callerAs(world.support.user.id);
    await expect(support.cdrSources.availability({ sourceId: source.id, from: at("10T00:00:00"), to: at("11T00:00:00") })).resolves.toMatchObject({
      outages: expect.any(Array),
    });
    await expect(support.cdrSources.availability({ sourceId: source.id, from: at("11T00:00:00"), to: at("10T00:00:00") })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("measures only the time polling was on: created disabled, turned on, turned off and on again", async () => {
    const tenantId = world.tenant.id;
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor({ name: "Part-time carrier" }) });
    const [primary] = source.servers;
    const at = (iso: string) => new Date(`2026-04-${iso}Z`);
    await db().cdrSource.update({ where: { id: source.id }, data: { createdAt: at("01T00:00:00"), enabled: true } });
    await db().cdrSourceServer.updateMany({ where: { sourceId: source.id }, data: { createdAt: at("01T00:00:00") } });
    // Turned on at 06:00, off at 12:00, on again at 18:00 (the periods setCdrSourceEnabled keeps).
    await db().cdrSourceMonitoring.createMany({
      data: [
        { tenantId, sourceId: source.id, startedAt: at("10T06:00:00"), endedAt: at("10T12:00:00") },
        { tenantId, sourceId: source.id, startedAt: at("10T18:00:00") },
      ],
    });
    await db().cdrSourceOutage.create({ data: { tenantId, sourceId: source.id, serverId: primary!.id, startedAt: at("10T11:00:00"), endedAt: at("10T12:00:00"), error: "refused" } });
    const day = await sourceAvailability({ tenantId, sourceId: source.id, from: at("10T00:00:00"), to: at("11T00:00:00"), now: at("12T00:00:00") });
    // 6 h + 6 h monitored, 1 h down: the 12 h with polling off are neither up nor down.
    expect(day.totals.find((total) => total.serverKey === primary!.id)).toMatchObject({
      measuredMs: 12 * 3_600_000,
      downtimeMs: 3_600_000,
      availabilityPercent: 91.667,
      measuredFrom: at("10T06:00:00"),
      measuredTo: at("11T00:00:00"),
    });
    // The timeline hatches the hours with polling off.
    expect(day.timeline.find((row) => row.serverKey === primary!.id)?.unmonitored).toEqual([
      { from: at("10T00:00:00"), to: at("10T06:00:00") },
      { from: at("10T12:00:00"), to: at("10T18:00:00") },
    ]);
    // A period before it was ever turned on has nothing to measure.
    const before = await sourceAvailability({ tenantId, sourceId: source.id, from: at("05T00:00:00"), to: at("06T00:00:00"), now: at("12T00:00:00") });
    expect(before.totals.every((total) => total.measuredMs === 0 && total.availabilityPercent === null)).toBe(true);

    // The real switch keeps the periods: off closes the open one, on opens the next.
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    const periods = await db().cdrSourceMonitoring.findMany({ where: { sourceId: source.id }, orderBy: { startedAt: "asc" } });
    expect(periods).toHaveLength(3);
    expect(periods[1]!.endedAt).not.toBeNull();
    expect(periods[2]!.endedAt).toBeNull();
    // Two admins switching at once: one period per switch that changed something.
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
    await Promise.all([1, 2].map(() => setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true })));
    expect(await db().cdrSourceMonitoring.count({ where: { sourceId: source.id } })).toBe(4);
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: false });
  });
});

describe("SSH host keys", () => {
  it("keeps the key a server first presents, refuses another before sending the password, and polls it again once an admin accepts the new key", async () => {
    const rootC = path.join(scratch, "sftp-c");
    let serverC = await startSftpServer({ root: rootC, username: USER, password: PASSWORD });
    const admin = await callerAs(world.admin.user.id);
    const source = await admin.cdrSources.create({
      fields: fieldsFor({
        name: "Keyed carrier",
        alertEmails: ["keys@carrier.test"],
        servers: [
          serverAt(serverC.port),
          serverAt(serverB.port),
        ],
      }),
    });
    const [first] = source.servers;
    expect(first!.hostKey).toBeNull();
    const tested = await admin.cdrSources.testConnection({ sourceId: source.id });
    expect(tested.servers[0]!.hostKey).toEqual({ fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/), status: "NEW" });
    const original = tested.servers[0]!.hostKey!.fingerprint;
    // A test changes nothing; the first poll keeps the key.
    expect((await db().cdrSourceServer.findUniqueOrThrow({ where: { id: first!.id } })).hostKey).toBeNull();
    const polled = await pollSource({ tenantId: world.tenant.id, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    expect(polled.server).toBe(`127.0.0.1:${serverC.port}`);
    expect((await db().cdrSourceServer.findUniqueOrThrow({ where: { id: first!.id } })).hostKey).toBe(original);

    // Another machine answers at that address (a new key): refused before any login, and the poll rolls over.
    await serverC.stop();
    serverC = await startSftpServer({ root: rootC, username: USER, password: PASSWORD, port: serverC.port, hostKey: generateSshKeyPair().private });
    try {
      const refused = await pollSource({ tenantId: world.tenant.id, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(refused.server).toBe(`127.0.0.1:${serverB.port}`);
      expect(refused.attempts[0]).toMatchObject({ ok: false, kind: "HOST_KEY", error: expect.stringMatching(/Host key of 127\.0\.0\.1:\d+ changed.*no password was sent/) });
      expect(serverC.authAttempts()).toBe(0);
      const stored = await db().cdrSourceServer.findUniqueOrThrow({ where: { id: first!.id } });
      expect(stored).toMatchObject({ status: "DOWN", hostKey: original, presentedHostKey: expect.stringMatching(/^SHA256:/) });
      expect(stored.presentedHostKey).not.toBe(original);
      const retested = await admin.cdrSources.testConnection({ sourceId: source.id });
      expect(retested.servers[0]).toMatchObject({ ok: false, kind: "HOST_KEY", hostKey: { fingerprint: stored.presentedHostKey, status: "CHANGED" } });

      // Only the very key presented can be accepted; then the server is polled again.
      await expect(admin.cdrSources.acceptHostKey({ sourceId: source.id, serverId: first!.id, fingerprint: original })).rejects.toSatisfy(
        (error: unknown) => error instanceof TRPCError && ((error.cause as AppError).fieldErrors?.fingerprint?.length ?? 0) > 0,
      );
      const accepted = await admin.cdrSources.acceptHostKey({ sourceId: source.id, serverId: first!.id, fingerprint: stored.presentedHostKey! });
      expect(accepted.servers[0]).toMatchObject({ hostKey: stored.presentedHostKey, presentedHostKey: null });
      expect(await db().auditEvent.count({ where: { targetId: source.id, action: "cdr_source.host_key_accepted" } })).toBe(1);
      const again = await pollSource({ tenantId: world.tenant.id, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(again.server).toBe(`127.0.0.1:${serverC.port}`);

      // Moved to another port, the server is another machine: its key is learnt afresh.
      const moved = await admin.cdrSources.update({
        sourceId: source.id,
        fields: fieldsFor({
          name: "Keyed carrier",
          alertEmails: ["keys@carrier.test"],
          servers: [
            { id: first!.id, host: "127.0.0.1", port: serverC.port + 1, username: USER, password: PASSWORD },
            { id: source.servers[1]!.id, host: "127.0.0.1", port: serverB.port, username: USER, password: "" },
          ],
        }),
      });
      expect(moved.servers.map((server) => server.hostKey === null)).toEqual([true, false]);
    } finally {
      await serverC.stop();
    }
  });
});
