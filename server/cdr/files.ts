import { randomUUID } from "node:crypto";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { durationToMs } from "inngest";
import { db, type TDb, type TTransaction } from "@/server/db/client";
import { env, inngestServerConfigured } from "@/server/env";
import { AppError, errorMessage, isUniqueViolation } from "@/server/errors";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { sendEvent } from "@/server/jobs/send";
import { RUN_TIMEOUTS } from "@/server/jobs/timeouts";

/**
 * CDR files exactly once. Every file that arrives (from an SFTP poll or an upload) is hashed
 * and recorded before anything reads it:
 *  - content already accepted on this source (any name) → DUPLICATE, never billed again;
 *  - content already accepted on another source → HELD, and never released while that file
 *    stands: calls are unique per source, so this one would bill them a second time;
 *  - a name already accepted on this source with other content → HELD for an admin, whether
 *    each copy was polled (from any folder) or uploaded: the name is the file's own, not its path;
 *  - otherwise RECEIVED, and `cdr/file.received` starts the ingest.
 * A partial unique index on (source, sha256) over the accepted statuses makes this hold
 * when an upload and a poll race. The spool is content-addressed, so a copy that arrives
 * twice is stored once.
 */

/** Accepted files: they (will) bill their calls. HELD, DUPLICATE and DISMISSED do not. */
export const ACCEPTED_FILE_STATUSES = ["RECEIVED", "PROCESSING", "DONE", "FAILED"] as const;

/**
 * Files ingested at once, overall and per tenant (the ingest function's concurrency): no tenant
 * takes more than half the slots, and a tenant's files do not queue behind each other one by one.
 */
export const INGEST_SLOTS = { overall: 4, perTenant: 2 } as const;

/** Uploads have no remote folder: their remotePath is this prefix and the name the admin gave. */
const UPLOAD_REMOTE_PATH_PREFIX = "upload:";

/** The remotePath an uploaded file is recorded under. */
export function uploadRemotePath(fileName: string): string {
  return `${UPLOAD_REMOTE_PATH_PREFIX}${fileName}`;
}

/** How an earlier file arrived, for a note an admin reads. */
function describeArrival(remotePath: string): string {
  return remotePath.startsWith(UPLOAD_REMOTE_PATH_PREFIX) && !remotePath.includes("/") ? "uploaded" : `polled from ${remotePath}`;
}

export function spoolDirectory(): string {
  return path.resolve(env().DATA_DIR, "spool", "cdr");
}

function incomingDirectory(): string {
  return path.join(spoolDirectory(), "incoming");
}

/** A fresh path for a download or upload in progress, on the spool's filesystem. */
export async function spoolTempPath(): Promise<string> {
  const directory = incomingDirectory();
  await mkdir(directory, { recursive: true });
  return path.join(directory, `${randomUUID()}.part`);
}

/** A download or upload this long without a write is abandoned: no transfer pauses a day. */
export const ABANDONED_PART_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes the temp files of downloads and uploads that a killed process left behind (a
 * failure in a running one removes its own): up to 2 GB each, and nothing else ever would.
 * Only files untouched for {@link ABANDONED_PART_AGE_MS}, so a transfer in progress is safe.
 */
export async function removeAbandonedSpoolParts(now: Date = new Date()): Promise<{ removed: number; bytes: number }> {
  let names: string[];
  try {
    names = await readdir(incomingDirectory());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { removed: 0, bytes: 0 };
    throw error;
  }
  let removed = 0;
  let bytes = 0;
  for (const name of names.filter((entry) => entry.endsWith(".part"))) {
    const file = path.join(incomingDirectory(), name);
    const info = await stat(file).catch(() => null);
    if (!info || now.getTime() - info.mtimeMs < ABANDONED_PART_AGE_MS) continue;
    await rm(file, { force: true });
    removed++;
    bytes += info.size;
  }
  return { removed, bytes };
}

