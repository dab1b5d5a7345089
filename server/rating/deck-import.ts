import { z } from "zod";
import type { Readable } from "node:stream";
import type { PoolClient } from "pg";
import { db, pool, spareConnection } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { copyText, copyTextChunksInParallel } from "@/server/lib/copy";
import { DECK_FORMATS, DeckFileError, readDeckBatches, type DeckFormat, type DeckRow } from "./deck-formats";
import { TimeZoneError } from "./time-zone";
import { invalidateDeckMatcher } from "./deck-cache";

/**
 * Deck import in two steps. Preview: the file is parsed as a stream and every line, good or
 * bad, is COPY'd into `deck_import_rows`; SQL then counts new, changed and unchanged rates
 * against the deck. Commit: one transaction applies the plan — or nothing, when any line is
 * invalid. A rate that changes is closed at the new version's start instead of being
 * overwritten, so history (and re-rating of old calls) keeps the old price. A rate ends
 * only where a row of the file says so (its effective_to); otherwise each version runs until
 * the next one, so an import never leaves a prefix without a rate at an instant it had one,
 * unless a row ends it there — the commit refuses a plan that would.
 */

export const ZDeckImportRequest = z.object({
  deckId: z.uuid(),
  format: z.enum(DECK_FORMATS),
  fileName: z.string().trim().min(1).max(255),
  /** Start of validity for rows whose file gives none. */
  effectiveFrom: z.coerce.date(),
  /** Zone for dates written without an offset; the tenant's zone by default. */
  timeZone: z.string().optional(),
});
export type TDeckImportRequest = z.infer<typeof ZDeckImportRequest>;

const STAGING_COLUMNS = [
  "import_id",
  "line",
  "prefix",
  "description",
  "category",
  "rate_per_minute",
  "connect_fee",
  "initial_increment",
  "increment",
  "grace_seconds",
  "effective_from",
  "effective_to",
  "error",
] as const;

/*
 * The plan. Staged rows fall in two groups by prefix:
 * - fresh: the deck has no version of the prefix. Every such row is new; each version runs
 *   until the next one the file gives for its prefix (or its own end, if earlier). One
 *   sorted pass over the staged rows computes that, with no lookups.
 * - touching: the deck has versions of the prefix. TOUCHING_PLAN_SQL puts the file's and
 *   the deck's versions of these prefixes on one timeline per prefix, sorted by start (an
 *   existing version before a staged one that starts at the same instant). Walking it
 *   gives, for each staged row, the latest existing start at or before its own (`prior_from`:
 *   the version in force then, if it has not ended — versions never overlap, so no earlier
 *   one can be), the next start of either kind (`next_from`, which bounds the new
 *   version so versions never overlap) and whether the row comes right after the version in
 *   force (`follows_cur`: no other staged row starts within that version before it). Only
 *   such a row closes that version: were a later one to close it too, it would undo the
 *   end that a row replacing the version from its start gave it.
 * A row is unchanged — skipped — only when skipping it leaves the deck exactly as applying it
 * would: its terms are those of the version in force, no other row of the file shortens that
 * version first (`follows_cur`), and the end it would get is that version's end. Matching
 * terms alone is not enough: a row restoring the old price after a promotion in the same
 * file, skipped, left the prefix without a rate after the promotion (calls then matched a
 * shorter prefix), and an open-ended row could never reopen a version that had ended.
 * Both are set-based, not a lookup per staged row: a million-row first import costs one
 * sort, and a deck that already has the prefixes adds its rows for them to that sort (the
 * planner still probes the indexes row by row when the file is small).
 */
