import { spareConnection } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { csvText } from "@/server/lib/csv";
import { createLocalTimestampFormatter, type TLocalTimestampFormatter } from "@/server/lib/local-timestamp";
import { formatMicros } from "@/server/rating/money";
import { CDR_COLUMNS, cdrWhere, isCustomerScope, resolveCdrFilter, toCdrRow, trunkNameCondition, type TCdrFilterInput, type TRawCdrRow, type TCdrRow, type TCdrScope } from "./search";

/** Rows per FETCH: big enough to keep round trips cheap, small enough to keep memory flat. */
export const EXPORT_FETCH_ROWS = 5000;

// time_zone (last, so readers that go by position are unaffected) names the zone of the three
// times on every row: the offset in each time says which instant, the name says whose clock.
const ADMIN_HEADER = [
  "start_at", "answer_at", "end_at", "caller", "callee", "customer_account", "customer", "trunk", "account_code", "duration", "billsec",
  "billed_seconds", "category", "matched_prefix", "price", "cost", "status", "unbillable_reason", "disposition", "source_id", "file_id", "line", "record_key", "time_zone",
];
const CUSTOMER_HEADER = [
  "start_at", "answer_at", "end_at", "caller", "callee", "trunk", "duration", "billsec", "billed_seconds", "category", "matched_prefix", "price", "status", "disposition", "time_zone",
];

const num = (value: number | null) => (value === null ? "" : String(value));
const money = (value: bigint | null) => (value === null ? "" : formatMicros(value, { minFractionDigits: 2 }));

/**
 * Milliseconds stay: a header-row CSV feed can give fractional seconds, which ingestion keeps
 * (timestamptz(3)), and start_at is part of a call's key (with source_id and record_key), so
 * a time cut to the second would no longer name the stored call.
 */
function cdrLineWriter(times: TLocalTimestampFormatter, customerScope: boolean): (row: TCdrRow) => string {
  const local = (date: Date | null) => (date ? times.format(date) : "");
  const zone = csvText(times.timeZone);
  if (customerScope) {
    return (row) =>
      [
        local(row.startAt), local(row.answerAt), local(row.endAt), csvText(row.caller), csvText(row.callee), csvText(row.trunkName), num(row.duration), num(row.billsec),
        num(row.billedSeconds), row.category ?? "", csvText(row.matchedPrefix), money(row.price), row.status, csvText(row.disposition), zone,
      ].join(",");
  }
  return (row) =>
    [
      local(row.startAt), local(row.answerAt), local(row.endAt), csvText(row.caller), csvText(row.callee), csvText(row.customerAccount), csvText(row.customerName), csvText(row.trunkName),
      csvText(row.accountCode), num(row.duration), num(row.billsec), num(row.billedSeconds), row.category ?? "", csvText(row.matchedPrefix), money(row.price), money(row.cost),
      row.status, csvText(row.unbillableReason), csvText(row.disposition), row.sourceId, row.fileId, String(row.line), csvText(row.recordKey), zone,
    ].join(",");
}

/**
 * How long an export may wait for its reader between two FETCHes before the server ends it.
 * A client that stays connected but stops reading would otherwise hold a connection, and the
 * cursor's lock on cdrs, for as long as it likes.
 */
const EXPORT_READER_IDLE_LIMIT = "60s";

/** An export opened on one snapshot: how many rows it holds, a file name, and the CSV text. */
export type TCdrCsvExport = {
  /** Rows the CSV will hold, counted on the same snapshot the cursor reads (so "n of N" ends at N). */
  total: number;
  /** calls-<first day>-to-<last day>.csv, days in the tenant's time zone (the range's end is exclusive). */
  fileName: string;
  /** The tenant's IANA zone, which the CSV's times are written in. */
  timeZone: string;
  /** A header, then one chunk per FETCH; stop it early with return(). */
  chunks: AsyncGenerator<string>;
};

type TExportOptions = {
  scope: TCdrScope;
  filter: TCdrFilterInput;
  /** The request's signal: a client that leaves before reading ends the export at once. */
  signal?: AbortSignal;
  fetchRows?: number;
  readerIdleLimit?: string;
};

