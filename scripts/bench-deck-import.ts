/**
 * Deck import benchmark: `npm run bench:deck-import`.
 * Generates a 1,000,000-row native deck file, then times the real import path against a
 * durable embedded PostgreSQL: stream-parse + COPY into staging + diff (preview), and the
 * one-transaction commit into `rates`. Target: 1,000,000 rows ≤ 30 s. Also prints a
 * re-import of the same file (all unchanged), a small update of the big deck (1,000 changed
 * rates and 1,000 new ones: must stay well under a second), and peak RSS.
 *
 * BENCH_ROWS sets the size; BENCH_PG_LOG=1 BENCH_PG_SLOW_MS=200 also prints the server's
 * slow statements with their durations.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import path from "node:path";
import { startBenchDatabase } from "./lib/bench-database";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const TARGET_SECONDS = 30;

const database = await startBenchDatabase();
const { db, pool, disconnect } = await import("@/server/db/client");
const { saveDeck } = await import("@/server/rating/decks");
const { previewDeckImport, commitDeckImport } = await import("@/server/rating/deck-import");

async function writeDeck(file: string): Promise<void> {
  const out = createWriteStream(file);
  out.write("prefix,description,category,rate_per_minute,connect_fee,initial_increment,increment,grace_seconds,effective_from,effective_to\n");
  const categories = ["LOCAL", "LONG_DISTANCE", "INTERNATIONAL", "MOBILE"];
  for (let index = 0; index < ROWS; index++) {
    // Distinct prefixes: a country code and a block, nested like real decks.
    const prefix = `${1 + (index % 97)}${String(index).padStart(7, "0")}`;
    const rate = ((index * 7919) % 200_000) + 100;
    const line = `${prefix},"Destination ${index % 5000}, block ${index}",${categories[index % 4]},0.${String(rate).padStart(6, "0")},0,60,6,0,2026-01-01T00:00:00Z,\n`;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
try {
  const tenant = await db().tenant.create({ data: { name: "Bench", slug: "bench" } });
  const actor = { userId: null, email: "bench", ip: null };
  const deck = await saveDeck({ tenantId: tenant.id, actor, fields: { name: "Bench deck", kind: "SELL" } });
  const file = path.join(database.scratch, "deck.csv");
  const started = Date.now();
  await writeDeck(file);
  console.log(`generated ${ROWS.toLocaleString()} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const importFile = async (label: string, source: string, rows: number) => {
    const t0 = Date.now();
    const preview = await previewDeckImport({
      tenantId: tenant.id,
      actor,
      request: { deckId: deck.id, format: "native", fileName: path.basename(source), effectiveFrom: new Date("2026-01-01T00:00:00Z") },
      file: createReadStream(source),
    });
    const t1 = Date.now();
    const result = await commitDeckImport({ tenantId: tenant.id, actor, importId: preview.id });
    const t2 = Date.now();
    const total = (t2 - t0) / 1000;
    console.log(
      `${label}: preview ${((t1 - t0) / 1000).toFixed(1)} s (new ${preview.newRows}, changed ${preview.changedRows}, unchanged ${preview.unchangedRows}, invalid ${preview.invalidRows}), ` +
        `commit ${((t2 - t1) / 1000).toFixed(1)} s (inserted ${result.inserted}, closed ${result.closed}), total ${total.toFixed(1)} s = ${Math.round(rows / total).toLocaleString()} rows/s`,
    );
    return total;
  };
  console.log(`RSS before importing ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);
  const first = await importFile("import into an empty deck", file, ROWS);
  await importFile("re-import of the same file", file, ROWS);
  // 1,000 existing prefixes get a new price from March (closing the current version) and
  // 1,000 new prefixes arrive.
  const small = path.join(database.scratch, "update.csv");
  const update = createWriteStream(small);
  update.write("prefix,description,category,rate_per_minute,connect_fee,initial_increment,increment,grace_seconds,effective_from,effective_to\n");
  for (let index = 0; index < 1000; index++) {
    const step = Math.floor(ROWS / 1000) * index;
    update.write(`${1 + (step % 97)}${String(step).padStart(7, "0")},Changed ${index},LOCAL,0.5,0,60,6,0,2026-03-01T00:00:00Z,\n`);
    update.write(`999${String(index).padStart(5, "0")},New ${index},LOCAL,0.5,0,60,6,0,2026-03-01T00:00:00Z,\n`);
  }
  update.end();
  await once(update, "finish");
  await importFile("1,000 changed and 1,000 new rates into the big deck", small, 2000);
  console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
  console.log(`target: ${ROWS.toLocaleString()} rows ≤ ${TARGET_SECONDS} s → ${first <= TARGET_SECONDS ? "MET" : "MISSED"} (${first.toFixed(1)} s)`);
} finally {
  clearInterval(sampler);
  // pool.end() resolves before its sockets have closed; one still open when the server
  // stops reports the shutdown as an error, which is expected here and must not crash.
  pool().on("error", () => {});
  await disconnect();
  await database.stop();
}
