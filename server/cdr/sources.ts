import { posix } from "node:path";
import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import { db, type TDb, type TTransaction } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError, isUniqueViolation } from "@/server/errors";
import { ZPageInput, sortOrder, type TPage } from "@/server/lib/pagination";
import { decryptSecret, encryptSecret } from "@/server/security/secrets";
import { CDR_FORMATS } from "@/server/rating/cdr-formats";
import { TimeZoneError, resolveTimeZone } from "@/server/rating/time-zone";
import { isRefusedLiteralAddress, notAllowedMessage } from "./sftp-network";
import { MAX_ALERT_EMAILS, ZAlertEmail } from "./alert-emails";

/**
 * CDR sources: where a tenant's CDR files come from. A source has an ordered list of SFTP
 * servers (position 0 is tried first) or none at all (upload-only). Server credentials are
 * encrypted at rest and never leave the server: reads return `hasPassword` / `hasPrivateKey`.
 *
 * A server taken out of the list is soft-deleted (`removedAt`), not deleted: its outages are
 * the source's SLA evidence (server/cdr/availability.ts). Everything that edits, lists, counts
 * or polls a source's servers reads the live ones only (`LIVE_SERVER`).
 */

export const CDR_AFTER_DOWNLOAD = ["LEAVE", "MOVE", "DELETE"] as const;
export const SERVER_AUTH_METHODS = ["PASSWORD", "KEY"] as const;
export const MAX_SERVERS_PER_SOURCE = 10;

