import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import type { InngestFunction, TimeStr } from "inngest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { receiveCdrFile, retryFailedFile, spoolTempPath } from "@/server/cdr/files";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { functions } from "@/server/jobs/functions/index";
import { ingestFile } from "@/server/jobs/functions/cdr";
import { findLedgerDrift } from "@/server/wallet/ledger";
import { ACTOR, balances, createBillingTenant, deliver, syntheticAsteriskFile } from "./ingest-support";

/**
 * The app's own ingest function, only its finish timeout shortened (the real one is an hour):
 * the same object with another `opts`, so the same id, handler and client.
 */
function withFinishTimeout(fn: InngestFunction.Any, finish: TimeStr): InngestFunction.Any {
  const copy = Object.create(Object.getPrototypeOf(fn) as object) as InngestFunction.Any;
  return Object.assign(copy, fn, { opts: { ...fn.opts, timeouts: { finish } } });
}

// Long enough for an attempt to reach the file's read (a few queries), short enough for a test.
const INGEST_TIMEOUT: TimeStr = "2s";
const logs: string[] = [];
let runner: EmbeddedRunner;

beforeAll(() => {
  const appFunctions = functions.map((fn) => (fn === ingestFile ? withFinishTimeout(fn, INGEST_TIMEOUT) : fn));
  runner = new EmbeddedRunner({ functions: appFunctions, backoffMs: () => 10, log: (line) => logs.push(line) });
  setEmbeddedRunner(runner);
});
afterEach(async () => {
  await runner.drain(60_000);
  expect(await findLedgerDrift()).toEqual([]);
});
afterAll(() => {
  runner.stop();
  setEmbeddedRunner(undefined);
});

/** What the engine emits when a run of the ingest is cancelled, for the file's ingest event `ingestEventId`. */
function ingestCancelledEvent(options: { id: string; functionId?: string; ingestEventId: string; data: { tenantId: string; sourceId: string; fileId: string } }) {
  return {
    name: "inngest/function.cancelled" as const,
    id: options.id,
    data: {
      function_id: options.functionId ?? "trunkline-cdr-ingest-file",
      run_id: "01JDJK451Y9KFGE5TTM2FHDEDN",
      error: { error: "function cancelled", message: "function cancelled", name: "Error" },
      event: { name: "cdr/file.received", id: options.ingestEventId, data: options.data, ts: Date.now() },
    },
  };
}

async function handlerRuns(cancelledEventId: string) {
  return db().jobRun.findMany({ where: { functionId: "cdr-ingest-cancelled", eventId: cancelledEventId }, select: { status: true, output: true, tenantId: true } });
}

