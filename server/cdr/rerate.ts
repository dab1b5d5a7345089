import { createHash } from "node:crypto";
import type pg from "pg";
import { z } from "zod";
import { db, pool } from "@/server/db/client";
import { recordAudit, type TActor } from "@/server/audit/audit";
import { AppError, errorMessage } from "@/server/errors";
import { sendEvent } from "@/server/jobs/send";
import { BalanceChangeNotices, postLedgerEntriesOnConnection, type TPostResult } from "@/server/wallet/ledger";
import { UNBILLABLE_REASONS } from "@/server/rating/pricing";
import { loadCallRatingContext, type TCallRatingContext } from "./call-rating";
import { applyTrafficDeltas, parseTrafficDeltas, trafficDeltasJsonSql, trafficReturningSql, type TTrafficDelta } from "./traffic-totals";

/**
 * Re-rating the unbillable queue after a fix (a new rate, an account-code mapping, a deck
 * assigned; not a DID assigned since: see the owner lookup below). Each call that now prices
 * is switched from UNBILLABLE to RATED in the same transaction as the charge for it, and
 * only while it is still UNBILLABLE — so a call is billed once however often re-rating runs
 * or retries. The charge's key is a digest of the calls it covers: a retried batch of the
 * same calls posts it once. The tenant's traffic totals move with the calls, in the same
 * transaction (traffic-totals.ts).
 */

const RERATE_BATCH = 5_000;

/**
 * The cdr-rerate function's retries: a re-rate gets this + 1 attempts. Its request counts them
 * itself (the embedded runner's executor numbers every attempt 0), and a failure of the last
 * one is final.
 */
export const RERATE_RETRIES = 5;

/** A short digest of rows, for idempotency keys derived from a set of calls. */
function digestOf(parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\n");
  return hash.digest("hex");
}

export const ZRerateRequest = z.object({
  /** Only calls unbillable for this reason ("unknown account", "no rate for prefix", …); all when absent. */
  reason: z.string().trim().min(1).max(200).nullish(),
});

export async function requestRerate(options: { tenantId: string; actor: TActor; request: z.input<typeof ZRerateRequest> }): Promise<{ requestId: string; queued: number }> {
  const request = ZRerateRequest.parse(options.request);
  const queued = await db().cdr.count({
    where: { tenantId: options.tenantId, status: "UNBILLABLE", ...(request.reason ? { unbillableReason: request.reason } : {}) },
  });
  if (queued === 0) throw new AppError("PRECONDITION_FAILED", "There are no unbillable calls to re-rate.");
  const requestId = await db().$transaction(async (tx) => {
    const created = await tx.rerateRequest.create({
      data: { tenantId: options.tenantId, reason: request.reason ?? null, requestedById: options.actor.userId },
      select: { id: true },
    });
    await recordAudit(tx, {
      tenantId: options.tenantId,
      actor: options.actor,
      action: "cdr.rerate",
      targetType: "cdr",
      targetId: created.id,
      after: { reason: request.reason ?? null, queued },
    });
    return created.id;
  });
  try {
    await sendEvent({ name: "cdr/rerate.requested", id: `cdr-rerate-${requestId}`, data: { tenantId: options.tenantId, requestId, reason: request.reason ?? null } });
  } catch (error) {
    // Nothing will run it: a request left QUEUED would read as waiting for good.
    await db()
      .rerateRequest.updateMany({
        where: { tenantId: options.tenantId, id: requestId },
        data: { status: "FAILED", error: `Not queued: ${errorMessage(error)}`, finishedAt: new Date() },
      })
      .catch(() => undefined);
    throw error;
  }
  return { requestId, queued };
}


/**
 * One attempt of a requested re-rate (the cdr-rerate function), recorded on its request: RUNNING
 * as it starts; COMPLETED with what is still unbillable when it ends, whatever earlier attempts
 * did; on a failure the error, and FAILED once no attempt is left, else RUNNING for the retry.
 * An event sent before requests were recorded has no row: its re-rate runs all the same, and
 * these updates change nothing.
 */