/** `*` and `?` wildcards on a file name (no directories). */
export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${escaped}$`);
}

const ZRemotePath = z
  .string()
  .trim()
  .min(1, "Give a directory (\".\" is the login directory)")
  .max(500)
  .refine((value) => !value.includes("\0"), "The path contains a NUL character");

/** A remote folder as the server resolves it: "cdr/../cdr/", "./cdr" and "cdr" are one folder. */
function sameRemoteFolder(a: string, b: string): boolean {
  const canonical = (value: string) => posix.normalize(value).replace(/(.)\/+$/, "$1");
  return canonical(a) === canonical(b);
}

export const ZCdrServerFields = z
  .object({
    /**
     * An existing server of this source (keeps its status, outages and stored secret). At
     * another host or port it is another machine: the old server is removed and a new one added.
     */
    id: z.uuid().optional(),
    host: z
      .string()
      .trim()
      .min(1, "Host is required")
      .max(253)
      .regex(/^[A-Za-z0-9.:[\]_-]+$/, "Use a host name or an IP address"),
    port: z.coerce.number().int("Port is a whole number").min(1, "Port is 1 to 65535").max(65535, "Port is 1 to 65535").default(22),
    username: z.string().trim().min(1, "Username is required").max(128),
    authMethod: z.enum(SERVER_AUTH_METHODS).default("PASSWORD"),
    /** Blank on edit keeps the stored password. */
    password: z.string().max(1000).default(""),
    /** PEM/OpenSSH private key (unencrypted). Blank on edit keeps the stored key. */
    privateKey: z.string().max(20_000).default(""),
  });
export type TCdrServerFields = z.input<typeof ZCdrServerFields>;

export const ZCdrSourceFields = z
  .object({
    name: z.string().trim().min(1, "Name is required").max(120),
    format: z.enum(CDR_FORMATS, "Choose asterisk, freeswitch or csv"),
    timeZone: z
      .string()
      .trim()
      .max(64)
      .superRefine((value, context) => {
        try {
          resolveTimeZone(value);
        } catch (error) {
          if (!(error instanceof TimeZoneError)) throw error;
          context.addIssue({ code: "custom", message: `Time zone: ${error.message}` });
        }
      }),
    remoteDir: ZRemotePath.default("."),
    filePattern: z
      .string()
      .trim()
      .min(1, "Give a file-name pattern (* for every file)")
      .max(200)
      .regex(/^[^/\\\0]+$/, "A file-name pattern has no directory: use * and ? wildcards on the name"),
    afterDownload: z.enum(CDR_AFTER_DOWNLOAD).default("LEAVE"),
    processedDir: z.string().trim().max(500).nullable().default(null),
    pollIntervalMinutes: z.coerce
      .number()
      .int("Whole minutes")
      .min(1, "Poll at most every minute")
      .max(1440, "Poll at least once a day (1440 minutes)")
      .default(5),
    alertEmails: z.array(ZAlertEmail).max(MAX_ALERT_EMAILS, `At most ${MAX_ALERT_EMAILS} recipients`).default([]),
    costDeckId: z.uuid().nullable().default(null),
    servers: z.array(ZCdrServerFields).max(MAX_SERVERS_PER_SOURCE, `At most ${MAX_SERVERS_PER_SOURCE} servers`).default([]),
  })
  .superRefine((fields, context) => {
    if (fields.afterDownload === "MOVE" && !fields.processedDir) {
      context.addIssue({ code: "custom", path: ["processedDir"], message: "Give the folder processed files are moved to" });
    }
    // A file moved into the folder polled is listed again by the next poll, fetched as a
    // duplicate and moved once more under a new name, forever.
    if (fields.afterDownload === "MOVE" && fields.processedDir && sameRemoteFolder(fields.processedDir, fields.remoteDir)) {
      context.addIssue({ code: "custom", path: ["processedDir"], message: "The processed folder must differ from the folder polled" });
    }
    const seen = new Set<string>();
    fields.servers.forEach((server, index) => {
      const key = `${server.host.toLowerCase()}:${server.port}:${server.username}`;
      if (seen.has(key)) context.addIssue({ code: "custom", path: ["servers", index, "host"], message: "This server is already in the list" });
      seen.add(key);
    });
  });
export type TCdrSourceFields = z.input<typeof ZCdrSourceFields>;
type TParsedSourceFields = z.output<typeof ZCdrSourceFields>;

export const ZCdrSourceListInput = ZPageInput.extend({ enabled: z.boolean().nullable().default(null) });

/** The servers that are part of their source (not removed). */
export const LIVE_SERVER = { removedAt: null } satisfies Prisma.CdrSourceServerWhereInput;

const serverSelect = {
  id: true,
  position: true,
  host: true,
  port: true,
  username: true,
  passwordEnc: true,
  privateKeyEnc: true,
  status: true,
  lastError: true,
  lastCheckedAt: true,
  hostKey: true,
  presentedHostKey: true,
} satisfies Prisma.CdrSourceServerSelect;

type TStoredServer = Prisma.CdrSourceServerGetPayload<{ select: typeof serverSelect }>;

/** What the browser may see of a server: flags instead of secrets. */
function publicServer(server: TStoredServer) {
  const { passwordEnc, privateKeyEnc, ...rest } = server;
  return {
    ...rest,
    authMethod: privateKeyEnc ? ("KEY" as const) : ("PASSWORD" as const),
    hasPassword: passwordEnc !== null,
    hasPrivateKey: privateKeyEnc !== null,
  };
}
export type TPublicCdrServer = ReturnType<typeof publicServer>;

const sourceSelect = {
  id: true,
  name: true,
  format: true,
  timeZone: true,
  remoteDir: true,
  filePattern: true,
  afterDownload: true,
  processedDir: true,
  pollIntervalMinutes: true,
  enabled: true,
  alertEmails: true,
  costDeckId: true,
  pollLeaseUntil: true,
  lastPolledAt: true,
  lastPollError: true,
  createdAt: true,
  updatedAt: true,
  costDeck: { select: { id: true, name: true } },
  servers: { where: LIVE_SERVER, select: serverSelect, orderBy: { position: "asc" } },
} satisfies Prisma.CdrSourceSelect;

type TStoredSource = Prisma.CdrSourceGetPayload<{ select: typeof sourceSelect }>;

function publicSource(source: TStoredSource, now = new Date()) {
  return {
    ...source,
    /** A poll holds the lease right now. */
    polling: source.pollLeaseUntil !== null && source.pollLeaseUntil > now,
    servers: source.servers.map(publicServer),
  };
}
export type TPublicCdrSource = ReturnType<typeof publicSource>;

const SORTABLE = ["name", "format", "enabled", "lastPolledAt", "createdAt"] as const;

export async function listCdrSources(options: { tenantId: string; query: z.input<typeof ZCdrSourceListInput> }): Promise<TPage<TPublicCdrSource>> {
  const query = ZCdrSourceListInput.parse(options.query);
  const where: Prisma.CdrSourceWhereInput = {
    tenantId: options.tenantId,
    ...(query.enabled === null ? {} : { enabled: query.enabled }),
    ...(query.search
      ? {
          OR: [
            { name: { contains: query.search, mode: "insensitive" } },
            { servers: { some: { ...LIVE_SERVER, host: { contains: query.search, mode: "insensitive" } } } },
          ],
        }
      : {}),
  };
  const [rows, total] = await Promise.all([
    db().cdrSource.findMany({
      where,
      select: sourceSelect,
      orderBy: [sortOrder(query.sort, SORTABLE, { id: "name", desc: false }), { id: "asc" }],
      skip: query.page * query.pageSize,
      take: query.pageSize,
    }),
    db().cdrSource.count({ where }),
  ]);
  const now = new Date();
  return { rows: rows.map((row) => publicSource(row, now)), total, page: query.page, pageSize: query.pageSize };
}

export type TCdrSourceDetail = TPublicCdrSource & {
  /** Format and time zone can no longer change: calls of the source are stored (see refuseRereadingStoredCalls). */
  readingFixed: boolean;
  /** Whether any file came from the source: only a source without files can be deleted (deleteCdrSource). */
  hasFiles: boolean;
};

export async function getCdrSource(options: { tenantId: string; sourceId: string }): Promise<TCdrSourceDetail> {
  const source = await db().cdrSource.findFirst({ where: { tenantId: options.tenantId, id: options.sourceId }, select: sourceSelect });
  if (!source) throw AppError.notFound("CDR source");
  const [readingFixed, file] = await Promise.all([
    callsStoredFrom(options.tenantId, source.id),
    db().cdrFile.findFirst({ where: { tenantId: options.tenantId, sourceId: source.id }, select: { id: true } }),
  ]);
  return { ...publicSource(source), readingFixed, hasFiles: file !== null };
}

/**
 * Deletes a source that never delivered a file (a mistyped one, a trial): with its servers, their
 * stored credentials and its availability record. A source with files is their record and the
 * calls' origin: it can only be turned off. Taken under the source row's lock, which every file's
 * arrival shares (lockSourceForArrival): an arrival either committed before, and is counted, or
 * comes after and finds no source.
 */
export async function deleteCdrSource(options: { tenantId: string; actor: TActor; sourceId: string }): Promise<void> {
  await db().$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string; name: string; polling: boolean }[]>`
      SELECT id, name, COALESCE(poll_lease_until > now(), false) AS polling
      FROM cdr_sources WHERE tenant_id = ${options.tenantId}::uuid AND id = ${options.sourceId}::uuid FOR UPDATE`;
    const source = locked[0];
    if (!source) throw AppError.notFound("CDR source");
    // A poll holds the source: it would carry on with the deleted credentials and end in errors.
    if (source.polling) throw new AppError("CONFLICT", `${source.name} is being polled: turn its polling off, wait for the poll to end, then delete it.`);
    const files = await tx.cdrFile.count({ where: { tenantId: options.tenantId, sourceId: source.id } });
    if (files > 0) {
      throw new AppError(
        "PRECONDITION_FAILED",
        `${source.name} has ${files === 1 ? "a file on record, and the calls it brought" : `${files} files on record, and the calls they brought`}: it cannot be deleted. Turn its polling off instead.`,
      );
    }
    await tx.cdrSource.delete({ where: { tenantId_id: { tenantId: options.tenantId, id: source.id } } });
    await recordAudit(tx, { tenantId: options.tenantId, actor: options.actor, action: "cdr_source.deleted", targetType: "cdr_source", targetId: source.id, before: { name: source.name } });
  });
}

/** A server with its credentials in clear, for the SFTP client only. Never returned to a caller. */
export type TServerCredentials = {
  id: string | null;
  position: number;
  host: string;
  port: number;
  username: string;
  password: string | null;
  privateKey: string | null;
  /** The host key fingerprint the server must present; null: not known yet (any key, then kept). */
  hostKey: string | null;
};

export function credentialsOf(
  server: Pick<TStoredServer, "position" | "host" | "port" | "username" | "passwordEnc" | "privateKeyEnc" | "hostKey"> & { id: string | null },
): TServerCredentials {
  return {
    id: server.id,
    position: server.position,
    host: server.host,
    port: server.port,
    username: server.username,
    password: server.passwordEnc ? decryptSecret(server.passwordEnc) : null,
    privateKey: server.privateKeyEnc ? decryptSecret(server.privateKeyEnc) : null,
    hostKey: server.hostKey,
  };
}

const SERVER_GONE = "This server is no longer part of the source; reload the page";
const SECRET_FOR_NEW_ACCOUNT = {
  password: "The host, port or username changed: enter the password again",
  privateKey: "The host, port or username changed: paste the private key again",
};

type TResolvedServer = {
  id: string | undefined;
  host: string;
  port: number;
  username: string;
  passwordEnc: string | null;
  privateKeyEnc: string | null;
  /** Kept while the server stays at the same host and port; another machine is met afresh. */
  hostKey: string | null;
};

/**
 * Each submitted server with its sealed secret: a new secret is encrypted; a blank one keeps
 * what this server (same id, same method) has stored, as long as it still goes to the same
 * account (host, port and username unchanged); otherwise a field error. Without that last
 * condition anyone allowed to edit the source could send the carrier's stored password to a
 * server of their own (a test connection with only the host changed) and read it there.
 * A host typed as an address the platform does not connect to is a field error too (the
 * connection refuses it anyway, names included; this says so next to the field).
 */
function resolveServers(submitted: TParsedSourceFields["servers"], stored: TStoredServer[]): TResolvedServer[] {
  const byId = new Map(stored.map((server) => [server.id, server]));
  const claimed = new Set<string>();
  return submitted.map((server, index) => {
    if (isRefusedLiteralAddress(server.host)) throw AppError.invalidField(`servers.${index}.host`, notAllowedMessage(server.host, true));
    const existing = server.id ? byId.get(server.id) : undefined;
    // Only live servers are `stored`: a removed server's id is refused like an unknown one.
    if (server.id && !existing) throw AppError.invalidField(`servers.${index}.host`, SERVER_GONE);
    if (server.id) {
      if (claimed.has(server.id)) throw AppError.invalidField(`servers.${index}.host`, "This server is already in the list");
      claimed.add(server.id);
    }
    const sameMachine = existing !== undefined && existing.host.toLowerCase() === server.host.toLowerCase() && existing.port === server.port;
    const sameAccount = sameMachine && existing.username === server.username;
    // Another host or port is another machine: the row's status, outages and creation date
    // are the old machine's SLA evidence, so the old server is removed (writeServers, as when
    // it is taken out of the list) and this one added as a new server with a clean history.
    const base = { id: sameMachine ? existing.id : undefined, host: server.host, port: server.port, username: server.username, hostKey: sameMachine ? existing.hostKey : null };
    if (server.authMethod === "PASSWORD") {
      if (server.password.length > 0) return { ...base, passwordEnc: encryptSecret(server.password), privateKeyEnc: null };
      if (existing?.passwordEnc && sameAccount) return { ...base, passwordEnc: existing.passwordEnc, privateKeyEnc: null };
      throw AppError.invalidField(`servers.${index}.password`, existing?.passwordEnc ? SECRET_FOR_NEW_ACCOUNT.password : "Enter the password");
    }
    const key = server.privateKey.trim();
    if (key.length > 0) {
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
        throw AppError.invalidField(`servers.${index}.privateKey`, "Paste the private key in PEM or OpenSSH format (-----BEGIN … PRIVATE KEY-----)");
      }
      return { ...base, passwordEnc: null, privateKeyEnc: encryptSecret(`${key}\n`) };
    }
    if (existing?.privateKeyEnc && sameAccount) return { ...base, passwordEnc: null, privateKeyEnc: existing.privateKeyEnc };
    throw AppError.invalidField(`servers.${index}.privateKey`, existing?.privateKeyEnc ? SECRET_FOR_NEW_ACCOUNT.privateKey : "Paste the private key");
  });
}

/** Fields parsed, zone canonical, cost deck checked: the source row's data. */
async function sourceData(tenantId: string, fields: TParsedSourceFields, client: TDb = db()) {
  if (fields.costDeckId) {
    const deck = await client.rateDeck.findFirst({ where: { tenantId, id: fields.costDeckId }, select: { kind: true } });
    if (!deck) throw AppError.invalidField("costDeckId", "Choose one of your BUY decks");
    if (deck.kind !== "BUY") throw AppError.invalidField("costDeckId", "The cost deck must be a BUY deck (a carrier's cost), not a SELL deck");
  }
  return {
    name: fields.name,
    format: fields.format,
    timeZone: resolveTimeZone(fields.timeZone),
    remoteDir: fields.remoteDir,
    filePattern: fields.filePattern,
    afterDownload: fields.afterDownload,
    processedDir: fields.afterDownload === "MOVE" ? fields.processedDir : null,
    pollIntervalMinutes: fields.pollIntervalMinutes,
    alertEmails: [...new Set(fields.alertEmails)],
    costDeckId: fields.costDeckId,
  };
}

/** What the audit log keeps of a source: everything but secrets. */
function auditView(data: Omit<Awaited<ReturnType<typeof sourceData>>, "format"> & { format: string }, servers: TResolvedServer[]): Prisma.InputJsonValue {
  return {
    ...data,
    servers: servers.map((server) => ({
      host: server.host,
      port: server.port,
      username: server.username,
      auth: server.privateKeyEnc ? "key" : "password",
    })),
  };
}

/**
 * Replaces a source's server list, keeping rows (status, outages) of servers that stay. A
 * server left out is removed (soft: `removedAt`, keeping its last position, which the
 * live-position index ignores) so its outage history survives. Its open outage ends at the
 * removal: nobody checks it any more, and it did not recover, so no recovery mail. With no
 * server left, an open "every server down" outage ends the same way. A server moved to
 * another host or port comes without its id (see resolveServers): its old row is removed
 * like one left out, and a new row is added.
 */
async function writeServers(tx: TTransaction, tenantId: string, sourceId: string, servers: TResolvedServer[]): Promise<void> {
  const now = new Date();
  const keep = servers.flatMap((server) => (server.id ? [server.id] : []));
  const removed = (
    await tx.cdrSourceServer.findMany({ where: { tenantId, sourceId, ...LIVE_SERVER, id: { notIn: keep } }, select: { id: true } })
  ).map((server) => server.id);
  if (removed.length > 0) {
    await tx.cdrSourceServer.updateMany({ where: { tenantId, sourceId, ...LIVE_SERVER, id: { in: removed } }, data: { removedAt: now } });
  }
  const emptied = servers.length === 0;
  if (removed.length > 0 || emptied) {
    await tx.$executeRaw`UPDATE cdr_source_outages
      SET ended_at = GREATEST(started_at, ${now}), recovery_alerted_at = ${now},
          last_error = COALESCE(last_error, error) || CASE WHEN server_id IS NULL
            THEN ' (monitoring stopped: every server removed from the source)'
            ELSE ' (monitoring stopped: server removed from the source)' END
      WHERE tenant_id = ${tenantId}::uuid AND source_id = ${sourceId}::uuid AND ended_at IS NULL
        AND (server_id = ANY(${removed}::uuid[]) OR (server_id IS NULL AND ${emptied}))`;
  }
  // (source, position) is unique among live servers: park the kept rows on negative positions
  // before reordering. A kept row must still be live (an edit made meanwhile may have removed
  // it): a removed server is never revived or changed.
  for (const [index, server] of servers.entries()) {
    if (!server.id) continue;
    const parked = await tx.cdrSourceServer.updateMany({ where: { tenantId, sourceId, ...LIVE_SERVER, id: server.id }, data: { position: -1 - index } });
    if (parked.count !== 1) throw AppError.invalidField(`servers.${index}.host`, SERVER_GONE);
  }
  for (const [position, server] of servers.entries()) {
    // A kept row is still the same machine (resolveServers), so its host key stays; a new
    // row learns its key at the first connection.
    const data = {
      position,
      host: server.host,
      port: server.port,
      username: server.username,
      passwordEnc: server.passwordEnc,
      privateKeyEnc: server.privateKeyEnc,
    };
    if (server.id) await tx.cdrSourceServer.updateMany({ where: { tenantId, sourceId, id: server.id }, data });
    else await tx.cdrSourceServer.create({ data: { tenantId, sourceId, ...data } });
  }
}

export async function createCdrSource(options: { tenantId: string; actor: TActor; fields: TCdrSourceFields }): Promise<TCdrSourceDetail> {
  const fields = ZCdrSourceFields.parse(options.fields);
  const data = await sourceData(options.tenantId, fields);
  const servers = resolveServers(fields.servers, []);
  try {
    const sourceId = await db().$transaction(async (tx) => {
      const source = await tx.cdrSource.create({ data: { tenantId: options.tenantId, ...data, enabled: false }, select: { id: true } });
      await writeServers(tx, options.tenantId, source.id, servers);
      await recordAudit(tx, {
        tenantId: options.tenantId,
        actor: options.actor,
        action: "cdr_source.created",
        targetType: "cdr_source",
        targetId: source.id,
        after: auditView(data, servers),
      });
      return source.id;
    });
    return getCdrSource({ tenantId: options.tenantId, sourceId });
  } catch (error) {
    if (isUniqueViolation(error)) throw AppError.invalidField("name", "A source with this name exists");
    throw error;
  }
}

/** Whether calls of the source are stored, or a file of it is on its way in. */
async function callsStoredFrom(tenantId: string, sourceId: string, client: TDb = db()): Promise<boolean> {
  const inUse = await client.cdrFile.findFirst({
    where: { tenantId, sourceId, OR: [{ callsStored: { gt: 0 } }, { status: { in: ["RECEIVED", "PROCESSING"] } }] },
    select: { id: true },
  });
  return inUse !== null;
}

/**
 * A call's identity is (source, record key, start), and its start comes from reading the file
 * in the source's format and time zone. Once calls of a source are stored (or a file of it is
 * on its way in), reading its files another way would give the same calls other keys or start
 * times, so an overlapping or retried file would bill them again: the format and the zone are
 * then fixed. Files written another way from some day on belong to a new source.
 */
async function refuseRereadingStoredCalls(
  tx: TTransaction,
  tenantId: string,
  existing: { id: string; format: string; timeZone: string },
  next: { format: string; timeZone: string },
) {
  const changed = (["format", "timeZone"] as const).filter((field) => existing[field] !== next[field]);
  if (changed.length === 0 || !(await callsStoredFrom(tenantId, existing.id, tx))) return;
  const what = { format: `as ${existing.format} files`, timeZone: `with times in ${existing.timeZone}` };
  const field = changed[0]!;
  throw AppError.invalidField(
    field,
    `Calls of this source are stored, read ${what[field]}: reading its files another way would give the same calls new keys or start times and could bill them twice. Keep this setting, and create a new source for files written another way.`,
  );
}

export async function updateCdrSource(options: { tenantId: string; actor: TActor; sourceId: string; fields: TCdrSourceFields }): Promise<TCdrSourceDetail> {
  const fields = ZCdrSourceFields.parse(options.fields);
  const { tenantId, sourceId } = options;
  try {
    await db().$transaction(async (tx) => {
      // Everything this edit decides from is read under the source's row lock (and its live
      // servers'), so it is what the edit overwrites: another admin's edit saving at the same
      // time is waited for, not undone with the password it replaced; a host key a poll learns
      // meanwhile is waited for and kept; a file arriving meanwhile (receiveCdrFile takes the
      // row KEY SHARE) is seen by the "calls already stored" check or is read the new way.
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM cdr_sources WHERE tenant_id = ${tenantId}::uuid AND id = ${sourceId}::uuid FOR UPDATE`;
      if (locked.length === 0) throw AppError.notFound("CDR source");
      await tx.$queryRaw`SELECT id FROM cdr_source_servers WHERE tenant_id = ${tenantId}::uuid AND source_id = ${sourceId}::uuid AND removed_at IS NULL ORDER BY id FOR UPDATE`;
      const existing = await tx.cdrSource.findFirst({ where: { tenantId, id: sourceId }, select: sourceSelect });
      if (!existing) throw AppError.notFound("CDR source");
      const data = await sourceData(tenantId, fields, tx);
      await refuseRereadingStoredCalls(tx, tenantId, existing, data);
      const servers = resolveServers(fields.servers, existing.servers);
      if (existing.enabled && servers.length === 0) {
        throw AppError.invalidField("servers", "Polling is enabled: keep at least one server, or disable polling first");
      }
      const before = auditView(
        {
          name: existing.name,
          format: existing.format,
          timeZone: existing.timeZone,
          remoteDir: existing.remoteDir,
          filePattern: existing.filePattern,
          afterDownload: existing.afterDownload,
          processedDir: existing.processedDir,
          pollIntervalMinutes: existing.pollIntervalMinutes,
          alertEmails: existing.alertEmails,
          costDeckId: existing.costDeckId,
        },
        existing.servers,
      );
      await tx.cdrSource.update({ where: { tenantId_id: { tenantId, id: sourceId } }, data });
      await writeServers(tx, tenantId, sourceId, servers);
      await recordAudit(tx, {
        tenantId,
        actor: options.actor,
        action: "cdr_source.updated",
        targetType: "cdr_source",
        targetId: sourceId,
        before,
        after: auditView(data, servers),
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw AppError.invalidField("name", "A source with this name exists");
    throw error;
  }
  return getCdrSource({ tenantId, sourceId });
}

