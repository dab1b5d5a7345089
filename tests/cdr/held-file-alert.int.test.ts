import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { createCdrSource, setCdrSourceEnabled, type TCdrSourceFields } from "@/server/cdr/sources";
import { pollSource } from "@/server/cdr/polling";
import { uploadCdrFile } from "@/server/cdr/upload";
import { createWorld, TEST_ACTOR } from "../support/factories";
import { startSmtpServer, type TReceivedMail } from "../support/smtp";
import { startSftpServer, type TSftpServer } from "../support/sftp-server";

/**
 * A polled file held for review (a carrier's re-issue under a known name) is mailed about to
 * the source's alert recipients, through a real SMTP server: once, by the poll that brought it,
 * never by later polls; an upload held the same way is not mailed (the uploader sees it), nor
 * is "Poll now" on a disabled source (it mails no one).
 */

const USER = "cdr";
const PASSWORD = "s3cret-sftp-pass";
const TIMEOUT = 2000;

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let sftp: TSftpServer;
let runner: EmbeddedRunner;
let scratch: string;
let root: string;
let world: Awaited<ReturnType<typeof createWorld>>;

/** Writes a file into the drop folder, last modified two minutes ago (complete). */
async function dropFile(name: string, content: string, ageSeconds = 120): Promise<void> {
  const file = path.join(root, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  const when = new Date(Math.floor(Date.now() / 1000 - ageSeconds) * 1000);
  await utimes(file, when, when);
}

/** Held-file mails so far, after letting in-flight deliveries land. */
async function heldMails(): Promise<TReceivedMail[]> {
  await new Promise((resolve) => setTimeout(resolve, 150));
  return smtp.received.filter((mail) => /held for review/.test(mail.subject));
}

/** A source on the test SFTP server, with polling on unless told otherwise. */
async function sourceWith(fields: Partial<TCdrSourceFields> & { name: string }, enabled = true) {
  const source = await createCdrSource({
    tenantId: world.tenant.id,
    actor: TEST_ACTOR,
    fields: {
      format: "asterisk",
      timeZone: "UTC",
      filePattern: "*.csv",
      servers: [{ host: "127.0.0.1", port: sftp.port, username: USER, password: PASSWORD }],
      ...fields,
    },
  });
  if (enabled) await setCdrSourceEnabled({ tenantId: world.tenant.id, actor: TEST_ACTOR, sourceId: source.id, enabled: true });
  return source;
}

async function upload(sourceId: string, fileName: string, content: string) {
  async function* body(): AsyncGenerator<Uint8Array> {
    yield Buffer.from(content);
  }
  return uploadCdrFile({ tenantId: world.tenant.id, actor: TEST_ACTOR, sourceId, fileName, body: body() });
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "trunkline-cdr-held-"));
  process.env.DATA_DIR = path.join(scratch, "data");
  smtp = await startSmtpServer();
  process.env.SMTP_URL = smtp.url;
  // No functions: received files are not ingested here; an accepted file's name is what counts.
  runner = new EmbeddedRunner({ functions: [] });
  setEmbeddedRunner(runner);
  root = path.join(scratch, "sftp");
  sftp = await startSftpServer({ root, username: USER, password: PASSWORD });
  world = await createWorld();
});

afterAll(async () => {
  runner.stop();
  setEmbeddedRunner(undefined);
  await sftp.stop();
  await smtp.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("a polled file held for review", () => {
  it("mails the source's recipients once, from the poll that held it; later polls and a held upload mail nothing", async () => {
    const tenantId = world.tenant.id;
    const source = await sourceWith({ name: "Reissuing carrier", alertEmails: ["noc@carrier.test", "billing@carrier.test"] });

    await dropFile("Master-2026-10-01.csv", "first delivery\n");
    const first = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    expect(first.fetched).toEqual([expect.objectContaining({ name: "Master-2026-10-01.csv", status: "RECEIVED" })]);
    expect(first.heldMailed).toBe(false);
    expect(await heldMails()).toHaveLength(0);

    // The carrier re-sends the file with corrected content.
    await dropFile("Master-2026-10-01.csv", "corrected delivery, other content\n", 60);
    const reissued = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    expect(reissued.fetched).toEqual([expect.objectContaining({ name: "Master-2026-10-01.csv", status: "HELD" })]);
    expect(reissued.heldMailed).toBe(true);
    const mail = await smtp.waitFor((received) => /held for review/.test(received.subject));
    expect(mail.to.sort()).toEqual(["billing@carrier.test", "noc@carrier.test"]);
    expect(mail.subject).toBe("[Trunkline] CDR file held for review: Master-2026-10-01.csv (Reissuing carrier)");
    const heldFile = await db().cdrFile.findUniqueOrThrow({ where: { id: reissued.fetched[0]!.fileId }, select: { note: true } });
    expect(mail.text).toContain(heldFile.note!);
    expect(mail.text).toContain(`/admin/cdr/files/${reissued.fetched[0]!.fileId}`);

    // Later polls find the held file known: no second mail.
    for (let round = 0; round < 2; round++) {
      const again = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
      expect(again).toMatchObject({ fetched: [], skipped: 1, heldMailed: false });
    }
    // An upload held for the same reason is shown to its uploader, not mailed.
    expect((await upload(source.id, "Master-2026-10-01.csv", "a third version\n")).status).toBe("HELD");
    expect(await heldMails()).toHaveLength(1);
  });

  it("names every file one poll held in a single mail, linking to the source's held files", async () => {
    const tenantId = world.tenant.id;
    const source = await sourceWith({ name: "Batch carrier", remoteDir: "batch", alertEmails: ["batch-noc@carrier.test"] });
    const inBatch = (name: string) => path.join("batch", name);
    await dropFile(inBatch("a.csv"), "a\n");
    await dropFile(inBatch("b.csv"), "b\n");
    expect((await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT })).fetched).toHaveLength(2);
    await dropFile(inBatch("a.csv"), "a, corrected\n", 60);
    await dropFile(inBatch("b.csv"), "b, corrected\n", 60);
    const reissued = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    expect(reissued.fetched.map((file) => `${file.name} ${file.status}`).sort()).toEqual(["a.csv HELD", "b.csv HELD"]);
    const mails = (await heldMails()).filter((mail) => mail.to.includes("batch-noc@carrier.test"));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe("[Trunkline] 2 CDR files held for review (Batch carrier)");
    expect(mails[0]!.text).toMatch(/^a\.csv: A file named a\.csv with different content/m);
    expect(mails[0]!.text).toMatch(/^b\.csv: A file named b\.csv with different content/m);
    expect(mails[0]!.text).toContain(`/admin/cdr/files?status=HELD&source=${source.id}`);
  });

  it("is not mailed from \"Poll now\" on a disabled source, which mails no one", async () => {
    const tenantId = world.tenant.id;
    const source = await sourceWith({ name: "Paused carrier", remoteDir: "paused", alertEmails: ["paused-noc@carrier.test"] }, false);
    await dropFile(path.join("paused", "c.csv"), "c\n");
    expect((await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT })).fetched).toHaveLength(1);
    await dropFile(path.join("paused", "c.csv"), "c, corrected\n", 60);
    const reissued = await pollSource({ tenantId, sourceId: source.id, connectTimeoutMs: TIMEOUT });
    expect(reissued).toMatchObject({ fetched: [expect.objectContaining({ status: "HELD" })], heldMailed: false });
    expect((await heldMails()).filter((mail) => mail.to.includes("paused-noc@carrier.test"))).toEqual([]);
  });
});
