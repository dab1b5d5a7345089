import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { ingestCdrFile, SimulatedCrash, type TIngestResult } from "@/server/cdr/ingest";
import { failFileOfCancelledIngest, retryFailedFile } from "@/server/cdr/files";
import { ACTOR, balances, createBillingTenant, deliver, syntheticAsteriskFile, withJobRunner } from "./ingest-support";
import { expectTrafficTotalsMatchCalls } from "./traffic-support";

/**
 * An attempt the engine abandoned (its run cancelled, its JavaScript still running) meets the
 * file after the cancellation handler failed it and an admin retried it: whatever the stale
 * attempt does, the file's status and counts are the new attempt's.
 */

const runner = withJobRunner();
const LINES = 400;

/** Delivered with its ingest event going nowhere, so the test drives every attempt itself. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const quiet = new EmbeddedRunner({ functions: [] });
  setEmbeddedRunner(quiet);
  try {
    return await work();
  } finally {
    quiet.stop();
    setEmbeddedRunner(runner.current);
  }
}

async function fileRow(fileId: string) {
  return db().cdrFile.findUniqueOrThrow({ where: { id: fileId } });
}

/** A promise and the function that settles it: a point a stalled attempt waits at. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * A point an attempt stops at: its hook calls `hold`, which says it got there and waits;
 * `reached` resolves once it has; `release` lets it go on.
 */
function pausePoint(): { hold: () => Promise<void>; reached: Promise<void>; release: () => void } {
  const reached = gate();
  const released = gate();
  return {
    hold: async () => {
      reached.open();
      await released.opened;
    },
    reached: reached.opened,
    release: released.open,
  };
}

