import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { sendEvent } from "@/server/jobs/send";
import { db, pool } from "@/server/db/client";
import { AppError, errorMessage } from "@/server/errors";
import { sendMail } from "@/server/mail/mailer";
import { allServersDownMail, allServersRecoveredMail, heldFilesMail, serverDownMail, serverRecoveredMail, type TAlertMail } from "./alerts";
import { isKnownRemoteFile, receiveCdrFile, spoolTempPath } from "./files";
import {
  SFTP_STATUS_NO_SUCH_FILE,
  SftpAbortedError,
  SftpConnectError,
  SftpFileChangedError,
  SftpRequestError,
  SftpSession,
  SftpStallError,
  serverLabel,
  type TDownloadedContent,
  type TRemoteFile,
  type TSftpConnectOptions,
} from "./sftp";
import { LIVE_SERVER, credentialsOf, serversForTest, type TCdrSourceFields, type TServerCredentials } from "./sources";

/**
 * Polling a CDR source: at most one poll per source at a time (a lease row in cdr_sources,
 * so a crashed poll frees the source when its lease expires), servers tried in order with
 * roll-over when one cannot be logged into, cannot list the folder or cannot deliver the files
 * it lists, every outage recorded, and each event mailed about (at least once: a mail is
 * marked sent after the relay took it), oldest event first.
 *
 * Outage bookkeeping is per server: the first failed check opens an outage (one open
 * outage per server is enforced by the cdr_source_outages_one_open index), later failures
 * count on it, the first successful check closes it, each dated when the check found it. Every
 * poll checks every server once (the ones after the server that delivered get a probe: log in,
 * list the folder, close), so a backup server's outage is measured too, not just the primary's.
 * A row with no server is "every server down": no server delivered (or listed nothing to fetch).
 *
 * Only live servers (not removed from the source, see server/cdr/sources.ts) are polled,
 * counted and mailed about. Removing a server ends its open outage; a poll that was already
 * running when it was removed records no new outage for it.
 *
 * A poll stops itself at its deadline (the job function's finish timeout, less time to wind
 * down): a cancelled run's work goes on in the background, and a poll left running would
 * renew its lease for good, the source never polled again. See TPollOptions.deadline.
 */

/** How long a poll may hold its source before another poll may take over (renewed on a timer and per file). */
const LEASE_MS = 10 * 60_000;
/** The scheduler's tolerance: a source polled this long before it is due counts as due. */
const DUE_SLACK_SECONDS = 30;

/** `kind` STOPPED: the poll's deadline passed while it used this server, which was not found down. */
export type TPollAttempt = { serverId: string; server: string; ok: boolean; error: string | null; kind: string | null };
/** `note`: why a DUPLICATE or HELD file was not accepted, in words. */
export type TFetchedFile = {
  name: string;
  remotePath: string;
  size: number;
  fileId: string;
  status: "RECEIVED" | "DUPLICATE" | "HELD";
  note: string | null;
  afterDownload: string | null;
};
export type TPollSummary = {
  sourceId: string;
  /**
   * LEASE_LOST: the poll stalled past its lease, another poll took the source over, and this one stopped.
   * NO_ALLOWED_SERVER: every server is at an address the platform does not connect to (server/cdr/sftp-network.ts).
   * TIMED_OUT: the poll's deadline passed before it was done, and it stopped; the next poll fetches what it left.
   */
  outcome: "POLLED" | "ALL_SERVERS_DOWN" | "BUSY" | "NO_SERVERS" | "LEASE_LOST" | "NO_ALLOWED_SERVER" | "TIMED_OUT";
  /** The server files were fetched from. */
  server: string | null;
  serverId: string | null;
  attempts: TPollAttempt[];
  fetched: TFetchedFile[];
  /** Already received earlier (same path, size and modification time). */
  skipped: number;
  /** Changed or gone between two listings (being written, or replaced): looked at again by a later poll. */
  waiting: number;
  errors: string[];
  alertsSent: number;
  /** Whether the recipients were mailed about the files this poll held for review (see mailHeldFiles). */
  heldMailed: boolean;
};

/**
 * One poll's hold on its source. The expiry the holder last wrote is also its owner token:
 * a takeover only happens once that instant has passed and writes a later one, so
 * `poll_lease_until = <our last value>` is true exactly while this poll owns the source.
 * (The column stays a plain expiry because the scheduler and the source page read it as one;
 * no second column needed.) Renewals are chained, never concurrent: two racing renewals
 * would each compare against the value the other just replaced and read as a takeover.
 */
