/**
 * Call search benchmark: `npm run bench:cdr-search`.
 * Fills a durable embedded PostgreSQL with 10,000,000 CDRs of one tenant (~2,000 customers,
 * three months so several monthly partitions, callees spread over country prefixes, mostly
 * RATED with some UNANSWERED and UNBILLABLE), ANALYZEs, then times the searches the Calls
 * pages run through the real `searchCdrs` / `cdrTotals`. Target: p95 ≤ 200 ms for the
 * typical searches (last 7 days for one customer; a callee prefix in one month).
 *
 * Also times the admin overview's figures (server/dashboard/overview.ts: the month or the last
 * 30 days of the tenant's traffic totals, grouped by day); the generated 90 days end now, so
 * they cover its whole window. The calls are generated in SQL, not ingested, so the traffic
 * totals are rebuilt from them once generated (timed: what the migration's backfill costs).
 *
 * BENCH_CDRS sets the size, BENCH_RUNS the repetitions per search; BENCH_EXPLAIN=1 prints
 * each search's plan (EXPLAIN ANALYZE, BUFFERS).
 */
import { startBenchDatabase } from "./lib/bench-database";

const CDRS = Number(process.env.BENCH_CDRS ?? 10_000_000);
const CUSTOMERS = 2000;
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const DAYS = 90;
const TARGET_MS = 200;
const CHUNK = 1_000_000;
// BENCH_PROPOSED_INDEXES=1 adds the index the report proposes (or give "CREATE INDEX …;…"),
// to compare with the migration's own.
const PROPOSED_INDEXES =
  process.env.BENCH_PROPOSED_INDEXES && process.env.BENCH_PROPOSED_INDEXES !== "1"
    ? process.env.BENCH_PROPOSED_INDEXES.split(";").filter((sql) => sql.trim())
    : [`CREATE INDEX cdrs_tenant_id_callee_cover_idx ON cdrs (tenant_id, callee) INCLUDE (start_at, status, billsec, billed_seconds, price, cost)`];

