import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { env, inngestServerConfigured } from "@/server/env";
import { recoverStalledIngests } from "@/server/cdr/files";
import { rerateStatus } from "@/server/cdr/unbillable";
import { createTenant } from "../support/factories";

/**
 * The sweeps and progress that depend on how the engine schedules and times runs, as under an
 * Inngest server (production): set before this file's first read of the environment. Nothing
 * here sends an event; rows are written as the functions would have left them.
 */
process.env.INNGEST_BASE_URL = "http://127.0.0.1:9";

const HOUR_MS = 3_600_000;

async function tenantWithSource() {
  const tenant = await createTenant();
  const source = await db().cdrSource.create({ data: { tenantId: tenant.id, name: "Switch", format: "asterisk", timeZone: "UTC" } });
  return { tenantId: tenant.id, sourceId: source.id };
}

async function fileOf(owner: { tenantId: string; sourceId: string }, state: { receivedEventAgoMs?: number; processingSinceAgoMs?: number }) {
  return db().cdrFile.create({
    data: {
      tenantId: owner.tenantId,
      sourceId: owner.sourceId,
      fileName: `Master-${randomUUID()}.csv`,
      remotePath: "/cdr/Master.csv",
      size: 100n,
      sha256: randomUUID().replaceAll("-", "").padEnd(64, "0"),
      status: state.processingSinceAgoMs === undefined ? "RECEIVED" : "PROCESSING",
      ...(state.receivedEventAgoMs === undefined ? {} : { ingestEventSentAt: new Date(Date.now() - state.receivedEventAgoMs) }),
      ...(state.processingSinceAgoMs === undefined ? {} : { startedAt: new Date(Date.now() - state.processingSinceAgoMs), ingestAttemptId: randomUUID(), attempts: 1 }),
    },
  });
}

describe("under an Inngest server", () => {
  it("reads the environment as an Inngest server's", () => {
    expect(inngestServerConfigured(env())).toBe(true);
  });

  it("sends a lost file's event again only while no file at all is being ingested: its run may wait behind another tenant's backlog with slots free", async () => {
    const lost = await tenantWithSource();
    const busy = await tenantWithSource();
    const waiting = await fileOf(lost, { receivedEventAgoMs: HOUR_MS + 16 * 60_000 });
    const running = await fileOf(busy, { processingSinceAgoMs: 5 * 60_000 });
    expect(await recoverStalledIngests()).toEqual({ failed: 0, resent: 0 });
    expect((await db().cdrFile.findUniqueOrThrow({ where: { id: waiting.id } })).ingestEventId).toBeNull();

    await db().cdrFile.update({ where: { id: running.id }, data: { status: "DONE" } });
    expect(await recoverStalledIngests()).toEqual({ failed: 0, resent: 1 });
    expect((await db().cdrFile.findUniqueOrThrow({ where: { id: waiting.id } })).ingestEventId).toMatch(new RegExp(`^cdr-file-${waiting.id}-resent-`));
  });

  it("counts a re-rate's time limit from its first attempt's start, as the server limits the whole run", async () => {
    const { tenantId } = await tenantWithSource();
    const request = await db().rerateRequest.create({
      data: { tenantId, status: "RUNNING", attempts: 2, startedAt: new Date(Date.now() - 2 * HOUR_MS - 60_000), attemptStartedAt: new Date(Date.now() - 10 * 60_000) },
    });
    expect(await rerateStatus({ tenantId, input: { requestId: request.id } })).toMatchObject({ status: "FAILED", done: true, error: expect.stringMatching(/^Cancelled: the re-rate did not finish within 2h/) });
  });
});