class PollLease {
  /** Set once a renewal finds another owner: the poll must stop and record nothing more. */
  lost = false;
  /** Set at the poll's deadline: the lease is no longer renewed. */
  private frozen = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly tenantId: string,
    private readonly sourceId: string,
    private until: Date,
    private readonly leaseMs: number,
  ) {
    // A single file (2 GB over a slow link) can outlast the lease: renewing only between
    // files would let a second poll start mid-download.
    this.timer = setInterval(() => {
      this.renew().catch((error: unknown) => console.error(`[cdr] renewing the poll lease of source ${sourceId} failed: ${errorMessage(error)}`));
    }, Math.max(1, Math.floor(leaseMs / 3)));
    // An abandoned lease must not keep a worker process alive.
    this.timer.unref();
  }

  static async take(tenantId: string, sourceId: string, leaseMs: number): Promise<PollLease | null> {
    const now = Date.now();
    const taken = await pool().query<{ poll_lease_until: Date }>(
      `UPDATE cdr_sources SET poll_lease_until = $3
       WHERE tenant_id = $1 AND id = $2 AND (poll_lease_until IS NULL OR poll_lease_until < $4)
       RETURNING poll_lease_until`,
      [tenantId, sourceId, new Date(now + leaseMs), new Date(now)],
    );
    const row = taken.rows[0];
    return row ? new PollLease(tenantId, sourceId, row.poll_lease_until, leaseMs) : null;
  }

  /**
   * No renewal from now on. Past its deadline the poll winds down, and should that hang (JS
   * cannot stop it), the lease runs out by itself and the source is polled again: renewed,
   * the source would stay busy until the process restarts.
   */
  stopRenewing(): void {
    this.frozen = true;
    clearInterval(this.timer);
  }

  /** Extends the lease if this poll still owns it (not after stopRenewing); false once another poll has taken over. */
  renew(): Promise<boolean> {
    const renewal = this.chain.then(async () => {
      if (this.lost || this.frozen) return;
      const renewed = await pool().query<{ poll_lease_until: Date }>(
        `UPDATE cdr_sources SET poll_lease_until = $4 WHERE tenant_id = $1 AND id = $2 AND poll_lease_until = $3 RETURNING poll_lease_until`,
        [this.tenantId, this.sourceId, this.until, new Date(Date.now() + this.leaseMs)],
      );
      const row = renewed.rows[0];
      if (row) this.until = row.poll_lease_until;
      else this.lost = true;
    });
    // A failed renewal (database hiccup) leaves the lease as it was; the next one retries.
    this.chain = renewal.catch(() => undefined);
    return renewal.then(() => !this.lost);
  }

  /**
   * Ends the poll: frees the source and reports it, only if this poll still owns it. After a
   * takeover the new owner's lease and report are left alone (clearing the lease would let a
   * third poll run beside the new owner).
   */
  async release(polledAt: Date, error: string | null): Promise<void> {
    clearInterval(this.timer);
    await this.chain;
    if (this.lost) return;
    const released = await pool().query(
      `UPDATE cdr_sources SET poll_lease_until = NULL, last_polled_at = $4, last_poll_error = $5
       WHERE tenant_id = $1 AND id = $2 AND poll_lease_until = $3`,
      [this.tenantId, this.sourceId, this.until, polledAt, error],
    );
    if ((released.rowCount ?? 0) === 0) this.lost = true;
  }
}

/**
 * Opens the outage of a server (or of the whole source with `serverId` null), or counts one
 * more failed check on it. Only while the server (or, for the source, some server) is live
 * and the source is enabled: nothing checks a disabled source on schedule, so an outage a
 * manual poll opened would never close (weeks of false downtime on the SLA report). Both
 * rows are share-locked, so a removal or a disable committing meanwhile is waited for and
 * then seen, and no outage opens after it closed the open ones (it would stay open forever).
 */
async function recordFailure(tenantId: string, sourceId: string, serverId: string | null, error: string, now: Date): Promise<void> {
  await pool().query(
    `INSERT INTO cdr_source_outages (tenant_id, source_id, server_id, started_at, error, last_error)
     SELECT $1::uuid, $2::uuid, $3::uuid, $4::timestamptz, $5::text, $5::text
     FROM cdr_source_servers v
     JOIN cdr_sources s ON s.tenant_id = v.tenant_id AND s.id = v.source_id
     WHERE v.tenant_id = $1::uuid AND v.source_id = $2::uuid AND v.removed_at IS NULL AND ($3::uuid IS NULL OR v.id = $3::uuid)
       AND s.enabled
     LIMIT 1
     FOR SHARE OF v, s
     ON CONFLICT (source_id, server_id) WHERE ended_at IS NULL
     DO UPDATE SET failed_checks = cdr_source_outages.failed_checks + 1, last_error = EXCLUDED.error`,
    [tenantId, sourceId, serverId, now, error],
  );
}

async function closeOutage(tenantId: string, sourceId: string, serverId: string | null, now: Date): Promise<void> {
  await pool().query(
    `UPDATE cdr_source_outages SET ended_at = GREATEST(started_at, $4)
     WHERE tenant_id = $1 AND source_id = $2 AND server_id IS NOT DISTINCT FROM $3 AND ended_at IS NULL`,
    [tenantId, sourceId, serverId, now],
  );
}

async function markServer(tenantId: string, sourceId: string, serverId: string, error: string | null, now: Date, lease: PollLease): Promise<void> {
  // A poll that lost its source to another is stale: the new owner's checks are the record.
  if (lease.lost) return;
  await db().cdrSourceServer.updateMany({
    where: { tenantId, id: serverId, ...LIVE_SERVER },
    data: { status: error ? "DOWN" : "UP", lastError: error, lastCheckedAt: now },
  });
  if (error) await recordFailure(tenantId, sourceId, serverId, error, now);
  else await closeOutage(tenantId, sourceId, serverId, now);
}

/**
 * A server at an address the platform does not connect to is a configuration error (the
 * source's or the platform's), not an outage: nothing was asked of the server, so it was not
 * found down, and the carrier's SLA evidence must not count it, nor its recipients be paged.
 * Its status says why it is not used. An outage it had open ends here, as when it is removed
 * from the source: nobody checks it any more, and it did not recover, so no recovery mail.
 */
async function markServerNotAllowed(tenantId: string, sourceId: string, serverId: string, error: string, now: Date, lease: PollLease): Promise<void> {
  if (lease.lost) return;
  await db().cdrSourceServer.updateMany({ where: { tenantId, id: serverId, ...LIVE_SERVER }, data: { status: "DOWN", lastError: error, lastCheckedAt: now } });
  await pool().query(
    `UPDATE cdr_source_outages
     SET ended_at = GREATEST(started_at, $4), recovery_alerted_at = $4,
         last_error = COALESCE(last_error, error) || ' (monitoring stopped: the server''s address is not allowed)'
     WHERE tenant_id = $1 AND source_id = $2 AND server_id = $3 AND ended_at IS NULL`,
    [tenantId, sourceId, serverId, now],
  );
}

/**
 * Connects to one server; a failure is recorded and returned, not thrown. A connection that
 * works is not yet recorded as the server being up: see tryServerFolder.
 */
