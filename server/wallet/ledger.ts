import type pg from "pg";
import { z } from "zod";
import type { LedgerKind } from "@/server/db/generated/enums";
import { db, type TTransaction } from "@/server/db/client";
import type { TActor } from "@/server/audit/audit";
import { AppError } from "@/server/errors";
import { sendEvents } from "@/server/jobs/send";
import { customersWhoseStateLags } from "@/server/wallet/account-state";

/**
 * The only way a balance changes. In one transaction it locks the customer row, writes the
 * entry with the balance after it, and updates the cached balance, so
 * `customer.balance == SUM(ledger.amount)` holds at every commit. The idempotency key is
 * unique per tenant: posting the same key again returns the entry already written and moves
 * no money, whoever retries (a job engine, Stripe, a re-uploaded file, a double click).
 */

export type TLedgerPosting = {
  tenantId: string;
  customerId: string;
  /** Signed micro-units: credits positive, charges negative. */
  amount: bigint;
  kind: LedgerKind;
  idempotencyKey: string;
  reference?: { type: string; id: string } | null;
  actor?: TActor | null;
  memo?: string | null;
};

export type TLedgerEntryRow = {
  id: bigint;
  tenantId: string;
  customerId: string;
  amount: bigint;
  kind: LedgerKind;
  idempotencyKey: string;
  balanceAfter: bigint;
  createdAt: Date;
};

export type TPostResult = { entry: TLedgerEntryRow; created: boolean; balanceBefore: bigint };

/**
 * Where a posting's statements run: a Prisma interactive transaction, or a driver
 * connection inside its own BEGIN (bulk writers that COPY on that connection and must
 * commit their charges with their rows). One implementation serves both.
 */
type TSqlExecutor = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

function prismaExecutor(tx: TTransaction): TSqlExecutor {
  return (sql, params) => tx.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params);
}

function connectionExecutor(client: pg.PoolClient | pg.Client): TSqlExecutor {
  return async (sql, params) => (await client.query<Record<string, unknown>>(sql, params)).rows;
}

const ENTRY_COLUMNS = `id, tenant_id, customer_id, amount, kind, idempotency_key, balance_after, created_at`;

/** The driver returns BIGINT as text and Prisma as bigint; both become bigint here. */
function entryFromRow(row: Record<string, unknown>): TLedgerEntryRow {
  return {
    id: BigInt(String(row.id)),
    tenantId: String(row.tenant_id),
    customerId: String(row.customer_id),
    amount: BigInt(String(row.amount)),
    kind: row.kind as LedgerKind,
    idempotencyKey: String(row.idempotency_key),
    balanceAfter: BigInt(String(row.balance_after)),
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(String(row.created_at)),
  };
}

/** A key stands for one posting: the same key for another customer or amount is a caller's bug, refused. */
function keyUsedForAnotherPosting(idempotencyKey: string): AppError {
  return new AppError("CONFLICT", `Idempotency key ${idempotencyKey} was already used for a different posting`);
}

/**
 * Posts entries of one tenant in four statements whatever their number: lock the customers
 * (in id order, so concurrent posters never deadlock), read the keys already used, insert
 * the new entries with running balances, update the cached balances. Results are in the
 * order of `postings`; a key used before (or twice in the list) returns the entry already
 * written and moves no money, and a key reused for a different posting is refused.
 */