const TOUCHING_PLAN_SQL = `
  SELECT p.line, p.prefix, p.description, p.category, p.rate_per_minute, p.connect_fee, p.initial_increment,
         p.increment, p.grace_seconds, p.effective_from, p.effective_to, p.next_from,
         cur.id AS cur_id, cur.effective_from AS cur_from, cur.effective_to AS cur_to,
         p.previous_kind = 0 AS follows_cur,
         (cur.id IS NOT NULL
          AND cur.description = p.description AND cur.category = p.category
          AND cur.rate_per_minute = p.rate_per_minute AND cur.connect_fee = p.connect_fee
          AND cur.initial_increment = p.initial_increment AND cur.increment = p.increment
          AND cur.grace_seconds = p.grace_seconds
          AND p.previous_kind = 0
          -- LEAST skips NULLs: open-ended only when both are. IS NOT DISTINCT FROM, never NULL,
          -- which would leave the row neither unchanged nor changed, counted and applied nowhere.
          AND LEAST(p.effective_to, p.next_from) IS NOT DISTINCT FROM cur.effective_to) AS unchanged
  FROM (
    SELECT t.*, lead(t.effective_from) OVER w AS next_from, max(t.existing_from) OVER w AS prior_from,
           lag(t.kind) OVER w AS previous_kind
    FROM (
      SELECT s.line, s.prefix, s.description, s.category, s.rate_per_minute, s.connect_fee, s.initial_increment,
             s.increment, s.grace_seconds, s.effective_from, s.effective_to, 1 AS kind, NULL::timestamptz AS existing_from
      FROM deck_import_rows s
      WHERE s.import_id = $1 AND s.error IS NULL
        AND EXISTS (SELECT FROM rates r WHERE r.deck_id = $2 AND r.prefix = s.prefix)
      UNION ALL
      SELECT NULL, r.prefix, NULL, NULL, NULL, NULL, NULL, NULL, NULL, r.effective_from, NULL, 0, r.effective_from
      FROM rates r
      WHERE r.deck_id = $2
        AND EXISTS (SELECT FROM deck_import_rows s WHERE s.import_id = $1 AND s.error IS NULL AND s.prefix = r.prefix)
    ) t
    -- One frame for all three (lead and lag ignore it), so one pass computes them.
    WINDOW w AS (PARTITION BY t.prefix ORDER BY t.effective_from, t.kind ROWS UNBOUNDED PRECEDING)
  ) p
  LEFT JOIN rates cur ON cur.deck_id = $2 AND cur.prefix = p.prefix AND cur.effective_from = p.prior_from
                     AND (cur.effective_to IS NULL OR cur.effective_to > p.effective_from)
  WHERE p.kind = 1`;

const RATE_COLUMNS = `deck_id, prefix, description, category, rate_per_minute, connect_fee, initial_increment,
                      increment, grace_seconds, effective_from, effective_to`;

/** Commits inserting at least this many rates refresh the table's statistics. */
const ANALYZE_AFTER_INSERTED = 100_000;

/**
 * Sort space for the plan's one big sort and the duplicate check (a million staged rows
 * take about 200 MB); set per transaction, so only imports use it.
 */
const IMPORT_WORK_MEM = "256MB";

