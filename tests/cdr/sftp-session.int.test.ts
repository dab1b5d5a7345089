import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SftpConnectError, SftpSession } from "@/server/cdr/sftp";
import { startSftpServer, type TSftpServer } from "../support/sftp-server";

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