function spoolPathFor(tenantId: string, sha256: string): string {
  return path.join(spoolDirectory(), tenantId, sha256.slice(0, 2), sha256);
}

/** True when this exact remote file (path, size, modification time) was received before. */
export async function isKnownRemoteFile(options: {
  tenantId: string;
  sourceId: string;
  remotePath: string;
  size: number;
  remoteModifiedAt: Date | null;
}): Promise<boolean> {
  const known = await db().cdrFile.findFirst({
    where: {
      tenantId: options.tenantId,
      sourceId: options.sourceId,
      remotePath: options.remotePath,
      size: BigInt(options.size),
      remoteModifiedAt: options.remoteModifiedAt,
    },
    select: { id: true },
  });
  return known !== null;
}

export type TReceivedFile = { id: string; status: "RECEIVED" | "DUPLICATE" | "HELD"; note: string | null };

function describeWhen(date: Date): string {
  return date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/**
 * One arrival (or release) decided at a time per tenant (a few indexed lookups): two copies of
 * the same content arriving at once on two sources would otherwise both find nothing
 * "elsewhere" and both be billed; two different files of one name on one source would both
 * pass unheld; a release would miss the copy an arrival is accepting on another source.
 */
async function lockArrivals(tx: TTransaction, tenantId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`cdr-file-arrival:${tenantId}`}, 0))`;
}

/**
 * A file that becomes RECEIVED waits for an edit of its source in progress (which holds the
 * row FOR UPDATE), and an edit waits for it: the edit's "no calls stored yet" check and its
 * new format or time zone then commit with no file slipping in between to be read the old
 * way. KEY SHARE is the weakest lock FOR UPDATE waits for: a poll's lease writes go on.
 * Taken before the arrival lock, so an edit holds up only its own source's arrivals.
 */
async function lockSourceForArrival(tx: TTransaction, tenantId: string, sourceId: string): Promise<void> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM cdr_sources WHERE tenant_id = ${tenantId}::uuid AND id = ${sourceId}::uuid FOR KEY SHARE`;
  if (rows.length === 0) throw AppError.notFound("CDR source");
}

/** The earliest accepted file with this content on another source of the tenant. */
export async function acceptedElsewhere(client: TDb, options: { tenantId: string; sourceId: string; sha256: string }) {
  return client.cdrFile.findFirst({
    where: { tenantId: options.tenantId, sourceId: { not: options.sourceId }, sha256: options.sha256, status: { in: [...ACCEPTED_FILE_STATUSES] } },
    orderBy: { receivedAt: "asc" },
    select: { id: true, fileName: true, receivedAt: true, source: { select: { id: true, name: true } } },
  });
}

/**
 * Records a file that has been written to `localPath` (a path from {@link spoolTempPath}),
 * with the size and sha256 its writer computed on the way (a download or an upload hashes
 * what it writes, so no second pass reads the file): moves it into the spool and decides
 * RECEIVED / DUPLICATE / HELD. Only a
 * RECEIVED file is ingested; the event carries a key derived from the file, so sending it
 * twice starts one ingest.
 */
