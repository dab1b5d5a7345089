import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import type pg from "pg";
import { db, pool, spareConnection } from "@/server/db/client";
import { AppError, errorMessage } from "@/server/errors";
import { BinaryCopyWriter, BufferPool, copyBinaryChunks, encodeUuidFields, type EncodedFields } from "@/server/lib/copy";
import { CdrFileError, parseCdrBatches, type CdrFormat, type CdrRecord } from "@/server/rating/cdr-formats";
import { TimeZoneError } from "@/server/rating/time-zone";
import { BalanceChangeNotices, postLedgerEntriesOnConnection, type TPostResult } from "@/server/wallet/ledger";
import { loadCallRatingContext, type TCallRatingContext } from "./call-rating";
import { requestRerate } from "./rerate";
import { SYSTEM_ACTOR } from "@/server/audit/audit";
import { ACCEPTED_FILE_STATUSES, ingestEventIdOf, spooledSize } from "./files";
import { ensureCdrPartitions, forgetCdrPartitions, monthIndexOf } from "./partitions";
import { MicrosSum } from "@/server/rating/money";
import { MAX_RECORD_KEY_CHARS } from "./search";
import { applyTrafficDeltas, parseTrafficDeltas, TrafficBuckets, trafficDeltasJsonSql, trafficReturningSql, type TTrafficDelta } from "./traffic-totals";

/**
 * Ingests one spooled CDR file: stream → parse → rate → COPY into `cdrs`, in batches of
 * BATCH_LINES lines. Each batch is one transaction holding its calls, its rejected lines,
 * one ledger entry per customer for the calls it inserted and what they add to the tenant's
 * traffic totals (traffic-totals.ts), so a batch bills and counts exactly what it stored, and
 * a crash leaves whole batches or nothing.
 *
 * Exactly once: `cdrs` is unique on (tenant, source, record key, start). A batch first
 * COPYs straight into `cdrs` (the fast path, one pass). If any of its calls is already
 * stored — a rerun after a crash, or the same call in another file — the COPY fails, the
 * batch rolls back to its savepoint and goes through a staging table with
 * `INSERT … ON CONFLICT DO NOTHING RETURNING`, charging only the calls that were new. The
 * ledger key names the file and the batch's line range, so a retried batch that inserted
 * the same calls posts the same key once.
 *
 * One attempt owns the file at a time. The engine may abandon an attempt (its run cancelled
 * for outliving its timeout) while its JavaScript keeps running, and the file is then failed
 * and retried under a new run. So an attempt claims the file (`ingest_attempt_id`) only if
 * nothing moved since it read it and only for the run the file is ingested under, and every
 * status or count it writes after that requires it to still own the file. A batch that finds
 * the file taken rolls back whole (its calls, charges and counts), so the counters stay the sum
 * of what committed batches stored; the attempt stops as SUPERSEDED and leaves the file to its
 * owner.
 */

/**
 * Up to four batches are in memory at once (three being written, one read ahead), ~330
 * bytes per call in COPY's binary format: 25,000 lines keep that near 33 MB. With three
 * 50,000-line batches the worker's peak RSS reached 299 MB in `bench:ingest`, against a
 * 300 MB budget.
 */
export const BATCH_LINES = 25_000;

/** Connections that write a file's batches at once, when the pool can spare them. */
const WRITERS = 3;

/**
 * How long after its file arrived a call may start. A switch writes a call only once it has
 * ended, so a later start is a wrong clock or a typo (a year of 2062): billed, it would be
 * charged now at today's rates yet listed in no sensible period (a dispute), and storing it
 * would create a monthly partition of `cdrs` for that far month — a table-wide lock, kept
 * forever. Two days rather than less: a switch whose clock or configured time zone is off by
 * up to a day (UTC+14 read as UTC−12 is 26 hours) still gets its calls billed. Measured from
 * the file's arrival, never from the run's clock, so a retry decides every line the same way.
 * No lower bound: carriers legitimately send old files.
 */
const MAX_CALL_START_DAYS_AFTER_ARRIVAL = 2;
const MAX_CALL_START_AFTER_ARRIVAL_MS = MAX_CALL_START_DAYS_AFTER_ARRIVAL * 24 * 60 * 60 * 1000;

/**
 * Why a line's call id or account code cannot be stored, or null. Both go into indexes (the
 * primary key, the ownerless-calls index), whose entries PostgreSQL caps at about 2.7 kB: one
 * absurd field would fail its whole batch, and the file with it, on every retry. A call id
 * must also fit a search page's cursor. Counted in characters (code points), checked only past
 * the cheap UTF-16 length.
 */
function oversizedField(record: CdrRecord): string | null {
  const tooLong = (value: string | null) => value !== null && value.length > MAX_RECORD_KEY_CHARS && [...value].length > MAX_RECORD_KEY_CHARS;
  if (tooLong(record.recordKey)) return `call id is longer than ${MAX_RECORD_KEY_CHARS} characters`;
  if (tooLong(record.account)) return `account code is longer than ${MAX_RECORD_KEY_CHARS} characters`;
  return null;
}