/** murmur3's 32-bit finaliser. */
function mix32(value: number): number {
  let hash = value ^ (value >>> 16);
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

/**
 * The (prefix, effective_from) keys of the staged rows as 64-bit fingerprints, to learn
 * whether a file can have the same key twice at all. `add` answers true when the key may
 * have been added before: always for a real repeat, for other keys only when fingerprints
 * collide (for a whole file of N rows, a chance of about N² / 2^65). Files without a
 * possible repeat — nearly all —
 * then skip the exact check in SQL, a sort of every staged row. Past four million slots it
 * stops remembering and answers true, so memory stays bounded (16 MB for a million rows,
 * 32 MB at most).
 */
class KeyFingerprints {
  private static readonly MAX_SLOTS = 1 << 22;
  /** Pairs (high, low) of fingerprints; a low half of 0 marks a free slot. */
  private slots = new Int32Array(1 << 17);
  private used = 0;
  private full = false;

  add(prefix: string, effectiveFromMs: number): boolean {
    if (this.full) return true;
    const high = Math.floor(effectiveFromMs / 4_294_967_296);
    const low = effectiveFromMs - high * 4_294_967_296;
    let first = 0x811c9dc5 ^ low;
    let second = 0x9747b28c ^ high;
    for (let index = 0; index < prefix.length; index++) {
      const code = prefix.charCodeAt(index);
      first = Math.imul(first ^ code, 0x01000193);
      second = Math.imul(second ^ code, 0x5bd1e995);
    }
    first = mix32(first ^ high);
    second = mix32(second ^ low) | 1;
    if ((this.used + 1) * 2 > this.slots.length / 2) {
      if (this.slots.length >= KeyFingerprints.MAX_SLOTS * 2) {
        this.full = true;
        this.slots = new Int32Array(0);
        return true;
      }
      this.grow();
    }
    return this.insert(first, second);
  }

  private insert(first: number, second: number): boolean {
    const slots = this.slots;
    const mask = slots.length / 2 - 1;
    for (let slot = first & mask; ; slot = (slot + 1) & mask) {
      const stored = slots[slot * 2 + 1];
      if (stored === 0) {
        slots[slot * 2] = first;
        slots[slot * 2 + 1] = second;
        this.used++;
        return false;
      }
      if (stored === second && slots[slot * 2] === first) return true;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.used = 0;
    for (let index = 0; index < old.length; index += 2) {
      if (old[index + 1] !== 0) this.insert(old[index]!, old[index + 1]!);
    }
  }
}

/**
 * COPY text lines for the staging table, one input chunk's rows at a time. Each valid
 * row's key goes into `keys`; `onPossibleDuplicate` runs when one may repeat.
 */
async function* stagingText(
  importId: string,
  batches: AsyncIterable<DeckRow[]>,
  keys: KeyFingerprints,
  onPossibleDuplicate: () => void,
): AsyncGenerator<string> {
  // Most rows of a deck share their dates; their text is formatted once.
  let lastMs = Number.NaN;
  let lastText = "";
  const instant = (ms: number): string => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastText = new Date(ms).toISOString();
    }
    return lastText;
  };
  for await (const rows of batches) {
    let text = "";
    for (const row of rows) {
      if ("error" in row) {
        text += `${importId}\t${row.line}\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t${copyText(row.error)}\n`;
        continue;
      }
      const rate = row.rate;
      const fromMs = rate.effectiveFrom.getTime();
      if (keys.add(rate.prefix, fromMs)) onPossibleDuplicate();
      // prefix is digits and category an enum label: neither needs escaping.
      text +=
        `${importId}\t${row.line}\t${rate.prefix}\t${copyText(rate.description)}\t${rate.category}\t` +
        `${rate.ratePerMinuteMicros}\t${rate.connectFeeMicros}\t${rate.initialIncrement}\t${rate.increment}\t${rate.graceSeconds}\t` +
        `${instant(fromMs)}\t${rate.effectiveTo === null ? "\\N" : instant(rate.effectiveTo.getTime())}\t\\N\n`;
    }
    if (text.length > 0) yield text;
  }
}

async function deckOf(tenantId: string, deckId: string) {
  const deck = await db().rateDeck.findFirst({ where: { tenantId, id: deckId }, select: { id: true, name: true, tenant: { select: { timeZone: true } } } });
  if (!deck) throw AppError.notFound("Rate deck");
  return deck;
}

