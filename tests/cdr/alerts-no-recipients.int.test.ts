import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { createCdrSource, setCdrSourceEnabled, updateCdrSource } from "@/server/cdr/sources";
import { pollSource } from "@/server/cdr/polling";
import { createTenant, TEST_ACTOR } from "../support/factories";
import { unusedPort } from "../support/sftp-server";

/**
 * Without a mail server, mail is kept in the outbox: an alert "sent" to nobody would be kept
 * there addressed to no one, and its outage marked alerted though no one was told.
 */

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "trunkline-cdr-alerts-no-recipients-"));
  process.env.DATA_DIR = path.join(scratch, "data");
  delete process.env.SMTP_URL;
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("an outage with nobody to alert", () => {
  it("keeps its down alert owed, and sends it once the source has a recipient", async () => {
    // A tenant with no admin, and a source with no alert address.
    const tenant = await createTenant();
    const tenantId = tenant.id;
    const fields = { name: "Unheard carrier", format: "asterisk" as const, timeZone: "UTC", filePattern: "*.csv", alertEmails: [] as string[] };
    const server = { host: "127.0.0.1", port: await unusedPort(), username: "cdr", password: "s3cret-sftp-pass" };
    const source = await createCdrSource({ tenantId, actor: TEST_ACTOR, fields: { ...fields, servers: [server] } });
    await setCdrSourceEnabled({ tenantId, actor: TEST_ACTOR, sourceId: source.id, enabled: true });

    await pollSource({ tenantId, sourceId: source.id, settleSeconds: 0 });
    const outages = await db().cdrSourceOutage.findMany({ where: { tenantId, sourceId: source.id } });
    expect(outages.length).toBeGreaterThan(0);
    expect(outages.every((outage) => outage.endedAt === null && outage.downAlertedAt === null)).toBe(true);
    expect(await db().outboundEmail.count({ where: { tenantId } })).toBe(0);

    await updateCdrSource({
      tenantId,
      actor: TEST_ACTOR,
      sourceId: source.id,
      fields: { ...fields, alertEmails: ["noc@carrier.test"], servers: [{ ...server, id: source.servers[0]!.id, password: "" }] },
    });
    await pollSource({ tenantId, sourceId: source.id, settleSeconds: 0 });
    const mailed = await db().outboundEmail.findMany({ where: { tenantId }, select: { to: true } });
    expect(mailed.length).toBeGreaterThan(0);
    expect(mailed.every((mail) => mail.to === "noc@carrier.test")).toBe(true);
    expect((await db().cdrSourceOutage.findMany({ where: { tenantId, sourceId: source.id, endedAt: null } })).every((outage) => outage.downAlertedAt !== null)).toBe(true);
  });
});
