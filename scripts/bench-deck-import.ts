/**
 * Deck import benchmark: `npm run bench:deck-import`.
 * Generates a 1,000,000-row native deck file, then times the real import path against a
 * durable embedded PostgreSQL: stream-parse + COPY into staging + diff (preview), and the
 * one-transaction commit into `rates`. Target: 1,000,000 rows ≤ 30 s. Also prints a
 * re-import of the same file (all unchanged) and peak RSS.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import path from "node:path";
import { startBenchDatabase } from "./lib/bench-database";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const TARGET_SECONDS = 30;

const database = await startBenchDatabase();
const { db, disconnect } = await import("@/server/db/client");
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
  let started = Date.now();
  await writeDeck(file);
  console.log(`generated ${ROWS.toLocaleString()} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const importFile = async (label: string) => {
    const t0 = Date.now();
    const preview = await previewDeckImport({
      tenantId: tenant.id,
      actor,
      request: { deckId: deck.id, format: "native", fileName: "deck.csv", effectiveFrom: new Date("2026-01-01T00:00:00Z") },
      file: createReadStream(file),
    });
    const t1 = Date.now();
    const result = await commitDeckImport({ tenantId: tenant.id, actor, importId: preview.id });
    const t2 = Date.now();
    const total = (t2 - t0) / 1000;
    console.log(
      `${label}: preview ${((t1 - t0) / 1000).toFixed(1)} s (new ${preview.newRows}, unchanged ${preview.unchangedRows}, invalid ${preview.invalidRows}), ` +
        `commit ${((t2 - t1) / 1000).toFixed(1)} s (inserted ${result.inserted}), total ${total.toFixed(1)} s = ${Math.round(ROWS / total).toLocaleString()} rows/s`,
    );
    return total;
  };
  started = Date.now();
  const first = await importFile("import into an empty deck");
  await importFile("re-import of the same file");
  console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
  console.log(`target: ${ROWS.toLocaleString()} rows ≤ ${TARGET_SECONDS} s → ${first <= TARGET_SECONDS ? "MET" : "MISSED"} (${first.toFixed(1)} s)`);
} finally {
  clearInterval(sampler);
  await disconnect();
  await database.stop();
}
