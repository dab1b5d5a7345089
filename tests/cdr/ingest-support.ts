import { createReadStream } from "node:fs";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { createHash } from "node:crypto";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { db } from "@/server/db/client";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { functions } from "@/server/jobs/functions/index";
import { findLedgerDrift } from "@/server/wallet/ledger";
import { saveDeck } from "@/server/rating/decks";
import { commitDeckImport, previewDeckImport } from "@/server/rating/deck-import";
import { receiveCdrFile, spoolTempPath } from "@/server/cdr/files";
import { createCustomer, createTenant, TEST_ACTOR } from "../support/factories";
import { fixturePath } from "../rating/fixtures";

export const ACTOR = TEST_ACTOR;

/**
 * A tenant as the shared fixtures expect it: the retail deck, Alice (acct-1001) and Bob
 * (acct-1002) with trunks carrying those account codes, and a CDR source per format.
 */
export async function createBillingTenant(options: { timeZone?: string } = {}) {
  const tenant = await createTenant();
  const deck = await saveDeck({ tenantId: tenant.id, actor: ACTOR, fields: { name: "Retail", kind: "SELL" } });
  const preview = await previewDeckImport({
    tenantId: tenant.id,
    actor: ACTOR,
    request: { deckId: deck.id, format: "native", fileName: "retail-usd.csv", effectiveFrom: new Date("2026-01-01T00:00:00Z") },
    file: createReadStream(fixturePath("rates/retail-usd.csv")),
  });
  await commitDeckImport({ tenantId: tenant.id, actor: ACTOR, importId: preview.id });
  const alice = await createCustomer(tenant.id, { accountNumber: "1001", name: "Alice Co" });
  const bob = await createCustomer(tenant.id, { accountNumber: "1002", name: "Bob Co", billingType: "POSTPAID" });
  await db().customer.updateMany({ where: { tenantId: tenant.id }, data: { rateDeckId: deck.id, creditLimit: 1_000_000_000n } });
  const aliceTrunk = await db().sipTrunk.create({ data: { tenantId: tenant.id, customerId: alice.id, name: "Alice main", accountCode: "acct-1001" } });
  const bobTrunk = await db().sipTrunk.create({ data: { tenantId: tenant.id, customerId: bob.id, name: "Bob main", accountCode: "acct-1002" } });
  const timeZone = options.timeZone ?? "America/Toronto";
  const source = async (name: string, format: string, zone = timeZone) =>
    db().cdrSource.create({ data: { tenantId: tenant.id, name, format, timeZone: zone } });
  return {
    tenant,
    deck,
    alice,
    bob,
    aliceTrunk,
    bobTrunk,
    asterisk: await source("Switch (Asterisk)", "asterisk"),
    freeswitch: await source("Switch (FreeSWITCH)", "freeswitch"),
    carrier: await source("Carrier LD feed", "csv", "UTC"),
  };
}

/** Delivers content as a file arriving on a source (as a poll or an upload would). */
export async function deliver(options: { tenantId: string; sourceId: string; name: string; content?: string | Buffer; fixture?: string }) {
  const temp = await spoolTempPath();
  if (options.fixture) await copyFile(fixturePath(options.fixture), temp);
  else await writeFile(temp, options.content ?? "");
  const written = await readFile(temp);
  return receiveCdrFile({
    content: { size: written.length, sha256: createHash("sha256").update(written).digest("hex") },
    tenantId: options.tenantId,
    sourceId: options.sourceId,
    fileName: options.name,
    remotePath: `/cdr/${options.name}`,
    remoteModifiedAt: null,
    localPath: temp,
  });
}

export async function balances(tenantId: string) {
  const customers = await db().customer.findMany({ where: { tenantId }, select: { accountNumber: true, balance: true }, orderBy: { accountNumber: "asc" } });
  return Object.fromEntries(customers.map((customer) => [customer.accountNumber, customer.balance]));
}

/** A synthetic Asterisk Master.csv: `count` answered calls alternating Alice/Bob, some unknown accounts. */
export function syntheticAsteriskFile(count: number, options: { startMs?: number } = {}): string {
  const lines: string[] = [];
  const base = options.startMs ?? Date.UTC(2026, 9, 10, 12, 0, 0);
  for (let index = 0; index < count; index++) {
    const account = index % 50 === 49 ? "acct-7777" : index % 2 === 0 ? "acct-1001" : "acct-1002";
    const callee = index % 3 === 0 ? `1212555${String(index % 10000).padStart(4, "0")}` : `4420718${String(index % 100000).padStart(5, "0")}`;
    const start = new Date(base + index * 7_000);
    const stamp = (date: Date) => date.toISOString().replace("T", " ").slice(0, 19);
    const billsec = index % 10 === 0 ? 0 : 5 + (index % 300);
    const answer = new Date(start.getTime() + 3000);
    const end = new Date(answer.getTime() + billsec * 1000);
    lines.push(
      `"${account}","6135550101","${callee}","from-internal","""Caller"" <6135550101>","SIP/t-1","SIP/c-1","Dial","SIP/c/${callee}","${stamp(start)}","${billsec > 0 ? stamp(answer) : ""}","${stamp(end)}",${billsec + 3},${billsec},"${billsec > 0 ? "ANSWERED" : "NO ANSWER"}","DOCUMENTATION","syn.${index}",""`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The app's functions in an embedded runner for a test file's lifetime; after each test its
 * runs are drained and every balance must equal the sum of its ledger.
 */
/**
 * Delivered without starting its ingest, so the test runs it: a runner with no functions
 * takes the file's event while it is received, then `runner`'s current runner is put back.
 */
export async function deliverQuietly(runner: { readonly current: EmbeddedRunner }, options: { tenantId: string; sourceId: string; name: string; content: string }) {
  const quiet = new EmbeddedRunner({ functions: [] });
  setEmbeddedRunner(quiet);
  try {
    return await deliver(options);
  } finally {
    quiet.stop();
    setEmbeddedRunner(runner.current);
  }
}

export function withJobRunner(): { drain: (timeoutMs?: number) => Promise<void>; readonly current: EmbeddedRunner } {
  let runner: EmbeddedRunner | undefined;
  beforeAll(() => {
    runner = new EmbeddedRunner({ functions, backoffMs: () => 10 });
    setEmbeddedRunner(runner);
  });
  afterEach(async () => {
    await runner!.drain(60_000);
    expect(await findLedgerDrift()).toEqual([]);
  });
  afterAll(() => {
    runner?.stop();
    setEmbeddedRunner(undefined);
  });
  return {
    drain: (timeoutMs = 60_000) => runner!.drain(timeoutMs),
    get current() {
      return runner!;
    },
  };
}

/** A rate for Taiwan (886), missing from the test decks: what an admin adds to fix "no rate" calls. */
export const TAIWAN_RATE = {
  prefix: "886",
  description: "Taiwan",
  category: "INTERNATIONAL" as const,
  ratePerMinute: "0.0600",
  connectFee: "0",
  initialIncrement: "60",
  increment: "60",
  graceSeconds: "0",
  effectiveFrom: new Date("2026-10-01T00:00:00Z"),
};
