import { Prisma } from "@/server/db/generated/client";
import { db } from "@/server/db/client";
import { RESET_REQUEST_INTERVAL_MS } from "@/server/users/account-tokens";
import { ACCOUNT_WINDOW_MS, ADDRESS_WINDOW_MS } from "./sign-in";

/*
 * Deletes the account-security rows no rule can read again. What each rule reads:
 *
 * - sign_in_attempts: every throttle query (server/auth/sign-in.ts) looks back at most
 *   ACCOUNT_WINDOW_MS. The per-address rules use ADDRESS_WINDOW_MS, but deciding whether an
 *   address is "without failures" for an account looks back the whole account window, and
 *   the account backoff's wait runs from the latest failure *within* that window, so it never
 *   reaches further back either. Succeeded rows are never read; they go with the rest.
 * - password_reset_requests: a row older than RESET_REQUEST_INTERVAL_MS is overwritten by the
 *   next request exactly as if it were absent (server/users/account-tokens.ts), so once past
 *   the interval it decides nothing.
 * - user_tokens: consumeToken only finds a token that is unused and unexpired; a used, expired
 *   or unknown token all get the same "not valid any more" answer, so no message depends on
 *   a spent token's row existing, and no audit event refers to one.
 *
 * The windows are imported, not copied: widening one widens its retention. A new rule that
 * reads further back (a daily limit, an "already used" message) must raise its table's
 * retention here.
 */

/**
 * Covers clock skew between the app instances that write rows (with their own clock) and the
 * job that prunes them, and a sign-in between its reservation and its verdict (the reserved
 * row is updated after argon2: it must still be there).
 */
const SAFETY_MARGIN_MS = 60 * 60 * 1000;

export const SIGN_IN_ATTEMPT_RETENTION_MS = Math.max(ACCOUNT_WINDOW_MS, ADDRESS_WINDOW_MS) + SAFETY_MARGIN_MS;
export const RESET_REQUEST_RETENTION_MS = RESET_REQUEST_INTERVAL_MS + SAFETY_MARGIN_MS;
/**
 * How long a token is kept after it expired or was used. Nothing reads it then (see above);
 * the day is for support: "my link did not work" can still be told apart as expired, used or
 * never issued the day it is asked.
 */
export const USER_TOKEN_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Rows per DELETE: each statement's locks and WAL stay small however large the backlog. */
export const PRUNE_BATCH_SIZE = 10_000;

export type TPruneOptions = {
  now?: Date;
  batchSize?: number;
  /** Stop after this many statements (a job step's share); `done` says whether more is left. */
  maxBatches?: number;
};
export type TPruneCount = { deleted: number; batches: number; done: boolean };
export type TPruneResult = { signInAttempts: TPruneCount; passwordResetRequests: TPruneCount; userTokens: TPruneCount };

/** One statement's work; `last` is the last key it selected, as text (the next batch starts after it). */
type TBatch = { deleted: number; selected: number; last: string | null };

/**
 * Walks the table in primary-key order, `batchSize` matching rows per statement, each batch
 * starting after the last key the previous one selected: a backlog is read once, not once per
 * batch (the deleted rows' dead tuples stay in the heap until vacuum).
 */
async function deleteInBatches(
  deleteBatch: (after: string | null, batchSize: number) => Promise<TBatch>,
  options: TPruneOptions,
): Promise<TPruneCount> {
  const batchSize = options.batchSize ?? PRUNE_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, not ${batchSize}`);
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  let after: string | null = null;
  let deleted = 0;
  let batches = 0;
  while (batches < maxBatches) {
    const batch = await deleteBatch(after, batchSize);
    batches += 1;
    deleted += batch.deleted;
    if (batch.selected < batchSize || batch.last === null) return { deleted, batches, done: true };
    after = batch.last;
  }
  return { deleted, batches, done: false };
}

function firstRow(rows: TBatch[]): TBatch {
  const row = rows[0];
  return { deleted: row?.deleted ?? 0, selected: row?.selected ?? 0, last: row?.last ?? null };
}

/*
 * Each DELETE repeats the age condition on the row it deletes: a row updated since the batch
 * was selected (a reset request claimed again, a token just used) is rechecked against its new
 * version and kept if it no longer qualifies.
 */

/** A table pruned by {@link pruneTable}: its key (walked in order) and when a row has expired. */
type TPrunedTable = {
  table: "sign_in_attempts" | "password_reset_requests" | "user_tokens";
  key: string;
  keyType: "bigint" | "text" | "uuid";
  expired: (cutoff: Date) => Prisma.Sql;
};

async function pruneTable(spec: TPrunedTable, retentionMs: number, options: TPruneOptions): Promise<TPruneCount> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - retentionMs);
  const table = Prisma.raw(`"${spec.table}"`);
  const key = Prisma.raw(`"${spec.key}"`);
  const expired = spec.expired(cutoff);
  return deleteInBatches(async (after, batchSize) => {
    const from = after === null ? Prisma.empty : Prisma.sql`AND ${key} > CAST(${after} AS ${Prisma.raw(spec.keyType)})`;
    const rows = await db().$queryRaw<TBatch[]>`
      WITH doomed AS (
        SELECT ${key} FROM ${table} WHERE ${expired} ${from} ORDER BY ${key} LIMIT ${batchSize}
      ), gone AS (
        DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM doomed) AND ${expired} RETURNING 1
      )
      SELECT (SELECT count(*) FROM gone)::int AS "deleted", (SELECT count(*) FROM doomed)::int AS "selected",
             (SELECT ${key}::text FROM doomed ORDER BY ${key} DESC LIMIT 1) AS "last"`;
    return firstRow(rows);
  }, options);
}

export function pruneSignInAttempts(options: TPruneOptions = {}): Promise<TPruneCount> {
  const spec: TPrunedTable = { table: "sign_in_attempts", key: "id", keyType: "bigint", expired: (cutoff) => Prisma.sql`"at" < ${cutoff}` };
  return pruneTable(spec, SIGN_IN_ATTEMPT_RETENTION_MS, options);
}

export function prunePasswordResetRequests(options: TPruneOptions = {}): Promise<TPruneCount> {
  const spec: TPrunedTable = { table: "password_reset_requests", key: "email", keyType: "text", expired: (cutoff) => Prisma.sql`"requested_at" < ${cutoff}` };
  return pruneTable(spec, RESET_REQUEST_RETENTION_MS, options);
}

export function pruneUserTokens(options: TPruneOptions = {}): Promise<TPruneCount> {
  const spec: TPrunedTable = {
    table: "user_tokens",
    key: "id",
    keyType: "uuid",
    expired: (cutoff) => Prisma.sql`("expires_at" < ${cutoff} OR "used_at" < ${cutoff})`,
  };
  return pruneTable(spec, USER_TOKEN_RETENTION_MS, options);
}

/** All three tables, each to the end of its backlog. */
export async function pruneSecurityRecords(options: Omit<TPruneOptions, "maxBatches"> = {}): Promise<TPruneResult> {
  const now = options.now ?? new Date();
  return {
    signInAttempts: await pruneSignInAttempts({ ...options, now }),
    passwordResetRequests: await prunePasswordResetRequests({ ...options, now }),
    userTokens: await pruneUserTokens({ ...options, now }),
  };
}