const database = await startBenchDatabase();
const { pool, disconnect } = await import("@/server/db/client");
const { searchCdrs, cdrTotals, cdrTimeline, cdrWhere, resolveCdrFilter, CDR_COLUMNS } = await import("@/server/cdr/search");
const { getDashboardFigures, computeDashboardFigures, tenantCalendar } = await import("@/server/dashboard/overview");
const { rebuildTrafficTotals, trafficByLocalDayQuery } = await import("@/server/cdr/traffic-totals");
const { unbillableSummary } = await import("@/server/cdr/unbillable");

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function generate(tenantId: string, sourceId: string, now: Date): Promise<void> {
  const client = await pool().connect();
  try {
    // Indexes are dropped while loading and rebuilt from their own definitions afterwards:
    // building once is several times faster than maintaining five B-trees row by row, and
    // the result is the same indexes the migration creates.
    const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'cdrs' AND indexname <> 'cdrs_pkey'`,
    );
    const { rows: pk } = await client.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'cdrs_pkey'`);
    for (const index of indexes) await client.query(`DROP INDEX "${index.indexname}"`);
    await client.query(`ALTER TABLE cdrs DROP CONSTRAINT cdrs_pkey`);

    // Country prefixes with cumulative weights (out of 1000) and the digits that follow them.
    const countries: [string, number, number][] = [
      ["1", 380, 10], ["4420", 430, 8], ["447", 490, 9], ["44", 510, 8], ["49", 580, 10], ["33", 630, 9], ["91", 700, 10],
      ["86", 750, 11], ["52", 790, 10], ["234", 820, 10], ["61", 850, 9], ["55", 880, 10], ["34", 910, 9], ["39", 940, 10], ["81", 970, 10], ["27", 1000, 9],
    ];
    const prefixCase = countries.map(([prefix, upTo, rest]) => `WHEN x.w < ${upTo} THEN '${prefix}' || lpad(floor(random() * 1e${rest})::bigint::text, ${rest}, '0')`).join(" ");
    const started = Date.now();
    for (let offset = 0; offset < CDRS; offset += CHUNK) {
      const end = Math.min(offset + CHUNK, CDRS);
      await client.query(
        `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, answer_at, end_at, duration, billsec, account_code, caller, callee,
                           customer_id, trunk_id, status, unbillable_reason, category, matched_prefix, billed_seconds, price, cost, disposition)
         SELECT $1::uuid, $2::uuid, f.id, (g % 100000)::int, 'k' || g, s.start_at, s.start_at + interval '5 seconds',
                s.start_at + make_interval(secs => 5 + s.billsec), 5 + s.billsec, s.billsec, t.account_code, '1613555' || lpad((g % 10000)::text, 4, '0'), s.callee,
                cu.id, t.id, s.status::"CdrStatus",
                CASE WHEN s.status = 'UNBILLABLE' THEN 'no rate for prefix' END,
                CASE WHEN s.status = 'RATED' THEN (CASE WHEN s.callee LIKE '1%' THEN 'LONG_DISTANCE' ELSE 'INTERNATIONAL' END)::"RateCategory" END,
                CASE WHEN s.status = 'RATED' THEN left(s.callee, 4) END,
                CASE WHEN s.status = 'RATED' THEN ((s.billsec + 5) / 6) * 6 END,
                CASE WHEN s.status = 'RATED' THEN ((s.billsec + 5) / 6) * 6 * 250 END,
                CASE WHEN s.status = 'RATED' THEN ((s.billsec + 5) / 6) * 6 * 180 END,
                CASE WHEN s.status = 'UNANSWERED' THEN 'NO ANSWER' ELSE 'ANSWERED' END
           FROM generate_series($3::bigint, $4::bigint) g
           -- OFFSET 0 keeps each subquery from being inlined, so every random() is drawn once per row.
           CROSS JOIN LATERAL (SELECT random() AS r, floor(random() * 1000)::int AS w, random() AS tr, random() AS cr, g AS pin OFFSET 0) x
           CROSS JOIN LATERAL (
             SELECT $5::timestamptz - (x.tr * ${DAYS} * interval '1 day') AS start_at,
                    CASE WHEN x.r < 0.85 THEN 'RATED' WHEN x.r < 0.97 THEN 'UNANSWERED' ELSE 'UNBILLABLE' END AS status,
                    CASE WHEN x.r < 0.85 OR x.r >= 0.97 THEN 1 + floor(random() * 600)::int ELSE 0 END AS billsec,
                    CASE ${prefixCase} END AS callee,
                    -- Skewed like real traffic: a few customers carry much of it.
                    floor(${CUSTOMERS} * x.cr * x.cr)::int AS customer_n
             OFFSET 0
           ) s
           JOIN bench_customers cu ON cu.n = s.customer_n
           JOIN sip_trunks t ON t.tenant_id = $1::uuid AND t.customer_id = cu.id
           JOIN bench_files f ON f.day = floor(extract(epoch FROM ($5::timestamptz - s.start_at)) / 86400)::int`,
        [tenantId, sourceId, offset + 1, end, now],
      );
      console.log(`  ${end.toLocaleString()} rows (${seconds(Date.now() - started)})`);
    }
    await client.query(`SET maintenance_work_mem = '512MB'`);
    const indexStarted = Date.now();
    await client.query(`ALTER TABLE cdrs ADD CONSTRAINT cdrs_pkey ${pk[0]!.def}`);
    // pg_indexes shows a partitioned index as "ON ONLY cdrs" (the parent alone); without ONLY it
    // is created on every partition, as the migration did.
    for (const index of indexes) await client.query(index.indexdef.replace(" ON ONLY ", " ON "));
    console.log(`  indexes rebuilt in ${seconds(Date.now() - indexStarted)}`);
    const { rows: partitionIndexes } = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_indexes WHERE tablename = (SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'cdrs'::regclass ORDER BY c.relname DESC LIMIT 1)`,
    );
    if (Number(partitionIndexes[0]?.n) !== indexes.length + 1) throw new Error(`partitions have ${partitionIndexes[0]?.n} indexes, expected ${indexes.length + 1}`);
    if (process.env.BENCH_PROPOSED_INDEXES) {
      for (const sql of PROPOSED_INDEXES) await client.query(sql);
      console.log(`  + proposed indexes: ${PROPOSED_INDEXES.join("; ")}`);
    }
    const analyzeStarted = Date.now();
    await client.query(`VACUUM (ANALYZE) cdrs`);
    console.log(`  VACUUM ANALYZE in ${seconds(Date.now() - analyzeStarted)}`);
  } finally {
    client.release();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

type TResult = { name: string; p50: number; p95: number; max: number; typical: boolean };
const results: TResult[] = [];

async function time(name: string, typical: boolean, run: (iteration: number) => Promise<unknown>, runs = RUNS): Promise<void> {
  await run(-1); // warm the plan cache and catalog
  const samples: number[] = [];
  for (let iteration = 0; iteration < runs; iteration++) {
    const t0 = performance.now();
    await run(iteration);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const result = { name, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples[samples.length - 1]!, typical };
  results.push(result);
  console.log(`${name.padEnd(58)} p50 ${result.p50.toFixed(1).padStart(7)} ms  p95 ${result.p95.toFixed(1).padStart(7)} ms  max ${result.max.toFixed(1).padStart(7)} ms${typical ? (result.p95 <= TARGET_MS ? "  ✓" : "  ✗ over target") : ""}`);
}

async function explain(label: string, tenantId: string, filter: Parameters<typeof cdrTotals>[0]["filter"], totals: boolean): Promise<void> {
  const where = cdrWhere({ tenantId }, await resolveCdrFilter({ tenantId }, filter));
  const sql = totals
    ? `SELECT count(*), sum(c.price) FROM cdrs c WHERE ${where.sql}`
    : `SELECT ${CDR_COLUMNS} FROM cdrs c WHERE ${where.sql} ORDER BY c.start_at DESC, c.source_id DESC, c.record_key DESC LIMIT 51`;
  const { rows } = await pool().query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, where.params);
  console.log(`\n--- plan: ${label}\n${rows.map((row) => row["QUERY PLAN"]).join("\n")}`);
}

try {
  const now = new Date();
  const { rows: tenantRows } = await pool().query<{ id: string }>(
    `INSERT INTO tenants (id, name, slug, currency, time_zone, updated_at) VALUES (gen_random_uuid(), 'Bench', 'bench', 'USD', 'UTC', now()) RETURNING id`,
  );
  const tenantId = tenantRows[0]!.id;
  const { rows: sourceRows } = await pool().query<{ id: string }>(
    `INSERT INTO cdr_sources (tenant_id, name, format, time_zone, updated_at) VALUES ($1, 'Bench switch', 'asterisk', 'UTC', now()) RETURNING id`,
    [tenantId],
  );
  const sourceId = sourceRows[0]!.id;
  await pool().query(
    `INSERT INTO customers (tenant_id, account_number, name, billing_type, contact_email, updated_at)
     SELECT $1, 'acct-' || n, 'Customer ' || n, 'PREPAID', 'c' || n || '@bench.test', now() FROM generate_series(0, ${CUSTOMERS - 1}) n`,
    [tenantId],
  );
  await pool().query(
    `INSERT INTO sip_trunks (tenant_id, customer_id, name, account_code, updated_at)
     SELECT tenant_id, id, 'Trunk ' || account_number, 'ac-' || account_number, now() FROM customers WHERE tenant_id = $1`,
    [tenantId],
  );
  await pool().query(`CREATE UNLOGGED TABLE bench_customers AS SELECT (row_number() OVER (ORDER BY account_number) - 1)::int AS n, id FROM customers WHERE tenant_id = $1`, [tenantId]);
  // One file per day of traffic, as a switch rotating Master.csv daily would deliver.
  await pool().query(
    `INSERT INTO cdr_files (tenant_id, source_id, file_name, remote_path, size, sha256, status)
     SELECT $1, $2, 'Master-' || d || '.csv', '/cdr/Master-' || d || '.csv', 0, md5(d::text) || md5((d + 1)::text), 'DONE' FROM generate_series(0, ${DAYS}) d`,
    [tenantId, sourceId],
  );
  await pool().query(
    `CREATE UNLOGGED TABLE bench_files AS SELECT (regexp_replace(file_name, '\\D', '', 'g'))::int AS day, id FROM cdr_files WHERE tenant_id = $1`,
    [tenantId],
  );
  await pool().query(`CREATE INDEX ON bench_customers (n); CREATE INDEX ON bench_files (day); ANALYZE bench_customers; ANALYZE bench_files`);

  console.log(`generating ${CDRS.toLocaleString()} CDRs over ${DAYS} days for ${CUSTOMERS.toLocaleString()} customers…`);
  const genStarted = Date.now();
  await generate(tenantId, sourceId, now);
  console.log(`generated in ${seconds(Date.now() - genStarted)}`);
  // What ingest would have kept batch by batch: the traffic totals the overview reads.
  const totalsStarted = Date.now();
  const { buckets } = await rebuildTrafficTotals(pool(), tenantId);
  await pool().query(`VACUUM (ANALYZE) cdr_traffic_totals`);
  console.log(`traffic totals rebuilt from the calls in ${seconds(Date.now() - totalsStarted)} (${buckets.toLocaleString()} buckets of 15 minutes)`);
  // What ingestion keeps on each file, batch by batch: its calls' count, totals and time range
  // (a search by file is bounded by that range).
  await pool().query(
    `UPDATE cdr_files f SET calls_stored = t.calls, billed_seconds = t.billed_seconds, price_total = t.price, cost_total = t.cost,
            first_call_at = t.first_call_at, last_call_at = t.last_call_at
     FROM (SELECT file_id, count(*)::int AS calls, COALESCE(SUM(billed_seconds), 0) AS billed_seconds, COALESCE(SUM(price), 0) AS price,
                  COALESCE(SUM(cost), 0) AS cost, min(start_at) AS first_call_at, max(start_at) AS last_call_at
           FROM cdrs WHERE tenant_id = $1 GROUP BY file_id) AS t
     WHERE f.tenant_id = $1 AND f.id = t.file_id`,
    [tenantId],
  );
  const { rows: partitions } = await pool().query<{ name: string; rows: string }>(
    `SELECT c.relname AS name, c.reltuples::bigint::text AS rows FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'cdrs'::regclass AND c.reltuples > 0 ORDER BY c.relname`,
  );
  console.log(`partitions: ${partitions.map((p) => `${p.name} ≈${Number(p.rows).toLocaleString()}`).join(", ")}`);
  const { rows: size } = await pool().query<{ size: string }>(`SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS size FROM pg_inherits WHERE inhparent = 'cdrs'::regclass`);
  console.log(`cdrs on disk (heap + indexes): ${size[0]?.size}`);

  const { rows: customerRows } = await pool().query<{ id: string }>(`SELECT id FROM bench_customers ORDER BY n`);
  const customerIds = customerRows.map((row) => row.id);
  // Searches pick customers across the whole skew: heavy (first) to light (last).
  const customerAt = (iteration: number) => customerIds[Math.floor(((iteration + 1) * 7919) % CUSTOMERS)]!;
  const last7 = () => ({ from: new Date(now.getTime() - 7 * 86_400_000), to: now });
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const monthEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const month = { from: monthStart, to: monthEnd };
  const scope = { tenantId };
  // With "+": the Calls search reads bare digits as a national number (server/cdr/number-filter.ts).
  const prefixes = ["+4420", "+4420", "+447", "+49", "+3361", "+9198", "+86", "+234"];
  const prefixAt = (iteration: number) => prefixes[Math.max(iteration, 0) % prefixes.length]!;

  console.log(`\n${RUNS} runs each (customers vary from the heaviest to the lightest; month = ${monthStart.toISOString().slice(0, 7)})`);
  await time("last 7 days, one customer: first page (50)", true, (i) => searchCdrs({ scope, filter: { ...last7(), customerId: customerAt(i) }, limit: 50 }));
  await time("last 7 days, one customer: totals", true, (i) => cdrTotals({ scope, filter: { ...last7(), customerId: customerAt(i) } }));
  await time("last 7 days, heaviest customer: first page", true, () => searchCdrs({ scope, filter: { ...last7(), customerId: customerIds[0] }, limit: 50 }));
  await time("last 7 days, heaviest customer: totals", true, () => cdrTotals({ scope, filter: { ...last7(), customerId: customerIds[0] } }));
  await time("callee prefix 4420 in a month: first page (50)", true, () => searchCdrs({ scope, filter: { ...month, calleePrefix: "+4420" }, limit: 50 }));
  await time("callee prefix 4420 in a month: totals", true, () => cdrTotals({ scope, filter: { ...month, calleePrefix: "+4420" } }));
  await time("callee prefix (various) in a month: first page", true, (i) => searchCdrs({ scope, filter: { ...month, calleePrefix: prefixAt(i) }, limit: 50 }));
  await time("callee prefix 3361 (narrow) in a month: totals", true, () => cdrTotals({ scope, filter: { ...month, calleePrefix: "+3361" } }));
  await time("portal: own calls last 7 days: first page", true, (i) => searchCdrs({ scope: { tenantId, customerId: customerAt(i) }, filter: last7(), limit: 50 }));
  await time("portal: own calls last 7 days: totals", true, (i) => cdrTotals({ scope: { tenantId, customerId: customerAt(i) }, filter: last7() }));
  await time("portal: own calls last 7 days: calls per day chart", true, (i) => cdrTimeline({ scope: { tenantId, customerId: customerAt(i) }, filter: last7() }));
  // Not in the target but worth knowing: deep pages and the admin's unfiltered default.
  let cursor: string | null = null;
  await time("all calls last 7 days: page after page (keyset)", false, async () => {
    const page = await searchCdrs({ scope, filter: last7(), cursor, limit: 50 });
    cursor = page.nextCursor;
  });
  await time("one customer, a month, unanswered: first page", false, (i) => searchCdrs({ scope, filter: { ...month, customerId: customerAt(i), status: "UNANSWERED" }, limit: 50 }));
  const { rows: dayFile } = await pool().query<{ id: string }>(`SELECT id FROM cdr_files WHERE tenant_id = $1 AND file_name = 'Master-3.csv'`, [tenantId]);
  await time("one file (a day): first page", false, async () => {
    const page = await searchCdrs({ scope, filter: { ...last7(), fileId: dayFile[0]!.id }, limit: 50 });
    if (page.rows.length === 0) throw new Error("the search by file found none of its calls");
  });
  await time("one file (a day): totals", false, () => cdrTotals({ scope, filter: { ...last7(), fileId: dayFile[0]!.id } }));
  // The admin default reads the traffic totals for the week's whole 15-minute buckets and the
  // calls only at its two ends (search.ts sumTraffic); every filter above reads the calls.
  await time("all calls last 7 days: totals (admin default)", false, () => cdrTotals({ scope, filter: last7() }));
  await time("all calls last 7 days: calls per day chart (admin default)", false, () => cdrTimeline({ scope, filter: last7() }));

  // The admin landing page (tenant.overview): the month or the last 30 days of traffic totals,
  // whichever reaches further back. Outside the search target. Computed is what a cache miss
  // costs; a page load within the cache's minute costs the last line. The unbillable summary
  // reads every unbillable call of the tenant (its partial index): what the queue holds, not
  // the traffic, sets its cost, and with it most of a miss's.
  const overviewRuns = Math.min(RUNS, 20);
  await time("admin overview: dashboard figures (month + 30 days)", false, () => computeDashboardFigures({ tenantId, now: new Date() }), overviewRuns);
  await time("admin overview: of which the traffic per day", false, async () => {
    const calendar = await tenantCalendar("UTC", new Date());
    const query = trafficByLocalDayQuery(tenantId, "UTC", calendar.firstDayStart, calendar.tomorrowStart);
    await pool().query(query.sql, query.params);
  }, overviewRuns);
  await time("admin overview: of which the unbillable summary", false, () => unbillableSummary({ tenantId }), overviewRuns);
  await time("admin overview: page load (figures cached per tenant)", false, () => getDashboardFigures({ tenantId }), overviewRuns);

  if (process.env.BENCH_EXPLAIN) {
    const calendar = await tenantCalendar("UTC", new Date());
    const overview = trafficByLocalDayQuery(tenantId, "UTC", calendar.firstDayStart, calendar.tomorrowStart);
    const { rows: overviewPlan } = await pool().query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${overview.sql}`, overview.params);
    console.log(`\n--- plan: admin overview, calls by day\n${overviewPlan.map((row) => row["QUERY PLAN"]).join("\n")}`);
    await explain("last 7 days, heaviest customer, first page", tenantId, { ...last7(), customerId: customerIds[0] }, false);
    await explain("last 7 days, heaviest customer, totals", tenantId, { ...last7(), customerId: customerIds[0] }, true);
    await explain("callee prefix 4420 in a month, first page", tenantId, { ...month, calleePrefix: "+4420" }, false);
    await explain("callee prefix 4420 in a month, totals", tenantId, { ...month, calleePrefix: "+4420" }, true);
  }

  const typical = results.filter((result) => result.typical);
  const worst = typical.reduce((a, b) => (b.p95 > a.p95 ? b : a));
  console.log(
    `\ntarget: p95 ≤ ${TARGET_MS} ms for the typical searches on ${CDRS.toLocaleString()} CDRs → ${typical.every((result) => result.p95 <= TARGET_MS) ? "MET" : "MISSED"} (worst p95 ${worst.p95.toFixed(1)} ms: ${worst.name})`,
  );
} finally {
  pool().on("error", () => {});
  await disconnect();
  await database.stop();
}