describe("a cancelled CDR ingest", () => {
  it("fails its file when the run hangs past its finish timeout, so an admin can retry it; the abandoned attempt's late finish bills nothing twice", async () => {
    const world = await createBillingTenant();
    const content = syntheticAsteriskFile(40);
    // A spooled file whose read never returns, as on a hung network mount: a FIFO no one writes.
    const hangingSpool = await spoolTempPath();
    execFileSync("mkfifo", [hangingSpool]);
    const received = await receiveCdrFile({
      tenantId: world.tenant.id,
      sourceId: world.asterisk.id,
      fileName: "Master-hung.csv",
      remotePath: "/cdr/Master-hung.csv",
      remoteModifiedAt: null,
      localPath: hangingSpool,
      content: { size: Buffer.byteLength(content), sha256: createHash("sha256").update(content).digest("hex") },
    });
    expect(received.status).toBe("RECEIVED");
    const file = await db().cdrFile.findUniqueOrThrow({ where: { id: received.id } });

    await runner.drain(30_000);

    const ingestRun = await db().jobRun.findFirstOrThrow({ where: { functionId: "cdr-ingest-file", eventId: `cdr-file-${file.id}` } });
    expect([ingestRun.status, ingestRun.attempts, ingestRun.error]).toEqual(["FAILED", 1, `Cancelled: cdr-ingest-file timed out after ${INGEST_TIMEOUT} (timeouts.finish)`]);
    expect(await handlerRuns(`function-cancelled-${ingestRun.id}`)).toEqual([{ status: "COMPLETED", output: { failed: true }, tenantId: world.tenant.id }]);
    const failed = await db().cdrFile.findUniqueOrThrow({ where: { id: file.id } });
    expect([failed.status, failed.error, failed.attempts]).toEqual(["FAILED", "The ingest was cancelled after 1h without finishing; retry it when the cause is fixed.", 1]);
    expect(failed.finishedAt).not.toBeNull();

    // The cause fixed: the spool readable again. The hung read keeps its FIFO, moved aside.
    const asideFifo = `${file.spoolPath!}.hung`;
    await rename(file.spoolPath!, asideFifo);
    await writeFile(file.spoolPath!, content);
    await retryFailedFile({ tenantId: world.tenant.id, actor: ACTOR, fileId: file.id });
    await runner.drain(30_000);
    const retried = await db().cdrFile.findUniqueOrThrow({ where: { id: file.id } });
    expect([retried.status, retried.error]).toEqual(["DONE", null]);
    expect(retried.callsStored).toBeGreaterThan(0);
    const billed = await balances(world.tenant.id);

    // The abandoned attempt reads at last and finishes: its calls are already stored, billed once.
    await writeFile(asideFifo, content);
    await rm(asideFifo);
    await expect.poll(() => logs.some((line) => line.includes(ingestRun.id) && line.includes("settled after it timed out")), { timeout: 30_000 }).toBe(true);
    expect((await db().cdrFile.findUniqueOrThrow({ where: { id: file.id } })).status).toBe("DONE");
    expect(await balances(world.tenant.id)).toEqual(billed);
  });

  it("leaves a DONE file DONE: the abandoned attempt may have finished it", async () => {
    const world = await createBillingTenant();
    const delivered = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-done.csv", content: syntheticAsteriskFile(10) });
    await runner.drain();
    const done = await db().cdrFile.findUniqueOrThrow({ where: { id: delivered.id } });
    expect(done.status).toBe("DONE");

    const cancelled = ingestCancelledEvent({ id: "cancelled-after-done", ingestEventId: `cdr-file-${done.id}`, data: { tenantId: world.tenant.id, sourceId: world.asterisk.id, fileId: done.id } });
    await runner.dispatch(cancelled);
    await runner.drain();
    expect(await handlerRuns("cancelled-after-done")).toEqual([{ status: "COMPLETED", output: { failed: false }, tenantId: world.tenant.id }]);
    expect(await db().cdrFile.findUniqueOrThrow({ where: { id: done.id } })).toEqual(done);
  });

  it("ignores cancellations of other functions, and a cancelled run of a file retried since", async () => {
    const world = await createBillingTenant();
    const delivered = await deliver({ tenantId: world.tenant.id, sourceId: world.asterisk.id, name: "Master-busy.csv", content: syntheticAsteriskFile(10) });
    await runner.drain();
    const data = { tenantId: world.tenant.id, sourceId: world.asterisk.id, fileId: delivered.id };
    // A file being ingested under a retry's event: its first run is over, a new one is working.
    await db().cdrFile.update({ where: { id: delivered.id }, data: { status: "PROCESSING", ingestEventId: `cdr-file-${delivered.id}-retry-1`, finishedAt: null } });
    const processing = await db().cdrFile.findUniqueOrThrow({ where: { id: delivered.id } });

    await runner.dispatchMany([
      ingestCancelledEvent({ id: "another-function", functionId: "trunkline-cdr-rerate", ingestEventId: `cdr-file-${delivered.id}-retry-1`, data }),
      ingestCancelledEvent({ id: "another-app", functionId: "cdr-ingest-file", ingestEventId: `cdr-file-${delivered.id}-retry-1`, data }),
      ingestCancelledEvent({ id: "first-run", ingestEventId: `cdr-file-${delivered.id}`, data }),
    ]);
    await runner.drain();
    expect(await handlerRuns("another-function")).toEqual([{ status: "COMPLETED", output: { skipped: "not an ingest" }, tenantId: world.tenant.id }]);
    expect(await handlerRuns("another-app")).toEqual([{ status: "COMPLETED", output: { skipped: "not an ingest" }, tenantId: world.tenant.id }]);
    expect(await handlerRuns("first-run")).toEqual([{ status: "COMPLETED", output: { failed: false }, tenantId: world.tenant.id }]);
    expect(await db().cdrFile.findUniqueOrThrow({ where: { id: delivered.id } })).toEqual(processing);

    // Its own run cancelled: failed, for an admin to retry.
    await runner.dispatch(ingestCancelledEvent({ id: "retry-run", ingestEventId: `cdr-file-${delivered.id}-retry-1`, data }));
    await runner.drain();
    expect(await db().cdrFile.findUniqueOrThrow({ where: { id: delivered.id } })).toMatchObject({ status: "FAILED" });
  });
});
