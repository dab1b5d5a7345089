import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SftpSession } from "@/server/cdr/sftp";
import { startSftpServer, type TSftpServer } from "../support/sftp-server";

/**
 * SftpSession.download against a real SFTP server on loopback (ssh2's Server over a temp
 * folder): the copy and its hash are the remote file's, whatever the file's size against the
 * read size, and however little the server answers per read.
 */

const USER = "cdr";
const PASSWORD = "download-pass";
let scratch: string;
let remoteRoot: string;
let server: TSftpServer;
let stingyServer: TSftpServer;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "trunkline-download-"));
  remoteRoot = path.join(scratch, "remote");
  server = await startSftpServer({ root: remoteRoot, username: USER, password: PASSWORD });
  // Answers every read with at most 10,000 bytes: each of the downloader's 64 KiB requests comes back short.
  stingyServer = await startSftpServer({ root: remoteRoot, username: USER, password: PASSWORD, maxReadBytes: 10_000 });
});

afterAll(async () => {
  await server.stop();
  await stingyServer.stop();
  await rm(scratch, { recursive: true, force: true });
});

const sha256 = (content: Buffer) => createHash("sha256").update(content).digest("hex");

async function download(target: TSftpServer, name: string): Promise<{ result: { size: number; sha256: string }; copy: Buffer }> {
  const session = await SftpSession.connect({ id: null, position: 0, host: "127.0.0.1", port: target.port, username: USER, password: PASSWORD, privateKey: null, hostKey: null });
  try {
    const localPath = path.join(scratch, `${name}.${target.port}.copy`);
    const result = await session.download(`/${name}`, localPath);
    return { result, copy: await readFile(localPath) };
  } finally {
    await session.close();
  }
}

describe("downloading a file", () => {
  const cases: [string, number][] = [
    ["empty", 0],
    ["smaller than one read", 1_000],
    ["exactly two reads", 2 * 64 * 1024],
    ["more reads than are in flight at once (5 MB and a bit)", 5 * 1024 * 1024 + 123],
    // The copy is written in 1 MiB blocks: one full block, and blocks that end on a read.
    ["of exactly one write block", 1024 * 1024],
    ["of exactly three write blocks", 3 * 1024 * 1024],
    ["one byte past a write block", 1024 * 1024 + 1],
  ];
  for (const [label, size] of cases) {
    it(`copies and hashes a file ${label}, also from a server that answers short`, async () => {
      const content = randomBytes(size);
      const name = `${label.replace(/\W+/g, "-")}.csv`;
      await writeFile(path.join(remoteRoot, name), content);
      for (const target of [server, stingyServer]) {
        const { result, copy } = await download(target, name);
        expect(result).toEqual({ size, sha256: sha256(content) });
        expect(copy.equals(content)).toBe(true);
      }
    });
  }

  it("fails on a file that is not there", async () => {
    await expect(download(server, "missing.csv")).rejects.toThrow(/no such file/i);
  });
});