export async function runRerateRequest(options: { tenantId: string; requestId: string; reason: string | null }): Promise<TRerateResult> {
  const { tenantId, requestId } = options;
  let result: TRerateResult;
  // Whether this attempt was counted by its start: if recording the start failed, its failure counts it.
  let counted = false;
  try {
    await pool().query(
      `UPDATE rerate_requests SET status = 'RUNNING', attempts = attempts + 1, started_at = COALESCE(started_at, now()), attempt_started_at = now()
       WHERE tenant_id = $1::uuid AND id = $2::uuid`,
      [tenantId, requestId],
    );
    counted = true;
    result = await rerateUnbillable({ tenantId, reason: options.reason, requestId });
  } catch (error) {
    await pool()
      .query(
        `UPDATE rerate_requests
         SET error = $3, attempts = attempts + $5,
             status = CASE WHEN attempts + $5 >= $4 THEN 'FAILED'::"RerateStatus" ELSE status END,
             finished_at = CASE WHEN attempts + $5 >= $4 THEN now() END
         WHERE tenant_id = $1::uuid AND id = $2::uuid`,
        [tenantId, requestId, errorMessage(error), RERATE_RETRIES + 1, counted ? 0 : 1],
      )
      // The engine must see the re-rate's own error; a request this leaves RUNNING reads as
      // failed once its run's time limit has passed (rerateStatus).
      .catch(() => undefined);
    throw error;
  }
  await pool().query(
    `UPDATE rerate_requests SET status = 'COMPLETED', still_unbillable = $3, error = NULL, finished_at = now()
     WHERE tenant_id = $1::uuid AND id = $2::uuid`,
    [tenantId, requestId, result.stillUnbillable],
  );
  return result;
}

type TUnbillableRow = {
  source_id: string;
  record_key: string;
  start_at: Date;
  file_id: string;
  account_code: string | null;
  caller: string;
  callee: string;
  callee_short_code: boolean;
  billsec: number;
  unbillable_reason: string | null;
  customer_id: string | null;
  trunk_id: string | null;
};

export type TRerateResult = {
  examined: number;
  rated: number;
  stillUnbillable: number;
  charged: bigint;
  /** Unanswered calls that had no customer and now have one. */
  unansweredClaimed: number;
};

/**
 * Prices again every unbillable call of the tenant (optionally of one reason), in batches.
 * Calls that still cannot be priced keep their place in the queue with their current reason.
 * With a request, each batch adds the calls it rated and what it charged to the request's row in
 * its own transaction, so the request's figures are the money that moved, across retries.
 */