/**
 * Opens the calls of a filter as CSV, newest first. A server-side cursor in a read-only
 * transaction streams any number of rows in constant memory; the caller pulling slowly (a
 * slow download) simply pauses the FETCH loop. Times are the tenant's wall time with their UTC
 * offset ("2026-10-01 09:00:00.000-04:00", see server/lib/local-timestamp.ts), like the calls
 * pages; money is an exact decimal of the tenant's currency.
 *
 * The connection is taken before the first byte is sent, and only one the pool can spare
 * (server/db/client.ts keeps a few for requests and jobs): a customer opening export after
 * export gets TOO_MANY_REQUESTS rather than starving the app of connections. It is given back
 * however the export ends: read to the end, stopped (return(), the request's signal), or
 * never read at all (a client gone before the response): the server ends a
 * transaction idle for EXPORT_READER_IDLE_LIMIT, and the connection's error gives it back then.
 */
export async function openCdrCsvExport(options: TExportOptions): Promise<TCdrCsvExport> {
  const opened = { total: 0, fileName: "", timeZone: "" };
  const chunks = cdrCsvChunks(options, opened);
  // The generator's first step takes the connection, counts and opens the cursor, and yields
  // nothing to send. Started here, any failure is an HTTP error rather than a broken download.
  await chunks.next();
  const { signal } = options;
  if (signal) {
    const stop = () => void chunks.return(undefined).catch(() => undefined);
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  }
  return { ...opened, chunks };
}

async function* cdrCsvChunks(options: TExportOptions, opened: { total: number; fileName: string; timeZone: string }): AsyncGenerator<string> {
  const filter = await resolveCdrFilter(options.scope, options.filter);
  const customerScope = isCustomerScope(options.scope);
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
  // The server ending the connection (the reader idle too long) gives it back at once, even
  // while this generator waits at a yield for a reader that may never come back; a reader
  // that does come back gets the error, so its download fails rather than looking complete.
  let lost: Error | null = null;
  let released = false;
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    client.off("error", onLost);
    client.release(error ?? undefined);
  };
  const onLost = (error: Error) => {
    lost = error;
    release(error);
  };
  client.on("error", onLost);
  const stillConnected = () => {
    if (lost) throw lost;
  };
  let open = false;
  let failed = false;
  try {
    // One snapshot for the count and the rows: calls stored meanwhile are in neither.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    open = true;
    await client.query("SELECT set_config('idle_in_transaction_session_timeout', $1, true)", [options.readerIdleLimit ?? EXPORT_READER_IDLE_LIMIT]);
    const counted = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM cdrs c WHERE ${where.sql}`, where.params);
    const days = await client.query<{ time_zone: string; first_day: string; last_day: string }>(
      `SELECT t.time_zone,
              to_char($2::timestamptz AT TIME ZONE t.time_zone, 'YYYY-MM-DD') AS first_day,
              to_char(($3::timestamptz - interval '1 millisecond') AT TIME ZONE t.time_zone, 'YYYY-MM-DD') AS last_day
         FROM tenants t WHERE t.id = $1::uuid`,
      [options.scope.tenantId, filter.from, filter.to],
    );
    const range = days.rows[0];
    if (!range) throw AppError.notFound("Tenant");
    opened.total = Number(counted.rows[0]?.n ?? 0);
    opened.fileName = `calls-${range.first_day}-to-${range.last_day}.csv`;
    const times = createLocalTimestampFormatter(range.time_zone, { milliseconds: true });
    const line = cdrLineWriter(times, customerScope);
    opened.timeZone = times.timeZone;
    await client.query(`DECLARE cdr_export NO SCROLL CURSOR FOR ${sql}`, where.params);
    yield "";
    stillConnected();
    yield `${(customerScope ? CUSTOMER_HEADER : ADMIN_HEADER).join(",")}\n`;
    for (;;) {
      stillConnected();
      const { rows } = await client.query<TRawCdrRow>(`FETCH ${fetchRows} FROM cdr_export`);
      if (rows.length === 0) break;
      let chunk = "";
      for (const raw of rows) {
        const row = toCdrRow(raw, options.scope);
        chunk += `${line(row)}\n`;
      }
      yield chunk;
      if (rows.length < fetchRows) break;
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // Runs on completion, on error and when the consumer stops early (generator.return()).
    if (!released) {
      try {
        if (open) await client.query(failed ? "ROLLBACK" : "COMMIT");
        release();
      } catch (releaseError) {
        release(releaseError instanceof Error ? releaseError : new Error(String(releaseError)));
      }
    }
  }
}