/** The file's counters against its stored calls and rejects, every line accounted for once; the tenant's traffic totals against its calls. */
async function expectCountsOfStoredRows(fileId: string) {
  const file = await fileRow(fileId);
  const byStatus = await pool().query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM cdrs WHERE file_id = $1::uuid GROUP BY status`, [fileId]);
  const stored = Object.fromEntries(byStatus.rows.map((row) => [row.status, row.n]));
  const calls = byStatus.rows.reduce((sum, row) => sum + row.n, 0);
  expect({ rated: file.rated, unanswered: file.unanswered, unbillable: file.unbillable, calls: file.callsStored, rejected: file.rejected }).toEqual({
    rated: stored.RATED ?? 0,
    unanswered: stored.UNANSWERED ?? 0,
    unbillable: stored.UNBILLABLE ?? 0,
    calls,
    rejected: await db().cdrReject.count({ where: { fileId } }),
  });
  expect(file).toMatchObject({ status: "DONE", lines: LINES + 1, linesRead: LINES + 1, rejected: 1, alreadyPresent: 0, error: null });
  await expectTrafficTotalsMatchCalls(file.tenantId);
  return file;
}

/**
 * A file whose first run (event `cdr-file-<id>`) the engine cancelled, failed by the
 * cancellation handler and retried by an admin: its new run's event is returned.
 */
async function cancelAndRetry(world: Awaited<ReturnType<typeof createBillingTenant>>, fileId: string): Promise<string> {
  expect(await failFileOfCancelledIngest({ tenantId: world.tenant.id, fileId, ingestEventId: `cdr-file-${fileId}`, limit: "1h" })).toEqual({ failed: true });
  await quietly(() => retryFailedFile({ tenantId: world.tenant.id, actor: ACTOR, fileId }));
  const retried = await fileRow(fileId);
  expect(retried.status).toBe("RECEIVED");
  return retried.ingestEventId!;
}

async function setUp() {
  const world = await createBillingTenant();
  const file = await quietly(() => deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "stale.csv", content: `${syntheticAsteriskFile(LINES)}not a CDR\n` }));
  return { world, file, firstEvent: `cdr-file-${file.id}` };
}

describe("a stale ingest attempt", () => {
  it("that starts after the file was retried leaves the new attempt's file as it is", async () => {
    const { world, file, firstEvent } = await setUp();
    const retryEvent = await cancelAndRetry(world, file.id);

    let stale: TIngestResult | undefined;
    let during: Awaited<ReturnType<typeof fileRow>> | undefined;
    const current = await ingestCdrFile({
      tenantId: world.tenant.id,
      fileId: file.id,
      ingestEventId: retryEvent,
      batchLines: 50,
      afterBatch: async (batches) => {
        if (batches !== 1) return;
        const owned = await fileRow(file.id);
        // The cancelled run's attempt, stalled until now before it ever read the file.
        stale = await ingestCdrFile({ tenantId: world.tenant.id, fileId: file.id, ingestEventId: firstEvent, batchLines: 50 });
        during = await fileRow(file.id);
        expect([during.status, during.attempts, during.startedAt, during.ingestAttemptId]).toEqual(["PROCESSING", 1, owned.startedAt, owned.ingestAttemptId]);
        expect(during.linesRead).toBeGreaterThanOrEqual(owned.linesRead);
      },
    });
    expect(stale?.status).toBe("SUPERSEDED");
    expect(during).toBeDefined();
    expect(current.status).toBe("DONE");
    expect((await expectCountsOfStoredRows(file.id)).attempts).toBe(1);
  });

  it("that read the file before it was failed and retried does not claim it back", async () => {
    const { world, file, firstEvent } = await setUp();
    const stalled = pausePoint();
    // Read the file, then stalled (on a hung mount, a lock) past its run's cancellation.
    const stale = ingestCdrFile({
      tenantId: world.tenant.id,
      fileId: file.id,
      ingestEventId: firstEvent,
      batchLines: 50,
      beforeClaim: async () => {
        await stalled.hold();
      },
    });
    await stalled.reached;
    const retryEvent = await cancelAndRetry(world, file.id);

    // The same stall for a direct call that names no run: the file moved since it was read.
    const directStalled = pausePoint();
    const direct = ingestCdrFile({
      tenantId: world.tenant.id,
      fileId: file.id,
      batchLines: 50,
      beforeClaim: async () => {
        await directStalled.hold();
      },
    });
    await directStalled.reached;

    const current = await ingestCdrFile({
      tenantId: world.tenant.id,
      fileId: file.id,
      ingestEventId: retryEvent,
      batchLines: 50,
      afterBatch: async (batches) => {
        if (batches !== 1) return;
        const owned = await fileRow(file.id);
        stalled.release();
        directStalled.release();
        expect((await stale).status).toBe("SUPERSEDED");
        expect((await direct).status).toBe("SUPERSEDED");
        const after = await fileRow(file.id);
        expect([after.status, after.attempts, after.startedAt, after.ingestAttemptId]).toEqual(["PROCESSING", 1, owned.startedAt, owned.ingestAttemptId]);
      },
    });
    expect(current.status).toBe("DONE");
    expect((await expectCountsOfStoredRows(file.id)).attempts).toBe(1);
  });

  it("that fails does not mark FAILED a file another attempt owns", async () => {
    const { world, file, firstEvent } = await setUp();
    const stalled = pausePoint();
    // One batch for the whole file: it commits, then the attempt stalls, then it crashes.
    const stale = ingestCdrFile({
      tenantId: world.tenant.id,
      fileId: file.id,
      ingestEventId: firstEvent,
      batchLines: LINES + 1,
      crashAfterBatches: 1,
      afterBatch: async () => {
        await stalled.hold();
      },
    });
    stale.catch(() => undefined);
    await stalled.reached;
    const retryEvent = await cancelAndRetry(world, file.id);

    const current = await ingestCdrFile({
      tenantId: world.tenant.id,
      fileId: file.id,
      ingestEventId: retryEvent,
      batchLines: 50,
      afterBatch: async (batches) => {
        if (batches !== 1) return;
        const owned = await fileRow(file.id);
        stalled.release();
        await expect(stale).rejects.toBeInstanceOf(SimulatedCrash);
        const after = await fileRow(file.id);
        expect([after.status, after.error, after.finishedAt]).toEqual(["PROCESSING", null, owned.finishedAt]);
      },
    });
    expect(current.status).toBe("DONE");
    // The stale attempt stored the whole file before the retry: the new one found every call
    // present, and the file's counts are the stale attempt's batch, counted once.
    const done = await expectCountsOfStoredRows(file.id);
    expect(done.attempts).toBe(2);
    expect(done.callsStored).toBe(LINES);
  });

  it("that reaches its end does not mark DONE, nor count, a file another attempt is ingesting", async () => {
    const { world, file, firstEvent } = await setUp();
    const stalled = pausePoint();
    const stale = ingestCdrFile({
      tenantId: world.tenant.id,
      fileId: file.id,
      ingestEventId: firstEvent,
      batchLines: 100,
      afterBatch: async (batches) => {
        if (batches !== 1) return;
        await stalled.hold();
      },
    });
    await stalled.reached;
    const retryEvent = await cancelAndRetry(world, file.id);

    const current = await ingestCdrFile({
      tenantId: world.tenant.id,
      fileId: file.id,
      ingestEventId: retryEvent,
      batchLines: 50,
      afterBatch: async (batches) => {
        if (batches !== 1) return;
        const owned = await fileRow(file.id);
        stalled.release();
        expect((await stale).status).toBe("SUPERSEDED");
        const after = await fileRow(file.id);
        expect([after.status, after.attempts, after.ingestAttemptId, after.finishedAt]).toEqual(["PROCESSING", owned.attempts, owned.ingestAttemptId, owned.finishedAt]);
      },
    });
    expect(current.status).toBe("DONE");
    await expectCountsOfStoredRows(file.id);
    const billed = await balances(world.tenant.id);
    await runner.drain();
    expect(await balances(world.tenant.id)).toEqual(billed);
  });
});