export async function receiveCdrFile(options: {
  tenantId: string;
  sourceId: string;
  fileName: string;
  remotePath: string;
  remoteModifiedAt: Date | null;
  localPath: string;
  /** Size and sha256 (hex) of what was written to `localPath`. */
  content: { size: number; sha256: string };
  serverId?: string | null;
  uploadedById?: string | null;
}): Promise<TReceivedFile> {
  const { tenantId, sourceId } = options;
  const source = await db().cdrSource.findFirst({ where: { tenantId, id: sourceId }, select: { id: true } });
  if (!source) {
    await rm(options.localPath, { force: true });
    throw AppError.notFound("CDR source");
  }
  const { sha256, size } = options.content;
  const spoolPath = spoolPathFor(tenantId, sha256);
  await mkdir(path.dirname(spoolPath), { recursive: true });
  await rename(options.localPath, spoolPath);

  const base = {
    tenantId,
    sourceId,
    fileName: options.fileName,
    remotePath: options.remotePath,
    size: BigInt(size),
    remoteModifiedAt: options.remoteModifiedAt,
    sha256,
    spoolPath,
    serverId: options.serverId ?? null,
    uploadedById: options.uploadedById ?? null,
  };

  const decide = () =>
    db().$transaction(async (tx) => {
      await lockSourceForArrival(tx, tenantId, sourceId);
      await lockArrivals(tx, tenantId);
      return decideIn(tx);
    });
  const decideIn = async (tx: TTransaction): Promise<TReceivedFile> => {
    const sameContent = await tx.cdrFile.findFirst({
      where: { tenantId, sourceId, sha256, status: { in: [...ACCEPTED_FILE_STATUSES] } },
      select: { id: true, fileName: true, receivedAt: true },
    });
    if (sameContent) {
      const note = `Same content as ${sameContent.fileName} received ${describeWhen(sameContent.receivedAt)}: not billed again.`;
      const file = await tx.cdrFile.create({
        data: { ...base, status: "DUPLICATE", duplicateOfId: sameContent.id, note, finishedAt: new Date() },
        select: { id: true },
      });
      return { id: file.id, status: "DUPLICATE", note };
    }
    // Calls are unique per source: the same file under another source (an upload with the
    // wrong source chosen) would bill every call a second time. It is held so an admin sees
    // it, and can only be dismissed while that file stands (releaseHeldFile refuses).
    const elsewhere = await acceptedElsewhere(tx, { tenantId, sourceId, sha256 });
    if (elsewhere) {
      const note =
        `Same content as ${elsewhere.fileName} received from source ${elsewhere.source.name} ${describeWhen(elsewhere.receivedAt)}. ` +
        "Held: ingesting it under this source would bill its calls again, so it cannot be released while that file stands; dismiss it.";
      const file = await tx.cdrFile.create({
        data: { ...base, status: "HELD", duplicateOfId: elsewhere.id, note },
        select: { id: true },
      });
      return { id: file.id, status: "HELD", note };
    }
    // The file's own name, not its path: a re-issued file polled after an upload of the first
    // one (or the other way round) arrives under another path.
    const sameName = await tx.cdrFile.findFirst({
      where: { tenantId, sourceId, fileName: options.fileName, status: { in: [...ACCEPTED_FILE_STATUSES] } },
      orderBy: { receivedAt: "desc" },
      select: { id: true, receivedAt: true, remotePath: true },
    });
    if (sameName) {
      const note =
        `A file named ${options.fileName} with different content was received ${describeWhen(sameName.receivedAt)} (${describeArrival(sameName.remotePath)}). ` +
        "Held for review: ingest it only if the carrier re-issued the file. Released, it bills only calls the earlier file did not have: " +
        "a call of the earlier file is known by its call id even if its start time changed (a line without a call id, by its whole text: a changed line is a new call).";
      const file = await tx.cdrFile.create({
        data: { ...base, status: "HELD", duplicateOfId: sameName.id, note },
        select: { id: true },
      });
      return { id: file.id, status: "HELD", note };
    }
    const file = await tx.cdrFile.create({ data: { ...base, status: "RECEIVED" }, select: { id: true } });
    return { id: file.id, status: "RECEIVED", note: null };
  };

  let received: TReceivedFile;
  try {
    received = await decide();
  } catch (error) {
    // Another arrival of the same content won the race: this one is its duplicate.
    if (!isUniqueViolation(error)) throw error;
    received = await decide();
  }
  if (received.status === "RECEIVED") await emitFileReceived({ id: received.id, tenantId, sourceId, ingestEventId: null });
  return received;
}

/** The event a RECEIVED file is ingested under: its first, or the one its retry was given. */
export function ingestEventIdOf(file: { id: string; ingestEventId: string | null }): string {
  return file.ingestEventId ?? `cdr-file-${file.id}`;
}