export async function previewDeckImport(options: {
  tenantId: string;
  actor: TActor;
  request: TDeckImportRequest;
  file: Readable | AsyncIterable<Uint8Array | string>;
}) {
  const request = ZDeckImportRequest.parse(options.request);
  const deck = await deckOf(options.tenantId, request.deckId);
  const timeZone = request.timeZone ?? deck.tenant.timeZone;
  const deckImport = await db().deckImport.create({
    data: {
      tenantId: options.tenantId,
      deckId: deck.id,
      format: request.format,
      fileName: request.fileName,
      effectiveFrom: request.effectiveFrom,
      status: "PREVIEWED",
      createdById: options.actor.userId,
    },
    select: { id: true },
  });
  const client = await pool().connect();
  let helper: PoolClient | null = null;
  try {
    const batches = readDeckBatches(options.file, { format: request.format as DeckFormat, timeZone, defaultEffectiveFrom: request.effectiveFrom });
    // Two COPY streams when the pool can spare a second connection: the server's per-row
    // work (the staging table's foreign key check above all) then runs on two cores while
    // this process parses the next chunks.
    helper = await spareConnection();
    let maybeDuplicates = false;
    const staged = stagingText(deckImport.id, batches, new KeyFingerprints(), () => (maybeDuplicates = true));
    await copyTextChunksInParallel(helper ? [client, helper] : [client], "deck_import_rows", STAGING_COLUMNS, staged);
    helper?.release();
    helper = null;
    await client.query("BEGIN");
    await client.query(`SET LOCAL work_mem = '${IMPORT_WORK_MEM}'`);
    // Fresh statistics, so the planner treats a million staged rows as a million. Row
    // counts and rough distinct counts are all its plans need: a small sample does.
    await client.query("SET LOCAL default_statistics_target = 10");
    await client.query("ANALYZE deck_import_rows");
    await client.query("RESET default_statistics_target");
    // The same prefix and start twice in one file is ambiguous: every copy after the first
    // is invalid. Checked exactly here when the fingerprints saw a possible repeat.
    if (maybeDuplicates) {
      await client.query(
        `UPDATE deck_import_rows d
         SET error = 'prefix ' || d.prefix || ' with this effective date already appears on line ' || x.first_line
         FROM (SELECT line, first_line FROM (
                 SELECT line, min(line) OVER (PARTITION BY prefix, effective_from) AS first_line
                 FROM deck_import_rows WHERE import_id = $1 AND error IS NULL) w
               WHERE line <> first_line) x
         WHERE d.import_id = $1 AND d.line = x.line`,
        [deckImport.id],
      );
    }
    // Fresh prefixes are all new; only the touching ones are compared with the deck.
    const counts = await client.query<{ total: string; invalid: string; changed: string; unchanged: string }>(
      `WITH plan AS (${TOUCHING_PLAN_SQL})
       SELECT staged.total, staged.invalid,
              (SELECT count(*) FROM plan WHERE cur_id IS NOT NULL AND NOT unchanged) AS changed,
              (SELECT count(*) FROM plan WHERE unchanged) AS unchanged
       FROM (SELECT count(*) AS total, count(*) FILTER (WHERE error IS NOT NULL) AS invalid
             FROM deck_import_rows WHERE import_id = $1) staged`,
      [deckImport.id, deck.id],
    );
    await client.query("COMMIT");
    const row = counts.rows[0];
    return await db().deckImport.update({
      where: { id: deckImport.id },
      data: {
        totalRows: Number(row?.total ?? 0),
        invalidRows: Number(row?.invalid ?? 0),
        newRows: Number(row?.total ?? 0) - Number(row?.invalid ?? 0) - Number(row?.changed ?? 0) - Number(row?.unchanged ?? 0),
        changedRows: Number(row?.changed ?? 0),
        unchangedRows: Number(row?.unchanged ?? 0),
      },
    });
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    await db().deckImport.delete({ where: { id: deckImport.id } }).catch(() => {});
    if (error instanceof DeckFileError) throw AppError.invalidField("file", `The file cannot be read as a ${request.format} deck: ${error.message}`);
    if (error instanceof TimeZoneError) throw AppError.invalidField("timeZone", error.message);
    throw error;
  } finally {
    helper?.release();
    client.release();
  }
}

export async function getDeckImport(options: { tenantId: string; importId: string }) {
  const deckImport = await db().deckImport.findFirst({
    where: { tenantId: options.tenantId, id: options.importId },
    include: { deck: { select: { id: true, name: true, kind: true, currency: true } } },
  });
  if (!deckImport) throw AppError.notFound("Import");
  return deckImport;
}

/** Invalid lines of an import, in file order, by page. */
export async function listDeckImportErrors(options: { tenantId: string; importId: string; page: number; pageSize: number }) {
  await getDeckImport(options);
  const [rows, total] = await Promise.all([
    db().deckImportRow.findMany({
      where: { importId: options.importId, error: { not: null } },
      select: { line: true, error: true },
      orderBy: { line: "asc" },
      skip: options.page * options.pageSize,
      take: options.pageSize,
    }),
    db().deckImportRow.count({ where: { importId: options.importId, error: { not: null } } }),
  ]);
  return { rows: rows.map((row) => ({ line: row.line, error: row.error ?? "" })), total, page: options.page, pageSize: options.pageSize };
}