async function tryServer(
  tenantId: string,
  sourceId: string,
  server: Parameters<typeof credentialsOf>[0] & { id: string },
  clock: () => Date,
  connectOptions: TSftpConnectOptions,
  lease: PollLease,
): Promise<{ session: SftpSession | null; attempt: TPollAttempt }> {
  const label = serverLabel(server);
  let session: SftpSession | null = null;
  let error: string | null = null;
  let kind: string | null = null;
  try {
    session = await SftpSession.connect(credentialsOf(server), connectOptions);
  } catch (failure) {
    error = failure instanceof SftpConnectError || failure instanceof SftpAbortedError ? failure.message : `Cannot use ${label}: ${errorMessage(failure)}`;
    kind = failure instanceof SftpConnectError ? failure.kind : failure instanceof SftpAbortedError ? "STOPPED" : "CONFIG";
    if (failure instanceof SftpConnectError && failure.presentedHostKey) {
      await db().cdrSourceServer.updateMany({ where: { tenantId, id: server.id, ...LIVE_SERVER }, data: { presentedHostKey: failure.presentedHostKey } });
    }
  }
  // Trust on first use, as ssh's known_hosts: the key of the first connection is the key.
  // Only where none is known yet and the server still is the machine it was (an edit that
  // moved it cleared the key and must not get this one).
  if (session && server.hostKey === null) {
    try {
      await db().cdrSourceServer.updateMany({
        where: { tenantId, id: server.id, host: server.host, port: server.port, hostKey: null, ...LIVE_SERVER },
        data: { hostKey: session.hostKey, presentedHostKey: null },
      });
    } catch (failure) {
      // Nobody else would close it: the caller gets the error, not the session.
      await session.close();
      throw failure;
    }
  }
  // Stopped by the poll's deadline: nothing was found out about the server.
  if (kind === "STOPPED") return { session, attempt: { serverId: server.id, server: label, ok: false, error, kind } };
  if (error !== null && kind === "NOT_ALLOWED") await markServerNotAllowed(tenantId, sourceId, server.id, error, clock(), lease);
  else if (error !== null) await markServer(tenantId, sourceId, server.id, error, clock(), lease);
  return { session, attempt: { serverId: server.id, server: label, ok: error === null, error, kind } };
}

/**
 * Connects to a server and lists the source's folder. A server that lets the poll in but
 * cannot list the folder (gone, no permission, a listing it never answers) delivers no file:
 * it is down like one that refused the login. A failure is recorded; success is recorded
 * unless `successCheckedLater`: the server files are fetched from is up only once it has also
 * answered the fetch (one that lists and then never answers a read must not close and reopen
 * its outage, mailing "recovered" and "down", on every poll). On success the session is the
 * caller's to close.
 */
async function tryServerFolder(
  tenantId: string,
  source: { id: string; remoteDir: string; filePattern: string },
  server: Parameters<typeof tryServer>[2],
  clock: () => Date,
  connectOptions: TSftpConnectOptions,
  lease: PollLease,
  successCheckedLater: boolean,
): Promise<{ session: SftpSession | null; files: TRemoteFile[]; attempt: TPollAttempt }> {
  const result = await tryServer(tenantId, source.id, server, clock, connectOptions, lease);
  const session = result.session;
  if (!session) return { session: null, files: [], attempt: result.attempt };
  // Closed here, or handed to the caller.
  let settled = false;
  try {
    let files: TRemoteFile[];
    try {
      files = await session.list(source.remoteDir, source.filePattern);
    } catch (error) {
      if (error instanceof SftpAbortedError) {
        settled = true;
        await session.close();
        return { session: null, files: [], attempt: { ...result.attempt, ok: false, error: error.message, kind: "STOPPED" } };
      }
      const message = error instanceof SftpStallError ? error.message : `Cannot list ${source.remoteDir} on ${session.label}: ${errorMessage(error)}`;
      settled = true;
      await session.close();
      await markServer(tenantId, source.id, server.id, message, clock(), lease);
      return { session: null, files: [], attempt: { ...result.attempt, ok: false, error: message, kind: "LIST" } };
    }
    if (!successCheckedLater) await markServer(tenantId, source.id, server.id, null, clock(), lease);
    settled = true;
    return { session, files, attempt: result.attempt };
  } finally {
    // A database failure on the way must not leave the connection open (keepalives would hold it).
    if (!settled) await session.close();
  }
}

/** Who hears about a source's outages: its alert list, else the tenant's admins. */
export async function alertRecipients(tenantId: string, alertEmails: string[]): Promise<string[]> {
  if (alertEmails.length > 0) return alertEmails;
  const admins = await db().membership.findMany({
    where: { tenantId, role: "TENANT_ADMIN", user: { status: "ACTIVE" } },
    select: { user: { select: { email: true } } },
    orderBy: { createdAt: "asc" },
  });
  return admins.map((admin) => admin.user.email);
}

/**
 * Sends every alert the source's outages still owe: each is marked once the relay accepted
 * it, so a failed delivery (or a worker that died sending) is retried at the next poll.
 */