/**
 * Sends a RECEIVED file's `cdr/file.received` event and notes it sent. The file's row is the
 * outbox: a crash before the note leaves the file to resendLostFileEvents, which sends the
 * same event id, so the engine (one run per event id) runs it at most once either way.
 */
async function emitFileReceived(file: { id: string; tenantId: string; sourceId: string; ingestEventId: string | null }): Promise<void> {
  await sendEvent({ name: "cdr/file.received", id: ingestEventIdOf(file), data: { tenantId: file.tenantId, sourceId: file.sourceId, fileId: file.id } });
  await db().cdrFile.updateMany({
    where: { tenantId: file.tenantId, id: file.id, ingestEventId: file.ingestEventId, ingestEventSentAt: null },
    data: { ingestEventSentAt: new Date() },
  });
}

/** How long a RECEIVED file's event may stay unsent before the sweep sends it: the normal path sends right after its commit. */
const LOST_EVENT_GRACE_MS = 2 * 60_000;

/** No ingest attempt is alive this long after it started: its run was cancelled at its finish timeout. */
const INGEST_FINISH_MS = durationToMs(RUN_TIMEOUTS.cdrIngest.finish);
/** Past that limit, the time the cancellation's own cleanup (failFileOfCancelledIngest) has to run first. */
const STALLED_INGEST_MARGIN_MS = 15 * 60_000;

/**
 * The files whose ingest died without recording it, which would otherwise stay RECEIVED or
 * PROCESSING for good: never billed, never retryable, blocking their source's edits.
 * - PROCESSING, claimed longer ago than the ingest's finish timeout plus a margin (a run whose
 *   attempts all failed before they could record it, a process killed for good, a lost
 *   cancellation): FAILED, for an admin to retry, and taken from the attempt that owned it, as
 *   a cancellation does, so that attempt (whose JavaScript may still run) writes nothing more.
 * - RECEIVED, its event sent as long ago, while the engine would have started its run: sent
 *   again under a new event id, which the lost-event sweep does right after. (Sent again while
 *   it was only queued, it would go to the back of the queue.) The embedded runner starts a
 *   queued run as soon as a slot it may take is free: fewer files being ingested than
 *   INGEST_SLOTS overall and for its tenant. An Inngest server without per-key queues starts
 *   waiting runs oldest first, so a run may wait behind another tenant's backlog with slots
 *   free: there, only while no file at all is being ingested. A run of the old event that still
 *   comes finds another event's file and leaves it.
 * Each is one conditional update: a claim (which sets the start) either comes first, and the
 * file is left alone, or finds the file changed.
 */
export async function recoverStalledIngests(options: { now?: Date } = {}): Promise<{ failed: number; resent: number }> {
  const now = (options.now ?? new Date()).getTime();
  // Instants as ISO text with their zone: read the same whatever the session's TimeZone.
  const stalledBefore = new Date(now - INGEST_FINISH_MS - STALLED_INGEST_MARGIN_MS).toISOString();
  const liveSince = new Date(now - INGEST_FINISH_MS).toISOString();
  const limit = RUN_TIMEOUTS.cdrIngest.finish;
  // Under an Inngest server: no file being ingested at all (one slot overall, none taken).
  const slots = inngestServerConfigured() ? { overall: 1, perTenant: 1 } : INGEST_SLOTS;
  const failed = await db().$executeRaw`
    UPDATE cdr_files SET
      status = 'FAILED',
      error = ${`The ingest stopped without finishing: no attempt was left working on this file ${limit} after the last one started. Retry it when the cause is fixed.`},
      finished_at = now(),
      ingest_attempt_id = NULL
    WHERE status = 'PROCESSING' AND started_at < ${stalledBefore}::timestamptz`;
  const resent = await db().$executeRaw`
    UPDATE cdr_files f SET ingest_event_id = 'cdr-file-' || f.id || '-resent-' || ${String(now)}, ingest_event_sent_at = NULL
    WHERE f.status = 'RECEIVED' AND f.ingest_event_sent_at < ${stalledBefore}::timestamptz
      AND (SELECT count(*) FROM cdr_files live WHERE live.status = 'PROCESSING' AND live.started_at >= ${liveSince}::timestamptz) < ${slots.overall}
      AND (SELECT count(*) FROM cdr_files live WHERE live.tenant_id = f.tenant_id AND live.status = 'PROCESSING' AND live.started_at >= ${liveSince}::timestamptz) < ${slots.perTenant}`;
  return { failed, resent };
}

