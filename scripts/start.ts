// `npm start` / `npm run dev`. Without DATABASE_URL it starts the embedded PostgreSQL in
// $DATA_DIR/postgres, creates secrets on first run, migrates, seeds the demo tenant once,
// then runs Next.js. With DATABASE_URL it migrates that database and starts nothing else.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseEnv, ConfigurationError } from "@/server/env";
import { startEmbeddedPostgres, type TEmbeddedServer } from "@/server/db/embedded";
import { migrate } from "@/server/db/migrate";
import { loadOrCreateEmbeddedSecrets } from "./lib/embedded-secrets";
import { serverProcessEnv } from "./lib/server-process-env";

const mode = process.argv[2] === "dev" ? "dev" : "start";
const root = path.resolve(import.meta.dirname, "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");

function sourceFingerprint(): string {
  const hash = createHash("sha256");
  const walk = (directory: string) => {
    if (!existsSync(directory)) return;
    for (const entry of readdirSync(directory, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const stat = statSync(full);
        hash.update(`${full}:${stat.size}:${stat.mtimeMs}\n`);
      }
    }
  };
  for (const directory of ["app", "components", "server", "public"]) walk(path.join(root, directory));
  for (const file of ["package-lock.json", "next.config.ts", "postcss.config.mjs", "instrumentation.ts"]) {
    const full = path.join(root, file);
    if (existsSync(full)) hash.update(`${file}:${statSync(full).mtimeMs}\n`);
  }
  return hash.digest("hex");
}

let embedded: TEmbeddedServer | null = null;
let child: ChildProcess | null = null;

// Ctrl-C (or a supervisor's SIGTERM) at any point stops what this script started: the app
// if it is running, and the embedded PostgreSQL, so no server outlives `npm start`.
async function shutdown(signal: NodeJS.Signals) {
  if (child && child.exitCode === null) {
    child.kill(signal);
    return; // the child's exit handler stops PostgreSQL
  }
  if (embedded) await embedded.stop().catch(() => {});
  process.exit(130);
}
process.on("SIGINT", (signal) => void shutdown(signal));
process.on("SIGTERM", (signal) => void shutdown(signal));

function run(args: string[], env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve) => {
    child = spawn(process.execPath, args, { env: serverProcessEnv(env), stdio: "inherit", cwd: root });
    child.on("exit", (code) => {
      child = null;
      resolve(code ?? 1);
    });
  });
}

async function main() {
  const childEnv: Record<string, string | undefined> = { NEXT_TELEMETRY_DISABLED: "1", ...process.env };
  if (!childEnv.DATABASE_URL) {
    const dataDir = path.resolve(root, childEnv.DATA_DIR ?? ".data");
    Object.assign(childEnv, { ...loadOrCreateEmbeddedSecrets(dataDir), ...stripEmpty(childEnv) });
    const port = Number(childEnv.EMBEDDED_POSTGRES_PORT ?? 5488);
    console.log(`Starting embedded PostgreSQL on 127.0.0.1:${port} (data in ${path.join(dataDir, "postgres")})…`);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "postgres"), port, databaseName: "trunkline", persistent: true });
    childEnv.DATABASE_URL = embedded.url();
    childEnv.EMBEDDED_DATABASE = "true";
  }
  const config = parseEnv(childEnv);
  const databaseUrl = config.DATABASE_URL as string;
  // next-auth reads its own variable for absolute URLs; it is the app's address.
  childEnv.NEXTAUTH_URL ??= config.APP_URL;

  const result = await migrate({ databaseUrl, lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT, log: (line) => console.log(`  ${line}`) });
  console.log(`Database ready (${result.applied.length} migration(s) applied now, ${result.alreadyApplied} before).`);

  if (embedded) {
    // Seeding runs in a child so it reads configuration exactly as the app will.
    const seed = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts", "db-seed.ts")], {
      env: childEnv as NodeJS.ProcessEnv,
      stdio: "inherit",
      cwd: root,
    });
    if (seed.status !== 0) throw new Error("Seeding the demo tenant failed");
    const { DEMO_SIGN_INS, DEMO_PASSWORD } = await import("@/server/db/seed");
    console.log("\nDemo sign-ins (embedded mode only), password for all: " + DEMO_PASSWORD);
    for (const signIn of DEMO_SIGN_INS) console.log(`  ${signIn.email.padEnd(28)} ${signIn.label}`);
    console.log("");
  }

  if (mode === "start") {
    const fingerprintFile = path.join(root, ".next", "trunkline-source-fingerprint");
    const fingerprint = sourceFingerprint();
    const built = existsSync(path.join(root, ".next", "BUILD_ID")) && existsSync(fingerprintFile) && readFileSync(fingerprintFile, "utf8") === fingerprint;
    if (!built) {
      console.log("Building the app (first start or sources changed)…");
      if ((await run([nextBin, "build"], childEnv)) !== 0) throw new Error("next build failed");
      writeFileSync(fingerprintFile, fingerprint);
    }
  }

  const args = mode === "dev" ? ["dev", "-p", String(config.PORT)] : ["start", "-p", String(config.PORT)];
  console.log(`Trunkline on ${config.APP_URL}`);
  const code = await run([nextBin, ...args], childEnv);
  if (embedded) await embedded.stop().catch(() => {});
  process.exit(code);
}

function stripEmpty(source: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(source).filter((entry): entry is [string, string] => Boolean(entry[1])));
}

main().catch(async (error: unknown) => {
  console.error(error instanceof ConfigurationError ? error.message : error instanceof Error ? error.message : error);
  if (embedded) await embedded.stop().catch(() => {});
  process.exit(1);
});