async function post(execute: TSqlExecutor, postings: readonly TLedgerPosting[]): Promise<TPostResult[]> {
  if (postings.length === 0) return [];
  const tenantId = postings[0]!.tenantId;
  for (const posting of postings) {
    if (posting.tenantId !== tenantId) throw new Error("postLedgerEntries: every posting must belong to one tenant");
    if (posting.idempotencyKey.length === 0 || posting.idempotencyKey.length > 300) {
      throw AppError.invalidField("idempotencyKey", "An idempotency key of 1 to 300 characters is required");
    }
  }
  const customerIds = [...new Set(postings.map((posting) => posting.customerId))].sort();
  // The row locks serialise every posting for these customers, so the balances read here
  // are the ones the entries are written against.
  const locked = await execute(`SELECT id, balance FROM customers WHERE tenant_id = $1::uuid AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`, [
    tenantId,
    customerIds,
  ]);
  const balances = new Map(locked.map((row) => [String(row.id), BigInt(String(row.balance))]));
  for (const customerId of customerIds) if (!balances.has(customerId)) throw AppError.notFound("Customer");
  const used = await execute(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE tenant_id = $1::uuid AND idempotency_key = ANY($2::text[])`, [
    tenantId,
    postings.map((posting) => posting.idempotencyKey),
  ]);
  const existingByKey = new Map(used.map((row) => [String(row.idempotency_key), entryFromRow(row)]));

  type TPlanned = { posting: TLedgerPosting; balanceBefore: bigint; balanceAfter: bigint };
  const planned: (TPlanned | { existing: string; balanceBefore: bigint })[] = [];
  const plannedByKey = new Map<string, TLedgerPosting>();
  for (const posting of postings) {
    const balanceBefore = balances.get(posting.customerId)!;
    const earlier = existingByKey.get(posting.idempotencyKey) ?? plannedByKey.get(posting.idempotencyKey);
    if (earlier) {
      if (earlier.customerId !== posting.customerId || earlier.amount !== posting.amount) throw keyUsedForAnotherPosting(posting.idempotencyKey);
      planned.push({ existing: posting.idempotencyKey, balanceBefore });
      continue;
    }
    const balanceAfter = balanceBefore + posting.amount;
    balances.set(posting.customerId, balanceAfter);
    plannedByKey.set(posting.idempotencyKey, posting);
    planned.push({ posting, balanceBefore, balanceAfter });
  }

  const inserts = planned.filter((item): item is TPlanned => "posting" in item);
  const insertedByKey = new Map<string, TLedgerEntryRow>();
  if (inserts.length > 0) {
    const column = <T>(pick: (item: TPlanned) => T) => inserts.map(pick);
    // created_at is the clock now, under the row locks, not the column default (the start of
    // the transaction): a CDR batch begins, loads for minutes, then posts, and an entry dated
    // at its BEGIN could fall in an earlier month than an entry chained before it. Statements
    // pick a month's entries by created_at and chain them by id; the two orders must agree.
    const inserted = await execute(
      `INSERT INTO ledger_entries (tenant_id, customer_id, amount, kind, idempotency_key, reference_type, reference_id,
                                   balance_after, actor_user_id, actor_email, memo, created_at)
       SELECT $1::uuid, e.customer_id, e.amount, e.kind::"LedgerKind", e.idempotency_key, e.reference_type, e.reference_id,
              e.balance_after, e.actor_user_id, e.actor_email, e.memo, clock_timestamp()
       FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::uuid[], $10::text[], $11::text[])
            WITH ORDINALITY AS e(customer_id, amount, kind, idempotency_key, reference_type, reference_id, balance_after, actor_user_id, actor_email, memo, position)
       ORDER BY e.position
       ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
       RETURNING ${ENTRY_COLUMNS}`,
      [
        tenantId,
        column((item) => item.posting.customerId),
        column((item) => item.posting.amount.toString()),
        column((item) => item.posting.kind),
        column((item) => item.posting.idempotencyKey),
        column((item) => item.posting.reference?.type ?? null),
        column((item) => item.posting.reference?.id ?? null),
        column((item) => item.balanceAfter.toString()),
        column((item) => item.posting.actor?.userId ?? null),
        column((item) => item.posting.actor?.email ?? null),
        column((item) => item.posting.memo ?? null),
      ],
    );
    for (const row of inserted) insertedByKey.set(String(row.idempotency_key), entryFromRow(row));
    // A key the lookup found free and the insert did not write was taken meanwhile by a posting
    // that committed first: another customer's (this one's wait for its row lock), so another
    // posting. Refused like a key found used, rather than answered with an entry that is not
    // this posting's (the insert waited for that posting, and skipped the key once it committed).
    const taken = inserts.find((item) => !insertedByKey.has(item.posting.idempotencyKey));
    if (taken) throw keyUsedForAnotherPosting(taken.posting.idempotencyKey);
    const changed = customerIds.filter((customerId) => inserts.some((item) => item.posting.customerId === customerId));
    await execute(
      `UPDATE customers c SET balance = v.balance, updated_at = now()
       FROM unnest($2::uuid[], $3::bigint[]) AS v(id, balance)
       WHERE c.tenant_id = $1::uuid AND c.id = v.id`,
      [tenantId, changed, changed.map((customerId) => balances.get(customerId)!.toString())],
    );
  }
  return planned.map((item) =>
    "posting" in item
      ? { entry: insertedByKey.get(item.posting.idempotencyKey)!, created: true, balanceBefore: item.balanceBefore }
      : { entry: existingByKey.get(item.existing) ?? insertedByKey.get(item.existing)!, created: false, balanceBefore: item.balanceBefore },
  );
}

/**
 * Posts inside the caller's transaction (e.g. a refund that must commit with its payment).
 * The caller must emit the balance-changed event after its commit: use postLedgerEntry
 * outside a transaction, or call notifyBalanceChanged with the results.
 */
export async function postLedgerEntryInTransaction(tx: TTransaction, posting: TLedgerPosting): Promise<TPostResult> {
  const [result] = await post(prismaExecutor(tx), [posting]);
  return result!;
}

/**
 * Posts several entries of one tenant on a driver connection inside the caller's BEGIN …
 * COMMIT: for bulk writers (a CDR batch loaded with COPY, one entry per customer) whose
 * charges must commit in the same transaction as their rows. The same rules as
 * {@link postLedgerEntryInTransaction}, in four statements for the lot; notify after the commit.
 */
export async function postLedgerEntriesOnConnection(client: pg.PoolClient | pg.Client, postings: readonly TLedgerPosting[]): Promise<TPostResult[]> {
  return post(connectionExecutor(client), postings);
}

export async function postLedgerEntry(posting: TLedgerPosting): Promise<TPostResult> {
  const result = await db().$transaction((tx) => postLedgerEntryInTransaction(tx, posting));
  if (result.created) await notifyBalanceChanged([result]);
  return result;
}

/**
 * Emits `wallet/balance.changed` for entries that were written (after their commit), in one
 * send: an ingest batch charges hundreds of customers at once.
 */
export async function notifyBalanceChanged(results: readonly TPostResult[]): Promise<void> {
  await sendEvents(
    results
      .filter((result) => result.created)
      .map((result) => ({
        name: "wallet/balance.changed" as const,
        id: `ledger-${result.entry.tenantId}-${result.entry.id}`,
        data: {
          tenantId: result.entry.tenantId,
          customerId: result.entry.customerId,
          entryId: result.entry.id.toString(),
          balanceBefore: result.balanceBefore.toString(),
          balanceAfter: result.entry.balanceAfter.toString(),
        },
      })),
  );
}

/**
 * Tells the reaction (server/wallet/account-state.ts) about the balance changes of a bulk
 * writer: an ingest or a re-rate posts one entry per customer per batch, several batches a
 * second. Nearly all of those changes call for nothing, and a reaction that finds nothing to
 * do still costs a function run (~9 ms of CPU in the embedded runner: 400 runs, 3.5 s of the
 * ingest worker's CPU for a 1M-call file of 200 customers). So each batch's customers are
 * checked in one query (customersWhoseStateLags, the sweep's test) and only those whose state
 * lags their balance get an event. The reaction reads the state afresh, so the latest change
 * stands for those before it: a customer's first event goes out at once, then at most one
 * every `intervalMs`, and `flush` sends the last one held if the state still lags.
 */
export class BalanceChangeNotices {
  private readonly lastSentAt = new Map<string, number>();
  private readonly held = new Map<string, TPostResult>();

  constructor(
    private readonly intervalMs = 30_000,
    private readonly send: (results: readonly TPostResult[]) => Promise<void> = notifyBalanceChanged,
    private readonly lagging: (tenantId: string, customerIds: readonly string[]) => Promise<Set<string>> = customersWhoseStateLags,
    private readonly now: () => number = Date.now,
  ) {}

  async changed(results: readonly TPostResult[]): Promise<void> {
    const changes = results.filter((result) => result.created);
    const lagging = await this.whoseStateLags(changes);
    const at = this.now();
    const due: TPostResult[] = [];
    for (const result of changes) {
      const customerId = result.entry.customerId;
      if (!lagging.has(customerId)) {
        // Nothing to react to now; a change held earlier would find the same.
        this.held.delete(customerId);
        continue;
      }
      const last = this.lastSentAt.get(customerId);
      if (last === undefined || at - last >= this.intervalMs) {
        due.push(result);
        this.lastSentAt.set(customerId, at);
        this.held.delete(customerId);
      } else {
        this.held.set(customerId, result);
      }
    }
    await this.send(due);
  }

  /** Sends the changes still held whose state still lags (the writer is done, or stopped). */
  async flush(): Promise<void> {
    const held = [...this.held.values()];
    this.held.clear();
    const lagging = await this.whoseStateLags(held);
    await this.send(held.filter((result) => lagging.has(result.entry.customerId)));
  }

  private async whoseStateLags(results: readonly TPostResult[]): Promise<Set<string>> {
    const byTenant = new Map<string, string[]>();
    for (const result of results) {
      const ids = byTenant.get(result.entry.tenantId) ?? [];
      ids.push(result.entry.customerId);
      byTenant.set(result.entry.tenantId, ids);
    }
    const lagging = new Set<string>();
    for (const [tenantId, customerIds] of byTenant) {
      for (const id of await this.lagging(tenantId, customerIds)) lagging.add(id);
    }
    return lagging;
  }
}

/** Customers whose cached balance differs from the sum of their ledger (should be none). */
export async function findLedgerDrift(options: { tenantId?: string } = {}) {
  return db().$queryRaw<{ tenant_id: string; customer_id: string; balance: bigint; ledger_sum: bigint }[]>`
    SELECT c.tenant_id, c.id AS customer_id, c.balance, COALESCE(SUM(l.amount), 0)::bigint AS ledger_sum
    FROM customers c LEFT JOIN ledger_entries l ON l.customer_id = c.id
    WHERE (${options.tenantId ?? null}::uuid IS NULL OR c.tenant_id = ${options.tenantId ?? null}::uuid)
    GROUP BY c.tenant_id, c.id, c.balance
    HAVING c.balance <> COALESCE(SUM(l.amount), 0)`;
}

export const ZAdjustment = z.object({
  customerId: z.uuid(),
  /** Signed decimal string in currency units, e.g. "25.00" or "-3.50"; parsed without floats. */
  amount: z.string().trim().regex(/^-?\d{1,12}(\.\d{1,6})?$/, "Enter an amount like 25.00 or -3.50"),
  reason: z.string().trim().min(3, "Give a reason").max(500),
  /** Generated once per form; a resubmitted form posts once. */
  requestId: z.uuid(),
});