async function sendOwedAlerts(options: { tenantId: string; sourceId: string; now: Date; via: string | null }): Promise<number> {
  const { tenantId, sourceId, now } = options;
  const source = await db().cdrSource.findFirst({
    where: { tenantId, id: sourceId },
    select: {
      name: true,
      enabled: true,
      alertEmails: true,
      servers: { where: LIVE_SERVER, select: { id: true, host: true, port: true, lastError: true }, orderBy: { position: "asc" } },
    },
  });
  // A disabled source is not monitored (its outages ended when it was turned off): a manual
  // poll of it must not page anyone.
  if (!source?.enabled) return 0;
  const owed = await db().cdrSourceOutage.findMany({
    where: {
      tenantId,
      sourceId,
      OR: [
        { endedAt: null, downAlertedAt: null },
        { endedAt: { not: null }, downAlertedAt: { not: null }, recoveryAlertedAt: null },
      ],
    },
    orderBy: { startedAt: "asc" },
    include: { server: { select: { host: true, port: true } } },
  });
  if (owed.length === 0) return 0;
  const recipients = await alertRecipients(tenantId, source.alertEmails);
  // Nobody to tell: the alerts stay owed (the Availability page says why) rather than be kept
  // in the outbox addressed to no one and marked sent.
  if (recipients.length === 0) return 0;
  let sent = 0;

  type TAlertField = "downAlertedAt" | "recoveryAlertedAt";
  // At least once: the mail goes out, then its outages are marked as announced. A worker that
  // dies in between mails it again at the next poll; marking first would lose it for good. (The
  // poll lease keeps two polls of one source from mailing at once.)
  const deliver = async (mail: TAlertMail, outageIds: string[], field: TAlertField) => {
    try {
      // One message to every recipient: the relay delivers it to those it accepts, so an
      // address it refuses for good (a typo) cannot make the others get it again at each poll.
      await sendMail({ tenantId, to: recipients.join(", "), ...mail });
    } catch (error) {
      console.error(`[cdr] alert for source ${sourceId} not delivered, retried at the next poll: ${errorMessage(error)}`);
      return;
    }
    sent++;
    await db().cdrSourceOutage.updateMany({ where: { tenantId, id: { in: outageIds }, [field]: null }, data: { [field]: now } });
  };

  // Every owed mail is an event at the instant it announces (an outage's start or end), sent
  // oldest first: a "recovered" still owed from an earlier poll must not arrive after a newer
  // "ALL down". Ties go to the recovery (what ended came before what began at that instant).
  type TOwedMail = { at: Date; recovery: boolean; send: () => Promise<void> };
  const mails: TOwedMail[] = [];
  // Server outages a source-wide mail stands for: they get no mail of their own. Left owed when
  // that mail fails, so the next poll's mail stands for them again (or, the source back, their own).
  const coveredDown = new Set<string>();
  const coveredRecovery = new Set<string>();
  for (const outage of owed) {
    if (outage.serverId !== null) continue;
    if (outage.endedAt === null && outage.downAlertedAt === null) {
      // Every server down: one loud mail, which also stands for each server's own "down" mail.
      const openServerOutages = owed.filter((other) => other.serverId !== null && other.endedAt === null).map((other) => other.id);
      for (const id of openServerOutages) coveredDown.add(id);
      mails.push({
        at: outage.startedAt,
        recovery: false,
        send: () =>
          deliver(
            allServersDownMail({
              sourceId,
              sourceName: source.name,
              since: outage.startedAt,
              servers: source.servers.map((server) => ({ server: serverLabel(server), error: server.lastError })),
            }),
            [outage.id, ...openServerOutages],
            "downAlertedAt",
          ),
      });
    } else if (outage.endedAt !== null && outage.downAlertedAt !== null && outage.recoveryAlertedAt === null) {
      // The source is back: one mail, which also stands for the recovery of each server that the
      // loud mail announced and that came back with it.
      const { endedAt } = outage;
      const announcedAt = outage.downAlertedAt.getTime();
      const cameBackWith = owed
        .filter((other) => other.serverId !== null && other.endedAt !== null && other.downAlertedAt?.getTime() === announcedAt)
        .map((other) => other.id);
      for (const id of cameBackWith) coveredRecovery.add(id);
      mails.push({
        at: endedAt,
        recovery: true,
        send: () =>
          deliver(
            allServersRecoveredMail({ sourceId, sourceName: source.name, since: outage.startedAt, until: endedAt, via: options.via }),
            [outage.id, ...cameBackWith],
            "recoveryAlertedAt",
          ),
      });
    }
  }
  for (const outage of owed) {
    if (!outage.server) continue;
    const label = serverLabel(outage.server);
    if (outage.endedAt === null && outage.downAlertedAt === null && !coveredDown.has(outage.id)) {
      mails.push({
        at: outage.startedAt,
        recovery: false,
        send: () =>
          deliver(
            serverDownMail({ sourceId, sourceName: source.name, server: label, since: outage.startedAt, error: outage.error, failover: options.via }),
            [outage.id],
            "downAlertedAt",
          ),
      });
    } else if (outage.endedAt !== null && outage.downAlertedAt !== null && outage.recoveryAlertedAt === null && !coveredRecovery.has(outage.id)) {
      const { endedAt } = outage;
      mails.push({
        at: endedAt,
        recovery: true,
        send: () =>
          deliver(
            serverRecoveredMail({ sourceId, sourceName: source.name, server: label, since: outage.startedAt, until: endedAt, error: outage.lastError ?? outage.error }),
            [outage.id],
            "recoveryAlertedAt",
          ),
      });
    }
  }
  mails.sort((a, b) => a.at.getTime() - b.at.getTime() || Number(b.recovery) - Number(a.recovery));
  for (const mail of mails) await mail.send();
  return sent;
}

/**
 * Tells the source's recipients about the files this poll held for review: one mail naming
 * them. Only the poll that received a file knows it is new (later polls find it known and skip
 * it), so each held file is mailed about once, and never again. A mail the relay refuses is
 * logged and not retried: the file stays counted on the overview and in the menu until an
 * admin releases or dismisses it. Uploads are not mailed: the uploader sees the result; nor is
 * "Poll now" on a disabled source, which mails no one (an admin asked for it and watches it).
 */
async function mailHeldFiles(options: { tenantId: string; sourceId: string; fetched: TFetchedFile[] }): Promise<boolean> {
  const { tenantId, sourceId } = options;
  const held = options.fetched.filter((file) => file.status === "HELD");
  if (held.length === 0) return false;
  try {
    const source = await db().cdrSource.findFirstOrThrow({ where: { tenantId, id: sourceId }, select: { name: true, enabled: true, alertEmails: true } });
    if (!source.enabled) return false;
    const recipients = await alertRecipients(tenantId, source.alertEmails);
    if (recipients.length === 0) return false;
    const mail = heldFilesMail({ sourceId, sourceName: source.name, files: held.map((file) => ({ id: file.fileId, name: file.name, note: file.note })) });
    await sendMail({ tenantId, to: recipients.join(", "), ...mail });
    return true;
  } catch (error) {
    console.error(`[cdr] mail about ${held.length} held file(s) of source ${sourceId} not delivered: ${errorMessage(error)}`);
    return false;
  }
}

