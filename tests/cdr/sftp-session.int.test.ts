import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SftpConnectError, SftpSession } from "@/server/cdr/sftp";
import type { TLookupAll } from "@/server/lib/network-policy";
import { startSftpServer, unusedPort, type TSftpServer } from "../support/sftp-server";

/**
 * SftpSession against real SFTP servers on loopback (ssh2's Server over a temp folder):
 * a connection that never becomes an SFTP session is let go, and a listing tells regular
 * files by their mode, whatever the server puts in the longname.
 */

const USER = "cdr";
const PASSWORD = "session-pass";
let scratch: string;
let root: string;
const servers: TSftpServer[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "trunkline-session-"));
  root = path.join(scratch, "remote");
});

afterAll(async () => {
  for (const server of servers) await server.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function start(options: Partial<Parameters<typeof startSftpServer>[0]> = {}): Promise<TSftpServer> {
  const server = await startSftpServer({ root, username: USER, password: PASSWORD, ...options });
  servers.push(server);
  return server;
}

const credentials = (server: TSftpServer) => ({ id: null, position: 0, host: "127.0.0.1", port: server.port, username: USER, password: PASSWORD, privateKey: null, hostKey: null });

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("connecting", () => {
  it("closes the connection of a server that logs in and never answers the SFTP subsystem request", async () => {
    const server = await start({ neverAnswer: ["SFTP"] });
    const failure = await SftpSession.connect(credentials(server), { timeoutMs: 2000 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SftpConnectError);
    expect((failure as SftpConnectError).kind).toBe("TIMEOUT");
    // Logged in, so the server holds a connection until the client lets go of it.
    expect(server.authAttempts()).toBeGreaterThan(0);
    await until(() => server.openConnections() === 0, 3000);
  });
});

describe("connecting to a host with several addresses", () => {
  /** A resolver that knows one name (.invalid never resolves for real) and counts its lookups. */
  function resolver(addresses: string[]): TLookupAll & { calls: number } {
    const lookup = async () => {
      lookup.calls++;
      return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    };
    lookup.calls = 0;
    return lookup;
  }

  // The test server listens on 127.0.0.1 only: its port on ::1 and 127.0.0.2 refuses (or, on a
  // platform without IPv6, ::1 cannot be reached at all), as a dual-stack carrier's address
  // that the platform cannot reach.
  const named = (port: number) => ({ id: null, position: 0, host: "sftp.carrier.invalid", port, username: USER, password: PASSWORD, privateKey: null, hostKey: null });

  it("connects through a later address when the first one does not answer, from the one lookup", async () => {
    const server = await start();
    await mkdir(path.join(root, "dual"), { recursive: true });
    await writeFile(path.join(root, "dual", "Dual.csv"), "call-1\n");
    for (const addresses of [["::1", "127.0.0.1"], ["127.0.0.2", "::1", "127.0.0.1"]]) {
      const lookup = resolver(addresses);
      const session = await SftpSession.connect(named(server.port), { timeoutMs: 4000, lookup });
      try {
        expect(session.label).toBe(`sftp.carrier.invalid:${server.port}`);
        expect((await session.list("dual", "*.csv")).map((file) => file.name)).toEqual(["Dual.csv"]);
      } finally {
        await session.close();
      }
      expect(lookup.calls).toBe(1);
    }
  });

  it("reports the failure under the configured name when no address accepts", async () => {
    const port = await unusedPort();
    const failure = await SftpSession.connect(named(port), { timeoutMs: 4000, lookup: resolver(["::1", "127.0.0.2"]) }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SftpConnectError);
    expect(failure).toMatchObject({ kind: "REFUSED" });
    expect((failure as Error).message).toBe(
      `Connection refused by sftp.carrier.invalid:${port}: nothing listens on that port (server down or wrong port); none of its 2 addresses accepted a connection`,
    );
  });

  it("connects to none of the addresses when one of them is not permitted", async () => {
    const server = await start();
    const before = server.connections();
    const failure = await SftpSession.connect(named(server.port), { timeoutMs: 4000, lookup: resolver(["127.0.0.1", "10.0.0.5"]) }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ kind: "NOT_ALLOWED" });
    expect(server.connections()).toBe(before);
  });
});

describe("listing", () => {
  it("tells regular files by their mode, also from a server whose longnames are not ls lines", async () => {
    await mkdir(path.join(root, "drop", "Archive.csv"), { recursive: true });
    await writeFile(path.join(root, "drop", "Master.csv"), "call-1\n");
    for (const server of [await start(), await start({ longnames: "bare" })]) {
      const session = await SftpSession.connect(credentials(server));
      try {
        expect((await session.list("drop", "*.csv")).map((file) => file.name)).toEqual(["Master.csv"]);
      } finally {
        await session.close();
      }
    }
  });
});
