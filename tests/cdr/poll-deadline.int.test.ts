import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { durationToMs } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { CDR_POLL_DEADLINE, RUN_TIMEOUTS } from "@/server/jobs/timeouts";
import { createCdrSource, setCdrSourceEnabled, type TCdrSourceFields } from "@/server/cdr/sources";
import { pollSource, type TPollSummary } from "@/server/cdr/polling";
import { createWorld, TEST_ACTOR } from "../support/factories";
import { startSmtpServer } from "../support/smtp";
import { startSftpServer, startSilentServer, unusedPort, type TSftpServer, type TUnansweredRequest } from "../support/sftp-server";

/**
 * A poll stops itself at its deadline (the job function sets it before the run's finish
 * timeout): a cancelled run's work would go on, renewing its source's lease for good. Against
 * real SFTP servers on loopback that hang: the stall watch is left at a minute, so only the
 * deadline can end these polls in time.
 */

const actor = TEST_ACTOR;
const USER = "cdr";
const PASSWORD = "deadline-sftp-pass";
/** Far beyond the test's deadline: what ends the poll here is the deadline, not a timeout. */
const STALL_MS = 60_000;
const CONNECT_MS = 30_000;
const DEADLINE_MS = 1000;

let scratch: string;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let world: Awaited<ReturnType<typeof createWorld>>;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "trunkline-poll-deadline-"));
  process.env.DATA_DIR = path.join(scratch, "data");
  smtp = await startSmtpServer();
  process.env.SMTP_URL = smtp.url;
  world = await createWorld();
});

afterAll(async () => {
  for (const stop of stops) await stop();
  await smtp.close();
  await rm(scratch, { recursive: true, force: true });
});

function fieldsFor(name: string, servers: TCdrSourceFields["servers"]): TCdrSourceFields {
  return { name, format: "asterisk", timeZone: "America/Toronto", filePattern: "*.csv", alertEmails: [`${name.toLowerCase().replace(/\W+/g, "-")}@carrier.test`], servers };
}

const serverAt = (port: number) => ({ host: "127.0.0.1", port, username: USER, password: PASSWORD });

/** A test SFTP server over its own folder holding one finished CDR file. */
async function hungServer(name: string, neverAnswer: TUnansweredRequest[]): Promise<{ server: TSftpServer; root: string }> {
  const root = path.join(scratch, name);
  const server = await startSftpServer({ root, username: USER, password: PASSWORD, neverAnswer });
  stops.push(() => server.stop());
  const file = path.join(root, `${name}.csv`);
  await writeFile(file, "call-1\n");
  const hourAgo = new Date(Date.now() - 3_600_000);
  await utimes(file, hourAgo, hourAgo);
  return { server, root };
}

async function enabledSource(name: string, servers: TCdrSourceFields["servers"]): Promise<string> {
  const source = await createCdrSource({ tenantId: world.tenant.id, actor, fields: fieldsFor(name, servers) });
  await setCdrSourceEnabled({ tenantId: world.tenant.id, actor, sourceId: source.id, enabled: true });
  return source.id;
}

/** A poll with the test's short deadline; with any unhandled rejection it caused (a hung read's promise nobody awaits would show here). */
async function pollWithDeadline(sourceId: string): Promise<{ polled: TPollSummary; elapsedMs: number; unhandled: unknown[] }> {
  const unhandled: unknown[] = [];
  const collect = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", collect);
  try {
    const started = Date.now();
    const polled = await pollSource({
      tenantId: world.tenant.id,
      sourceId,
      connectTimeoutMs: CONNECT_MS,
      stallTimeoutMs: STALL_MS,
      deadline: { signal: AbortSignal.timeout(DEADLINE_MS), limit: "1s" },
    });
    const elapsedMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { polled, elapsedMs, unhandled };
  } finally {
    process.off("unhandledRejection", collect);
  }
}

const spoolParts = async () => (await readdir(path.join(process.env.DATA_DIR!, "spool", "cdr", "incoming")).catch(() => [])).filter((name) => name.endsWith(".part"));

/** What a poll stopped at its deadline leaves on the source: free, the error said, nothing counted against the server. */
async function expectStoppedCleanly(sourceId: string, server: TSftpServer): Promise<void> {
  const source = await db().cdrSource.findUniqueOrThrow({ where: { id: sourceId }, include: { servers: true } });
  expect(source.pollLeaseUntil).toBeNull();
  expect(source.lastPollError).toMatch(new RegExp(`^The poll did not finish within 1s and was stopped while using 127\\.0\\.0\\.1:${server.port}`));
  expect(source.servers[0]).toMatchObject({ status: "UNKNOWN", lastError: null });
  expect(await db().cdrSourceOutage.count({ where: { sourceId } })).toBe(0);
  expect(await db().cdrFile.count({ where: { sourceId } })).toBe(0);
}

