import { z } from "zod";
import { db, pool } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { offsetText } from "@/server/lib/local-timestamp";
import { DIALLING_PLAN_COLUMNS, numberingPlanOf } from "@/server/tenants/dialling-plan";
import { createNumberFilters, type TNumberFilterField } from "./number-filter";
import { DAY_MS, exceedsMaxRange, MAX_RANGE_DAYS, NO_CUSTOMER } from "./search-rules";
import { TRAFFIC_BUCKET_MS, trafficSumsSql, type TTrafficCounter } from "./traffic-totals";

/**
 * Call search over the month-partitioned `cdrs` table, for tenant staff and for a customer's
 * own users. Raw SQL through the pg pool because Prisma cannot express a keyset over a row
 * comparison nor keep the date range a plain constant the planner prunes partitions with.
 *
 * Matching rules (documented for the UI):
 * - `from`/`to` is the half-open range [from, to) on the call's start; both default (last
 *   7 days up to now) and the range may not exceed {@link MAX_RANGE_DAYS} days, so every
 *   query touches a bounded set of monthly partitions.
 * - `caller` and `calleePrefix` are read with the tenant's dialling plan, as rating reads a
 *   dialled number ({@link resolveCdrFilter}, rules in ./number-filter.ts): "(303) 555-0100",
 *   "+1 303-555-0100" and "3035550100" all mean the stored "13035550100"; letters are a field
 *   error naming the filter.
 * - `caller` is then a substring match of the stored caller (E.164 digits, as rating stores
 *   it), within the date range.
 * - `calleePrefix` is then matched as a prefix of the normalised E.164 callee: per UTC day of
 *   the range, an index range scan on (tenant_id, day, callee COLLATE "C").
 * - `accountCode` is the stored account code exactly (as the unbillable queue groups it), and
 *   `unbillableReason` the stored reason of an UNBILLABLE call; `customerId` "none"
 *   ({@link NO_CUSTOMER}) is the calls no customer owns. Staff only: a customer scope that names
 *   the first two is refused ({@link resolveCdrFilter}), and its own customer wins over the third.
 */

export const CDR_STATUSES = ["RATED", "UNANSWERED", "UNBILLABLE"] as const;
export const CDR_CATEGORIES = ["LOCAL", "LONG_DISTANCE", "TOLL_FREE", "INTERNATIONAL", "MOBILE", "PREMIUM", "OTHER"] as const;
export { MAX_RANGE_DAYS, NO_CUSTOMER };
export const DEFAULT_RANGE_DAYS = 7;
export const MAX_PAGE_SIZE = 500;

const optionalId = z.preprocess((value) => (value === "" ? null : value), z.uuid().nullish());
const blankAsNull = (value: unknown) => (typeof value === "string" && value.trim() === "" ? null : value);
const optionalText = z.preprocess(blankAsNull, z.string().trim().max(64).nullish());

export const ZCdrFilter = z
  .object({
    from: z.coerce.date().nullish(),
    to: z.coerce.date().nullish(),
    customerId: z.preprocess((value) => (value === "" ? null : value), z.union([z.literal(NO_CUSTOMER), z.uuid()]).nullish()),
    trunkId: optionalId,
    /** As typed (trimmed): {@link resolveCdrFilter} reads it with the tenant's plan. */
    caller: optionalText,
    /** As typed (trimmed): {@link resolveCdrFilter} reads it with the tenant's plan. */
    calleePrefix: optionalText,
    category: z.preprocess((value) => (value === "" ? null : value), z.enum(CDR_CATEGORIES).nullish()),
    status: z.preprocess((value) => (value === "" ? null : value), z.enum(CDR_STATUSES).nullish()),
    sourceId: optionalId,
    fileId: optionalId,
    /** Ingest stores account codes of any length; record keys, the longest text it keeps, are capped at 512. */
    accountCode: z.preprocess(blankAsNull, z.string().trim().max(512).nullish()),
    unbillableReason: z.preprocess(blankAsNull, z.string().trim().max(200).nullish()),
  })
  .superRefine((value, context) => {
    if (value.from && value.to && value.to.getTime() <= value.from.getTime()) {
      context.addIssue({ code: "custom", path: ["to"], message: "The end must be after the start" });
    }
    const to = value.to ?? new Date();
    const from = value.from ?? new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
    if (exceedsMaxRange(from, to)) {
      context.addIssue({ code: "custom", path: ["from"], message: `The range may span at most ${MAX_RANGE_DAYS} days` });
    }
  })
  .transform((value) => {
    const to = value.to ?? new Date();
    const from = value.from ?? new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
    return {
      from,
      to,
      customerId: value.customerId ?? null,
      trunkId: value.trunkId ?? null,
      caller: value.caller ?? null,
      calleePrefix: value.calleePrefix ?? null,
      category: value.category ?? null,
      status: value.status ?? null,
      sourceId: value.sourceId ?? null,
      fileId: value.fileId ?? null,
      accountCode: value.accountCode ?? null,
      unbillableReason: value.unbillableReason ?? null,
    };
  });