export type TPollOptions = {
  tenantId: string;
  sourceId: string;
  /** Clock for outages and alerts (tests). */
  now?: Date;
  /** SSH handshake timeout per server. */
  connectTimeoutMs?: number;
  /**
   * When the listing has recent new files, the folder is listed again this many seconds
   * later, and files whose size or modification time changed meanwhile are left for a later
   * poll (still being written, or replaced); see filesStillWritten. 0 (the default): no
   * second listing.
   */
  settleSeconds?: number;
  /** How long the poll holds the source between renewals (tests; renewed every third of it). */
  leaseMs?: number;
  /** How long a server may leave a listing or download without any answer (see DEFAULT_STALL_TIMEOUT_MS). */
  stallTimeoutMs?: number;
  /**
   * When the poll must give up, and the limit in words for the source's error ("2h"): the job
   * function sets it a little before its run's finish timeout (CDR_POLL_DEADLINE in
   * server/jobs/timeouts.ts). Once the signal aborts, the poll stops renewing its lease, ends
   * its SFTP sessions (a hung read or listing fails at once), records on the source that it
   * did not finish, and frees it. What it was doing then counts against no server: the time
   * ran out, the server was not found down. Files not fetched yet, or fetched only in part
   * (the partial copy is dropped), are fetched by the next poll.
   */
  deadline?: { signal: AbortSignal; limit: string };
};

/** Polls one source: see the module comment. Returns what happened, for the job's output and "poll now". */
export async function pollSource(options: TPollOptions): Promise<TPollSummary> {
  const { tenantId, sourceId } = options;
  const now = options.now ?? new Date();
  // When each check happened: a server found down at the end of a long download went down then,
  // not when the poll began (the outage and its mail would claim minutes it was serving).
  const startedAt = Date.now();
  const clock = () => new Date(now.getTime() + (Date.now() - startedAt));
  const summary: TPollSummary = {
    sourceId,
    outcome: "POLLED",
    server: null,
    serverId: null,
    attempts: [],
    fetched: [],
    skipped: 0,
    waiting: 0,
    errors: [],
    alertsSent: 0,
    heldMailed: false,
  };
  const lease = await PollLease.take(tenantId, sourceId, options.leaseMs ?? LEASE_MS);
  if (!lease) {
    const exists = await db().cdrSource.findFirst({ where: { tenantId, id: sourceId }, select: { id: true } });
    if (!exists) throw AppError.notFound("CDR source");
    return { ...summary, outcome: "BUSY" };
  }
  let pollError: string | null = null;
  const deadline = options.deadline?.signal;
  const stopRenewing = () => lease.stopRenewing();
  deadline?.addEventListener("abort", stopRenewing, { once: true });
  if (deadline?.aborted) stopRenewing();
  const connectOptions: TSftpConnectOptions = { timeoutMs: options.connectTimeoutMs, stallTimeoutMs: options.stallTimeoutMs, signal: deadline };
  try {
    const source = await db().cdrSource.findFirstOrThrow({
      where: { tenantId, id: sourceId },
      include: { servers: { where: LIVE_SERVER, orderBy: { position: "asc" } } },
    });
    if (source.servers.length === 0) {
      pollError = "No SFTP server configured: this source takes uploads only";
      return { ...summary, outcome: "NO_SERVERS" };
    }

    // Servers in order until one delivers: lets the poll in, lists the folder, and serves the
    // files (or has none to fetch). One that lists and then cannot serve them (its reads stall
    // or fail) is down like one that refused the login, and the next one fetches the rest
    // (those already received are known and skipped).
    let delivered: (typeof source.servers)[number] | null = null;
    let next = 0;
    // Set when the deadline cut the poll short, with the server it was using then, if any,
    // and whether that server had listed the folder and was delivering.
    let cutShort: { server: (typeof source.servers)[number] | null; fetching: boolean } | null = null;
    while (next < source.servers.length && !lease.lost) {
      if (deadline?.aborted) {
        cutShort = { server: null, fetching: false };
        break;
      }
      const server = source.servers[next++]!;
      const result = await tryServerFolder(tenantId, source, server, clock, connectOptions, lease, true);
      summary.attempts.push(result.attempt);
      if (result.attempt.kind === "STOPPED") {
        cutShort = { server, fetching: false };
        break;
      }
      const session = result.session;
      if (!session) continue;
      let failure: { error: string; kind: string } | null | "STOPPED";
      // What a server that then fails counted is counted again by the next one, from its listing.
      const counted = { skipped: summary.skipped, waiting: summary.waiting };
      try {
        failure = await fetchFiles({ session, files: result.files, source, serverId: server.id, summary, clock, settleSeconds: options.settleSeconds ?? 0, lease, deadline });
      } finally {
        await session.close();
      }
      if (lease.lost) break;
      if (failure === "STOPPED") {
        Object.assign(result.attempt, { ok: false, error: `Stopped while fetching from ${serverLabel(server)}: the poll's deadline passed`, kind: "STOPPED" });
        cutShort = { server, fetching: true };
        break;
      }
      if (failure === null) {
        delivered = server;
        break;
      }
      Object.assign(summary, counted);
      Object.assign(result.attempt, { ok: false, ...failure });
      await markServer(tenantId, sourceId, server.id, failure.error, clock(), lease);
    }

    // Stopped cleanly: the new owner fetches the rest, measures the servers and mails.
    const stopped = () => {
      summary.outcome = "LEASE_LOST";
      summary.errors.push("Stopped: the poll outlasted its lease and another poll took the source over");
      return summary;
    };
    if (lease.lost) return stopped();
    const notAllowed = (attempt: TPollAttempt) => attempt.kind === "NOT_ALLOWED";
    const timedOut = (during: string) => {
      summary.outcome = "TIMED_OUT";
      pollError = `The poll did not finish within ${options.deadline?.limit ?? "its time limit"} and was stopped${during}`;
      summary.errors.unshift(pollError);
    };
    if (cutShort) {
      // No server was found down by being stopped, nor every server (no source-wide outage):
      // only servers that failed before the deadline were recorded, as they failed.
      timedOut(`${cutShort.server ? ` while using ${serverLabel(cutShort.server)}` : ""}; the next poll fetches what it left`);
      if (cutShort.server && cutShort.fetching) {
        summary.server = serverLabel(cutShort.server);
        summary.serverId = cutShort.server.id;
      }
    } else if (!delivered && summary.attempts.every(notAllowed)) {
      // Nothing the platform may use is down: a configuration error, shown on the source, with
      // no source-wide outage (see markServerNotAllowed).
      pollError = `No server of this source may be polled: ${summary.attempts.map((attempt) => attempt.error).join("; ")}`;
      summary.errors.push(pollError);
      summary.outcome = "NO_ALLOWED_SERVER";
      await pool().query(
        `UPDATE cdr_source_outages
         SET ended_at = GREATEST(started_at, $3), recovery_alerted_at = $3,
             last_error = COALESCE(last_error, error) || ' (monitoring stopped: no server''s address is allowed)'
         WHERE tenant_id = $1 AND source_id = $2 AND server_id IS NULL AND ended_at IS NULL`,
        [tenantId, sourceId, clock()],
      );
    } else if (!delivered) {
      const reasons = summary.attempts.map((attempt) => attempt.error).join("; ");
      await recordFailure(tenantId, sourceId, null, `Every server is down: ${reasons}`, clock());
      pollError = `${source.servers.length === 1 ? "The only server is" : `All ${source.servers.length} servers are`} down: ${reasons}`;
      summary.outcome = "ALL_SERVERS_DOWN";
    } else {
      summary.server = serverLabel(delivered);
      summary.serverId = delivered.id;
      await markServer(tenantId, sourceId, delivered.id, null, clock(), lease);
      await closeOutage(tenantId, sourceId, null, clock());
      // The servers after the one used are probed too (log in and list the folder, as a poll
      // would), so their outages are measured. Each probe settles on its own: one failing (the
      // database) leaves the others' checks and this poll's alerts standing.
      const probed = source.servers.slice(next);
      const probes = await Promise.allSettled(
        probed.map(async (server) => {
          const result = await tryServerFolder(tenantId, source, server, clock, connectOptions, lease, false);
          await result.session?.close();
          return result.attempt;
        }),
      );
      probes.forEach((probe, index) => {
        if (probe.status === "fulfilled") summary.attempts.push(probe.value);
        else summary.errors.push(`Checking ${serverLabel(probed[index]!)} failed: ${errorMessage(probe.reason)}`);
      });
      // Not an outage, but the source's settings need fixing: said on the source at each poll.
      for (const attempt of summary.attempts) if (notAllowed(attempt) && attempt.error) summary.errors.push(attempt.error);
      if (summary.errors.length > 0) pollError = summary.errors.length === 1 ? summary.errors[0]! : `${summary.errors.length} problems, the first: ${summary.errors[0]}`;
      // The files were fetched; the deadline passed while the other servers were checked.
      if (summary.attempts.some((attempt) => attempt.kind === "STOPPED")) timedOut(" while checking the other servers (the files were fetched)");
    }
    if (lease.lost) return stopped();
    summary.alertsSent = await sendOwedAlerts({ tenantId, sourceId, now: clock(), via: summary.server });
    return summary;
  } catch (error) {
    pollError = errorMessage(error);
    throw error;
  } finally {
    deadline?.removeEventListener("abort", stopRenewing);
    // Whatever ended the poll (a lost lease, the deadline, an error after some files): the files
    // it held were recorded by it alone, and no later poll will see them as new.
    summary.heldMailed = await mailHeldFiles({ tenantId, sourceId, fetched: summary.fetched });
    await lease.release(now, pollError);
  }
}