describe("a poll that outlives its deadline", () => {
  it("is stopped in a download the server never answers: the source free, the error on it, no outage; the next poll fetches the file", async () => {
    const { server } = await hungServer("hung-read", ["READ"]);
    const sourceId = await enabledSource("Deadline read carrier", [serverAt(server.port)]);
    const partsBefore = await spoolParts();

    const { polled, elapsedMs, unhandled } = await pollWithDeadline(sourceId);
    expect(elapsedMs).toBeLessThan(DEADLINE_MS + 4000);
    expect(unhandled).toEqual([]);
    expect(polled).toMatchObject({ outcome: "TIMED_OUT", fetched: [], attempts: [{ ok: false, kind: "STOPPED" }] });
    expect(polled.errors[0]).toMatch(/^The poll did not finish within 1s and was stopped/);
    await expectStoppedCleanly(sourceId, server);
    // The copy cut short is dropped, as any failed download.
    expect(await spoolParts()).toEqual(partsBefore);
    // The session was ended, not left to the keepalives.
    await expect.poll(() => server.openConnections(), { timeout: 3000 }).toBe(0);

    server.setNeverAnswer([]);
    const again = await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: CONNECT_MS });
    expect(again).toMatchObject({ outcome: "POLLED", fetched: [{ name: "hung-read.csv", status: "RECEIVED" }] });
    const source = await db().cdrSource.findUniqueOrThrow({ where: { id: sourceId }, include: { servers: true } });
    expect(source).toMatchObject({ pollLeaseUntil: null, lastPollError: null });
    expect(source.servers[0]).toMatchObject({ status: "UP" });
  });

  it("is stopped in a listing the server never answers, and a following poll runs", async () => {
    const { server } = await hungServer("hung-readdir", ["READDIR"]);
    const sourceId = await enabledSource("Deadline listing carrier", [serverAt(server.port)]);

    const { polled, elapsedMs, unhandled } = await pollWithDeadline(sourceId);
    expect(elapsedMs).toBeLessThan(DEADLINE_MS + 4000);
    expect(unhandled).toEqual([]);
    expect(polled).toMatchObject({ outcome: "TIMED_OUT", attempts: [{ ok: false, kind: "STOPPED" }] });
    await expectStoppedCleanly(sourceId, server);

    // Not BUSY: the lease was released, not left renewing.
    const again = await pollWithDeadline(sourceId);
    expect(again.polled.outcome).toBe("TIMED_OUT");
    expect(server.connections()).toBe(2);

    server.setNeverAnswer([]);
    expect(await pollSource({ tenantId: world.tenant.id, sourceId, connectTimeoutMs: CONNECT_MS })).toMatchObject({ outcome: "POLLED", fetched: [{ name: "hung-readdir.csv" }] });
  });

  it("is stopped in a connection whose SSH handshake never comes, though the connect timeout is longer", async () => {
    const silent = await startSilentServer();
    stops.push(() => silent.stop());
    const sourceId = await enabledSource("Deadline handshake carrier", [serverAt(silent.port)]);
    const { polled, elapsedMs } = await pollWithDeadline(sourceId);
    expect(elapsedMs).toBeLessThan(DEADLINE_MS + 4000);
    expect(polled).toMatchObject({ outcome: "TIMED_OUT", attempts: [{ ok: false, kind: "STOPPED" }] });
    const source = await db().cdrSource.findUniqueOrThrow({ where: { id: sourceId }, include: { servers: true } });
    expect(source).toMatchObject({ pollLeaseUntil: null, lastPollError: expect.stringMatching(/^The poll did not finish within 1s and was stopped/) });
    expect(source.servers[0]).toMatchObject({ status: "UNKNOWN", lastError: null });
    expect(await db().cdrSourceOutage.count({ where: { sourceId } })).toBe(0);
  });

  it("keeps a server that failed before the deadline down, counts none against the one it cut short, and opens no source-wide outage", async () => {
    const deadPort = await unusedPort();
    const { server } = await hungServer("hung-behind-dead", ["READ"]);
    const sourceId = await enabledSource("Deadline failover carrier", [serverAt(deadPort), serverAt(server.port)]);

    const { polled } = await pollWithDeadline(sourceId);
    expect(polled).toMatchObject({
      outcome: "TIMED_OUT",
      server: `127.0.0.1:${server.port}`,
      attempts: [
        { ok: false, kind: "REFUSED" },
        { ok: false, kind: "STOPPED" },
      ],
    });
    const servers = await db().cdrSourceServer.findMany({ where: { sourceId }, orderBy: { position: "asc" } });
    expect(servers.map((stored) => stored.status)).toEqual(["DOWN", "UNKNOWN"]);
    const outages = await db().cdrSourceOutage.findMany({ where: { sourceId } });
    expect(outages).toEqual([expect.objectContaining({ serverId: servers[0]!.id, endedAt: null })]);
    expect((await db().cdrSource.findUniqueOrThrow({ where: { id: sourceId } })).pollLeaseUntil).toBeNull();
    // The dead server's outage is announced, naming the server the poll was fetching from.
    const mail = await smtp.waitFor((received) => received.to.includes("deadline-failover-carrier@carrier.test"));
    expect(mail.text).toContain(`127.0.0.1:${server.port}`);
  });
});

describe("the job's deadline", () => {
  it("comes before the poll function's finish timeout, leaving time to wind down, and names that timeout", () => {
    const finishMs = durationToMs(RUN_TIMEOUTS.cdrPoll.finish);
    expect(CDR_POLL_DEADLINE.afterMs).toBeLessThan(finishMs);
    expect(CDR_POLL_DEADLINE.afterMs).toBeGreaterThanOrEqual(finishMs * 0.8);
    expect(CDR_POLL_DEADLINE.limit).toBe(RUN_TIMEOUTS.cdrPoll.finish);
  });
});