export type TCdrFilterInput = z.input<typeof ZCdrFilter>;
export type TCdrFilter = z.output<typeof ZCdrFilter>;

/**
 * The filter every search, total, chart and export runs: ZCdrFilter's, with `caller` and
 * `calleePrefix` read as the tenant's dialling plan reads a number (./number-filter.ts), so the
 * admin and portal pages and both CSV exports match the same calls. ZCdrFilter keeps the text
 * as typed, so a filter the router or an export route has parsed already reads the same here;
 * a resolved filter must never come back in (its digits would be read a second time: "4420",
 * from "+4420", is national "14420" under NANP). A number that cannot be one is INVALID_INPUT
 * with a field error on `caller` or `calleePrefix`, checked before any call is read.
 */
export async function resolveCdrFilter(scope: TCdrScope, input: TCdrFilterInput): Promise<TCdrFilter> {
  const filter = ZCdrFilter.parse(input);
  // Refused rather than ignored: dropping them would widen the results without a word, and which
  // reason a call is unbillable for is the carrier's business (a customer reads "Being priced").
  if (isCustomerScope(scope) && (filter.accountCode !== null || filter.unbillableReason !== null)) {
    throw new AppError("FORBIDDEN", "Calls can be filtered by account code or unbillable reason by staff only");
  }
  if (filter.caller === null && filter.calleePrefix === null) return filter;
  const tenant = await db().tenant.findUnique({ where: { id: scope.tenantId }, select: DIALLING_PLAN_COLUMNS });
  if (!tenant) throw AppError.notFound("Tenant");
  const numbers = createNumberFilters(numberingPlanOf(tenant));
  const read = (field: TNumberFilterField, text: string | null): string | null => {
    if (text === null) return null;
    const result = numbers[field](text);
    if (!result.ok) throw AppError.invalidField(field, result.message);
    return result.match;
  };
  return { ...filter, caller: read("caller", filter.caller), calleePrefix: read("calleePrefix", filter.calleePrefix) };
}

/**
 * Ingest accepts record keys of up to 512 characters of any Unicode, and every row's cursor must
 * decode, or the page after it can never be reached. Characters are counted as code points (as
 * PostgreSQL's char_length counts them): never more than UTF-16 units or UTF-8 bytes, so a key
 * ingest accepts passes however ingest counts.
 */
export const MAX_RECORD_KEY_CHARS = 512;

/**
 * The longest cursor a stored row can give, so longer ones are refused before any decoding:
 * base64url of the JSON key tuple, the record key at most 6 bytes a character there (JSON
 * escapes a control character as "\u001f"; UTF-8 takes at most 4).
 */
export const MAX_CURSOR_LENGTH =
  Math.ceil((JSON.stringify([new Date(0).toISOString(), "00000000-0000-0000-0000-000000000000", ""]).length + 6 * MAX_RECORD_KEY_CHARS) / 3) * 4;

export const ZCdrSearchPage = z.object({
  cursor: z.string().max(MAX_CURSOR_LENGTH).nullish(),
  direction: z.enum(["next", "previous"]).default("next"),
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
});

/** Whose calls: a customer scope (portal) pins the customer and hides costs. */
export type TCdrScope = { tenantId: string; customerId?: string | null };

/** A customer's own view (the portal), as opposed to the tenant's staff. */
export function isCustomerScope(scope: TCdrScope): boolean {
  return Boolean(scope.customerId);
}

export type TCdrRow = {
  sourceId: string;
  recordKey: string;
  /** The file and line the call came from; null for customer scopes (the carrier's files are not theirs to see). */
  fileId: string | null;
  line: number | null;
  /** The file's name, on search pages for staff (the CSV names the file by id); null otherwise. */
  fileName: string | null;
  startAt: Date;
  answerAt: Date | null;
  endAt: Date | null;
  duration: number | null;
  billsec: number;
  caller: string;
  callee: string;
  accountCode: string | null;
  customerId: string | null;
  customerName: string | null;
  customerAccount: string | null;
  trunkId: string | null;
  trunkName: string | null;
  status: (typeof CDR_STATUSES)[number];
  /**
   * Null for customer scopes: the carrier's own reason ("unknown account", "no rate for prefix")
   * would read as "this call is free", though a re-rate may still charge it.
   */
  unbillableReason: string | null;
  category: (typeof CDR_CATEGORIES)[number] | null;
  matchedPrefix: string | null;
  billedSeconds: number | null;
  price: bigint | null;
  /** Null for customer scopes: what the tenant pays its carrier is not the customer's business. */
  cost: bigint | null;
  disposition: string | null;
};

type TKey = { startAt: Date; sourceId: string; recordKey: string };

export function encodeCursor(key: TKey): string {
  return Buffer.from(JSON.stringify([key.startAt.toISOString(), key.sourceId, key.recordKey])).toString("base64url");
}

