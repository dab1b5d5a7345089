/**
 * The timed part of `npm run bench:ingest`, in a process of its own as a worker would run it:
 * poll the source (SSH, download into the spool, sha256, record the file), then ingest the
 * file (parse → rate → COPY → ledger). Its peak RSS is the kernel's high-water mark of this
 * process (VmHWM), not of the parent that generated the file and set up the tenant.
 * Prints one JSON line on stdout.
 */
import { readFileSync } from "node:fs";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { pollSource } from "@/server/cdr/polling";
import { ingestCdrFile } from "@/server/cdr/ingest";
import { db, disconnect } from "@/server/db/client";

function highWaterMarkBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}

const tenantId = process.env.BENCH_TENANT_ID!;
const sourceId = process.env.BENCH_SOURCE_ID!;
// The benchmark drives ingest itself, to time it; events go to a runner with no functions,
// or with BENCH_BALANCE_REACTIONS=1 to the one that reacts to balance changes (auto-recharge,
// low-balance mail, lock), as the embedded default would run it beside the ingest.
// (Imported only then: the reaction's modules are not the ingest worker's memory.)
const reactions = process.env.BENCH_BALANCE_REACTIONS ? [(await import("@/server/jobs/functions/wallet")).onBalanceChanged] : [];
const idle = new EmbeddedRunner({ functions: reactions });
setEmbeddedRunner(idle);

const rssBefore = process.memoryUsage().rss;
// Prisma compiles its WASM query engine on the first query, once per process, as loading
// the modules is: a running worker has done both long before a file arrives. So it is
// started here, before the clock, and the figures below tell its memory apart from the
// download's.
const engineStarted = Date.now();
await db().tenant.findFirst({ where: { id: tenantId }, select: { id: true } });
const rssAfterEngine = highWaterMarkBytes();
const engineMs = Date.now() - engineStarted;
function cpuTicks(): { idle: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3]! + fields[4]!, total: fields.reduce((sum, value) => sum + value, 0) };
}
const idleShare = (from: { idle: number; total: number }, to: { idle: number; total: number }) => (to.idle - from.idle) / (to.total - from.total);
const ticksStart = cpuTicks();
const started = Date.now();
const poll = await pollSource({ tenantId, sourceId, settleSeconds: 0 });
const fetched = poll.fetched[0];
if (!fetched || fetched.status !== "RECEIVED") throw new Error(`poll did not fetch the file: ${JSON.stringify(poll)}`);
const downloaded = Date.now();
const cpuBeforeIngest = process.cpuUsage();
const ticksIngest = cpuTicks();
const rssAfterPoll = highWaterMarkBytes();
const result = await ingestCdrFile({
  tenantId,
  fileId: fetched.fileId,
  ...(process.env.BENCH_BATCH ? { batchLines: Number(process.env.BENCH_BATCH) } : {}),
});
const finished = Date.now();
const ticksEnd = cpuTicks();
const reactionsStarted = Date.now();
await idle.drain(600_000);
const reactionsMs = Date.now() - reactionsStarted;
const ingestCpu = process.cpuUsage(cpuBeforeIngest);
const peakRss = highWaterMarkBytes();
const { heapTotal, external } = process.memoryUsage();
idle.stop();
await disconnect();
console.log(
  JSON.stringify({
    pollMs: downloaded - started,
    pollIdle: idleShare(ticksStart, ticksIngest),
    ingestIdle: idleShare(ticksIngest, ticksEnd),
    engineMs,
    reactionsMs,
    ingestMs: finished - downloaded,
    /** CPU this process spent reading, parsing, rating and sending (user + system). */
    ingestCpuMs: Math.round((ingestCpu.user + ingestCpu.system) / 1000),
    batches: result.batches,
    writers: result.writers,
    counts: { lines: result.lines, rated: result.rated, unanswered: result.unanswered, unbillable: result.unbillable, rejected: result.rejected },
    rssBefore,
    rssAfterEngine,
    rssAfterPoll,
    peakRss,
    /** At the end: V8's heap (used and garbage) and memory outside it (Buffers, the WASM engine). */
    heapTotal,
    external,
  }),
);
