import { spareConnection } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { csvText } from "@/server/lib/csv";
import { formatMicros } from "@/server/rating/money";
import { CDR_COLUMNS, ZCdrFilter, cdrWhere, toCdrRow, trunkNameCondition, type TCdrFilterInput, type TRawCdrRow, type TCdrRow, type TCdrScope } from "./search";

/** Rows per FETCH: big enough to keep round trips cheap, small enough to keep memory flat. */
export const EXPORT_FETCH_ROWS = 5000;

const ADMIN_HEADER = [
  "start_at", "answer_at", "end_at", "caller", "callee", "customer_account", "customer", "trunk", "account_code", "duration", "billsec",
  "billed_seconds", "category", "matched_prefix", "price", "cost", "status", "unbillable_reason", "disposition", "source_id", "file_id", "line", "record_key",
];
const CUSTOMER_HEADER = ["start_at", "answer_at", "end_at", "caller", "callee", "trunk", "duration", "billsec", "billed_seconds", "category", "matched_prefix", "price", "status", "disposition"];


const iso = (date: Date | null) => (date ? date.toISOString() : "");
const num = (value: number | null) => (value === null ? "" : String(value));
const money = (value: bigint | null) => (value === null ? "" : formatMicros(value, { minFractionDigits: 2 }));

function adminLine(row: TCdrRow): string {
  return [
    iso(row.startAt), iso(row.answerAt), iso(row.endAt), csvText(row.caller), csvText(row.callee), csvText(row.customerAccount), csvText(row.customerName), csvText(row.trunkName),
    csvText(row.accountCode), num(row.duration), num(row.billsec), num(row.billedSeconds), row.category ?? "", csvText(row.matchedPrefix), money(row.price), money(row.cost),
    row.status, csvText(row.unbillableReason), csvText(row.disposition), row.sourceId, row.fileId, String(row.line), csvText(row.recordKey),
  ].join(",");
}

function customerLine(row: TCdrRow): string {
  return [
    iso(row.startAt), iso(row.answerAt), iso(row.endAt), csvText(row.caller), csvText(row.callee), csvText(row.trunkName), num(row.duration), num(row.billsec),
    num(row.billedSeconds), row.category ?? "", csvText(row.matchedPrefix), money(row.price), row.status, csvText(row.disposition),
  ].join(",");
}

/**
 * How long an export may wait for its reader between two FETCHes before the server ends it.
 * A client that stays connected but stops reading would otherwise hold a connection, and the
 * cursor's lock on cdrs, for as long as it likes.
 */
const EXPORT_READER_IDLE_LIMIT = "60s";

/**
 * Opens the calls of a filter as CSV text chunks (a header, then one chunk per FETCH), newest
 * first. A server-side cursor in a read-only transaction streams any number of rows in
 * constant memory; the caller pulling slowly (a slow download) simply pauses the FETCH loop.
 * Stopping early (the browser cancels) closes the cursor and frees the connection.
 * Times are ISO 8601 UTC; money is an exact decimal of the tenant's currency.
 *
 * The connection is taken before the first byte is sent, and only one the pool can spare
 * (server/db/client.ts keeps a few for requests and jobs): a customer opening export after
 * export gets TOO_MANY_REQUESTS rather than starving the app of connections.
 */
export async function openCdrCsvExport(options: TExportOptions): Promise<AsyncGenerator<string>> {
  const chunks = cdrCsvChunks(options);
  // The generator's first step takes the connection and opens the cursor, and yields nothing
  // to send. Started here, any failure is an HTTP error rather than a broken download, and
  // a reader that never pulls still ends it through return(), which runs its finally.
  await chunks.next();
  return chunks;
}

type TExportOptions = { scope: TCdrScope; filter: TCdrFilterInput; fetchRows?: number; readerIdleLimit?: string };

async function* cdrCsvChunks(options: TExportOptions): AsyncGenerator<string> {
  const filter = ZCdrFilter.parse(options.filter);
  const customerScope = Boolean(options.scope.customerId);
  const where = cdrWhere(options.scope, filter);
  // Names through per-row lookups rather than joins: the cursor's plan stays an ordered,
  // lazy partition scan (first rows at once), with no sort of the whole result.
  const sql = `SELECT ${CDR_COLUMNS},
      (SELECT cu.name FROM customers cu WHERE cu.tenant_id = $1::uuid AND cu.id = c.customer_id) AS customer_name,
      (SELECT cu.account_number FROM customers cu WHERE cu.tenant_id = $1::uuid AND cu.id = c.customer_id) AS customer_account,
      (SELECT st.name FROM sip_trunks st WHERE st.tenant_id = $1::uuid AND st.id = c.trunk_id${trunkNameCondition(options.scope, "st", "c")}) AS trunk_name
    FROM cdrs c WHERE ${where.sql}
    ORDER BY c.start_at DESC, c.source_id DESC, c.record_key DESC`;
  const fetchRows = options.fetchRows ?? EXPORT_FETCH_ROWS;
  const client = await spareConnection();
  if (!client) throw new AppError("TOO_MANY_REQUESTS", "Too many exports are running at once; try again in a minute");
  let open = false;
  let failed = false;
  try {
    await client.query("BEGIN READ ONLY");
    open = true;
    await client.query("SELECT set_config('idle_in_transaction_session_timeout', $1, true)", [options.readerIdleLimit ?? EXPORT_READER_IDLE_LIMIT]);
    await client.query(`DECLARE cdr_export NO SCROLL CURSOR FOR ${sql}`, where.params);
    yield "";
    yield `${(customerScope ? CUSTOMER_HEADER : ADMIN_HEADER).join(",")}\n`;
    for (;;) {
      const { rows } = await client.query<TRawCdrRow>(`FETCH ${fetchRows} FROM cdr_export`);
      if (rows.length === 0) break;
      let chunk = "";
      for (const raw of rows) {
        const row = toCdrRow(raw, !customerScope);
        chunk += `${customerScope ? customerLine(row) : adminLine(row)}\n`;
      }
      yield chunk;
      if (rows.length < fetchRows) break;
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // Runs on completion, on error and when the consumer stops early (generator.return()).
    try {
      if (open) await client.query(failed ? "ROLLBACK" : "COMMIT");
      client.release();
    } catch (releaseError) {
      client.release(releaseError instanceof Error ? releaseError : true);
    }
  }
}
