import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/server/db/client";
import type * as EnvModule from "@/server/env";
import { AppError } from "@/server/errors";
import { createCdrSource, setCdrSourceEnabled, type TCdrSourceFields } from "@/server/cdr/sources";
import { pollSource, testSourceConnection } from "@/server/cdr/polling";
import { SftpSession } from "@/server/cdr/sftp";
import { createWorld, TEST_ACTOR } from "../support/factories";
import { startSftpServer, unusedPort, type TSftpServer } from "../support/sftp-server";

/**
 * The platform refuses to connect to a tenant's SFTP server on a private or reserved network
 * unless its operator allowed that network (CDR_SFTP_ALLOWED_NETWORKS): through the real
 * connection test, save and poll paths, against a real SFTP server on loopback. The setting
 * is switched per test; every other test process allows loopback (tests/support/test-env.ts).
 */

const allowedNetworks = vi.hoisted(() => ({ value: "" }));
vi.mock("@/server/env", async (importOriginal) => {
  const actual = await importOriginal<typeof EnvModule>();
  return { ...actual, env: () => ({ ...actual.env(), CDR_SFTP_ALLOWED_NETWORKS: allowedNetworks.value }) };
});

const actor = TEST_ACTOR;
const TIMEOUT = 2000;
const USER = "cdr";
const PASSWORD = "guard-sftp-pass";

let scratch: string;
let live: TSftpServer;
let deadPort: number;
let world: Awaited<ReturnType<typeof createWorld>>;

function fieldsFor(name: string, servers: TCdrSourceFields["servers"]): TCdrSourceFields {
  return { name, format: "asterisk", timeZone: "America/Toronto", remoteDir: "cdr", filePattern: "*.csv", alertEmails: ["noc@carrier.test"], servers };
}

const server = (host: string, port = live.port) => ({ host, port, username: USER, password: PASSWORD });

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "trunkline-sftp-guard-"));
  process.env.DATA_DIR = path.join(scratch, "data");
  await mkdir(path.join(scratch, "sftp", "cdr"), { recursive: true });
  await writeFile(path.join(scratch, "sftp", "cdr", "Master.csv"), "");
  live = await startSftpServer({ root: path.join(scratch, "sftp"), username: USER, password: PASSWORD });
  deadPort = await unusedPort();
  world = await createWorld();
});

