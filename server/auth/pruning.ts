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

type TBatch<TKey> = { deleted: number; selected: number; last: TKey | null };

/**
 * Walks the table in primary-key order, `batchSize` matching rows per statement, each batch
 * starting after the last key the previous one selected: a backlog is read once, not once per
 * batch (the deleted rows' dead tuples stay in the heap until vacuum).
 */
async function deleteInBatches<TKey>(
  deleteBatch: (after: TKey | null, batchSize: number) => Promise<TBatch<TKey>>,
  options: TPruneOptions,
): Promise<TPruneCount> {
  const batchSize = options.batchSize ?? PRUNE_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, not ${batchSize}`);
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  let after: TKey | null = null;
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

function firstRow<TKey>(rows: TBatch<TKey>[]): TBatch<TKey> {
  const row = rows[0];
  return { deleted: row?.deleted ?? 0, selected: row?.selected ?? 0, last: row?.last ?? null };
}

/*
 * Each DELETE repeats the age condition on the row it deletes: a row updated since the batch
 * was selected (a reset request claimed again, a token just used) is rechecked against its new
 * version and kept if it no longer qualifies.
 */

export async function pruneSignInAttempts(options: TPruneOptions = {}): Promise<TPruneCount> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - SIGN_IN_ATTEMPT_RETENTION_MS);
  return deleteInBatches<bigint>(async (after, batchSize) => {
    const from = after === null ? Prisma.empty : Prisma.sql`AND "id" > ${after}`;
    const rows = await db().$queryRaw<TBatch<bigint>[]>`
      WITH doomed AS (
        SELECT "id" FROM "sign_in_attempts" WHERE "at" < ${cutoff} ${from} ORDER BY "id" LIMIT ${batchSize}
      ), gone AS (
        DELETE FROM "sign_in_attempts" WHERE "id" IN (SELECT "id" FROM doomed) AND "at" < ${cutoff} RETURNING 1
      )
      SELECT (SELECT count(*) FROM gone)::int AS "deleted", (SELECT count(*) FROM doomed)::int AS "selected",
             (SELECT "id" FROM doomed ORDER BY "id" DESC LIMIT 1) AS "last"`;
    return firstRow(rows);
  }, options);
}

export async function prunePasswordResetRequests(options: TPruneOptions = {}): Promise<TPruneCount> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - RESET_REQUEST_RETENTION_MS);
  return deleteInBatches<string>(async (after, batchSize) => {
    const from = after === null ? Prisma.empty : Prisma.sql`AND "email" > ${after}`;
    const rows = await db().$queryRaw<TBatch<string>[]>`
      WITH doomed AS (
        SELECT "email" FROM "password_reset_requests" WHERE "requested_at" < ${cutoff} ${from} ORDER BY "email" LIMIT ${batchSize}
      ), gone AS (
        DELETE FROM "password_reset_requests" WHERE "email" IN (SELECT "email" FROM doomed) AND "requested_at" < ${cutoff} RETURNING 1
      )
      SELECT (SELECT count(*) FROM gone)::int AS "deleted", (SELECT count(*) FROM doomed)::int AS "selected",
             (SELECT "email" FROM doomed ORDER BY "email" DESC LIMIT 1) AS "last"`;
    return firstRow(rows);
  }, options);
}

export async function pruneUserTokens(options: TPruneOptions = {}): Promise<TPruneCount> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - USER_TOKEN_RETENTION_MS);
  return deleteInBatches<string>(async (after, batchSize) => {
    const from = after === null ? Prisma.empty : Prisma.sql`AND "id" > ${after}::uuid`;
    const rows = await db().$queryRaw<TBatch<string>[]>`
      WITH doomed AS (
        SELECT "id" FROM "user_tokens" WHERE ("expires_at" < ${cutoff} OR "used_at" < ${cutoff}) ${from} ORDER BY "id" LIMIT ${batchSize}
      ), gone AS (
        DELETE FROM "user_tokens" WHERE "id" IN (SELECT "id" FROM doomed) AND ("expires_at" < ${cutoff} OR "used_at" < ${cutoff}) RETURNING 1
      )
      SELECT (SELECT count(*) FROM gone)::int AS "deleted", (SELECT count(*) FROM doomed)::int AS "selected",
             (SELECT "id"::text FROM doomed ORDER BY "id" DESC LIMIT 1) AS "last"`;
    return firstRow(rows);
  }, options);
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
