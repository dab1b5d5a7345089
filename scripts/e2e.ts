// `npm run test:e2e`: builds the app, starts it exactly as `npm start` does (embedded
// PostgreSQL, migrations, demo seed) in a throwaway data folder on free ports, runs the
// Playwright specs in e2e/ against it with Debian's Chromium, and stops everything.
// Screenshots land in e2e-artifacts/.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { startFakeStripe } from "../tests/support/fake-stripe";
import { startSftpServer } from "../tests/support/sftp-server";

const root = path.resolve(import.meta.dirname, "..");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function waitForHttp(url: string, app: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.exitCode !== null) throw new Error(`the app exited with code ${app.exitCode} before it was ready`);
    try {
      const response = await fetch(url, { redirect: "manual" });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  console.error(`Chromium not found at ${chromium}. Install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  process.exit(1);
}

const scratch = mkdtempSync(path.join(os.tmpdir(), "trunkline-e2e-"));
chmodSync(scratch, 0o755);
mkdirSync(path.join(root, "e2e-artifacts"), { recursive: true });
const port = await freePort();
const baseUrl = `http://localhost:${port}`;
// A local Stripe-compatible server (tests/support/fake-stripe.ts): the app's SDK talks to it
// through STRIPE_API_URL, and its hosted "checkout page" POSTs signed webhooks to the demo
// tenant's endpoint when the Pay button is pressed.
const fakeStripe = await startFakeStripe({ webhookUrl: `${baseUrl}/api/webhooks/stripe/demo-telecom` });
// A carrier's SFTP server on loopback (the ssh2 package's server over a folder): the specs put
// CDR files in its folder and point a source at it, behind a primary that refuses connections.
const sftpRoot = path.join(scratch, "carrier-sftp");
const sftp = await startSftpServer({ root: sftpRoot, username: "carrier", password: "e2e-sftp-password" });
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: "",
  DATA_DIR: scratch,
  PORT: String(port),
  EMBEDDED_POSTGRES_PORT: String(await freePort()),
  APP_URL: baseUrl,
  NEXT_TELEMETRY_DISABLED: "1",
  STRIPE_API_URL: fakeStripe.url,
  STRIPE_SECRET_KEY: "sk_test_e2e_platform",
  STRIPE_PUBLISHABLE_KEY: "pk_test_e2e_platform",
  STRIPE_WEBHOOK_SECRET: fakeStripe.webhookSecret,
  // The specs' SFTP servers are on loopback, which the platform refuses by default.
  CDR_SFTP_ALLOWED_NETWORKS: "127.0.0.1/32",
};

const app = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "start.ts"), "start"], {
  cwd: root,
  env,
  stdio: ["ignore", "inherit", "inherit"],
  detached: true,
});
let exitCode = 1;
try {
  await waitForHttp(`${baseUrl}/sign-in`, app, 10 * 60 * 1000);
  // Asynchronous on purpose: the fake Stripe server lives in this process and must keep
  // answering the app while the specs run.
  const playwright = spawn(process.execPath, [path.join(root, "node_modules", "@playwright", "test", "cli.js"), "test", ...process.argv.slice(2)], {
    cwd: root,
    env: { ...env, E2E_BASE_URL: baseUrl, CHROMIUM_PATH: chromium, E2E_SFTP_PORT: String(sftp.port), E2E_SFTP_ROOT: sftpRoot },
    stdio: "inherit",
  });
  exitCode = await new Promise<number>((resolve) => {
    playwright.once("error", () => resolve(1));
    playwright.once("exit", (code) => resolve(code ?? 1));
  });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
} finally {
  if (app.pid && app.exitCode === null && app.signalCode === null) {
    // The app stops its embedded PostgreSQL before it exits: wait for that (up to 30 s, then
    // kill), so the data folder is not deleted under a server still writing to it.
    const exited = new Promise<void>((resolve) => app.once("exit", () => resolve()));
    try {
      process.kill(-app.pid, "SIGTERM");
    } catch {
      // already gone
    }
    const killer = setTimeout(() => {
      try {
        process.kill(-app.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 30_000);
    await exited;
    clearTimeout(killer);
  }
  await fakeStripe.close();
  await sftp.stop();
  try {
    rmSync(scratch, { recursive: true, force: true, maxRetries: 5 });
  } catch (error) {
    // A leftover temp folder must not turn a passing run red.
    console.error(`could not remove ${scratch}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
process.exit(exitCode);