/**
 * Sends again the `cdr/file.received` events that were never sent: a process that died
 * between a file's commit and its send, or an engine that refused the send. Run by a cron;
 * without it such a file would stay RECEIVED for good, its calls never billed, while the
 * next poll skips it as known. (A released or retried file keeps its old receivedAt, so the
 * sweep may send its event while the normal path does: the same id, so one run.) Each file
 * is tried; if any send failed, the sweep fails after the others, for the job to retry.
 * First, the same cron recovers the files whose ingest died without a word (recoverStalledIngests).
 */
export async function resendLostFileEvents(options: { now?: Date } = {}): Promise<{ resent: number; failedStalled: number; resentStalled: number }> {
  const { failed: failedStalled, resent: resentStalled } = await recoverStalledIngests(options);
  const before = new Date((options.now ?? new Date()).getTime() - LOST_EVENT_GRACE_MS);
  const lost = await db().cdrFile.findMany({
    where: { status: "RECEIVED", ingestEventSentAt: null, receivedAt: { lt: before } },
    select: { id: true, tenantId: true, sourceId: true, ingestEventId: true },
    orderBy: { receivedAt: "asc" },
    take: 500,
  });
  const failures: string[] = [];
  for (const file of lost) {
    try {
      await emitFileReceived(file);
    } catch (error) {
      failures.push(`${file.id}: ${errorMessage(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`Could not send the ingest event of ${failures.length === 1 ? "1 file" : `${failures.length} files`}: ${failures.join("; ")}`);
  return { resent: lost.length, failedStalled, resentStalled };
}

/**
 * Accepts a HELD file for ingest. Its calls already stored from another file of the same
 * source (the same call id and start) are not billed again, nor, for a re-issue of a file of the
 * same name, the calls of the earlier files of that name whatever their start now (ingest's
 * callIdsOfReissuedFile), which is why those must have finished first. Calls are unique per source only, so content accepted on
 * another source would be billed a second time under this one: that release is refused,
 * whether the file was held for it or for its name (the copy elsewhere may have come after
 * the hold). Decided under the arrival lock, so an arrival of the same content on another
 * source is either seen here or sees this file accepted.
 */
export async function releaseHeldFile(options: { tenantId: string; actor: TActor; fileId: string }): Promise<TReceivedFile> {
  const file = await db().cdrFile.findFirst({ where: { tenantId: options.tenantId, id: options.fileId } });
  if (!file) throw AppError.notFound("CDR file");
  if (file.status !== "HELD") throw new AppError("CONFLICT", `Only a held file can be released; this one is ${file.status.toLowerCase()}.`);
  try {
    await db().$transaction(async (tx) => {
      await lockSourceForArrival(tx, options.tenantId, file.sourceId);
      await lockArrivals(tx, options.tenantId);
      const elsewhere = await acceptedElsewhere(tx, { tenantId: options.tenantId, sourceId: file.sourceId, sha256: file.sha256 });
      if (elsewhere) {
        throw new AppError(
          "CONFLICT",
          `Source ${elsewhere.source.name} already has this content, as ${elsewhere.fileName} received ${describeWhen(elsewhere.receivedAt)}: ` +
            "releasing this file would bill its calls a second time. Dismiss it instead.",
        );
      }
      // Its ingest skips the calls of every earlier file of its name (ingest's
      // callIdsOfReissuedFile), read when it starts: one of them still storing calls then would
      // store the rest under their old starts after this file stored them under the new ones.
      const unfinished = await tx.cdrFile.findFirst({
        where: { tenantId: options.tenantId, sourceId: file.sourceId, fileName: file.fileName, id: { not: file.id }, status: { in: ["RECEIVED", "PROCESSING", "FAILED"] } },
        orderBy: { receivedAt: "asc" },
        select: { status: true, receivedAt: true },
      });
      if (unfinished) {
        const earlier = `The earlier ${file.fileName} received ${describeWhen(unfinished.receivedAt)}`;
        throw new AppError(
          "CONFLICT",
          unfinished.status === "FAILED"
            ? `${earlier} failed: retry it (or dismiss it if it stored no call) and release this one once it is done, so that the calls both files have are billed once.`
            : `${earlier} is still being read: release this one once it is done, so that the calls both files have are billed once.`,
        );
      }
      const updated = await tx.cdrFile.updateMany({
        where: { tenantId: options.tenantId, id: file.id, status: "HELD" },
        data: { status: "RECEIVED", note: `Released for ingest by ${options.actor.email ?? "an admin"}.`, ingestEventId: null, ingestEventSentAt: null },
      });
      if (updated.count !== 1) throw new AppError("CONFLICT", "The file changed meanwhile; reload and try again.");
      await recordAudit(tx, { tenantId: options.tenantId, actor: options.actor, action: "cdr.file.release", targetType: "cdr_file", targetId: file.id, after: { fileName: file.fileName } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", "A file with exactly this content was already ingested on this source.");
    throw error;
  }
  await emitFileReceived({ id: file.id, tenantId: options.tenantId, sourceId: file.sourceId, ingestEventId: null });
  return { id: file.id, status: "RECEIVED", note: null };
}

/**
 * Sets a HELD or FAILED file aside for good, with the admin's reason: a file that is not CDRs at
 * all, a test file, one the carrier replaced. It no longer waits for an admin on the overview and
 * the menu. Only a file that stored no call: a dismissed file is no longer accepted, so it would
 * stop guarding its content (the same content on another source, a file of its name) while its
 * calls stay billed. A failed file that stored calls is retried instead.
 */
export async function dismissFile(options: { tenantId: string; actor: TActor; fileId: string; reason: string }): Promise<void> {
  const reason = options.reason.trim();
  if (reason.length === 0) throw AppError.invalidField("reason", "Say why the file is dismissed");
  await db().$transaction(async (tx) => {
    const stored = await tx.cdrFile.findFirst({ where: { tenantId: options.tenantId, id: options.fileId, status: "FAILED", callsStored: { gt: 0 } }, select: { callsStored: true } });
    if (stored) {
      throw new AppError(
        "CONFLICT",
        `This file stored ${stored.callsStored === 1 ? "a call" : `${stored.callsStored} calls`} before it failed: retry it to read the rest (what it stored is not billed again). It cannot be dismissed.`,
      );
    }
    const updated = await tx.cdrFile.updateMany({
      where: { tenantId: options.tenantId, id: options.fileId, status: { in: ["HELD", "FAILED"] }, callsStored: 0 },
      // No attempt owns it any more: one still running somewhere commits nothing further.
      data: { status: "DISMISSED", note: `Dismissed by ${options.actor.email ?? "an admin"}: ${reason}`, finishedAt: new Date(), ingestAttemptId: null },
    });
    if (updated.count !== 1) throw new AppError("CONFLICT", "Only a held or failed file can be dismissed.");
    await recordAudit(tx, { tenantId: options.tenantId, actor: options.actor, action: "cdr.file.dismiss", targetType: "cdr_file", targetId: options.fileId, after: { reason } });
  });
}

/** Runs a FAILED file again (after, e.g., fixing the source's format); it resumes exactly once. */
export async function retryFailedFile(options: { tenantId: string; actor: TActor; fileId: string }): Promise<void> {
  const file = await db().cdrFile.findFirst({ where: { tenantId: options.tenantId, id: options.fileId }, select: { id: true, sourceId: true, status: true, fileName: true } });
  if (!file) throw AppError.notFound("CDR file");
  if (file.status !== "FAILED") throw new AppError("CONFLICT", "Only a failed file can be retried.");
  // A new event id: the first ingest run of this file has finished (failed).
  const ingestEventId = `cdr-file-${file.id}-retry-${Date.now()}`;
  await db().$transaction(async (tx) => {
    await lockSourceForArrival(tx, options.tenantId, file.sourceId);
    const updated = await tx.cdrFile.updateMany({
      where: { tenantId: options.tenantId, id: file.id, status: "FAILED" },
      // No attempt owns it until the new run's claims it: an attempt of an earlier run cannot.
      // Its rejected lines are read again: after a fix (the source's format) they may be calls.
      data: { status: "RECEIVED", error: null, ingestEventId, ingestEventSentAt: null, ingestAttemptId: null, rejected: 0 },
    });
    if (updated.count !== 1) throw new AppError("CONFLICT", "The file changed meanwhile; reload and try again.");
    // After the update, whose row lock a batch still committing holds until its end: its rejected
    // lines are then visible here, and gone with the rest. The new run stores again those still
    // rejected and counts them once; a stored call stays stored, counted, and is not counted again.
    await tx.cdrReject.deleteMany({ where: { tenantId: options.tenantId, fileId: file.id } });
    await recordAudit(tx, { tenantId: options.tenantId, actor: options.actor, action: "cdr.file.retry", targetType: "cdr_file", targetId: file.id, after: { fileName: file.fileName } });
  });
  await emitFileReceived({ id: file.id, tenantId: options.tenantId, sourceId: file.sourceId, ingestEventId });
}

/**
 * Marks FAILED, for an admin to retry, a file whose ingest run the engine cancelled for
 * outliving its finish timeout (`limit`): a hung attempt never reaches the ingest's own
 * failure handling, and the file would stay PROCESSING for good, which no one can retry.
 * Only while it is RECEIVED or PROCESSING: the abandoned attempt may still finish, and its
 * DONE stands. Only while the file is still ingested under the cancelled run's event: a file
 * retried since (a new event id) belongs to the new run, which a late cancellation of the old
 * one must not fail.
 *
 * The file is also taken from the attempt that owned it (ingestAttemptId null): the abandoned
 * attempt's JavaScript may still run, and must neither claim the file back nor write its status
 * or counts. A FAILED file keeps its own error, and loses its attempt too: it failed under the
 * cancelled run, whose pending retry would have resumed it, and a stalled attempt of that run
 * must not resume it now.
 */
export async function failFileOfCancelledIngest(options: { tenantId: string; fileId: string; ingestEventId: string; limit: string }): Promise<{ failed: boolean }> {
  const { tenantId, fileId, ingestEventId } = options;
  const sameIngest = ingestEventId === ingestEventIdOf({ id: fileId, ingestEventId: null }) ? null : ingestEventId;
  const updated = await db().cdrFile.updateMany({
    where: { tenantId, id: fileId, status: { in: ["RECEIVED", "PROCESSING"] }, ingestEventId: sameIngest },
    data: {
      status: "FAILED",
      error: `The ingest was cancelled after ${options.limit} without finishing; retry it when the cause is fixed.`,
      finishedAt: new Date(),
      ingestAttemptId: null,
    },
  });
  if (updated.count === 0) {
    await db().cdrFile.updateMany({ where: { tenantId, id: fileId, status: "FAILED", ingestEventId: sameIngest, ingestAttemptId: { not: null } }, data: { ingestAttemptId: null } });
  }
  return { failed: updated.count === 1 };
}

/** Size of a spooled file, or null when the spool lost it (e.g. a wiped data directory). */
export async function spooledSize(spoolPath: string): Promise<number | null> {
  try {
    return (await stat(spoolPath)).size;
  } catch {
    return null;
  }
}