/**
 * A file modified this long ago by our clock is complete, whatever a plausible difference
 * between the carrier's clock and ours.
 */
const SURELY_WRITTEN_AFTER_MS = 15 * 60_000;

/**
 * Which listed files the carrier may still be writing. Modification times come from the
 * carrier's clock, not ours: compared with our clock, a server running a minute behind makes
 * a file being written look a minute old (fetched half-written, billed short, and its full
 * version later held as "changed content"), and one running ahead makes finished files wait.
 * So when there are recent new files (modified less than SURELY_WRITTEN_AFTER_MS ago by our
 * clock, or "in the future"), the folder is listed again `settleSeconds` later, and every file
 * whose size or modification time changed meanwhile (or that went away) is left for a later
 * poll: a new one is still being written, and one already received that the carrier replaced
 * must not be moved or deleted unread. Polls without recent new files do not wait.
 */
async function filesStillWritten(options: {
  session: SftpSession;
  source: { remoteDir: string; filePattern: string };
  files: TRemoteFile[];
  isNew: (file: TRemoteFile) => boolean;
  now: Date;
  settleSeconds: number;
  summary: TPollSummary;
  deadline: AbortSignal | undefined;
}): Promise<Set<string>> {
  const { session, source, files, deadline } = options;
  const recentSince = options.now.getTime() - SURELY_WRITTEN_AFTER_MS;
  if (!files.some((file) => options.isNew(file) && file.modifiedAt.getTime() > recentSince)) return new Set();
  // Cut short by the deadline: the session is ended by then, so the listing below fails as stopped.
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      deadline?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, options.settleSeconds * 1000);
    deadline?.addEventListener("abort", done, { once: true });
    if (deadline?.aborted) done();
  });
  let again: TRemoteFile[];
  try {
    again = await session.list(source.remoteDir, source.filePattern);
  } catch (error) {
    if (error instanceof SftpAbortedError) throw error;
    options.summary.errors.push(`Cannot list ${source.remoteDir} on ${session.label} again to see which files are complete; they wait: ${errorMessage(error)}`);
    return new Set(files.map((file) => file.remotePath));
  }
  const later = new Map(again.map((file) => [file.remotePath, file]));
  return new Set(
    files
      .filter((file) => {
        const seen = later.get(file.remotePath);
        return seen === undefined || seen.size !== file.size || seen.modifiedAt.getTime() !== file.modifiedAt.getTime();
      })
      .map((file) => file.remotePath),
  );
}

/**
 * Downloads a listed file to `localPath`; null when what came is not the file as listed: its
 * size differs, it grew while it was read, or a look at it afterwards finds another size or
 * modification time. The carrier is still writing it (a server whose clock lags makes a file
 * being written look old enough to skip the second listing): it waits for a later poll, as
 * the listing's size and time, recorded with the file, would not describe this copy.
 */