export async function rerateUnbillable(options: { tenantId: string; reason?: string | null; requestId?: string }): Promise<TRerateResult> {
  const { tenantId } = options;
  const result: TRerateResult = { examined: 0, rated: 0, stillUnbillable: 0, charged: 0n, unansweredClaimed: 0 };
  const contexts = new Map<string, Promise<TCallRatingContext>>();
  const contextFor = (sourceId: string) => {
    let context = contexts.get(sourceId);
    if (!context) {
      context = db()
        .cdrSource.findFirst({ where: { tenantId, id: sourceId }, select: { costDeckId: true } })
        .then((source) => loadCallRatingContext({ tenantId, costDeckId: source?.costDeckId ?? null }));
      contexts.set(sourceId, context);
    }
    return context;
  };

  let after: { start: Date; sourceId: string; recordKey: string } | null = null;
  const notices = new BalanceChangeNotices();
  const client = await pool().connect();
  try {
    for (;;) {
      await client.query("BEGIN");
      const posted: TPostResult[] = [];
      const before = { rated: result.rated, charged: result.charged };
      try {
        const rows: { rows: TUnbillableRow[] } = await client.query<TUnbillableRow>(
          `SELECT source_id, record_key, start_at, file_id, account_code, caller, callee, callee_short_code, billsec, unbillable_reason, customer_id, trunk_id
           FROM cdrs
           WHERE tenant_id = $1::uuid AND status = 'UNBILLABLE'
             AND ($2::text IS NULL OR unbillable_reason = $2)
             AND ($3::timestamptz IS NULL OR (start_at, source_id, record_key) > ($3::timestamptz, $4::uuid, $5::text))
           ORDER BY start_at, source_id, record_key
           LIMIT ${RERATE_BATCH}
           FOR UPDATE SKIP LOCKED`,
          [tenantId, options.reason ?? null, after?.start ?? null, after?.sourceId ?? null, after?.recordKey ?? null],
        );
        if (rows.rows.length === 0) {
          await client.query("COMMIT");
          break;
        }
        const last: TUnbillableRow = rows.rows[rows.rows.length - 1]!;
        after = { start: last.start_at, sourceId: last.source_id, recordKey: last.record_key };

        const charges = new Map<string, { amount: bigint; keys: string[] }>();
        const fileDeltas = new Map<string, { rated: number; price: bigint; cost: bigint; seconds: bigint }>();
        const updates: unknown[][] = [[], [], [], [], [], [], [], [], [], [], [], [], [], [], []];
        for (const row of rows.rows) {
          result.examined++;
          const context = await contextFor(row.source_id);
          // A call stored with its customer stays theirs; only an ownerless one finds its owner
          // now, by its account code alone. The DID fallback reads who holds the number today,
          // and dids records no time of assignment (created_at is the row's, updated_at any
          // edit's): it would bill a call made to a number nobody held then to whoever was
          // given it since, with their deck.
          const owner = row.customer_id ? context.storedOwner(row.customer_id, row.trunk_id) : context.accountOwner(row.account_code);
          const callee = context.storedCallee(row.callee, { shortCode: row.callee_short_code, trunkId: row.trunk_id }, owner);
          const rated = context.rate({ caller: row.caller, callee, startUtc: row.start_at, billsec: row.billsec }, owner, {
            techPrefixRemoved: row.trunk_id !== null,
          });
          // A number the plan cannot read now keeps what was stored of it, not the form passed in.
          const readable = rated.status !== "REJECTED";
          const nowRated = rated.status === "RATED";
          if (!nowRated) result.stillUnbillable++;
          if (!nowRated && rated.reason === row.unbillable_reason) continue;
          const price = nowRated ? rated.priceMicros! : null;
          const cost = nowRated ? rated.costMicros : null;
          const values = [
            row.source_id,
            row.record_key,
            row.start_at,
            nowRated ? "RATED" : "UNBILLABLE",
            nowRated ? null : rated.reason,
            owner?.customerId ?? null,
            owner?.trunkId ?? null,
            rated.category,
            rated.matchedPrefix,
            rated.rate?.id ?? null,
            nowRated ? rated.billedSeconds : null,
            price?.toString() ?? null,
            cost?.toString() ?? null,
            readable ? rated.callee : row.callee,
            readable ? rated.calleeShortCode : row.callee_short_code,
          ];
          values.forEach((value, index) => updates[index]!.push(value));
          if (!nowRated) continue;
          result.rated++;
          const delta = fileDeltas.get(row.file_id) ?? { rated: 0, price: 0n, cost: 0n, seconds: 0n };
          delta.rated++;
          delta.price += price!;
          delta.cost += cost ?? 0n;
          delta.seconds += BigInt(rated.billedSeconds ?? 0);
          fileDeltas.set(row.file_id, delta);
          if (owner && price! > 0n) {
            const charge = charges.get(owner.customerId) ?? { amount: 0n, keys: [] };
            charge.amount += price!;
            charge.keys.push(`${row.source_id}|${row.record_key}|${row.start_at.toISOString()}`);
            charges.set(owner.customerId, charge);
          }
        }
        let traffic: TTrafficDelta[] = [];
        if (updates[0]!.length > 0) {
          // Only rows still UNBILLABLE change: a concurrent run that got here first wins. What the
          // changed calls move in the traffic totals is read from their rows before and after.
          // rated_at is the clock, not this transaction's start: a CDR batch whose entry committed
          // after this re-rate began must not count these calls as its own (the ledger's text and
          // statements tell a batch's calls by rated_at ≤ its entry's time).
          const changed = await client.query<{ changed: number; traffic: unknown }>(
            `WITH changed AS (
             UPDATE cdrs c SET status = u.status::"CdrStatus", unbillable_reason = u.reason, customer_id = u.customer_id, trunk_id = u.trunk_id,
                    category = u.category::"RateCategory", matched_prefix = u.matched_prefix, rate_id = u.rate_id,
                    billed_seconds = u.billed_seconds, price = u.price, cost = u.cost, callee = u.callee,
                    callee_short_code = u.callee_short_code, rated_at = clock_timestamp()
             FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::uuid[], $8::uuid[], $9::text[],
                         $10::text[], $11::bigint[], $12::int[], $13::bigint[], $14::bigint[], $15::text[], $16::boolean[])
                  AS u(source_id, record_key, start_at, status, reason, customer_id, trunk_id, category, matched_prefix, rate_id,
                       billed_seconds, price, cost, callee, callee_short_code)
             WHERE c.tenant_id = $1::uuid AND c.source_id = u.source_id AND c.record_key = u.record_key AND c.start_at = u.start_at
               AND c.status = 'UNBILLABLE'
             RETURNING ${trafficReturningSql("update")}
             )
             SELECT (SELECT count(*) FROM changed)::int AS changed, ${trafficDeltasJsonSql("changed")} AS traffic`,
            [tenantId, ...updates],
          );
          // Rows are locked FOR UPDATE above, so every selected row changes as computed.
          if (changed.rows[0]!.changed !== updates[0]!.length) throw new Error("re-rate: calls changed while locked");
          traffic = parseTrafficDeltas(changed.rows[0]!.traffic);
        }
        const customers = [...charges.keys()].sort();
        for (const customerId of customers) result.charged += charges.get(customerId)!.amount;
        posted.push(
          ...(await postLedgerEntriesOnConnection(
            client,
            customers.map((customerId) => {
              const charge = charges.get(customerId)!;
              return {
                tenantId,
                customerId,
                amount: -charge.amount,
                kind: "CALL_CHARGES" as const,
                idempotencyKey: `cdr-rerate:${customerId}:${digestOf(charge.keys)}`,
                reference: { type: "cdr_rerate", id: customerId },
                memo: `Re-rated ${charge.keys.length} previously unbillable call${charge.keys.length === 1 ? "" : "s"}`,
              };
            }),
          )),
        );
        // Customers, then traffic buckets, then files, as an ingest batch locks them (ledger
        // post, then its traffic, then its file's counters): another order deadlocks the two.
        // Buckets and files each in one order (bucket time, file id), so two re-rates whose
        // batches share them cannot lock them in opposite orders either.
        await applyTrafficDeltas(client, tenantId, traffic);
        for (const fileId of [...fileDeltas.keys()].sort()) {
          const delta = fileDeltas.get(fileId)!;
          await client.query(
            `UPDATE cdr_files SET rated = rated + $3, unbillable = unbillable - $3, price_total = price_total + $4::bigint,
                    cost_total = cost_total + $5::bigint, billed_seconds = billed_seconds + $6::bigint
             WHERE tenant_id = $1::uuid AND id = $2::uuid`,
            [tenantId, fileId, delta.rated, delta.price.toString(), delta.cost.toString(), delta.seconds.toString()],
          );
        }
        if (options.requestId && result.rated > before.rated) {
          await client.query(
            `UPDATE rerate_requests SET rated = rated + $3, charged = charged + $4::bigint WHERE tenant_id = $1::uuid AND id = $2::uuid`,
            [tenantId, options.requestId, result.rated - before.rated, (result.charged - before.charged).toString()],
          );
        }
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
      await notices.changed(posted);
    }
    // The fix that finds an unknown account's customer finds its unanswered calls' too.
    if (!options.reason || options.reason === UNBILLABLE_REASONS.unknownAccount) {
      result.unansweredClaimed = await claimOwnerlessUnanswered(client, tenantId);
    }
  } finally {
    client.release();
    // A change lost here is caught by the balance sweep.
    await notices.flush().catch(() => undefined);
  }
  return result;
}

/**
 * Every known code's ownerless unanswered calls get their owner (see unanswered-claims.ts), in
 * one statement: one pass over the tenant's entries of the partial index, however many codes.
 * Codes match regardless of case, and a trunk's code wins over a mapping of it, as in rating.
 */
async function claimOwnerlessUnanswered(client: pg.PoolClient, tenantId: string): Promise<number> {
  const claimed = await client.query(
    `WITH owners AS (
       SELECT lower(t.account_code) AS code, t.customer_id, t.id AS trunk_id, 0 AS rank FROM sip_trunks t WHERE t.tenant_id = $1::uuid
       UNION ALL
       SELECT lower(m.account_code), m.customer_id, NULL, 1 FROM account_code_mappings m WHERE m.tenant_id = $1::uuid
     ), chosen AS (
       SELECT DISTINCT ON (code) code, customer_id, trunk_id FROM owners ORDER BY code, rank
     )
     UPDATE cdrs c SET customer_id = o.customer_id, trunk_id = o.trunk_id
     FROM chosen o
     WHERE c.tenant_id = $1::uuid AND c.status = 'UNANSWERED' AND c.customer_id IS NULL AND lower(c.account_code) = o.code`,
    [tenantId],
  );
  return claimed.rowCount ?? 0;
}
