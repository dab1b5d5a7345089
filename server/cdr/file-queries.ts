import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import { db, pool } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { sortOrder, type TPage, type TPageInput } from "@/server/lib/pagination";
import { csvText } from "@/server/lib/csv";
import { getZoneConverter } from "@/server/rating/time-zone";
import { acceptedElsewhere as findAcceptedElsewhere } from "@/server/cdr/files";
import { minutesFromSeconds } from "@/server/cdr/search";

/**
 * Read side of CDR files for the admin pages: the files list, one file with its counts and
 * progress, and its rejected lines (paged, and as a CSV streamed in keyset batches).
 */

export const CDR_FILE_STATUSES = ["RECEIVED", "PROCESSING", "DONE", "FAILED", "HELD", "DUPLICATE", "DISMISSED"] as const;

export const ZCdrFileFilter = z.object({
  status: z.enum(CDR_FILE_STATUSES).nullable().default(null),
  sourceId: z.uuid().nullable().default(null),
});

/**
 * Why a file is HELD, from the file its hold points at (receiveCdrFile records it as
 * `duplicateOfId`): an accepted file of the same source with the same name and other
 * content, or an accepted file of another source with the same content.
 */
export const CDR_HELD_REASONS = ["SAME_NAME_OTHER_CONTENT", "SAME_CONTENT_OTHER_SOURCE"] as const;
export type TCdrHeldReason = (typeof CDR_HELD_REASONS)[number];

const SORTABLE = ["receivedAt", "fileName", "status", "lines", "priceTotal", "size"] as const;

/**
 * Bytes per line assumed for a source with no finished file yet, to turn a file's size into
 * an expected line count for the progress bar (an Asterisk Master.csv line is ~250 bytes).
 */
const DEFAULT_BYTES_PER_LINE = 250;

const fileSummary = {
  id: true,
  fileName: true,
  remotePath: true,
  status: true,
  size: true,
  lines: true,
  rated: true,
  unanswered: true,
  unbillable: true,
  rejected: true,
  alreadyPresent: true,
  billedSeconds: true,
  priceTotal: true,
  costTotal: true,
  linesRead: true,
  attempts: true,
  error: true,
  note: true,
  duplicateOfId: true,
  uploadedById: true,
  receivedAt: true,
  startedAt: true,
  finishedAt: true,
  source: { select: { id: true, name: true, format: true } },
} satisfies Prisma.CdrFileSelect;

type TFileRow = Prisma.CdrFileGetPayload<{ select: typeof fileSummary }>;

export type TCdrFileSummary = TFileRow & {
  /** Expected number of lines of a file being read, from its size; null once it is not running. */
  estimatedLines: number | null;
  /** Why a HELD file is held; null for any other status. */
  heldReason: TCdrHeldReason | null;
};

/**
 * Average bytes per line of the sources' finished files: a file's size then predicts its
 * line count well enough for a progress bar (the same switch writes similar lines).
 */
async function bytesPerLineOf(tenantId: string, sourceIds: string[]): Promise<Map<string, number>> {
  if (sourceIds.length === 0) return new Map();
  const rows = await db().cdrFile.groupBy({
    by: ["sourceId"],
    where: { tenantId, sourceId: { in: sourceIds }, status: "DONE", lines: { gt: 0 } },
    _sum: { size: true, lines: true },
  });
  const result = new Map<string, number>();
  for (const row of rows) {
    const lines = row._sum.lines ?? 0;
    if (lines > 0 && row._sum.size !== null) result.set(row.sourceId, Number(row._sum.size) / lines);
  }
  return result;
}

/**
 * The hold's reason of each HELD row. The file a hold points at belongs to the same source for
 * a name clash and to another one for a content clash; one whose file is gone was held for
 * another source's content (only deleting that source removes it without removing this one).
 * A hold pointing nowhere (receiveCdrFile writes none) reads as a name clash, the milder one:
 * releasing is guarded by the content check either way.
 */
async function heldReasonsOf(tenantId: string, rows: Pick<TFileRow, "id" | "status" | "duplicateOfId" | "source">[]): Promise<Map<string, TCdrHeldReason>> {
  const held = rows.filter((row) => row.status === "HELD");
  const pointedAt = [...new Set(held.flatMap((row) => (row.duplicateOfId ? [row.duplicateOfId] : [])))];
  const twins =
    pointedAt.length === 0 ? [] : await db().cdrFile.findMany({ where: { tenantId, id: { in: pointedAt } }, select: { id: true, sourceId: true } });
  const sourceOf = new Map(twins.map((twin) => [twin.id, twin.sourceId]));
  const reasonOf = (row: (typeof held)[number]): TCdrHeldReason => {
    const twinSource = row.duplicateOfId ? (sourceOf.get(row.duplicateOfId) ?? null) : row.source.id;
    return twinSource === row.source.id ? "SAME_NAME_OTHER_CONTENT" : "SAME_CONTENT_OTHER_SOURCE";
  };
  return new Map(held.map((row) => [row.id, reasonOf(row)]));
}