export const DECK_IMPORT_CHANGE_KINDS = ["ALL", "NEW", "CHANGED", "INCREASED"] as const;

export const ZDeckImportChangesQuery = z.object({
  importId: z.uuid(),
  /** New and changed rows; only new ones; only changed ones; only changed ones whose per-minute price rises. */
  kind: z.enum(DECK_IMPORT_CHANGE_KINDS).default("ALL"),
  page: z.number().int().min(0).default(0),
  pageSize: z.number().int().min(1).max(200).default(50),
});

/**
 * The rows a commit would apply, by page in file order: each new rate, and each changed one
 * with the version in force it replaces (its old terms), so an admin sees the prices before
 * approving them. Unchanged rows are left out: committing skips them. Only a previewed
 * import has staged rows (a commit or discard deletes them): others list nothing.
 *
 * The changed rows come from the commit's own plan, so the list is exactly what a commit
 * does. A file whose prefixes the deck has none of (a first import, however large) needs no
 * plan: its page is read off the staging table's primary key. One that touches the deck
 * runs the plan per page (one sort of its touching rows): a page of a 300,000-row update
 * costs about what the preview's count did.
 */
/** A new or changed row of an import as its preview query returns it (`total`: the query's count). */
type TRawChangeRow = {
  line: number;
  prefix: string;
  description: string;
  category: string;
  rate_per_minute: string;
  connect_fee: string;
  effective_from: Date;
  effective_to: Date | null;
  kind: "NEW" | "CHANGED";
  old_description: string | null;
  old_rate_per_minute: string | null;
  old_connect_fee: string | null;
  old_effective_from: Date | null;
  total: string;
};

export async function listDeckImportChanges(options: { tenantId: string; query: z.input<typeof ZDeckImportChangesQuery> }) {
  const query = ZDeckImportChangesQuery.parse(options.query);
  const deckImport = await getDeckImport({ tenantId: options.tenantId, importId: query.importId });
  const empty = { rows: [], total: 0, page: query.page, pageSize: query.pageSize };
  if (deckImport.status !== "PREVIEWED") return empty;
  const offset = query.page * query.pageSize;
  if (deckImport.changedRows + deckImport.unchangedRows === 0) {
    // No row touches the deck's prefixes: every valid row is new, in file order off the key.
    if (query.kind === "CHANGED" || query.kind === "INCREASED") return empty;
    const result = await pool().query<TRawChangeRow>(
      `SELECT s.line, s.prefix, s.description, s.category, s.rate_per_minute::text, s.connect_fee::text, s.effective_from, s.effective_to,
              'NEW' AS kind, NULL AS old_description, NULL AS old_rate_per_minute, NULL AS old_connect_fee, NULL AS old_effective_from, '0' AS total
       FROM deck_import_rows s WHERE s.import_id = $1 AND s.error IS NULL
       ORDER BY s.line LIMIT $2 OFFSET $3`,
      [deckImport.id, query.pageSize, offset],
    );
    return { rows: result.rows.map(changeRowOf), total: deckImport.newRows, page: query.page, pageSize: query.pageSize };
  }
  const result = await pool().query<TRawChangeRow>(
    `WITH plan AS (${TOUCHING_PLAN_SQL}),
     changes AS (
       SELECT p.line, p.prefix, p.description, p.category, p.rate_per_minute, p.connect_fee, p.effective_from, p.effective_to,
              CASE WHEN p.cur_id IS NULL THEN 'NEW' ELSE 'CHANGED' END AS kind,
              old.description AS old_description, old.rate_per_minute AS old_rate_per_minute, old.connect_fee AS old_connect_fee,
              old.effective_from AS old_effective_from
       FROM plan p LEFT JOIN rates old ON old.id = p.cur_id AND old.deck_id = $2
       WHERE NOT p.unchanged
       UNION ALL
       SELECT s.line, s.prefix, s.description, s.category, s.rate_per_minute, s.connect_fee, s.effective_from, s.effective_to,
              'NEW', NULL, NULL, NULL, NULL
       FROM deck_import_rows s
       WHERE s.import_id = $1 AND s.error IS NULL AND NOT EXISTS (SELECT FROM rates r WHERE r.deck_id = $2 AND r.prefix = s.prefix)
     )
     SELECT c.line, c.prefix, c.description, c.category, c.rate_per_minute::text, c.connect_fee::text, c.effective_from, c.effective_to,
            c.kind, c.old_description, c.old_rate_per_minute::text, c.old_connect_fee::text, c.old_effective_from,
            count(*) OVER ()::text AS total
     FROM changes c
     WHERE $3 = 'ALL' OR c.kind = $3 OR ($3 = 'INCREASED' AND c.kind = 'CHANGED' AND c.rate_per_minute > c.old_rate_per_minute)
     ORDER BY c.line LIMIT $4 OFFSET $5`,
    [deckImport.id, deckImport.deckId, query.kind, query.pageSize, offset],
  );
  const rows = result.rows;
  // Past the last page the window count is gone; the preview's counts still give the total.
  const total = rows.length > 0 ? Number(rows[0]!.total) : query.page === 0 ? 0 : countFor(query.kind, deckImport);
  return { rows: rows.map(changeRowOf), total, page: query.page, pageSize: query.pageSize };
}