/** A time as an ISO 8601 UTC timestamp to the second, for a rejected line's reason. */
function utcToTheSecond(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

const CDR_COLUMNS = [
  "tenant_id",
  "source_id",
  "file_id",
  "line",
  "record_key",
  "start_at",
  "answer_at",
  "end_at",
  "duration",
  "billsec",
  "account_code",
  "caller",
  "callee",
  "callee_short_code",
  "customer_id",
  "trunk_id",
  "status",
  "unbillable_reason",
  "category",
  "matched_prefix",
  "rate_id",
  "billed_seconds",
  "price",
  "cost",
  "disposition",
] as const;

export type TIngestCounts = { lines: number; rated: number; unanswered: number; unbillable: number; rejected: number };

export type TIngestResult = TIngestCounts & {
  fileId: string;
  /** SUPERSEDED: another attempt owns the file (the counts are the file's as this one read it). */
  status: "DONE" | "SKIPPED" | "SUPERSEDED";
  batches: number;
  /** Connections that wrote batches at once (0 when skipped). */
  writers: number;
  alreadyPresent: number;
  priceTotal: bigint;
};

export type TIngestOptions = {
  tenantId: string;
  fileId: string;
  /**
   * The `cdr/file.received` event of the run this attempt belongs to: the attempt takes the file
   * only while the file is ingested under it (not once it was retried under another). Absent
   * (a direct call), any run's.
   */
  ingestEventId?: string;
  /** Test hook: runs after the file was read and before the attempt claims it, as a stalled attempt would wait. */
  beforeClaim?: () => Promise<void>;
  /** Test hook: throw after committing this many batches, as a worker killed mid-file would stop. */
  crashAfterBatches?: number;
  /** Test hook: runs after each committed batch (e.g. a re-rate racing the ingest). */
  afterBatch?: (batches: number) => Promise<void>;
  /** Batch size override (tests use small batches to get many of them). */
  batchLines?: number;
};

export class SimulatedCrash extends Error {
  override name = "SimulatedCrash";
}

/** The attempt no longer owns its file: another attempt claimed it, or the file was failed or retried meanwhile. */
class AttemptSuperseded extends Error {
  override name = "AttemptSuperseded";
}

type TBatch = {
  /** Records taken into the batch (calls and rejected lines). */
  taken: number;
  firstLine: number;
  lastLine: number;
  /**
   * The batch's calls as one binary COPY stream, kept to replay through the staging table.
   * Written straight into buffers: rows cost no strings on V8's heap and no text parsing on
   * the server's side (the bulk of both processes' CPU in the text format).
   */
  chunks: Buffer[];
  /** Gives the buffers of `chunks` back to the reader's pool, once they are stored. */
  release: () => void;
  /** What the batch's calls add to their file's totals when all of them are stored. */
  stored: TStoredTotals;
  /** What they add to the tenant's traffic totals (cdr_traffic_totals), per bucket, likewise. */
  traffic: TTrafficDelta[];
  /** Charges of the batch's RATED calls, per customer (micro-units, positive). */
  charges: Map<string, bigint>;
  rejects: { line: number; raw: string; reason: string }[];
  months: Set<number>;
};

/**
 * What stored calls add to their file's totals (cdr_files), in the transaction that stores
 * them: a file's counters are then the sum of what its committed batches stored, whatever
 * runs of it crashed, overlapped or retried, and whatever a re-rate moved meanwhile.
 */
type TStoredTotals = {
  calls: number;
  rated: number;
  unanswered: number;
  unbillable: number;
  billedSeconds: number;
  /** Of RATED calls, micro-units. */
  price: bigint;
  cost: bigint;
  /** Start of the earliest and latest call (epoch ms), null without calls. */
  firstCallMs: number | null;
  lastCallMs: number | null;
};

/** Reads the file's records one batch at a time; rating happens as chunks are requested. */
class BatchReader {
  private readonly records: AsyncIterator<CdrRecord[]>;
  private pending: CdrRecord[] = [];
  private pendingIndex = 0;
  private done = false;
  /** Lines read so far: the file's line count once it is read to the end. */
  lines = 0;
  /**
   * Lines the parser could not read as a CDR of the source's format (rather than calls refused
   * by the checks after it: a far start, an unreadable number): all of a file's lines means the
   * format is most likely wrong, which the failed file's message says.
   */
  unparsedLines = 0;
  /** The batches' buffers, reused once a batch is stored. */
  private readonly buffers = new BufferPool();
  /** Rate ids as BIGINTs, parsed once per rate rather than once per call. */
  private readonly rateIds = new Map<string, bigint>();
  /** Epoch ms of the latest start a call of this file may have; computed once per file. */
  private readonly latestCallStartMs: number;
  /** tenant_id, source_id and file_id: the same in every row of the file. */
  private readonly fileIdFields: EncodedFields;

  private rateIdOf(id: string): bigint {
    let value = this.rateIds.get(id);
    if (value === undefined) this.rateIds.set(id, (value = BigInt(id)));
    return value;
  }

  constructor(
    input: AsyncIterable<CdrRecord[]>,
    private readonly context: TCallRatingContext,
    private readonly ids: { tenantId: string; sourceId: string; fileId: string },
    private readonly batchLines: number,
    /** When the file arrived: calls may start at most {@link MAX_CALL_START_AFTER_ARRIVAL_MS} later. */
    private readonly fileArrivedAt: Date,
    /** Call ids already billed from the file this one re-issues (callIdsOfReissuedFile): their lines are skipped. */
    private readonly knownCallIds: ReadonlySet<string> | null = null,
  ) {
    this.latestCallStartMs = fileArrivedAt.getTime() + MAX_CALL_START_AFTER_ARRIVAL_MS;
    this.fileIdFields = encodeUuidFields([ids.tenantId, ids.sourceId, ids.fileId]);
    this.records = input[Symbol.asyncIterator]();
  }

  private async next(): Promise<CdrRecord | null> {
    while (this.pendingIndex >= this.pending.length) {
      if (this.done) return null;
      const result = await this.records.next();
      if (result.done) {
        this.done = true;
        return null;
      }
      this.pending = result.value;
      this.pendingIndex = 0;
    }
    return this.pending[this.pendingIndex++]!;
  }

  /** Stops reading: closes the file when it was not read to the end. */
  async close(): Promise<void> {
    if (!this.done) await this.records.return?.(undefined);
    this.done = true;
  }

  /**
   * Reads and rates the next `batchLines` records into a batch (a binary COPY stream), or null at the
   * end of the file. Batches are contiguous line ranges, so a rerun cuts the same batches.
   */
  async nextBatch(): Promise<TBatch | null> {
    const out = new BinaryCopyWriter(this.buffers);
    // Exact, without a BigInt per call (see MicrosSum). The traffic buckets also give the
    // batch's price and cost totals: one addition per amount serves both.
    const traffic = new TrafficBuckets();
    const chargeSums = new Map<string, MicrosSum>();
    const batch: TBatch = {
      taken: 0,
      firstLine: 0,
      lastLine: 0,
      chunks: [],
      release: () => out.release(),
      stored: emptyTotals(),
      traffic: [],
      charges: new Map(),
      rejects: [],
      months: new Set(),
    };
    while (batch.taken < this.batchLines) {
      // Awaits only when the parser's current array is used up: an await per line would cost
      // a microtask hop per call.
      const record = this.pendingIndex < this.pending.length ? this.pending[this.pendingIndex++]! : await this.next();
      if (record === null) break;
      batch.taken++;
      if (record.status === "REJECTED") this.unparsedLines++;
      if (batch.firstLine === 0) batch.firstLine = record.lineNumber;
      batch.lastLine = record.lineNumber;
      // A call the earlier issue of this file brought: already stored and billed, whatever its
      // start says now. Counted as already present, as a call found stored is.
      if (this.knownCallIds !== null && record.status !== "REJECTED" && this.knownCallIds.has(record.recordKey)) continue;
      // Before rating (nothing to price, and a far month must never reach ensureCdrPartitions).
      // A number comparison per call; only a rejected line builds its reason.
      if (record.status !== "REJECTED" && record.startUtc !== null && record.startUtc.getTime() > this.latestCallStartMs) {
        batch.rejects.push({
          line: record.lineNumber,
          raw: record.raw,
          reason: `start ${utcToTheSecond(record.startUtc)} is more than ${MAX_CALL_START_DAYS_AFTER_ARRIVAL} days after the file arrived (${utcToTheSecond(this.fileArrivedAt)})`,
        });
        continue;
      }
      const oversized = record.status === "REJECTED" ? null : oversizedField(record);
      if (oversized !== null) {
        batch.rejects.push({ line: record.lineNumber, raw: record.raw, reason: oversized });
        continue;
      }
      const owner = this.context.ownerOf(record.account, record.callee);
      const rated = this.context.rate(
        {
          caller: record.caller,
          callee: record.callee,
          startUtc: record.startUtc,
          billsec: record.billsec,
          rejectedReason: record.status === "REJECTED" ? (record.reason ?? "rejected") : null,
        },
        owner,
      );
      if (rated.status === "REJECTED") {
        batch.rejects.push({ line: record.lineNumber, raw: record.raw, reason: rated.reason ?? "rejected" });
        continue;
      }
      const start = record.startUtc!;
      batch.months.add(monthIndexOf(start));
      const price = rated.status === "RATED" ? rated.priceMicros : null;
      if (price !== null && owner !== null && price > 0n) {
        let charge = chargeSums.get(owner.customerId);
        if (charge === undefined) chargeSums.set(owner.customerId, (charge = new MicrosSum()));
        charge.add(price);
      }
      const priced = rated.status === "RATED";
      // In CDR_COLUMNS order.
      out.startRow(CDR_COLUMNS.length);
      out.encoded(this.fileIdFields);
      out.int4(record.lineNumber);
      out.text(record.recordKey);
      out.timestamptz(start);
      out.timestamptz(record.answerUtc);
      out.timestamptz(record.endUtc);
      out.int4(record.duration);
      out.int4(record.billsec);
      out.text(record.account);
      out.text(rated.caller);
      out.text(rated.callee);
      out.bool(rated.calleeShortCode);
      out.uuid(owner?.customerId ?? null);
      out.uuid(owner?.trunkId ?? null);
      out.text(rated.status);
      out.text(rated.status === "UNBILLABLE" ? (rated.reason ?? "") : null);
      out.text(rated.category);
      out.text(rated.matchedPrefix);
      out.int8(rated.rate ? this.rateIdOf(rated.rate.id) : null);
      out.int4(priced ? rated.billedSeconds : null);
      out.int8(price);
      out.int8(priced ? rated.costMicros : null);
      out.text(record.disposition);
      const stored = batch.stored;
      stored.calls++;
      const startMs = start.getTime();
      if (stored.firstCallMs === null || startMs < stored.firstCallMs) stored.firstCallMs = startMs;
      if (stored.lastCallMs === null || startMs > stored.lastCallMs) stored.lastCallMs = startMs;
      if (priced) stored.billedSeconds += rated.billedSeconds ?? 0;
      traffic.add(startMs, rated.status, record.billsec ?? 0, priced ? rated.billedSeconds : null, price, priced ? rated.costMicros : null);
      if (rated.status === "RATED") stored.rated++;
      else if (rated.status === "UNANSWERED") stored.unanswered++;
      else stored.unbillable++;
    }
    batch.chunks = out.finish();
    batch.stored.price = traffic.price();
    batch.stored.cost = traffic.cost();
    batch.traffic = traffic.deltas();
    for (const [customerId, charge] of chargeSums) batch.charges.set(customerId, charge.total);
    this.lines += batch.taken;
    if (batch.taken === 0) {
      out.release(); // the end of the file: nothing to store
      return null;
    }
    return batch;
  }
}

function pgErrorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : undefined;
}