export const ZAcceptHostKey = z.object({ sourceId: z.uuid(), serverId: z.uuid(), fingerprint: z.string().trim().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "A fingerprint like SHA256:…") });

/**
 * Accepts the new host key a refused server presented, once the carrier has confirmed it:
 * the admin names the fingerprint they checked, and only that one (still the one presented)
 * becomes the server's key. Audited with both keys.
 */
export async function acceptServerHostKey(options: { tenantId: string; actor: TActor; input: z.input<typeof ZAcceptHostKey> }): Promise<TCdrSourceDetail> {
  const { sourceId, serverId, fingerprint } = ZAcceptHostKey.parse(options.input);
  await db().$transaction(async (tx) => {
    const server = await tx.cdrSourceServer.findFirst({ where: { tenantId: options.tenantId, sourceId, id: serverId, ...LIVE_SERVER }, select: { hostKey: true, presentedHostKey: true } });
    if (!server) throw AppError.notFound("SFTP server");
    const accepted = await tx.cdrSourceServer.updateMany({
      where: { tenantId: options.tenantId, id: serverId, presentedHostKey: fingerprint, ...LIVE_SERVER },
      data: { hostKey: fingerprint, presentedHostKey: null },
    });
    if (accepted.count !== 1) throw AppError.invalidField("fingerprint", "This is not the key the server presented; reload the page and compare again");
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "cdr_source.host_key_accepted",
      targetType: "cdr_source",
      targetId: sourceId,
      before: { serverId, hostKey: server.hostKey },
      after: { serverId, hostKey: fingerprint },
    });
  });
  return getCdrSource({ tenantId: options.tenantId, sourceId });
}