/** The total of a filter when the page came back empty (past the end): known from the preview's counts, except rises. */
function countFor(kind: (typeof DECK_IMPORT_CHANGE_KINDS)[number], counts: { newRows: number; changedRows: number }): number {
  if (kind === "NEW") return counts.newRows;
  if (kind === "CHANGED") return counts.changedRows;
  if (kind === "ALL") return counts.newRows + counts.changedRows;
  return 0;
}

function changeRowOf(row: TRawChangeRow) {
  return {
    line: row.line,
    kind: row.kind,
    prefix: row.prefix,
    description: row.description,
    category: row.category,
    ratePerMinuteMicros: BigInt(row.rate_per_minute),
    connectFeeMicros: BigInt(row.connect_fee),
    effectiveFrom: row.effective_from,
    effectiveTo: row.effective_to,
    /** The version in force that this row replaces or closes; null for a new rate. */
    previous:
      row.kind === "CHANGED" && row.old_rate_per_minute !== null
        ? {
            description: row.old_description ?? "",
            ratePerMinuteMicros: BigInt(row.old_rate_per_minute),
            connectFeeMicros: BigInt(row.old_connect_fee ?? "0"),
            effectiveFrom: row.old_effective_from,
          }
        : null,
  };
}

export type TDeckImportChange = ReturnType<typeof changeRowOf>;