async function withEstimates(tenantId: string, rows: TFileRow[]): Promise<TCdrFileSummary[]> {
  const running = rows.filter((row) => row.status === "RECEIVED" || row.status === "PROCESSING");
  const [perLine, heldReasons] = await Promise.all([
    bytesPerLineOf(tenantId, [...new Set(running.map((row) => row.source.id))]),
    heldReasonsOf(tenantId, rows),
  ]);
  return rows.map((row) => {
    const heldReason = heldReasons.get(row.id) ?? null;
    if (row.status !== "RECEIVED" && row.status !== "PROCESSING") return { ...row, estimatedLines: null, heldReason };
    const bytesPerLine = perLine.get(row.source.id) ?? DEFAULT_BYTES_PER_LINE;
    // Never below what was read already: the estimate is a guess, the count is a fact.
    return { ...row, estimatedLines: Math.max(row.linesRead, Math.ceil(Number(row.size) / bytesPerLine)), heldReason };
  });
}

export async function listCdrFiles(options: {
  tenantId: string;
  query: TPageInput;
  filter: z.infer<typeof ZCdrFileFilter>;
}): Promise<TPage<TCdrFileSummary> & { active: number }> {
  const { tenantId, query, filter } = options;
  const where: Prisma.CdrFileWhereInput = {
    tenantId,
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.sourceId ? { sourceId: filter.sourceId } : {}),
    ...(query.search ? { fileName: { contains: query.search, mode: "insensitive" } } : {}),
  };
  const [rows, total, active] = await Promise.all([
    db().cdrFile.findMany({
      where,
      select: fileSummary,
      orderBy: [sortOrder(query.sort, SORTABLE, { id: "receivedAt", desc: true }), { id: "asc" }],
      skip: query.page * query.pageSize,
      take: query.pageSize,
    }),
    db().cdrFile.count({ where }),
    // Files still on their way anywhere in the tenant: the page keeps refreshing while any is.
    db().cdrFile.count({ where: { tenantId, status: { in: ["RECEIVED", "PROCESSING"] } } }),
  ]);
  return { rows: await withEstimates(tenantId, rows), total, page: query.page, pageSize: query.pageSize, active };
}

/**
 * Files waiting for an admin: HELD ones (their calls are not billed until released or
 * dismissed) and FAILED ones (read in part, or not at all, until retried). Counted on the
 * partial index cdr_files_needing_attention, which holds only these rows; the statuses are
 * literals so the planner can match the index's predicate (exported for the test that checks it).
 */
export const FILES_NEEDING_ATTENTION_SQL = `SELECT status::text AS status, count(*)::int AS count FROM cdr_files
   WHERE tenant_id = $1 AND status IN ('HELD', 'FAILED')
   GROUP BY status`;

export async function filesNeedingAttention(options: { tenantId: string }): Promise<{ held: number; failed: number }> {
  const { rows } = await pool().query<{ status: "HELD" | "FAILED"; count: number }>(FILES_NEEDING_ATTENTION_SQL, [options.tenantId]);
  const countOf = (status: "HELD" | "FAILED") => rows.find((row) => row.status === status)?.count ?? 0;
  return { held: countOf("HELD"), failed: countOf("FAILED") };
}

/**
 * Whether the file's cost total means anything: false when it has rated calls and none of them
 * has a cost (its source had no cost deck, or the deck priced none of its numbers), where
 * "0.00" would read as break-even; null while the file is still being read and has no cost yet.
 * Only a zero total is in doubt. A source without a cost deck (the usual reason) prices no cost:
 * unknown, without reading anything. Only a zero total from a source that has a deck is checked
 * against the file's calls (their range of the tenant's calls, on the primary key, up to the
 * first known cost): a deck that prices to zero, or that priced none of the file's numbers.
 */