export function decodeCursor(cursor: string): TKey {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    const tuple = z.tuple([z.iso.datetime(), z.uuid(), z.string().refine((key) => [...key].length <= MAX_RECORD_KEY_CHARS)]).parse(parsed);
    return { startAt: new Date(tuple[0]), sourceId: tuple[1], recordKey: tuple[2] };
  } catch {
    throw AppError.invalidField("cursor", "This page link is no longer valid; start from the first page");
  }
}

/** Effective customer: the scope's (portal) wins over anything the filter says. */
function scopedCustomer(scope: TCdrScope, filter: TCdrFilter): string | null {
  return scope.customerId ?? filter.customerId;
}

/** The UTC dates ("YYYY-MM-DD") that the half-open range [from, to) touches. */
export function utcDaysOf(from: Date, to: Date): string[] {
  const days: string[] = [];
  const last = Math.floor((to.getTime() - 1) / DAY_MS);
  for (let day = Math.floor(from.getTime() / DAY_MS); day <= last; day++) days.push(new Date(day * DAY_MS).toISOString().slice(0, 10));
  return days;
}

/**
 * WHERE clause with tenant first and the date range as plain parameters, so the planner
 * prunes partitions and picks (tenant, customer, start) or (tenant, day, callee) by selectivity.
 * Its parameters are appended to `params` (a statement with several WHEREs shares one list).
 */
export function cdrWhere(scope: TCdrScope, filter: TCdrFilter, alias = "c", params: unknown[] = []): { sql: string; params: unknown[] } {
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const tenant = add(scope.tenantId);
  const parts = [`${alias}.tenant_id = ${tenant}::uuid`, `${alias}.start_at >= ${add(filter.from)}`, `${alias}.start_at < ${add(filter.to)}`];
  const customerId = scopedCustomer(scope, filter);
  if (customerId === NO_CUSTOMER) parts.push(`${alias}.customer_id IS NULL`);
  else if (customerId) parts.push(`${alias}.customer_id = ${add(customerId)}::uuid`);
  if (filter.trunkId) parts.push(`${alias}.trunk_id = ${add(filter.trunkId)}::uuid`);
  if (filter.calleePrefix) {
    // A byte range rather than LIKE: exact under COLLATE "C" and always index-usable.
    const prefix = filter.calleePrefix;
    const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    parts.push(`${alias}.callee >= ${add(prefix)}`, `${alias}.callee < ${add(upper)}`);
    // The callee index leads with the call's UTC day: naming the range's days makes each
    // day one index range scan on the prefix (an expression the index was built on, verbatim).
    parts.push(`(${alias}.start_at AT TIME ZONE 'UTC')::date = ANY(${add(utcDaysOf(filter.from, filter.to))}::date[])`);
  }
  if (filter.caller) parts.push(`strpos(${alias}.caller, ${add(filter.caller)}) > 0`);
  if (filter.category) parts.push(`${alias}.category = ${add(filter.category)}::"RateCategory"`);
  if (filter.status) parts.push(`${alias}.status = ${add(filter.status)}::"CdrStatus"`);
  if (filter.sourceId) parts.push(`${alias}.source_id = ${add(filter.sourceId)}::uuid`);
  if (filter.accountCode) parts.push(`${alias}.account_code = ${add(filter.accountCode)}`);
  // Only UNBILLABLE calls have a reason; naming the status as a constant also lets the planner
  // read the partial index cdrs_unbillable (tenant, start) instead of every call of the range.
  if (filter.unbillableReason) parts.push(`${alias}.status = 'UNBILLABLE'`, `${alias}.unbillable_reason = ${add(filter.unbillableReason)}`);
  if (filter.fileId) {
    const file = add(filter.fileId);
    parts.push(`${alias}.file_id = ${file}::uuid`);
    // No index on file_id (every call would pay for it on insert): the file's first and last
    // call bound the primary key's time range, and prune the months it does not cover.
    const bound = (column: string) => `(SELECT cf.${column} FROM cdr_files cf WHERE cf.tenant_id = ${tenant}::uuid AND cf.id = ${file}::uuid)`;
    parts.push(`${alias}.start_at >= ${bound("first_call_at")}`, `${alias}.start_at <= ${bound("last_call_at")}`);
  }
  return { sql: parts.join(" AND "), params };
}

export const CDR_COLUMNS = `c.source_id, c.record_key, c.file_id, c.line, c.start_at, c.answer_at, c.end_at, c.duration, c.billsec, c.caller, c.callee,
  c.account_code, c.customer_id, c.trunk_id, c.status, c.unbillable_reason, c.category, c.matched_prefix, c.billed_seconds, c.price, c.cost, c.disposition`;