async function downloadAsListed(session: SftpSession, file: TRemoteFile, localPath: string): Promise<TDownloadedContent | null> {
  let content: TDownloadedContent;
  try {
    content = await session.download(file.remotePath, localPath);
  } catch (error) {
    if (error instanceof SftpFileChangedError) return null;
    throw error;
  }
  if (content.size !== file.size) return null;
  let after: { size: number; modifiedAt: Date };
  try {
    after = await session.stat(file.remotePath);
  } catch (error) {
    // Gone right after it was read whole (moved away by the carrier): nothing newer to wait
    // for, and waiting would lose it.
    if (error instanceof SftpRequestError && error.code === SFTP_STATUS_NO_SUCH_FILE) return content;
    throw error;
  }
  return after.size === file.size && after.modifiedAt.getTime() === file.modifiedAt.getTime() ? content : null;
}

/**
 * A download that failed on the server's side: it stopped answering, or answered with an
 * error (an I/O error, no permission). A file gone since the listing is the carrier's doing,
 * and a failure on our side (the spool disk, the database) is not the server's.
 */
function isServerFailure(error: unknown): boolean {
  return error instanceof SftpStallError || (error instanceof SftpRequestError && error.code !== SFTP_STATUS_NO_SUCH_FILE);
}

/**
 * Fetches the listed files that are new and complete. Returns why the server failed to deliver
 * them, or null: it stopped answering, or its downloads failed and none succeeded (one file it
 * cannot serve among others it can is that file's problem, reported and retried, not an outage).
 * STOPPED: the poll's deadline passed first, which says nothing about the server.
 */
async function fetchFiles(options: {
  session: SftpSession;
  /** The remote folder's listing, oldest first. */
  files: TRemoteFile[];
  source: { id: string; tenantId: string; remoteDir: string; filePattern: string; afterDownload: "LEAVE" | "MOVE" | "DELETE"; processedDir: string | null };
  serverId: string;
  summary: TPollSummary;
  clock: () => Date;
  settleSeconds: number;
  lease: PollLease;
  deadline: AbortSignal | undefined;
}): Promise<{ error: string; kind: string } | null | "STOPPED"> {
  const { session, source, summary, lease, deadline } = options;
  const stalled = () => (session.stalled ? { error: session.stalled.message, kind: "STALL" } : null);
  const known = new Set<string>();
  const files: TRemoteFile[] = [];
  for (const file of options.files) {
    try {
      const identity = { tenantId: source.tenantId, sourceId: source.id, remotePath: file.remotePath, size: file.size, remoteModifiedAt: file.modifiedAt };
      if (await isKnownRemoteFile(identity)) known.add(file.remotePath);
      files.push(file);
    } catch (error) {
      summary.errors.push(`${file.name}: ${errorMessage(error)}`);
    }
  }
  let stillWritten = new Set<string>();
  try {
    if (options.settleSeconds > 0) {
      stillWritten = await filesStillWritten({ session, source, files, isNew: (file) => !known.has(file.remotePath), now: options.clock(), settleSeconds: options.settleSeconds, summary, deadline });
    }
  } catch (error) {
    if (error instanceof SftpAbortedError) return "STOPPED";
    throw error;
  }
  // The second listing stalled: the connection is gone, the files are left to the next server.
  if (session.stalled) return stalled();
  let downloads = 0;
  let downloadFailure: string | null = null;
  for (const file of files) {
    // Taken over (this poll stalled past its lease): no further files, the new owner has them.
    if (lease.lost) return null;
    if (deadline?.aborted) return "STOPPED";
    if (stillWritten.has(file.remotePath)) {
      summary.waiting++;
      continue;
    }
    try {
      if (known.has(file.remotePath)) {
        summary.skipped++;
        // Received by an earlier poll that stopped before moving or deleting it: finish that.
        if (source.afterDownload !== "LEAVE") await applyAfterDownload(session, source, file.remotePath);
        continue;
      }
      const localPath = await spoolTempPath();
      let received: Awaited<ReturnType<typeof receiveCdrFile>>;
      try {
        let content: TDownloadedContent | null;
        try {
          content = await downloadAsListed(session, file, localPath);
        } catch (error) {
          if (isServerFailure(error)) downloadFailure ??= `Cannot download ${file.remotePath} from ${session.label}: ${errorMessage(error)}`;
          throw error;
        }
        downloads++;
        if (content === null) {
          summary.waiting++;
          continue;
        }
        // Still ours after a long download? If not, the new owner may be fetching, moving or
        // deleting this very file: the copy is dropped (the finally below) and left to it.
        if (!(await lease.renew())) return null;
        received = await receiveCdrFile({
          content,
          tenantId: source.tenantId,
          sourceId: source.id,
          fileName: file.name,
          remotePath: file.remotePath,
          remoteModifiedAt: file.modifiedAt,
          localPath,
          serverId: options.serverId,
        });
      } finally {
        // receiveCdrFile moved it into the spool; anything left is a failed or dropped download.
        await rm(localPath, { force: true });
      }
      const fetched = { name: file.name, remotePath: file.remotePath, size: file.size, fileId: received.id, status: received.status, note: received.note };
      // Only now that the file is recorded may the carrier's copy be moved or deleted.
      let after: string | null;
      try {
        after = await applyAfterDownload(session, source, file.remotePath);
      } catch (error) {
        // Received all the same; the next poll finds it known and moves or deletes it.
        if (error instanceof SftpAbortedError) summary.fetched.push({ ...fetched, afterDownload: null });
        throw error;
      }
      summary.fetched.push({ ...fetched, afterDownload: after });
    } catch (error) {
      // A copy cut short was dropped (the finally above): the next poll fetches the file whole.
      if (error instanceof SftpAbortedError) return "STOPPED";
      summary.errors.push(`${file.name}: ${errorMessage(error)}`);
      // The connection was ended: the other files are left to the next server.
      if (session.stalled) return stalled();
    }
  }
  if (session.stalled) return stalled();
  return downloads === 0 && downloadFailure !== null ? { error: downloadFailure, kind: "READ" } : null;
}