export async function commitDeckImport(options: { tenantId: string; actor: TActor; importId: string }) {
  const deckImport = await getDeckImport(options);
  if (deckImport.status !== "PREVIEWED") {
    throw new AppError("CONFLICT", `This import was already ${deckImport.status.toLowerCase()}.`);
  }
  if (deckImport.invalidRows > 0) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `The file has ${deckImport.invalidRows} invalid line(s); nothing was imported. Fix them and upload the file again.`,
    );
  }
  const client = await pool().connect();
  try {
    await client.query("BEGIN");
    // One import at a time per deck; the status check under the lock makes commit single-use.
    await client.query(`SELECT id FROM rate_decks WHERE id = $1 FOR UPDATE`, [deckImport.deckId]);
    const claimed = await client.query(
      `UPDATE deck_imports SET status = 'COMMITTED', committed_at = now() WHERE id = $1 AND status = 'PREVIEWED'`,
      [deckImport.id],
    );
    if (claimed.rowCount !== 1) throw new AppError("CONFLICT", "This import was already committed or discarded.");
    const staged = await client.query<{ count: string }>(`SELECT count(*) FROM deck_import_rows WHERE import_id = $1`, [deckImport.id]);
    if (Number(staged.rows[0]?.count ?? 0) !== deckImport.totalRows) {
      throw new AppError("PRECONDITION_FAILED", "The preview of this import is no longer available. Upload the file again.");
    }
    await client.query(`SET LOCAL work_mem = '${IMPORT_WORK_MEM}'`);
    // Staged rows whose prefix the deck already has: compared with its versions.
    const touching = await client.query(`CREATE TEMP TABLE import_plan ON COMMIT DROP AS ${TOUCHING_PLAN_SQL}`, [deckImport.id, deckImport.deckId]);
    let replaced = 0;
    let closed = 0;
    let inserted = 0;
    if ((touching.rowCount ?? 0) > 0) {
      // A new version starting exactly where the current one starts replaces it.
      const replacedResult = await client.query(
        `UPDATE rates r SET description = p.description, category = p.category, rate_per_minute = p.rate_per_minute,
                connect_fee = p.connect_fee, initial_increment = p.initial_increment, increment = p.increment,
                grace_seconds = p.grace_seconds, effective_to = LEAST(p.effective_to, p.next_from)
         FROM import_plan p WHERE r.id = p.cur_id AND NOT p.unchanged AND p.cur_from = p.effective_from`,
      );
      // A later start closes the current version there: history keeps the old price. When
      // the file has several later versions of one prefix, the earliest closes it — unless a
      // row replaced the version from its start: that row's end already stops before them,
      // and may be its own, earlier one.
      const closedResult = await client.query(
        `UPDATE rates r SET effective_to = p.effective_from
         FROM import_plan p WHERE r.id = p.cur_id AND p.follows_cur AND NOT p.unchanged AND p.cur_from < p.effective_from`,
      );
      const insertedResult = await client.query(
        `INSERT INTO rates (${RATE_COLUMNS})
         SELECT $1, p.prefix, p.description, p.category, p.rate_per_minute, p.connect_fee, p.initial_increment,
                p.increment, p.grace_seconds, p.effective_from, LEAST(p.effective_to, p.next_from)
         FROM import_plan p WHERE p.cur_id IS NULL OR (NOT p.unchanged AND p.cur_from < p.effective_from)
         ORDER BY p.prefix, p.effective_from`,
        [deckImport.deckId],
      );
      replaced = replacedResult.rowCount ?? 0;
      closed = closedResult.rowCount ?? 0;
      inserted += insertedResult.rowCount ?? 0;
    }
    // Fresh prefixes: every staged row is a new version, running until the file's next
    // version of its prefix. In index order, so the unique index grows at its right edge.
    const fresh = await client.query(
      `INSERT INTO rates (${RATE_COLUMNS})
       SELECT $2, s.prefix, s.description, s.category, s.rate_per_minute, s.connect_fee, s.initial_increment,
              s.increment, s.grace_seconds, s.effective_from,
              LEAST(s.effective_to, lead(s.effective_from) OVER (PARTITION BY s.prefix ORDER BY s.effective_from))
       FROM deck_import_rows s
       WHERE s.import_id = $1 AND s.error IS NULL
         ${(touching.rowCount ?? 0) > 0 ? "AND NOT EXISTS (SELECT FROM import_plan p WHERE p.prefix = s.prefix)" : ""}
       ORDER BY s.prefix, s.effective_from`,
      [deckImport.id, deckImport.deckId],
    );
    inserted += fresh.rowCount ?? 0;
    // Belt and braces: after this import no prefix may have two versions in force at once,
    // nor lose its rate at an instant it had one before unless a row of the file ends it
    // there. An import ends a rate only by a row's own effective_to: a version a later row
    // shortens is closed where that row starts, and that row covers on from there (an
    // open-ended row runs until the prefix's next version). The import moves no start and
    // deletes no version, so coverage it loses is always the tail of a version that a staged
    // row found in force (`cur_from`, `cur_to`): a version end that no version starts at
    // and that lies inside such a span is a new gap, allowed only when that version is a
    // row of the file ending there by its own date. Checked where versions met: the
    // prefixes the deck had and this import changed. (A prefix the import left unchanged
    // keeps its versions; a fresh prefix's versions all come from the file, each ending
    // where the next begins or where its row says.)
    const broken = await client.query<{ prefix: string; problem: "overlap" | "gap"; effective_to: Date | null }>(
      `SELECT prefix, CASE WHEN overlap THEN 'overlap' ELSE 'gap' END AS problem, effective_to FROM (
         SELECT v.prefix, v.effective_from, v.effective_to, v.next_from,
                v.previous_from IS NOT NULL AND (v.previous_to IS NULL OR v.previous_to > v.effective_from) AS overlap
         FROM (
           SELECT prefix, effective_from, effective_to, lag(effective_to) OVER w AS previous_to,
                  lag(effective_from) OVER w AS previous_from, lead(effective_from) OVER w AS next_from
           FROM rates WHERE deck_id = $1 AND prefix IN (SELECT DISTINCT prefix FROM import_plan WHERE NOT unchanged)
           WINDOW w AS (PARTITION BY prefix ORDER BY effective_from)
         ) v
       ) versions
       WHERE overlap
          OR (effective_to IS NOT NULL AND (next_from IS NULL OR next_from > effective_to)
              AND EXISTS (SELECT FROM import_plan c WHERE c.prefix = versions.prefix AND c.cur_from <= versions.effective_to
                                                      AND (c.cur_to IS NULL OR c.cur_to > versions.effective_to))
              AND NOT EXISTS (SELECT FROM import_plan e WHERE e.prefix = versions.prefix AND e.effective_from = versions.effective_from
                                                          AND e.effective_to = versions.effective_to))
       ORDER BY overlap DESC, prefix LIMIT 5`,
      [deckImport.deckId],
    );
    const overlaps = broken.rows.filter((row) => row.problem === "overlap");
    if (overlaps.length > 0) {
      throw new AppError(
        "PRECONDITION_FAILED",
        `The import would leave overlapping versions for prefix ${overlaps.map((row) => row.prefix).join(", ")}; nothing was imported.`,
      );
    }
    if (broken.rows.length > 0) {
      throw new AppError(
        "PRECONDITION_FAILED",
        `The import would leave prefix ${broken.rows
          .map((row) => `${row.prefix} without a rate${row.effective_to ? ` from ${row.effective_to.toISOString()}` : ""}`)
          .join(", ")}, where no line of the file ends it; nothing was imported.`,
      );
    }
    await client.query(`UPDATE rate_decks SET version = version + 1, updated_at = now() WHERE id = $1`, [deckImport.deckId]);
    await client.query(`DELETE FROM deck_import_rows WHERE import_id = $1`, [deckImport.id]);
    await client.query(
      `INSERT INTO audit_events (tenant_id, actor_user_id, actor_email, ip, action, target_type, target_id, after)
       VALUES ($1, $2, $3, $4, 'rate_deck.imported', 'rate_deck', $5, $6)`,
      [
        options.tenantId,
        options.actor.userId,
        options.actor.email,
        options.actor.ip,
        deckImport.deckId,
        JSON.stringify({
          importId: deckImport.id,
          fileName: deckImport.fileName,
          inserted,
          replaced,
          closed,
          unchanged: deckImport.unchangedRows,
        }),
      ],
    );
    await client.query("COMMIT");
    invalidateDeckMatcher(deckImport.deckId);
    // After a bulk load the planner's statistics still describe the table before it, and the
    // next import of this deck would plan its joins from them (per-row probes where a merge
    // of a million rows is due). Refreshing them samples the table, well under a second.
    if (inserted >= ANALYZE_AFTER_INSERTED) await client.query("ANALYZE rates").catch(() => {});
    return { inserted, replaced, closed, unchanged: deckImport.unchangedRows };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export async function discardDeckImport(options: { tenantId: string; actor: TActor; importId: string }) {
  const deckImport = await getDeckImport(options);
  if (deckImport.status !== "PREVIEWED") throw new AppError("CONFLICT", `This import was already ${deckImport.status.toLowerCase()}.`);
  await db().$transaction(async (tx) => {
    await tx.deckImport.update({ where: { id: deckImport.id }, data: { status: "DISCARDED" } });
    await tx.deckImportRow.deleteMany({ where: { importId: deckImport.id } });
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "rate_deck.import_discarded",
      targetType: "rate_deck",
      targetId: deckImport.deckId,
      after: { importId: deckImport.id, fileName: deckImport.fileName },
    });
  });
  return { discarded: true };
}