export type TRawCdrRow = {
  source_id: string;
  record_key: string;
  file_id: string;
  line: number;
  start_at: Date;
  answer_at: Date | null;
  end_at: Date | null;
  duration: number | null;
  billsec: number;
  caller: string;
  callee: string;
  account_code: string | null;
  customer_id: string | null;
  customer_name: string | null;
  customer_account: string | null;
  trunk_id: string | null;
  trunk_name: string | null;
  status: TCdrRow["status"];
  unbillable_reason: string | null;
  category: TCdrRow["category"];
  matched_prefix: string | null;
  billed_seconds: number | null;
  price: string | null;
  cost: string | null;
  disposition: string | null;
  /** Joined by the search's pages for staff ({@link withNames}); the CSV export does not read it. */
  file_name?: string | null;
};

export function toCdrRow(raw: TRawCdrRow, scope: TCdrScope): TCdrRow {
  const staffView = !isCustomerScope(scope);
  return {
    sourceId: raw.source_id,
    recordKey: raw.record_key,
    fileId: staffView ? raw.file_id : null,
    line: staffView ? raw.line : null,
    fileName: staffView ? (raw.file_name ?? null) : null,
    startAt: raw.start_at,
    answerAt: raw.answer_at,
    endAt: raw.end_at,
    duration: raw.duration,
    billsec: raw.billsec,
    caller: raw.caller,
    callee: raw.callee,
    // As in the customer's CSV: the switch's account codes are the carrier's configuration.
    accountCode: staffView ? raw.account_code : null,
    customerId: raw.customer_id,
    customerName: raw.customer_name,
    customerAccount: raw.customer_account,
    trunkId: raw.trunk_id,
    trunkName: raw.trunk_name,
    status: raw.status,
    unbillableReason: staffView ? raw.unbillable_reason : null,
    category: raw.category,
    matchedPrefix: raw.matched_prefix,
    billedSeconds: raw.billed_seconds,
    price: raw.price === null ? null : BigInt(raw.price),
    cost: staffView && raw.cost !== null ? BigInt(raw.cost) : null,
    disposition: raw.disposition,
  };
}

/**
 * How a customer's view names a call's trunk: only while the trunk is still the call's
 * customer's. A trunk can move to another customer, who may rename it; their name for it is
 * not for the first customer's eyes. Staff see the trunk's name whoever has it now.
 */
export function trunkNameCondition(scope: TCdrScope, trunkAlias: string, callAlias: string): string {
  return scope.customerId ? ` AND ${trunkAlias}.customer_id = ${callAlias}.customer_id` : "";
}

/**
 * Names joined by tenant too, so a stray id can never pull another tenant's name in. Staff get
 * the name of each call's file, to trace a call to its line; a customer's view joins no file.
 */
function withNames(innerSql: string, tenantParam: string, scope: TCdrScope): string {
  const file = isCustomerScope(scope)
    ? { column: "", join: "" }
    : { column: ", cf.file_name", join: ` LEFT JOIN cdr_files cf ON cf.tenant_id = ${tenantParam}::uuid AND cf.id = x.file_id` };
  return `SELECT x.*, cu.name AS customer_name, cu.account_number AS customer_account, st.name AS trunk_name${file.column}
    FROM (${innerSql}) x
    LEFT JOIN customers cu ON cu.tenant_id = ${tenantParam}::uuid AND cu.id = x.customer_id
    LEFT JOIN sip_trunks st ON st.tenant_id = ${tenantParam}::uuid AND st.id = x.trunk_id${trunkNameCondition(scope, "st", "x")}${file.join}`;
}

export type TCdrSearchResult = {
  rows: TCdrRow[];
  /** Older calls after the last row, or null at the end. */
  nextCursor: string | null;
  /** Newer calls before the first row, or null on the first page. */
  previousCursor: string | null;
  from: Date;
  to: Date;
};

/**
 * One page of calls, newest first, keyset-paginated on (start_at, source_id, record_key)
 * descending: the primary key's columns, so no row is skipped or repeated across pages even
 * when many calls share a start second.
 */
export async function searchCdrs(options: {
  scope: TCdrScope;
  filter: TCdrFilterInput;
  cursor?: string | null;
  limit?: number;
  direction?: "next" | "previous";
}): Promise<TCdrSearchResult> {
  const filter = await resolveCdrFilter(options.scope, options.filter);
  const page = ZCdrSearchPage.parse({ cursor: options.cursor, limit: options.limit, direction: options.direction });
  const where = cdrWhere(options.scope, filter);
  const params = [...where.params];
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const backwards = page.direction === "previous" && Boolean(page.cursor);
  let keyset = "";
  if (page.cursor) {
    const key = decodeCursor(page.cursor);
    const [t, s, k] = [add(key.startAt), add(key.sourceId), add(key.recordKey)];
    // The plain bound on start_at lets the index scan start at the cursor; the row
    // comparison then settles ties.
    keyset = backwards
      ? ` AND c.start_at >= ${t} AND (c.start_at, c.source_id, c.record_key) > (${t}, ${s}::uuid, ${k})`
      : ` AND c.start_at <= ${t} AND (c.start_at, c.source_id, c.record_key) < (${t}, ${s}::uuid, ${k})`;
  }
  const order = backwards ? "ASC" : "DESC";
  const inner = `SELECT ${CDR_COLUMNS} FROM cdrs c WHERE ${where.sql}${keyset}
    ORDER BY c.start_at ${order}, c.source_id ${order}, c.record_key ${order} LIMIT ${add(page.limit + 1)}`;
  const sql = `${withNames(inner, "$1", options.scope)} ORDER BY x.start_at ${order}, x.source_id ${order}, x.record_key ${order}`;
  const result = await pool().query<TRawCdrRow>(sql, params);
  const more = result.rows.length > page.limit;
  const raws = result.rows.slice(0, page.limit);
  if (backwards) raws.reverse();
  const rows = raws.map((raw) => toCdrRow(raw, options.scope));
  const first = rows[0];
  const last = rows[rows.length - 1];
  const keyOf = (row: TCdrRow) => encodeCursor({ startAt: row.startAt, sourceId: row.sourceId, recordKey: row.recordKey });
  return {
    rows,
    nextCursor: last && (backwards || more) ? keyOf(last) : null,
    previousCursor: first && (backwards ? more : Boolean(page.cursor)) ? keyOf(first) : null,
    from: filter.from,
    to: filter.to,
  };
}