async function applyAfterDownload(
  session: SftpSession,
  source: { afterDownload: "LEAVE" | "MOVE" | "DELETE"; processedDir: string | null },
  remotePath: string,
): Promise<string | null> {
  if (source.afterDownload === "MOVE" && source.processedDir) return `moved to ${await session.moveTo(remotePath, source.processedDir)}`;
  if (source.afterDownload === "DELETE") {
    await session.delete(remotePath);
    return "deleted";
  }
  return null;
}

export type TDueSource = { tenantId: string; sourceId: string; slot: string };

/**
 * Enabled sources with a server whose poll interval has passed and no poll running. The slot
 * (the minute) makes the poll request's event id, so two ticks in one minute request once.
 */
export async function dueSources(now: Date = new Date()): Promise<TDueSource[]> {
  const due = await pool().query<{ id: string; tenant_id: string }>(
    `SELECT s.id, s.tenant_id FROM cdr_sources s
     WHERE s.enabled
       AND EXISTS (SELECT 1 FROM cdr_source_servers v WHERE v.source_id = s.id AND v.removed_at IS NULL)
       AND (s.last_polled_at IS NULL
            OR s.last_polled_at <= $1::timestamptz - make_interval(mins => s.poll_interval_minutes) + make_interval(secs => $2))
       AND (s.poll_lease_until IS NULL OR s.poll_lease_until < $1)
     ORDER BY s.last_polled_at NULLS FIRST`,
    [now, DUE_SLACK_SECONDS],
  );
  const slot = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
  return due.rows.map((row) => ({ tenantId: row.tenant_id, sourceId: row.id, slot }));
}

export type TConnectionTest = {
  servers: {
    serverId: string | null;
    server: string;
    ok: boolean;
    error: string | null;
    kind: string | null;
    elapsedMs: number;
    /**
     * The host key the server presented, and how it compares with the known one: KNOWN (the
     * same), NEW (none known yet: a poll would keep this one), CHANGED (refused). Null when
     * the connection failed before the key exchange.
     */
    hostKey: { fingerprint: string; status: "KNOWN" | "NEW" | "CHANGED" } | null;
    /** The files a poll would consider, newest last; `known` ones would be skipped. */
    files: { name: string; size: number; modifiedAt: Date; known: boolean }[];
    fileCount: number;
    listError: string | null;
  }[];
};

const TEST_FILE_LIMIT = 200;

/**
 * Connects to each server in turn and lists what a poll would fetch, downloading nothing
 * and changing no state (no outage, no status): a test must not page the carrier's NOC.
 */
export async function testSourceConnection(options: {
  tenantId: string;
  sourceId?: string | null;
  fields?: TCdrSourceFields | null;
  connectTimeoutMs?: number;
}): Promise<TConnectionTest> {
  const target = await serversForTest(options);
  if (target.servers.length === 0) throw AppError.invalidField("servers", "Add an SFTP server to test");
  const results: TConnectionTest["servers"] = [];
  for (const server of target.servers) {
    results.push(await testOne(options.tenantId, target, server, options.connectTimeoutMs));
  }
  return { servers: results };
}

async function testOne(
  tenantId: string,
  target: { remoteDir: string; filePattern: string; sourceId: string | null },
  server: TServerCredentials,
  timeoutMs: number | undefined,
): Promise<TConnectionTest["servers"][number]> {
  const started = Date.now();
  const base = { serverId: server.id, server: serverLabel(server), files: [], fileCount: 0, listError: null };
  let session: SftpSession;
  try {
    session = await SftpSession.connect(server, { timeoutMs });
  } catch (error) {
    const presented = error instanceof SftpConnectError ? error.presentedHostKey : null;
    return {
      ...base,
      ok: false,
      error: errorMessage(error),
      kind: error instanceof SftpConnectError ? error.kind : null,
      elapsedMs: Date.now() - started,
      hostKey: presented ? { fingerprint: presented, status: "CHANGED" as const } : null,
    };
  }
  const elapsedMs = Date.now() - started;
  const hostKey = { fingerprint: session.hostKey, status: server.hostKey === null ? ("NEW" as const) : ("KNOWN" as const) };
  try {
    const listed = await session.list(target.remoteDir, target.filePattern);
    const files = [];
    for (const file of listed.slice(-TEST_FILE_LIMIT)) {
      const known = target.sourceId
        ? await isKnownRemoteFile({ tenantId, sourceId: target.sourceId, remotePath: file.remotePath, size: file.size, remoteModifiedAt: file.modifiedAt })
        : false;
      files.push({ name: file.name, size: file.size, modifiedAt: file.modifiedAt, known });
    }
    return { ...base, ok: true, error: null, kind: null, elapsedMs, hostKey, files, fileCount: listed.length };
  } catch (error) {
    return { ...base, ok: true, error: null, kind: null, elapsedMs, hostKey, listError: `Cannot list ${target.remoteDir}: ${errorMessage(error)}` };
  } finally {
    await session.close();
  }
}

/** "Poll now": asks the poll function to run for this source (it queues behind a running poll). */
export async function requestPoll(options: { tenantId: string; actor: TActor; sourceId: string }): Promise<{ requested: true }> {
  const source = await db().cdrSource.findFirst({
    where: { tenantId: options.tenantId, id: options.sourceId },
    select: { id: true, _count: { select: { servers: { where: LIVE_SERVER } } } },
  });
  if (!source) throw AppError.notFound("CDR source");
  if (source._count.servers === 0) throw new AppError("PRECONDITION_FAILED", "This source has no SFTP server to poll: it takes uploads only");
  await recordAudit(db(), { tenantId: options.tenantId, actor: options.actor, action: "cdr_source.poll_requested", targetType: "cdr_source", targetId: source.id });
  await sendEvent({
    name: "cdr/source.poll-requested",
    id: `cdr-poll-${source.id}-manual-${randomUUID()}`,
    data: { tenantId: options.tenantId, sourceId: source.id },
  });
  return { requested: true };
}