const UNIQUE_VIOLATION = "23505";
/** "no partition of relation cdrs found for row". */
const NO_PARTITION = "23514";
/** deadlock_detected, serialization_failure: PostgreSQL rolled the transaction back for its clash with another. */
const TRANSIENT_CONFLICTS = new Set(["40P01", "40001"]);
/** Runs of one batch's transaction when PostgreSQL keeps rolling it back for such clashes. */
const BATCH_TRANSACTION_TRIES = 4;

/**
 * Whether PostgreSQL rolled a transaction back for a clash with a concurrent one (a deadlock,
 * a serialization failure), so that running it again may well succeed.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = pgErrorCode(error);
  return code !== undefined && TRANSIENT_CONFLICTS.has(code);
}

/**
 * Stores a batch whose calls may already exist: inserts the new ones, and charges and counts
 * only those, in the file's totals and in the traffic totals alike.
 *
 * Each customer's charge comes with a digest of the calls it bills (their keys and starts),
 * which its ledger key carries. The batch's line range alone would not do: the same batch may
 * have stored some of a customer's calls already, under that key, in a run that rejected the
 * others (a number the dialling plan could not read), and once the plan is fixed a retry stores
 * those under the same range with another amount. Exactly once still holds by the calls' own
 * unique key, in the same transaction: a set of calls is inserted, and so charged, only once.
 */