afterAll(async () => {
  await live.stop();
  await rm(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  allowedNetworks.value = "";
});

describe("with no network allowed (the default)", () => {
  it("refuses, in the connection test, a server whose name resolves to loopback, without connecting", async () => {
    // A name passes the save-time check (only typed addresses are checked there); the connection checks it.
    const source = await createCdrSource({ tenantId: world.tenant.id, actor, fields: fieldsFor("Named loopback", [server("localhost"), server("localhost", deadPort)]) });
    const before = live.connections();
    const result = await testSourceConnection({ tenantId: world.tenant.id, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    expect(result.servers.map((tested) => [tested.ok, tested.kind, tested.hostKey])).toEqual([
      [false, "NOT_ALLOWED", null],
      [false, "NOT_ALLOWED", null],
    ]);
    const [listening, silent] = result.servers.map((tested) => tested.error ?? "");
    expect(listening).toBe(
      `localhost:${live.port} resolves to an address on a private or reserved network (loopback, private, link-local, shared or multicast), which this platform does not connect to. ` +
        "If the server really is on such a network, the platform's operator can allow that network with the CDR_SFTP_ALLOWED_NETWORKS setting.",
    );
    // Whether something listens there makes no difference to the answer: nothing was asked.
    expect(silent).toBe(listening?.replace(`:${live.port} `, `:${deadPort} `));
    expect(live.connections()).toBe(before);
  });

  it("refuses a typed private address when saving or testing unsaved settings, on the host field", async () => {
    for (const host of ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "::ffff:127.0.0.1", "[fd00::1]"]) {
      const saving = await createCdrSource({ tenantId: world.tenant.id, actor, fields: fieldsFor(`Typed ${host}`, [server("sftp.carrier.example"), server(host)]) }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(saving, host).toBeInstanceOf(AppError);
      expect((saving as AppError).fieldErrors, host).toEqual({ "servers.1.host": [expect.stringMatching(/is an address on a private or reserved network.*CDR_SFTP_ALLOWED_NETWORKS/)] });
    }
    const testing = testSourceConnection({ tenantId: world.tenant.id, fields: fieldsFor("Unsaved", [server("127.0.0.1")]), connectTimeoutMs: TIMEOUT });
    await expect(testing).rejects.toMatchObject({ code: "INVALID_INPUT", fieldErrors: { "servers.0.host": [expect.stringContaining("127.0.0.1 is an address")] } });
    expect(await db().cdrSource.count({ where: { tenantId: world.tenant.id, name: { startsWith: "Typed" } } })).toBe(0);
  });

  it("polls a source whose every server is refused as a configuration error: no outage, no mail, the source says why", async () => {
    const tenantId = world.tenant.id;
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor("Polled loopback", [server("localhost")]) });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    for (let poll = 0; poll < 2; poll++) {
      const polled = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(polled).toMatchObject({ outcome: "NO_ALLOWED_SERVER", fetched: [], attempts: [{ ok: false, kind: "NOT_ALLOWED" }] });
    }
    expect(await db().cdrSourceOutage.count({ where: { sourceId: source.id } })).toBe(0);
    expect(await db().outboundEmail.count({ where: { tenantId, subject: { contains: "Polled loopback" } } })).toBe(0);
    const stored = await db().cdrSource.findUniqueOrThrow({ where: { id: source.id }, include: { servers: true } });
    expect(stored.lastPollError).toMatch(/^No server of this source may be polled: localhost:\d+ resolves to an address on a private/);
    expect(stored.servers[0]).toMatchObject({ status: "DOWN", lastError: expect.stringContaining("CDR_SFTP_ALLOWED_NETWORKS"), hostKey: null });
  });
});

describe("with loopback allowed", () => {
  it("connects to a server whose name resolves to loopback, as before", async () => {
    allowedNetworks.value = "127.0.0.0/8";
    const source = await createCdrSource({ tenantId: world.tenant.id, actor, fields: fieldsFor("Allowed loopback", [server("localhost"), server("127.0.0.1")]) });
    const result = await testSourceConnection({ tenantId: world.tenant.id, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    expect(result.servers.map((tested) => [tested.ok, tested.kind, tested.fileCount])).toEqual([
      [true, null, 1],
      [true, null, 1],
    ]);
  });

  it("connects to the address it checked, not to the name", async () => {
    allowedNetworks.value = "127.0.0.1/32";
    // Only this resolver knows the name (.invalid never resolves): ssh2 must have been given the address.
    let lookups = 0;
    const lookup = async () => {
      lookups++;
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const session = await SftpSession.connect(
      { id: null, position: 0, host: "sftp.carrier.invalid", port: live.port, username: USER, password: PASSWORD, privateKey: null, hostKey: null },
      { timeoutMs: TIMEOUT, lookup },
    );
    try {
      expect(session.label).toBe(`sftp.carrier.invalid:${live.port}`);
      expect((await session.list("cdr", "*.csv")).map((file) => file.name)).toEqual(["Master.csv"]);
    } finally {
      await session.close();
    }
    expect(lookups).toBe(1);
  });

  it("polls past a server the narrower setting refuses, recording no outage for it and ending the one it had", async () => {
    const tenantId = world.tenant.id;
    allowedNetworks.value = "127.0.0.0/8";
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor("Narrowed", [server("127.0.0.2", deadPort), server("127.0.0.1")]) });
    await setCdrSourceEnabled({ tenantId, actor, sourceId: source.id, enabled: true });
    const [refusedId, liveId] = source.servers.map((stored) => stored.id);
    // Allowed, and nothing listens there: down for real, an outage opens.
    expect(await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT })).toMatchObject({ outcome: "POLLED", attempts: [{ ok: false, kind: "REFUSED" }, { ok: true }] });
    expect(await db().cdrSourceOutage.count({ where: { serverId: refusedId, endedAt: null } })).toBe(1);

    allowedNetworks.value = "127.0.0.1/32";
    const polled = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    expect(polled).toMatchObject({ outcome: "POLLED", serverId: liveId, attempts: [{ ok: false, kind: "NOT_ALLOWED" }, { ok: true }] });
    const outages = await db().cdrSourceOutage.findMany({ where: { sourceId: source.id } });
    expect(outages).toEqual([expect.objectContaining({ serverId: refusedId, endedAt: expect.any(Date), lastError: expect.stringMatching(/monitoring stopped: the server's address is not allowed\)$/) })]);
    const stored = await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } });
    expect(stored.lastPollError).toMatch(/^127\.0\.0\.2:\d+ is an address on a private or reserved network/);
  });
});