export type TCdrTotals = {
  calls: number;
  rated: number;
  unanswered: number;
  unbillable: number;
  billsec: bigint;
  billedSeconds: bigint;
  /** Billed minutes to two decimals (billed seconds / 60, rounded half up); exact seconds are in billedSeconds. */
  minutes: string;
  price: bigint;
  /** Null for customer scopes. */
  cost: bigint | null;
  /** Price minus cost over the rated calls whose cost is known; null for customer scopes. */
  margin: bigint | null;
  /** Rated calls without a known cost (left out of the margin). */
  ratedWithoutCost: number;
};

/** Minutes with two decimals from whole seconds, without floating point. */
export function minutesFromSeconds(seconds: bigint): string {
  const hundredths = (seconds * 100n + 30n) / 60n;
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, "0")}`;
}

/**
 * Which values of each field of a filter keep every call of its range: only with all of them
 * do the traffic totals (per tenant and 15 minutes, whatever else a call is) hold the filter's
 * sums. A field added to ZCdrFilter fails to compile until it is listed here, and a key missing
 * here at run time, or any other value, sends the sums to the calls: a restriction the totals
 * cannot see can never be ignored.
 */
const KEEPS_EVERY_CALL: { [K in keyof TCdrFilter]-?: (value: unknown) => boolean } = {
  // The range is cut along the buckets: whole ones from the totals, the edges from the calls.
  from: () => true,
  to: () => true,
  customerId: (value) => value === null,
  trunkId: (value) => value === null,
  caller: (value) => value === null,
  calleePrefix: (value) => value === null,
  category: (value) => value === null,
  status: (value) => value === null,
  sourceId: (value) => value === null,
  fileId: (value) => value === null,
  accountCode: (value) => value === null,
  unbillableReason: (value) => value === null,
};
/** A customer's scope (the portal) is a restriction too. */
const SCOPE_KEEPS_EVERY_CALL: { [K in keyof TCdrScope]-?: (value: unknown) => boolean } = {
  tenantId: () => true,
  customerId: (value) => value === null || value === undefined,
};

function keepsEveryCall(checks: Record<string, (value: unknown) => boolean>, object: object): boolean {
  return Object.entries(object).every(([key, value]) => Object.hasOwn(checks, key) && checks[key]!(value));
}

/** Whether the traffic totals can sum the filter's calls (tests name the fields that send it to the calls). */
export function trafficTotalsCanSum(scope: TCdrScope, filter: TCdrFilter): boolean {
  return keepsEveryCall(SCOPE_KEEPS_EVERY_CALL, scope) && keepsEveryCall(KEEPS_EVERY_CALL, filter);
}

/**
 * Where sums come from: "auto" takes the traffic totals when they can answer; "calls" always
 * reads the calls. Only tests pass "calls" (to compare the two); the API passes nothing.
 */
export type TSumsFrom = "auto" | "calls";

/**
 * How sums are grouped: the SQL of the group of an instant (a call's start, or a bucket's: the
 * caller guarantees a bucket never straddles two groups), and of the text key that names a
 * group, for matching with the caller's own list of groups.
 */
type TGrouping = { of: (instant: string) => string; key: (group: string) => string };

/**
 * The filter's calls summed per group (one row, key "", without a grouping): the one query
 * behind the totals and the chart, so whichever source it reads, what follows is the same.
 *
 * From the calls when the filter restricts more than the range. Otherwise the range is cut at
 * the first and last 15-minute boundaries inside it: the whole buckets between come from
 * `cdr_traffic_totals` (a few rows per hour however busy), the two edges from the calls (the
 * primary key leads with tenant and start, so each is a short index range scan), all in one
 * statement, hence one snapshot: a batch committing meanwhile is in both or in neither.
 */
async function sumTraffic<C extends TTrafficCounter>(options: {
  scope: TCdrScope;
  filter: TCdrFilter;
  counters: readonly C[];
  grouping?: (add: (value: unknown) => string) => TGrouping;
  sumsFrom: TSumsFrom;
}): Promise<Map<string, Record<C, bigint>>> {
  const { scope, filter, counters } = options;
  const params: unknown[] = [];
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const grouping = options.grouping?.(add) ?? null;
  const groupColumn = (instant: string) => (grouping ? `${grouping.of(instant)} AS grp, ` : "");
  const ofCalls = (range: TCdrFilter) => {
    const where = cdrWhere(scope, range, "c", params);
    const sums = trafficSumsSql((name) => `c.${name}`);
    return `SELECT ${groupColumn("c.start_at")}${counters.map((counter) => `${sums[counter]} AS ${counter}`).join(", ")}
              FROM cdrs c WHERE ${where.sql}${grouping ? " GROUP BY 1" : ""}`;
  };
  const parts: string[] = [];
  const fromMs = filter.from.getTime();
  const toMs = filter.to.getTime();
  const firstBoundary = Math.ceil(fromMs / TRAFFIC_BUCKET_MS) * TRAFFIC_BUCKET_MS;
  const lastBoundary = Math.floor(toMs / TRAFFIC_BUCKET_MS) * TRAFFIC_BUCKET_MS;
  // Without a whole bucket inside, the range is one edge: at most half an hour of calls.
  const onlyCalls = options.sumsFrom === "calls" || !trafficTotalsCanSum(scope, filter) || firstBoundary >= lastBoundary;
  if (onlyCalls) parts.push(ofCalls(filter));
  else {
    parts.push(
      `SELECT ${groupColumn("t.bucket_start")}${counters.map((counter) => `t.${counter}`).join(", ")}
         FROM cdr_traffic_totals t
        WHERE t.tenant_id = ${add(scope.tenantId)}::uuid AND t.bucket_start >= ${add(new Date(firstBoundary))} AND t.bucket_start < ${add(new Date(lastBoundary))}`,
    );
    if (fromMs < firstBoundary) parts.push(ofCalls({ ...filter, to: new Date(firstBoundary) }));
    if (lastBoundary < toMs) parts.push(ofCalls({ ...filter, from: new Date(lastBoundary) }));
  }
  // The buckets and the parts are added up per group. The calls alone have one row per group
  // already: grouping them again made the planner sort every call (to disk) for both groupings
  // instead of hashing them once.
  const regroup = !onlyCalls;
  const { rows } = await pool().query<{ grp: string } & Record<C, string>>(
    `SELECT ${grouping ? grouping.key("x.grp") : "''"} AS grp,
            ${counters.map((counter) => (regroup ? `coalesce(sum(x.${counter}), 0)::text AS ${counter}` : `x.${counter}::text`)).join(", ")}
       FROM (${parts.join(" UNION ALL ")}) x${regroup && grouping ? " GROUP BY x.grp" : ""}`,
    params,
  );
  const sums = new Map<string, Record<C, bigint>>();
  for (const row of rows) {
    sums.set(row.grp, Object.fromEntries(counters.map((counter) => [counter, BigInt(row[counter])])) as Record<C, bigint>);
  }
  return sums;
}

const TOTALS_COUNTERS = ["calls", "answered", "rated", "billsec", "billed_seconds", "price", "cost", "price_with_cost", "rated_without_cost"] as const;

/** Totals for a filter: counts by status, seconds, and money over the RATED calls (exact bigint sums). */
export async function cdrTotals(options: { scope: TCdrScope; filter: TCdrFilterInput; sumsFrom?: TSumsFrom }): Promise<TCdrTotals> {
  const filter = await resolveCdrFilter(options.scope, options.filter);
  const sums = await sumTraffic({ scope: options.scope, filter, counters: TOTALS_COUNTERS, sumsFrom: options.sumsFrom ?? "auto" });
  const row = sums.get("") ?? (Object.fromEntries(TOTALS_COUNTERS.map((counter) => [counter, 0n])) as Record<(typeof TOTALS_COUNTERS)[number], bigint>);
  const showCost = !isCustomerScope(options.scope);
  return {
    calls: Number(row.calls),
    rated: Number(row.rated),
    // A call is RATED, UNBILLABLE or UNANSWERED.
    unanswered: Number(row.calls - row.answered),
    unbillable: Number(row.answered - row.rated),
    billsec: row.billsec,
    billedSeconds: row.billed_seconds,
    minutes: minutesFromSeconds(row.billed_seconds),
    price: row.price,
    cost: showCost ? row.cost : null,
    margin: showCost ? row.price_with_cost - row.cost : null,
    ratedWithoutCost: showCost ? Number(row.rated_without_cost) : 0,
  };
}

export type TCdrTimeline = {
  /** Buckets are hours for a period of two days or less, days otherwise, in the tenant's time zone. */
  unit: "hour" | "day";
  /**
   * Every bucket of the period, oldest first; empty ones are zeros. `at` is the tenant's wall-clock
   * "YYYY-MM-DDTHH:MM" of the bucket's start (a local day for days): on the autumn change two hours
   * read "01:00", which `start` (the instant) and `utcOffset` ("-04:00", "-05:00") tell apart.
   */
  points: { at: string; start: Date; utcOffset: string; answered: number; unanswered: number; billedSeconds: number }[];
};

const TIMELINE_BUCKETS = 400;
const HOUR_BUCKET_SPAN_MS = 2 * 86_400_000;

/**
 * Calls over time for the filter, answered and unanswered per hour or day: the shape of the
 * traffic (a quiet day is an outage to look into), summed like the totals ({@link sumTraffic}).
 *
 * Hours are real hours, not wall-clock labels: grouping by the local hour would merge the two
 * 01:00s of the autumn change into one bar of twice the calls, and fill the spring's missing
 * 02:00 with a zero that reads as an outage. Days stay local days (23 or 25 hours on a change):
 * a day is what staff reconcile against.
 */
export async function cdrTimeline(options: { scope: TCdrScope; filter: TCdrFilterInput; sumsFrom?: TSumsFrom }): Promise<TCdrTimeline> {
  const filter = await resolveCdrFilter(options.scope, options.filter);
  const unit = filter.to.getTime() - filter.from.getTime() <= HOUR_BUCKET_SPAN_MS ? "hour" : "day";
  // Hours are instants (timestamptz), days local dates (timestamp): each compares like with like.
  const key = (group: string) => (unit === "hour" ? `(extract(epoch FROM ${group}) * 1000)::bigint::text` : `to_char(${group}, 'YYYY-MM-DD')`);
  // Hourly buckets: one real hour each, on the boundaries of the local hour the period starts in
  // (offsets change by whole hours, Lord Howe's half hour aside, so these stay on the local hours).
  const origin = `(o.from_at - ((o.from_at AT TIME ZONE o.zone) - date_trunc('hour', o.from_at AT TIME ZONE o.zone)))`;
  const last = `(o.to_at - interval '1 millisecond')`;
  const series =
    unit === "hour"
      ? `generate_series(${origin}, ${last}, interval '1 hour')`
      : `generate_series(date_trunc('day', o.from_at AT TIME ZONE o.zone), date_trunc('day', ${last} AT TIME ZONE o.zone), interval '1 day')`;
  const instant = unit === "hour" ? "s.bucket" : "(s.bucket AT TIME ZONE o.zone)";
  const wallClock = unit === "hour" ? "(s.bucket AT TIME ZONE o.zone)" : "s.bucket";
  // Every bucket of the period, empty ones too (a quiet day is news), with the zone and the
  // hours' origin the sums are grouped by: buckets from the calendar alone, sums from the calls.
  const { rows: buckets } = await pool().query<{ zone: string; origin: Date; key: string; at: string; start: Date; offset_seconds: number }>(
    `WITH o AS (SELECT coalesce((SELECT t.time_zone FROM tenants t WHERE t.id = $1::uuid), 'UTC') AS zone, $2::timestamptz AS from_at, $3::timestamptz AS to_at)
     SELECT * FROM (
       SELECT o.zone, ${origin} AS origin, ${key("s.bucket")} AS key, to_char(${wallClock}, 'YYYY-MM-DD"T"HH24:MI') AS at, ${instant} AS start,
              extract(epoch FROM (${instant} AT TIME ZONE o.zone) - (${instant} AT TIME ZONE 'UTC'))::int AS offset_seconds
         FROM o CROSS JOIN LATERAL ${series} AS s(bucket)
        ORDER BY s.bucket DESC LIMIT ${TIMELINE_BUCKETS}) b
      ORDER BY start`,
    [options.scope.tenantId, filter.from, filter.to],
  );
  const zone = buckets[0]?.zone ?? "UTC";
  const hoursFrom = buckets[0]?.origin ?? filter.from;
  // A bucket of the traffic totals is counted whole in the group it starts in: right while every
  // group starts on a quarter hour, as in every zone since 1979 (today's offsets are all whole
  // quarter hours). Before that some were not (Liberia's −0:44:30 to 1972, every zone's local mean
  // time of the 19th century): a group starting between quarter hours is summed from the calls.
  const quarterHours = buckets.every((bucket, index) => index === 0 || bucket.start.getTime() % TRAFFIC_BUCKET_MS === 0);
  const sums = await sumTraffic({
    scope: options.scope,
    filter,
    counters: ["calls", "answered", "billed_seconds"],
    grouping: (add) => {
      // The origin is a parameter, computed once above rather than once per call; date_bin per
      // call is cheaper than a time zone conversion.
      if (unit === "hour") {
        const hours = add(hoursFrom);
        return { of: (at) => `date_bin('1 hour', ${at}, ${hours}::timestamptz)`, key };
      }
      const zoneParam = add(zone);
      return { of: (at) => `date_trunc('day', ${at} AT TIME ZONE ${zoneParam}::text)`, key };
    },
    sumsFrom: quarterHours ? (options.sumsFrom ?? "auto") : "calls",
  });
  const points = buckets.map((bucket) => {
    const sum = sums.get(bucket.key);
    return {
      at: bucket.at,
      start: bucket.start,
      utcOffset: offsetText(bucket.offset_seconds * 1000),
      answered: Number(sum?.answered ?? 0n),
      unanswered: Number(sum ? sum.calls - sum.answered : 0n),
      billedSeconds: Number(sum?.billed_seconds ?? 0n),
    };
  });
  return { unit, points };
}

/** Filter choices for the UI: the scope's trunks, sources (admin) and customers (admin), and how to show figures. */
export async function cdrFilterOptions(scope: TCdrScope) {
  const customerId = scope.customerId ?? null;
  const [tenant, trunks, sources, customers] = await Promise.all([
    pool().query<{ currency: string; time_zone: string }>(`SELECT currency, time_zone FROM tenants WHERE id = $1::uuid`, [scope.tenantId]),
    pool().query<{ id: string; name: string; customer_id: string }>(
      `SELECT id, name, customer_id FROM sip_trunks WHERE tenant_id = $1::uuid AND ($2::uuid IS NULL OR customer_id = $2::uuid) ORDER BY name LIMIT 5000`,
      [scope.tenantId, customerId],
    ),
    customerId ? Promise.resolve({ rows: [] as { id: string; name: string }[] }) : pool().query<{ id: string; name: string }>(`SELECT id, name FROM cdr_sources WHERE tenant_id = $1::uuid ORDER BY name`, [scope.tenantId]),
    customerId
      ? Promise.resolve({ rows: [] as { id: string; name: string; account_number: string }[] })
      : pool().query<{ id: string; name: string; account_number: string }>(
          `SELECT id, name, account_number FROM customers WHERE tenant_id = $1::uuid ORDER BY name LIMIT 5000`,
          [scope.tenantId],
        ),
  ]);
  const settings = tenant.rows[0];
  if (!settings) throw AppError.notFound("Tenant");
  return {
    /** Calls are shown in the tenant's time zone and priced in its currency. */
    tenant: { currency: settings.currency, timeZone: settings.time_zone },
    trunks: trunks.rows.map((row) => ({ id: row.id, name: row.name, customerId: row.customer_id })),
    sources: sources.rows.map((row) => ({ id: row.id, name: row.name })),
    customers: customers.rows.map((row) => ({ id: row.id, name: row.name, accountNumber: row.account_number })),
  };
}

export const ZCdrFilterSelection = z.object({ customerId: optionalId, trunkId: optionalId, fileId: optionalId });

/**
 * The customer, trunk and file a filter names, for filter controls whose choices ({@link cdrFilterOptions})
 * are capped or absent: a link or a bookmark can name one beyond the cap, and the control must still
 * show it rather than "All" (or a bare id). Null when the scope cannot see it: another tenant's, a
 * customer or a file for a customer scope (pinned already; the carrier's files are not theirs), or a
 * trunk that is not (or no longer) the customer's, whose name is its new owner's business
 * ({@link trunkNameCondition}).
 */
export async function cdrFilterSelection(scope: TCdrScope, input: z.input<typeof ZCdrFilterSelection>) {
  const selected = ZCdrFilterSelection.parse(input);
  const staffView = !isCustomerScope(scope);
  const customerId = staffView ? (selected.customerId ?? null) : null;
  const trunkId = selected.trunkId ?? null;
  const fileId = staffView ? (selected.fileId ?? null) : null;
  const [customer, trunk, file] = await Promise.all([
    customerId ? db().customer.findFirst({ where: { tenantId: scope.tenantId, id: customerId }, select: { id: true, name: true, accountNumber: true } }) : null,
    trunkId
      ? db().sipTrunk.findFirst({
          where: { tenantId: scope.tenantId, id: trunkId, ...(scope.customerId ? { customerId: scope.customerId } : {}) },
          select: { id: true, name: true, customerId: true },
        })
      : null,
    fileId ? db().cdrFile.findFirst({ where: { tenantId: scope.tenantId, id: fileId }, select: { id: true, fileName: true } }) : null,
  ]);
  return { customer, trunk, file };
}

export const CDR_FILTER_KEYS = [
  "from", "to", "customerId", "trunkId", "caller", "calleePrefix", "category", "status", "sourceId", "fileId", "accountCode", "unbillableReason",
] as const;

/** A filter from a query string (the export links): absent or empty parameters mean "any". */
export function cdrFilterFromQuery(params: URLSearchParams): Record<(typeof CDR_FILTER_KEYS)[number], string | null> {
  const entries = CDR_FILTER_KEYS.map((key) => [key, params.get(key) || null] as const);
  return Object.fromEntries(entries) as Record<(typeof CDR_FILTER_KEYS)[number], string | null>;
}