async function insertThroughStaging(
  client: pg.PoolClient,
  batch: TBatch,
): Promise<{ charges: Map<string, bigint>; chargedCalls: Map<string, string>; stored: TStoredTotals; traffic: TTrafficDelta[] }> {
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS cdr_ingest_batch (LIKE cdrs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
  await copyBinaryChunks(client, "cdr_ingest_batch", CDR_COLUMNS, batch.chunks);
  // One row per charged customer, plus one (customer_id NULL, charge NULL) with the totals of
  // everything inserted and its traffic per bucket.
  const inserted = await client.query<{
    customer_id: string | null;
    charge: string | null;
    charged_calls: string | null;
    calls: string;
    rated: string;
    unanswered: string;
    unbillable: string;
    billed_seconds: string;
    price: string;
    cost: string;
    first_ms: string | null;
    last_ms: string | null;
    traffic: unknown;
  }>(
    `WITH inserted AS (
       INSERT INTO cdrs SELECT * FROM cdr_ingest_batch ON CONFLICT DO NOTHING
       RETURNING customer_id, status, price, cost, billed_seconds, start_at, record_key, ${trafficReturningSql("insert")}
     )
     SELECT customer_id, SUM(price)::text AS charge,
            left(encode(sha256(convert_to(string_agg(record_key || ' ' || (extract(epoch FROM start_at) * 1000000)::bigint, E'\n' ORDER BY start_at, record_key), 'UTF8')), 'hex'), 32) AS charged_calls,
            '0' AS calls, '0' AS rated, '0' AS unanswered, '0' AS unbillable,
            '0' AS billed_seconds, '0' AS price, '0' AS cost, NULL AS first_ms, NULL AS last_ms, NULL::json AS traffic
     FROM inserted WHERE status = 'RATED' AND customer_id IS NOT NULL AND price > 0 GROUP BY customer_id
     UNION ALL
     SELECT NULL, NULL, NULL, count(*)::text, (count(*) FILTER (WHERE status = 'RATED'))::text, (count(*) FILTER (WHERE status = 'UNANSWERED'))::text,
            (count(*) FILTER (WHERE status = 'UNBILLABLE'))::text, COALESCE(SUM(billed_seconds), 0)::text, COALESCE(SUM(price), 0)::text, COALESCE(SUM(cost), 0)::text,
            (extract(epoch FROM min(start_at)) * 1000)::bigint::text, (extract(epoch FROM max(start_at)) * 1000)::bigint::text,
            ${trafficDeltasJsonSql("inserted")}
     FROM inserted`,
  );
  await client.query(`TRUNCATE cdr_ingest_batch`);
  const charges = new Map<string, bigint>();
  const chargedCalls = new Map<string, string>();
  let stored = emptyTotals();
  let traffic: TTrafficDelta[] = [];
  for (const row of inserted.rows) {
    if (row.customer_id !== null) {
      charges.set(row.customer_id, BigInt(row.charge!));
      chargedCalls.set(row.customer_id, row.charged_calls!);
    }
    else {
      stored = {
        calls: Number(row.calls),
        rated: Number(row.rated),
        unanswered: Number(row.unanswered),
        unbillable: Number(row.unbillable),
        billedSeconds: Number(row.billed_seconds),
        price: BigInt(row.price),
        cost: BigInt(row.cost),
        firstCallMs: row.first_ms === null ? null : Number(row.first_ms),
        lastCallMs: row.last_ms === null ? null : Number(row.last_ms),
      };
      traffic = parseTrafficDeltas(row.traffic);
    }
  }
  return { charges, chargedCalls, stored, traffic };
}

function emptyTotals(): TStoredTotals {
  return { calls: 0, rated: 0, unanswered: 0, unbillable: 0, billedSeconds: 0, price: 0n, cost: 0n, firstCallMs: null, lastCallMs: null };
}

/**
 * Key of a batch's charge: what it is (file, line range, customer, and for a batch that went
 * through staging a digest of the calls charged: see insertThroughStaging), never when it ran.
 */
function chargeKey(fileId: string, batch: TBatch, customerId: string, chargedCalls: string | undefined): string {
  const key = `cdr:${fileId}:lines-${batch.firstLine}-${batch.lastLine}:${customerId}`;
  return chargedCalls === undefined ? key : `${key}:${chargedCalls}`;
}

type TBatchIds = { tenantId: string; sourceId: string; fileId: string; fileName: string; attemptId: string };

/**
 * Stores a batch in one transaction, run again when PostgreSQL rolls it back for a clash with
 * another writer: two batches (of one file, or of two files of a source) whose calls overlap in
 * opposite orders deadlock in their COPYs. The transaction is undone whole, and running it again
 * stores, charges and counts exactly what the first run would have: without this, the whole
 * file would fail and be read again from the start.
 */
async function writeBatch(client: pg.PoolClient, ids: TBatchIds, batch: TBatch): Promise<TPostResult[]> {
  for (let run = 1; ; run++) {
    try {
      const results = await writeBatchOnce(client, ids, batch);
      // Stored: the buffers go to a next batch. Not before the commit: a run again replays them.
      batch.release();
      return results;
    } catch (error) {
      if (!isTransientConflict(error) || run >= BATCH_TRANSACTION_TRIES) throw error;
      // The other party usually commits within milliseconds; a jittered pause keeps two victims from clashing again.
      await new Promise((resolve) => setTimeout(resolve, run * 50 + Math.floor(Math.random() * 50)));
    }
  }
}

async function writeBatchOnce(client: pg.PoolClient, ids: TBatchIds, batch: TBatch): Promise<TPostResult[]> {
  // Outside the batch's transaction: creating a partition waits for other writers of
  // `cdrs` to commit, which must not happen while this one holds customer locks.
  await ensureCdrPartitions(client, batch.months);
  await client.query("BEGIN");
  try {
    await client.query("SAVEPOINT batch_copy");
    let charges: Map<string, bigint>;
    // Only for a batch stored through staging, whose calls may be a part of its range.
    let chargedCalls = new Map<string, string>();
    let stored: TStoredTotals;
    let traffic: TTrafficDelta[];
    try {
      await copyBinaryChunks(client, "cdrs", CDR_COLUMNS, batch.chunks);
      charges = batch.charges;
      stored = batch.stored;
      traffic = batch.traffic;
    } catch (error) {
      if (pgErrorCode(error) === NO_PARTITION) forgetCdrPartitions(batch.months); // the retry creates it
      if (pgErrorCode(error) !== UNIQUE_VIOLATION) throw error;
      await client.query("ROLLBACK TO SAVEPOINT batch_copy");
      ({ charges, chargedCalls, stored, traffic } = await insertThroughStaging(client, batch));
    }
    // Counted as stored: a rerun's batch finds its lines rejected already and adds nothing.
    let rejected = 0;
    if (batch.rejects.length > 0) {
      const inserted = await client.query(
        `INSERT INTO cdr_rejects (tenant_id, file_id, line, raw, reason)
         SELECT $1::uuid, $2::uuid, r.line, r.raw, r.reason
         FROM unnest($3::int[], $4::text[], $5::text[]) AS r(line, raw, reason)
         ON CONFLICT DO NOTHING`,
        [ids.tenantId, ids.fileId, batch.rejects.map((reject) => reject.line), batch.rejects.map((reject) => reject.raw), batch.rejects.map((reject) => reject.reason)],
      );
      rejected = inserted.rowCount ?? 0;
    }
    const results = await postLedgerEntriesOnConnection(
      client,
      [...charges.keys()].sort().map((customerId) => ({
        tenantId: ids.tenantId,
        customerId,
        amount: -charges.get(customerId)!,
        kind: "CALL_CHARGES" as const,
        idempotencyKey: chargeKey(ids.fileId, batch, customerId, chargedCalls.get(customerId)),
        reference: { type: "cdr_file", id: ids.fileId },
        memo: `Calls in ${ids.fileName}, lines ${batch.firstLine}–${batch.lastLine}`,
      })),
    );
    // After the ledger (customers are locked first by every writer of calls, then buckets, then
    // files) and in this transaction: a batch rolled back or superseded adds nothing here either.
    await applyTrafficDeltas(client, ids.tenantId, traffic);
    // The file's totals grow with the calls and rejected lines this transaction stores, and
    // only with those: a rerun adds nothing for batches an earlier run committed. Last in the
    // transaction: the file's row lock is held only up to the commit, and a claim
    // by another attempt either waits for this batch (which then counts) or comes first.
    const counted = await client.query(
      `UPDATE cdr_files SET lines_read = lines_read + $3, calls_stored = calls_stored + $4, billed_seconds = billed_seconds + $5,
         price_total = price_total + $6::bigint, cost_total = cost_total + $7::bigint,
         first_call_at = LEAST(first_call_at, $8::timestamptz), last_call_at = GREATEST(last_call_at, $9::timestamptz),
         rated = rated + $10, unanswered = unanswered + $11, unbillable = unbillable + $12, rejected = rejected + $13
       WHERE tenant_id = $1::uuid AND id = $2::uuid AND ingest_attempt_id = $14::uuid`,
      [
        ids.tenantId,
        ids.fileId,
        batch.taken,
        stored.calls,
        stored.billedSeconds,
        stored.price.toString(),
        stored.cost.toString(),
        stored.firstCallMs === null ? null : new Date(stored.firstCallMs),
        stored.lastCallMs === null ? null : new Date(stored.lastCallMs),
        stored.rated,
        stored.unanswered,
        stored.unbillable,
        rejected,
        ids.attemptId,
      ],
    );
    // Not the file's attempt any more: the batch goes uncounted, so it must not be stored
    // either, or the owner would find its calls present and count them as another file's.
    if (counted.rowCount === 0) throw new AttemptSuperseded(`another attempt owns CDR file ${ids.fileId}`);
    await client.query("COMMIT");
    return results;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/**
 * Marks a file FAILED with a message an admin can act on, if `attemptId` still owns it;
 * nothing it committed is undone.
 */
async function failFile(tenantId: string, fileId: string, attemptId: string, message: string): Promise<void> {
  // A DONE file stays DONE even if this attempt owns it: its batches stored and billed all of it.
  await db().cdrFile.updateMany({
    where: { tenantId, id: fileId, ingestAttemptId: attemptId, status: { not: "DONE" } },
    data: { status: "FAILED", error: message, finishedAt: new Date() },
  });
}

/** Errors that no retry can fix: the file itself is wrong. */
export class UnreadableCdrFile extends Error {
  override name = "UnreadableCdrFile";
}

/** Why a file all of whose lines were read as CDRs and then refused is FAILED. */
const ALL_LINES_REFUSED =
  "Every line of this file was refused (see the rejected lines): if its numbers are unreadable, check the dialling plan in Settings; fix the cause, then retry this file, or dismiss it if it holds no calls.";

/** Why a file none of whose lines could be parsed is FAILED: what the admin checks before retrying it. */
function unreadableFileMessage(format: string): string {
  return `No line of this file could be read as ${format}: every line was rejected (see the rejected lines). Check the source's format, fix it, then retry this file, or dismiss it if it holds no calls.`;
}

/**
 * The call ids of the files a released file re-issues: every other accepted file of the same
 * name on the same source. A call is stored under its id and start, so a re-issue whose start
 * times changed (a corrected time zone, added milliseconds) would otherwise store and bill each
 * of its calls a second time. All of them, not only the file it was held against: a re-issue of
 * a re-issue skipped the first issue's calls and stored only its new ones, so the first issue
 * alone knows most of the ids. (releaseHeldFile waits until each of them has finished, so none
 * stores more meanwhile.) Null for a file that was not held for its name. A line without a call
 * id is keyed by its whole text: a changed line is a new key, and only an identical one matches.
 * Each earlier file's calls are read by its first and last call on the primary key.
 */
async function callIdsOfReissuedFile(tenantId: string, file: { id: string; sourceId: string; fileName: string; duplicateOfId: string | null }): Promise<Set<string> | null> {
  if (file.duplicateOfId === null) return null;
  const earlier = await db().cdrFile.findMany({
    where: { tenantId, sourceId: file.sourceId, fileName: file.fileName, id: { not: file.id }, status: { in: [...ACCEPTED_FILE_STATUSES] }, firstCallAt: { not: null } },
    select: { id: true, firstCallAt: true, lastCallAt: true },
  });
  const callIds = new Set<string>();
  for (const each of earlier) {
    const { rows } = await pool().query<{ record_key: string }>(
      `SELECT record_key FROM cdrs WHERE tenant_id = $1 AND start_at BETWEEN $3 AND $4 AND file_id = $2 AND source_id = $5`,
      [tenantId, each.id, each.firstCallAt, each.lastCallAt, file.sourceId],
    );
    for (const row of rows) callIds.add(row.record_key);
  }
  return callIds;
}

/**
 * Requests one more re-rate when someone asked for one while this file was being read: they
 * fixed something first (mapped an account code, added a rate), which the rating context this
 * attempt loaded at its start does not know, so the file's calls stored since still read
 * unbillable, and that re-rate may have run before they were stored. Without this they would
 * wait for someone to notice the queue had grown again. Re-rating is idempotent per call;
 * a failure to request it leaves the calls in the queue and does not fail the file.
 */
async function rerateWhatAFixLeftBehind(tenantId: string, contextAsOf: Date): Promise<void> {
  // Requests by people only: one this function made for another file follows no fix.
  const requested = await db().rerateRequest.findMany({
    where: { tenantId, requestedAt: { gt: contextAsOf }, requestedById: { not: null } },
    select: { reason: true },
  });
  if (requested.length === 0) return;
  const reasons = new Set(requested.map((request) => request.reason));
  const reason = reasons.size === 1 ? [...reasons][0]! : null;
  try {
    await requestRerate({ tenantId, actor: SYSTEM_ACTOR, request: { reason } });
  } catch (error) {
    // Nothing of that reason is unbillable any more.
    if (error instanceof AppError && error.code === "PRECONDITION_FAILED") return;
    console.error(`[cdr] could not request the re-rate of calls stored during a fix (tenant ${tenantId}): ${errorMessage(error)}`);
  }
}

export async function ingestCdrFile(options: TIngestOptions): Promise<TIngestResult> {
  const { tenantId, fileId } = options;
  const file = await db().cdrFile.findFirst({
    where: { tenantId, id: fileId },
    include: { source: { select: { format: true, timeZone: true, costDeckId: true } } },
  });
  if (!file) throw AppError.notFound("CDR file");
  const skipped = (): TIngestResult => ({
    fileId,
    status: "SKIPPED",
    batches: 0,
    writers: 0,
    lines: file.lines,
    rated: file.rated,
    unanswered: file.unanswered,
    unbillable: file.unbillable,
    rejected: file.rejected,
    alreadyPresent: file.alreadyPresent,
    priceTotal: file.priceTotal,
  });
  // DONE is final; HELD, DUPLICATE and DISMISSED files are never billed.
  if (!["RECEIVED", "PROCESSING", "FAILED"].includes(file.status)) return skipped();
  let batches = 0;
  const superseded = (): TIngestResult => ({ ...skipped(), status: "SUPERSEDED", batches });
  // Retried since under another event: that run's attempts own the file.
  if (options.ingestEventId !== undefined && options.ingestEventId !== ingestEventIdOf(file)) return superseded();
  await options.beforeClaim?.();
  // The claim: only if the file is as this attempt read it (same run's event, same owner; a
  // failure, retry, cancellation or other claim since changes one of them). A FAILED file
  // without an owner is resumed by no run's attempt, only by an admin's retry: it failed
  // before any attempt owned it, or its run was cancelled (failFileOfCancelledIngest).
  const attemptId = randomUUID();
  const claimed = await pool().query(
    `UPDATE cdr_files SET status = 'PROCESSING', attempts = attempts + 1, started_at = now(), error = NULL, lines_read = 0, ingest_attempt_id = $3::uuid
     WHERE tenant_id = $1 AND id = $2 AND status IN ('RECEIVED', 'PROCESSING', 'FAILED')
       AND ingest_event_id IS NOT DISTINCT FROM $4 AND ingest_attempt_id IS NOT DISTINCT FROM $5::uuid
       AND (status <> 'FAILED' OR ingest_attempt_id IS NOT NULL)`,
    [tenantId, fileId, attemptId, file.ingestEventId, file.ingestAttemptId],
  );
  if (claimed.rowCount === 0) return superseded();
  // After the claim, so that the failure is this attempt's to record.
  if (file.spoolPath === null || (await spooledSize(file.spoolPath)) === null) {
    const message = "The spooled copy of this file is missing: upload the same file again (that restores the copy), then retry this one.";
    await failFile(tenantId, fileId, attemptId, message);
    throw new UnreadableCdrFile(message);
  }

  const ids = { tenantId, sourceId: file.sourceId, fileId, fileName: file.fileName, attemptId };
  const writers: pg.PoolClient[] = [];
  let reader: BatchReader | null = null;
  let reading: Promise<TBatch | null> = Promise.resolve(null);
  const notices = new BalanceChangeNotices();
  try {
    // In the try: this attempt owns the file now, so a pool that gives no connection fails the
    // file (for the run's retry to resume) rather than leaving it PROCESSING.
    writers.push(await pool().connect());
    // More writers when the pool can spare them: the server COPYs batches on several cores at
    // once while this process reads and rates the next. Three rather than two on a 2-core
    // machine: while one writer's transaction does its ledger entries and commits (round
    // trips, little work), the other two keep both cores busy (bench:ingest: cores idle 6–7%
    // during the ingest with two writers, 4–5% with three).
    for (let extra = 1; extra < WRITERS; extra++) {
      const spare = await spareConnection();
      if (spare === null) break;
      writers.push(spare);
    }
    // The database's clock, before the context is read: a re-rate requested after it may follow
    // a fix this context does not know (rerateWhatAFixLeftBehind).
    const contextAsOf = (await pool().query<{ at: Date }>(`SELECT now() AS at`)).rows[0]!.at;
    const context = await loadCallRatingContext({ tenantId, costDeckId: file.source.costDeckId });
    const parsed = parseCdrBatches(createReadStream(file.spoolPath), { format: file.source.format as CdrFormat, timeZone: file.source.timeZone });
    // The file row's arrival, not this run's clock: a re-run rejects exactly the same lines.
    const knownCallIds = await callIdsOfReissuedFile(tenantId, file);
    const batchReader = new BatchReader(parsed, context, ids, options.batchLines ?? BATCH_LINES, file.receivedAt, knownCallIds);
    reader = batchReader;
    // Batches are read one after another (each a contiguous line range), written by whichever
    // writer is free. One batch is read ahead, so a writer that finishes finds the next one ready
    // rather than leaving its core idle while this process reads and rates it.
    const readAfter = (previous: Promise<TBatch | null | void>) => {
      const next = previous.then((batch) => (batch === null ? null : batchReader.nextBatch()));
      // Its failure reaches the writer that takes it, or the cleanup below: not unhandled meanwhile.
      next.catch(() => undefined);
      return next;
    };
    reading = readAfter(Promise.resolve());
    const takeBatch = () => {
      const current = reading;
      reading = readAfter(current);
      return current;
    };
    let stopped = false;
    const writer = async (connection: pg.PoolClient) => {
      while (!stopped) {
        const batch = await takeBatch();
        if (batch === null || stopped) return;
        try {
          const results = await writeBatch(connection, ids, batch);
          const committed = ++batches;
          await notices.changed(results);
          await options.afterBatch?.(committed);
        } catch (error) {
          stopped = true;
          throw error;
        }
        if (options.crashAfterBatches !== undefined && batches >= options.crashAfterBatches) {
          stopped = true;
          throw new SimulatedCrash(`simulated crash after ${batches} batch(es)`);
        }
      }
    };
    const outcomes = await Promise.allSettled(writers.map((connection) => writer(connection)));
    const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected").map((outcome) => outcome.reason as unknown);
    // A writer that found the file taken explains the others' failures: none of them is this attempt's to record.
    if (failures.some((reason) => reason instanceof AttemptSuperseded)) return superseded();
    if (failures.length > 0) throw failures[0];
    // The counters were kept by the batches; what is left is the line count, and the lines whose
    // call was stored before (by another file, or an earlier line of this one) and not again.
    // A file all of whose lines were refused is FAILED, not DONE (which is final): most likely the
    // source's format is wrong (no line parsed) or the tenant's dialling plan (every number
    // unreadable), and once that is fixed the admin retries the file, or dismisses it.
    const unreadable = batchReader.lines > 0 && batchReader.unparsedLines === batchReader.lines ? unreadableFileMessage(file.source.format) : ALL_LINES_REFUSED;
    const done = await pool().query<{ status: string; rated: number; unanswered: number; unbillable: number; rejected: number; already_present: number; price_total: string }>(
      `UPDATE cdr_files SET status = CASE WHEN $3 > 0 AND rejected = $3 THEN 'FAILED'::"CdrFileStatus" ELSE 'DONE'::"CdrFileStatus" END,
         error = CASE WHEN $3 > 0 AND rejected = $3 THEN $5 END,
         lines = $3, already_present = $3 - rejected - calls_stored, lines_read = $3, finished_at = now()
       WHERE tenant_id = $1 AND id = $2 AND ingest_attempt_id = $4::uuid
       RETURNING status::text, rated, unanswered, unbillable, rejected, already_present, price_total::text`,
      [tenantId, fileId, batchReader.lines, attemptId, unreadable],
    );
    const row = done.rows[0];
    // The owner finishes the file (or fails it, for an admin to retry).
    if (!row) return superseded();
    if (row.status === "FAILED") throw new UnreadableCdrFile(unreadable);
    if (row.unbillable > 0) await rerateWhatAFixLeftBehind(tenantId, contextAsOf);
    return {
      fileId,
      status: "DONE",
      batches,
      writers: writers.length,
      lines: batchReader.lines,
      rated: row.rated,
      unanswered: row.unanswered,
      unbillable: row.unbillable,
      rejected: row.rejected,
      alreadyPresent: row.already_present,
      priceTotal: BigInt(row.price_total),
    };
  } catch (error) {
    if (error instanceof AttemptSuperseded) return superseded();
    // Recorded FAILED already, with its reason.
    if (error instanceof UnreadableCdrFile) throw error;
    if (error instanceof CdrFileError || error instanceof TimeZoneError) {
      await failFile(tenantId, fileId, attemptId, error.message);
      throw new UnreadableCdrFile(error.message);
    }
    await failFile(tenantId, fileId, attemptId, errorMessage(error));
    throw error;
  } finally {
    // A batch being read when another failed: let it finish, then close the file.
    await reading.catch(() => null);
    await reader?.close();
    // The batches committed, finished or not, get their held balance changes. One lost here
    // (the database gone) is caught by the balance sweep, as a killed worker's would be.
    await notices.flush().catch(() => undefined);
    for (const connection of writers) connection.release();
  }
}