async function costKnownOf(
  tenantId: string,
  file: { id: string; status: string; rated: number; costTotal: bigint; firstCallAt: Date | null; lastCallAt: Date | null; sourceHasCostDeck: boolean },
): Promise<boolean | null> {
  if (file.rated === 0 || file.costTotal !== 0n) return true;
  if (file.status === "RECEIVED" || file.status === "PROCESSING") return null;
  if (!file.sourceHasCostDeck) return false;
  if (!file.firstCallAt || !file.lastCallAt) return true;
  const { rows } = await pool().query<{ costed: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM cdrs
       WHERE tenant_id = $1 AND start_at BETWEEN $3 AND $4 AND file_id = $2 AND status = 'RATED' AND cost IS NOT NULL
     ) AS costed`,
    [tenantId, file.id, file.firstCallAt, file.lastCallAt],
  );
  return rows[0]?.costed ?? false;
}

export async function getCdrFile(options: { tenantId: string; fileId: string }) {
  const { tenantId, fileId } = options;
  const file = await db().cdrFile.findFirst({
    where: { tenantId, id: fileId },
    select: { ...fileSummary, sha256: true, remoteModifiedAt: true, serverId: true, callsStored: true, firstCallAt: true, lastCallAt: true, source: { select: { id: true, name: true, format: true, costDeckId: true } } },
  });
  if (!file) throw AppError.notFound("CDR file");
  const [duplicateOf, uploadedBy, server, tenant, acceptedElsewhere, costKnown] = await Promise.all([
    file.duplicateOfId
      ? db().cdrFile.findFirst({
          where: { tenantId, id: file.duplicateOfId },
          select: { id: true, fileName: true, status: true, receivedAt: true, source: { select: { id: true, name: true } } },
        })
      : null,
    file.uploadedById ? db().user.findUnique({ where: { id: file.uploadedById }, select: { name: true, email: true } }) : null,
    file.serverId ? db().cdrSourceServer.findFirst({ where: { tenantId, id: file.serverId }, select: { host: true, port: true } }) : null,
    db().tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { timeZone: true } }),
    // What makes releaseHeldFile refuse: the page offers only Dismiss while it stands.
    file.status === "HELD" ? findAcceptedElsewhere(db(), { tenantId, sourceId: file.source.id, sha256: file.sha256 }) : null,
    costKnownOf(tenantId, { ...file, sourceHasCostDeck: file.source.costDeckId !== null }),
  ]);
  const [withEstimate] = await withEstimates(tenantId, [file]);
  // The tenant's days its calls fall on: the calls page opens on them rather than on its
  // default "last 7 days", which an older file's calls are not in.
  const callDays =
    file.firstCallAt && file.lastCallAt ? { fromDay: dayIn(file.firstCallAt, tenant.timeZone), toDay: dayIn(file.lastCallAt, tenant.timeZone) } : null;
  return {
    ...file,
    estimatedLines: withEstimate!.estimatedLines,
    heldReason: withEstimate!.heldReason,
    duplicateOf,
    /** For a HELD file: the accepted file of another source with its content, which bars releasing it. */
    acceptedElsewhere,
    /** False: rated calls but no cost known for any of them; null: not known until the file is read. */
    costKnown,
    /** Billed minutes to two decimals, as the calls' totals show them. */
    billedMinutes: minutesFromSeconds(file.billedSeconds),
    uploadedBy,
    server,
    callDays,
  };
}

/** YYYY-MM-DD of an instant in a time zone. */
function dayIn(instant: Date, timeZone: string): string {
  const utcMs = instant.getTime();
  return new Date(utcMs + getZoneConverter(timeZone).offsetAt(utcMs)).toISOString().slice(0, 10);
}

export type TCdrFileDetail = Awaited<ReturnType<typeof getCdrFile>>;

export const ZRejectsQuery = z.object({
  fileId: z.uuid(),
  page: z.number().int().min(0).default(0),
  pageSize: z.number().int().min(1).max(200).default(50),
});

export async function listCdrRejects(options: { tenantId: string; fileId: string; page: number; pageSize?: number }) {
  const { tenantId, fileId, page } = options;
  const pageSize = options.pageSize ?? 50;
  const file = await db().cdrFile.findFirst({ where: { tenantId, id: fileId }, select: { id: true } });
  if (!file) throw AppError.notFound("CDR file");
  const where = { tenantId, fileId };
  const [rows, total] = await Promise.all([
    db().cdrReject.findMany({ where, select: { line: true, reason: true, raw: true }, orderBy: { line: "asc" }, skip: page * pageSize, take: pageSize }),
    db().cdrReject.count({ where }),
  ]);
  return { rows, total, page, pageSize };
}

const REJECTS_BATCH = 2_000;

/**
 * The file's rejected lines as CSV (line,reason,raw), read in keyset batches by line number,
 * so memory stays flat however many lines a broken file has. The first chunk is only the
 * header, after the file has been found: a caller can pull it to learn NOT_FOUND before it
 * starts answering.
 */
export async function* streamCdrRejectsCsv(options: { tenantId: string; fileId: string; batchRows?: number }): AsyncGenerator<string> {
  const { tenantId, fileId } = options;
  const batchRows = options.batchRows ?? REJECTS_BATCH;
  const file = await db().cdrFile.findFirst({ where: { tenantId, id: fileId }, select: { id: true } });
  if (!file) throw AppError.notFound("CDR file");
  yield "line,reason,raw\n";
  let after = 0;
  for (;;) {
    const rows = await db().cdrReject.findMany({
      where: { tenantId, fileId, line: { gt: after } },
      select: { line: true, reason: true, raw: true },
      orderBy: { line: "asc" },
      take: batchRows,
    });
    if (rows.length === 0) return;
    yield rows.map((row) => `${row.line},${csvText(row.reason)},${csvText(row.raw)}\n`).join("");
    after = rows[rows.length - 1]!.line;
    if (rows.length < batchRows) return;
  }
}