/** Turns polling on or off. Polling needs at least one server; an upload-only source stays disabled. */
export async function setCdrSourceEnabled(options: { tenantId: string; actor: TActor; sourceId: string; enabled: boolean }): Promise<TCdrSourceDetail> {
  await db().$transaction(async (tx) => {
    // Switches of one source take turns: two "on" at once would each open a monitoring period.
    await tx.$queryRaw`SELECT id FROM cdr_sources WHERE tenant_id = ${options.tenantId}::uuid AND id = ${options.sourceId}::uuid FOR UPDATE`;
    const source = await tx.cdrSource.findFirst({
      where: { tenantId: options.tenantId, id: options.sourceId },
      select: { id: true, enabled: true, _count: { select: { servers: { where: LIVE_SERVER } } } },
    });
    if (!source) throw AppError.notFound("CDR source");
    if (options.enabled && source._count.servers === 0) {
      throw new AppError("PRECONDITION_FAILED", "Add at least one SFTP server before enabling polling (a source without servers takes uploads only)");
    }
    if (source.enabled === options.enabled) return;
    await tx.cdrSource.update({ where: { tenantId_id: { tenantId: options.tenantId, id: source.id } }, data: { enabled: options.enabled } });
    const now = new Date();
    // Availability is measured while the source is monitored, and only then.
    if (options.enabled) {
      await tx.cdrSourceMonitoring.create({ data: { tenantId: options.tenantId, sourceId: source.id, startedAt: now } });
    } else {
      await tx.cdrSourceMonitoring.updateMany({ where: { tenantId: options.tenantId, sourceId: source.id, endedAt: null }, data: { endedAt: now } });
      // Nobody checks the servers any more: an open outage ends here rather than counting
      // as downtime for as long as polling stays off. It did not recover: no recovery mail.
      await tx.$executeRaw`UPDATE cdr_source_outages
        SET ended_at = GREATEST(started_at, ${now}), recovery_alerted_at = ${now},
            last_error = COALESCE(last_error, error) || ' (monitoring stopped: polling turned off)'
        WHERE tenant_id = ${options.tenantId}::uuid AND source_id = ${source.id}::uuid AND ended_at IS NULL`;
    }
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: options.enabled ? "cdr_source.enabled" : "cdr_source.disabled",
      targetType: "cdr_source",
      targetId: source.id,
      before: { enabled: source.enabled },
      after: { enabled: options.enabled },
    });
  });
  return getCdrSource({ tenantId: options.tenantId, sourceId: options.sourceId });
}

