import { z } from "zod";
import type { Readable } from "node:stream";
import { db, pool } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { copyRows } from "@/server/lib/copy";
import { DECK_FORMATS, DeckFileError, readDeckCsv, type DeckFormat } from "./deck-formats";
import { TimeZoneError } from "./time-zone";
import { invalidateDeckMatcher } from "./deck-cache";

/**
 * Deck import in two steps. Preview: the file is parsed as a stream and every line, good or
 * bad, is COPY'd into `deck_import_rows`; SQL then counts new, changed and unchanged rates
 * against the deck. Commit: one transaction applies the plan — or nothing, when any line is
 * invalid. A rate that changes is closed at the new version's start instead of being
 * overwritten, so history (and re-rating of old calls) keeps the old price.
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

// The current version of each staged prefix at the staged row's start, and the next later
// version (which bounds the new one so versions never overlap).
const PLAN_SQL = `
  SELECT s.*, cur.id AS cur_id, cur.effective_from AS cur_from, nxt.effective_from AS next_from,
         (cur.id IS NOT NULL
          AND cur.description = s.description AND cur.category = s.category
          AND cur.rate_per_minute = s.rate_per_minute AND cur.connect_fee = s.connect_fee
          AND cur.initial_increment = s.initial_increment AND cur.increment = s.increment
          AND cur.grace_seconds = s.grace_seconds
          -- an open-ended row with the same terms is what is already in force
          AND (s.effective_to IS NULL OR s.effective_to = cur.effective_to)) AS unchanged
  FROM deck_import_rows s
  LEFT JOIN LATERAL (
    SELECT r.* FROM rates r
    WHERE r.deck_id = $2 AND r.prefix = s.prefix AND r.effective_from <= s.effective_from
      AND (r.effective_to IS NULL OR r.effective_to > s.effective_from)
    ORDER BY r.effective_from DESC LIMIT 1
  ) cur ON true
  LEFT JOIN LATERAL (
    SELECT min(later.effective_from) AS effective_from FROM (
      SELECT r.effective_from FROM rates r
      WHERE r.deck_id = $2 AND r.prefix = s.prefix AND r.effective_from > s.effective_from
      UNION ALL
      SELECT o.effective_from FROM deck_import_rows o
      WHERE o.import_id = $1 AND o.error IS NULL AND o.prefix = s.prefix AND o.effective_from > s.effective_from
    ) later
  ) nxt ON true
  WHERE s.import_id = $1 AND s.error IS NULL`;

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
  try {
    const rows = readDeckCsv(options.file, { format: request.format as DeckFormat, timeZone, defaultEffectiveFrom: request.effectiveFrom });
    async function* staged(): AsyncGenerator<readonly unknown[]> {
      for await (const row of rows) {
        if ("error" in row) {
          yield [deckImport.id, row.line, null, null, null, null, null, null, null, null, null, null, row.error];
          continue;
        }
        const rate = row.rate;
        yield [
          deckImport.id,
          row.line,
          rate.prefix,
          rate.description,
          rate.category,
          rate.ratePerMinuteMicros,
          rate.connectFeeMicros,
          rate.initialIncrement,
          rate.increment,
          rate.graceSeconds,
          rate.effectiveFrom,
          rate.effectiveTo,
          null,
        ];
      }
    }
    await copyRows(client, "deck_import_rows", STAGING_COLUMNS, staged());
    // Fresh statistics, so the planner treats a million staged rows as a million.
    await client.query("ANALYZE deck_import_rows");
    // The same prefix and start twice in one file is ambiguous: every copy after the first is invalid.
    await client.query(
      `UPDATE deck_import_rows d
       SET error = 'prefix ' || d.prefix || ' with this effective date already appears on line ' || f.first_line
       FROM (SELECT prefix, effective_from, min(line) AS first_line FROM deck_import_rows
             WHERE import_id = $1 AND error IS NULL GROUP BY prefix, effective_from HAVING count(*) > 1) f
       WHERE d.import_id = $1 AND d.error IS NULL AND d.prefix = f.prefix AND d.effective_from = f.effective_from AND d.line <> f.first_line`,
      [deckImport.id],
    );
    const counts = await client.query<{ total: string; invalid: string; new_rows: string; changed: string; unchanged: string }>(
      `WITH plan AS (${PLAN_SQL})
       SELECT (SELECT count(*) FROM deck_import_rows WHERE import_id = $1) AS total,
              (SELECT count(*) FROM deck_import_rows WHERE import_id = $1 AND error IS NOT NULL) AS invalid,
              count(*) FILTER (WHERE cur_id IS NULL) AS new_rows,
              count(*) FILTER (WHERE cur_id IS NOT NULL AND NOT unchanged) AS changed,
              count(*) FILTER (WHERE unchanged) AS unchanged
       FROM plan`,
      [deckImport.id, deck.id],
    );
    const row = counts.rows[0];
    return await db().deckImport.update({
      where: { id: deckImport.id },
      data: {
        totalRows: Number(row?.total ?? 0),
        invalidRows: Number(row?.invalid ?? 0),
        newRows: Number(row?.new_rows ?? 0),
        changedRows: Number(row?.changed ?? 0),
        unchangedRows: Number(row?.unchanged ?? 0),
      },
    });
  } catch (error) {
    await db().deckImport.delete({ where: { id: deckImport.id } }).catch(() => {});
    if (error instanceof DeckFileError) throw AppError.invalidField("file", `The file cannot be read as a ${request.format} deck: ${error.message}`);
    if (error instanceof TimeZoneError) throw AppError.invalidField("timeZone", error.message);
    throw error;
  } finally {
    client.release();
  }
}

export async function getDeckImport(options: { tenantId: string; importId: string }) {
  const deckImport = await db().deckImport.findFirst({
    where: { tenantId: options.tenantId, id: options.importId },
    include: { deck: { select: { id: true, name: true, kind: true } } },
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
    await client.query(`CREATE TEMP TABLE import_plan ON COMMIT DROP AS ${PLAN_SQL}`, [deckImport.id, deckImport.deckId]);
    // A new version starting exactly where the current one starts replaces it.
    const replaced = await client.query(
      `UPDATE rates r SET description = p.description, category = p.category, rate_per_minute = p.rate_per_minute,
              connect_fee = p.connect_fee, initial_increment = p.initial_increment, increment = p.increment,
              grace_seconds = p.grace_seconds, effective_to = LEAST(p.effective_to, p.next_from)
       FROM import_plan p WHERE r.id = p.cur_id AND NOT p.unchanged AND p.cur_from = p.effective_from`,
    );
    // A later start closes the current version there: history keeps the old price. When
    // the file has several later versions of one prefix, the earliest closes it.
    const closed = await client.query(
      `UPDATE rates r SET effective_to = c.first_from
       FROM (SELECT cur_id, min(effective_from) AS first_from FROM import_plan
             WHERE NOT unchanged AND cur_from < effective_from GROUP BY cur_id) c
       WHERE r.id = c.cur_id`,
    );
    const inserted = await client.query(
      `INSERT INTO rates (deck_id, prefix, description, category, rate_per_minute, connect_fee, initial_increment,
                          increment, grace_seconds, effective_from, effective_to)
       SELECT $1, p.prefix, p.description, p.category, p.rate_per_minute, p.connect_fee, p.initial_increment,
              p.increment, p.grace_seconds, p.effective_from,
              CASE WHEN p.effective_to IS NULL THEN p.next_from WHEN p.next_from IS NULL THEN p.effective_to
                   ELSE LEAST(p.effective_to, p.next_from) END
       FROM import_plan p WHERE p.cur_id IS NULL OR (NOT p.unchanged AND p.cur_from < p.effective_from)`,
      [deckImport.deckId],
    );
    // Belt and braces: no prefix may have two versions in force at once after this import.
    const overlaps = await client.query<{ prefix: string }>(
      `SELECT prefix FROM (
         SELECT prefix, effective_from, lag(effective_to) OVER (PARTITION BY prefix ORDER BY effective_from) AS previous_to,
                lag(effective_from) OVER (PARTITION BY prefix ORDER BY effective_from) AS previous_from
         FROM rates WHERE deck_id = $1 AND prefix IN (SELECT DISTINCT prefix FROM import_plan)
       ) versions
       WHERE previous_from IS NOT NULL AND (previous_to IS NULL OR previous_to > effective_from) LIMIT 5`,
      [deckImport.deckId],
    );
    if (overlaps.rows.length > 0) {
      throw new AppError(
        "PRECONDITION_FAILED",
        `The import would leave overlapping versions for prefix ${overlaps.rows.map((row) => row.prefix).join(", ")}; nothing was imported.`,
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
          inserted: inserted.rowCount,
          replaced: replaced.rowCount,
          closed: closed.rowCount,
          unchanged: deckImport.unchangedRows,
        }),
      ],
    );
    await client.query("COMMIT");
    invalidateDeckMatcher(deckImport.deckId);
    return { inserted: inserted.rowCount ?? 0, replaced: replaced.rowCount ?? 0, closed: closed.rowCount ?? 0, unchanged: deckImport.unchangedRows };
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