/**
 * The servers a connection test would use: the stored ones, or submitted (unsaved) fields
 * whose blank secrets fall back to what the same server has stored.
 */
export async function serversForTest(options: {
  tenantId: string;
  sourceId?: string | null;
  fields?: TCdrSourceFields | null;
}): Promise<{ remoteDir: string; filePattern: string; sourceId: string | null; servers: TServerCredentials[] }> {
  const stored = options.sourceId
    ? await db().cdrSource.findFirst({
        where: { tenantId: options.tenantId, id: options.sourceId },
        select: { id: true, remoteDir: true, filePattern: true, servers: { where: LIVE_SERVER, select: serverSelect, orderBy: { position: "asc" } } },
      })
    : null;
  if (options.sourceId && !stored) throw AppError.notFound("CDR source");
  if (!options.fields) {
    if (!stored) throw AppError.invalidField("_form", "Give a source or its settings to test");
    return { remoteDir: stored.remoteDir, filePattern: stored.filePattern, sourceId: stored.id, servers: stored.servers.map(credentialsOf) };
  }
  const fields = ZCdrSourceFields.parse(options.fields);
  const servers = resolveServers(fields.servers, stored?.servers ?? []);
  return {
    remoteDir: fields.remoteDir,
    filePattern: fields.filePattern,
    sourceId: stored?.id ?? null,
    servers: servers.map((server, position) => credentialsOf({ ...server, id: server.id ?? null, position })),
  };
}
