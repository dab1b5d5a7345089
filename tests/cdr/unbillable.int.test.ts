import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { db, pool } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { getCdrFile, listCdrFiles, listCdrRejects, streamCdrRejectsCsv } from "@/server/cdr/file-queries";
import { uploadCdrFile } from "@/server/cdr/upload";
import { updateCdrSource } from "@/server/cdr/sources";
import { addRateForPrefix, mapAccountCode, rerateImpact, rerateStatus, unbillableDetail, unbillableSummary } from "@/server/cdr/unbillable";
import { requestRerate, rerateUnbillable } from "@/server/cdr/rerate";
import { saveTrunk } from "@/server/catalog/trunks";
import { callerAs, createUser } from "../support/factories";
import { fixturePath } from "../rating/fixtures";
import { ACTOR, balances, createBillingTenant, deliver, TAIWAN_RATE, withJobRunner } from "./ingest-support";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { ingestCdrFile } from "@/server/cdr/ingest";

const runner = withJobRunner();

const PAGE = { page: 0, pageSize: 25, search: "", sort: null };

function line(account: string, callee: string, start: string, billsec: number, key: string): string {
  const end = start.replace(/:(\d\d)$/, (_, s: string) => `:${String(Math.min(59, Number(s) + 1)).padStart(2, "0")}`);
  return `"${account}","6135550101","${callee}","from-internal","""Caller"" <6135550101>","SIP/t-1","SIP/c-1","Dial","SIP/c/${callee}","${start}","${start}","${end}",${billsec + 1},${billsec},"ANSWERED","DOCUMENTATION","${key}",""`;
}

/** Calls to Taiwan (886: the retail deck has no rate) for Alice and Bob, and an account nobody owns. */
const QUEUE_FILE =
  [
    line("acct-1001", "0118869123456", "2026-10-06 10:00:00", 120, "q.1"),
    line("acct-1001", "0118862555000", "2026-10-06 11:00:00", 60, "q.2"),
    line("acct-1002", "0118869876543", "2026-10-06 12:00:00", 30, "q.3"),
    line("acct-5555", "16139990123", "2026-10-07 09:00:00", 300, "q.4"),
    line("acct-5555", "011442071838750", "2026-10-07 09:30:00", 60, "q.5"),
    line("acct-1001", "16135550199", "2026-10-07 10:00:00", 90, "q.6"),
  ].join("\n") + "\n";

async function upload(tenantId: string, sourceId: string, name: string, body: AsyncIterable<Uint8Array>) {
  return uploadCdrFile({ tenantId, actor: ACTOR, sourceId, fileName: name, body });
}

async function readAll(generator: AsyncGenerator<string>): Promise<string> {
  let text = "";
  for await (const chunk of generator) text += chunk;
  return text;
}

describe("uploading a CDR file", () => {
  it("streams the upload through the same pipeline: counts add up and the rejects download names the bad line", async () => {
    const world = await createBillingTenant();
    const received = await upload(world.tenant.id, world.asterisk.id, "Master.csv", createReadStream(fixturePath("cdr/asterisk-master.csv")));
    expect(received.status).toBe("RECEIVED");
    // Hashed as it was written: the record and the spooled copy are the fixture's bytes.
    const fixture = await readFile(fixturePath("cdr/asterisk-master.csv"));
    const stored = await db().cdrFile.findUniqueOrThrow({ where: { id: received.id }, select: { sha256: true, size: true, spoolPath: true } });
    expect(stored.sha256).toBe(createHash("sha256").update(fixture).digest("hex"));
    expect(stored.size).toBe(BigInt(fixture.length));
    expect((await readFile(stored.spoolPath!)).equals(fixture)).toBe(true);
    await runner.drain(60_000);
    const file = await getCdrFile({ tenantId: world.tenant.id, fileId: received.id });
    expect(file.status, file.error ?? "").toBe("DONE");
    expect(file.remotePath).toBe("upload:Master.csv");
    expect(file.source.name).toBe("Switch (Asterisk)");
    expect(file.lines).toBe(9);
    expect(file.lines).toBe(file.rated + file.unanswered + file.unbillable + file.rejected);
    expect(file.linesRead).toBe(9);
    expect(file.estimatedLines).toBeNull();
    // Its calls, and the tenant's days they fall on (the calls page opens on those days).
    expect(file.callsStored).toBe(8);
    expect(file.firstCallAt).toEqual(new Date("2026-10-01T13:15:02Z"));
    expect(file.lastCallAt).toEqual(new Date("2026-10-15T03:59:50Z"));
    await db().tenant.update({ where: { id: world.tenant.id }, data: { timeZone: "America/Toronto" } });
    expect((await getCdrFile({ tenantId: world.tenant.id, fileId: received.id })).callDays).toEqual({ fromDay: "2026-10-01", toDay: "2026-10-14" });
    await db().tenant.update({ where: { id: world.tenant.id }, data: { timeZone: "UTC" } });
    expect((await getCdrFile({ tenantId: world.tenant.id, fileId: received.id })).callDays).toEqual({ fromDay: "2026-10-01", toDay: "2026-10-15" });

    const rejects = await listCdrRejects({ tenantId: world.tenant.id, fileId: received.id, page: 0 });
    expect(rejects.rows).toEqual([{ line: 9, reason: expect.stringMatching(/not a CDR/), raw: "this line is not a CDR at all" }]);
    const csv = await readAll(streamCdrRejectsCsv({ tenantId: world.tenant.id, fileId: received.id }));
    expect(csv.split("\n")[0]).toBe("line,reason,raw");
    expect(csv).toMatch(/^9,.*not a CDR.*,this line is not a CDR at all$/m);

    // The same bytes again are a duplicate, not billed; the list shows both.
    const again = await upload(world.tenant.id, world.asterisk.id, "Master-again.csv", createReadStream(fixturePath("cdr/asterisk-master.csv")));
    expect(again.status).toBe("DUPLICATE");
    const duplicate = await getCdrFile({ tenantId: world.tenant.id, fileId: again.id });
    expect(duplicate.duplicateOf).toMatchObject({ id: received.id, fileName: "Master.csv" });
    const list = await listCdrFiles({ tenantId: world.tenant.id, query: { ...PAGE, search: "master" }, filter: { status: null, sourceId: null } });
    expect(list.total).toBe(2);
    expect(list.active).toBe(0);
    const done = await listCdrFiles({ tenantId: world.tenant.id, query: PAGE, filter: { status: "DONE", sourceId: world.asterisk.id } });
    expect(done.rows.map((row) => row.id)).toEqual([received.id]);
    const audit = await db().auditEvent.findMany({ where: { tenantId: world.tenant.id, action: "cdr.file.upload" } });
    expect(audit).toHaveLength(2);
  });

  it("reads the rejects in batches, and fails the download rather than ending it short when the database fails midway", async () => {
    const world = await createBillingTenant();
    const broken = Array.from({ length: 5 }, (_, index) => `broken line ${index + 1}`);
    const text = [line("acct-1001", "16135550199", "2026-10-06 10:00:00", 60, "r.1"), ...broken].join("\n") + "\n";
    const received = await upload(world.tenant.id, world.asterisk.id, "Broken.csv", Readable.from([Buffer.from(text)]));
    await runner.drain(60_000);
    expect((await getCdrFile({ tenantId: world.tenant.id, fileId: received.id })).rejected).toBe(5);
    const options = { tenantId: world.tenant.id, fileId: received.id, batchRows: 2 };

    const whole = await readAll(streamCdrRejectsCsv(options));
    expect(whole.trimEnd().split("\n").slice(1).map((row) => row.split(",")[0])).toEqual(["2", "3", "4", "5", "6"]);

    const rows = streamCdrRejectsCsv(options);
    expect((await rows.next()).value).toBe("line,reason,raw\n");
    expect((await rows.next()).value).toMatch(/^2,.*broken line 1\n3,.*broken line 2\n$/);
    await db().$executeRawUnsafe(`ALTER TABLE cdr_rejects RENAME TO cdr_rejects_away`);
    try {
      await expect(rows.next()).rejects.toThrow(/cdr_rejects/);
    } finally {
      await db().$executeRawUnsafe(`ALTER TABLE cdr_rejects_away RENAME TO cdr_rejects`);
    }
    expect(await readAll(streamCdrRejectsCsv(options))).toBe(whole);
  });

  it("refuses a path as a name, another tenant's source, an empty file and a file over the limit, leaving no temp file", async () => {
    const world = await createBillingTenant();
    const other = await createBillingTenant();
    const body = () => Readable.from([Buffer.from(QUEUE_FILE)]);
    const fieldOf = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AppError);
      return Object.keys((error as AppError).fieldErrors ?? {});
    };
    expect(await fieldOf(upload(world.tenant.id, world.asterisk.id, "../etc/passwd", body()))).toEqual(["file"]);
    expect(await fieldOf(upload(world.tenant.id, other.asterisk.id, "Master.csv", body()))).toEqual(["sourceId"]);
    expect(await fieldOf(upload(world.tenant.id, world.asterisk.id, "empty.csv", Readable.from([])))).toEqual(["file"]);
    await expect(uploadCdrFile({ tenantId: world.tenant.id, actor: ACTOR, sourceId: world.asterisk.id, fileName: "big.csv", body: body(), maxBytes: 100 })).rejects.toThrow(
      /larger than/,
    );
    expect(await db().cdrFile.count({ where: { tenantId: world.tenant.id } })).toBe(0);
  });
});

describe("a source's format and time zone", () => {
  it("are fixed once its calls are stored, so the same calls are never read with other keys or start times", async () => {
    const world = await createBillingTenant();
    const fields = (changes: Partial<{ format: "asterisk" | "csv"; timeZone: string; name: string }> = {}) => ({
      name: "Switch (Asterisk)",
      format: "asterisk" as const,
      timeZone: "America/Toronto",
      filePattern: "*.csv",
      alertEmails: [],
      servers: [],
      ...changes,
    });
    const update = (changes: Parameters<typeof fields>[0]) =>
      updateCdrSource({ tenantId: world.tenant.id, actor: ACTOR, sourceId: world.asterisk.id, fields: fields(changes) });
    const fieldError = (promise: Promise<unknown>) =>
      promise.then(
        () => null,
        (error: unknown) => (error instanceof AppError ? error.fieldErrors : error),
      );

    // A file of some other kind stores no call (its line is rejected, so it FAILED, to be retried once
    // the source reads it right): the source is still free to change.
    const wrong = await upload(world.tenant.id, world.asterisk.id, "wrong.csv", Readable.from([Buffer.from("not,a,cdr,header\n")]));
    await runner.drain(60_000);
    expect(await getCdrFile({ tenantId: world.tenant.id, fileId: wrong.id })).toMatchObject({ status: "FAILED", rejected: 1, callsStored: 0 });
    await expect(update({ timeZone: "UTC" })).resolves.toMatchObject({ timeZone: "UTC", readingFixed: false });
    await expect(update({ timeZone: "America/Toronto" })).resolves.toMatchObject({ timeZone: "America/Toronto" });

    await upload(world.tenant.id, world.asterisk.id, "Master.csv", createReadStream(fixturePath("cdr/asterisk-master.csv")));
    await runner.drain(60_000);
    expect(await fieldError(update({ timeZone: "UTC" }))).toEqual({ timeZone: [expect.stringMatching(/with times in America\/Toronto.*bill them twice/)] });
    expect(await fieldError(update({ format: "csv" }))).toEqual({ format: [expect.stringMatching(/as asterisk files.*new source/)] });
    expect((await db().cdrSource.findUniqueOrThrow({ where: { id: world.asterisk.id } })).timeZone).toBe("America/Toronto");
    // Everything else stays editable; the form shows the two as fixed.
    await expect(update({ name: "Main switch" })).resolves.toMatchObject({ name: "Main switch", timeZone: "America/Toronto", readingFixed: true });
  });
});

describe("the unbillable queue", () => {
  it("groups by reason with value at risk, refuses to map a trunk's code, and bills the calls once after the fixes", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    // A priced file first, so the tenant has an average price to estimate with.
    await upload(tenantId, world.asterisk.id, "Master.csv", createReadStream(fixturePath("cdr/asterisk-master.csv")));
    await runner.drain(60_000);
    const queued = await upload(tenantId, world.asterisk.id, "queue.csv", Readable.from([Buffer.from(QUEUE_FILE)]));
    await runner.drain(60_000);
    const queueFile = await getCdrFile({ tenantId, fileId: queued.id });
    expect([queueFile.lines, queueFile.rated, queueFile.unbillable]).toEqual([6, 1, 5]);

    const summary = await unbillableSummary({ tenantId });
    const byReason = Object.fromEntries(summary.reasons.map((row) => [row.reason, row]));
    // The queue file's three Taiwan calls (210 s) and the fixture's 00351… of Bob (91 s: "00" is not an exit code in NANP).
    expect(byReason["no rate for prefix"]).toMatchObject({ calls: 4, billsec: 301n });
    // acct-5555 ×2 (300 + 60 s) and the fixture's acct-9999 (180 s).
    expect(byReason["unknown account"]).toMatchObject({ calls: 3, billsec: 540n });
    // The estimate: billsec × the tenant's price per billed second over its rated files.
    const basis = await pool().query<{ price: string; seconds: string }>(
      `SELECT SUM(price_total)::text AS price, SUM(billed_seconds)::text AS seconds FROM cdr_files WHERE tenant_id = $1 AND rated > 0`,
      [tenantId],
    );
    const [price, seconds] = [BigInt(basis.rows[0]!.price), BigInt(basis.rows[0]!.seconds)];
    expect(price).toBeGreaterThan(0n);
    expect(byReason["no rate for prefix"]!.valueAtRisk).toBe((301n * price) / seconds);
    expect(summary.totals).toMatchObject({ calls: 7, billsec: 841n, valueAtRisk: (841n * price) / seconds });
    expect(summary.estimate.description).toMatch(/Estimated/);

    const accounts = await unbillableDetail({ tenantId, input: { reason: "unknown account" } });
    expect(accounts.kind).toBe("account");
    if (accounts.kind !== "account") throw new Error("unreachable");
    expect(accounts.rows.map((row) => [row.accountCode, row.calls, row.billsec])).toEqual([
      ["acct-5555", 2, 360n],
      ["acct-9999", 1, 180n],
    ]);
    const prefixes = await unbillableDetail({ tenantId, input: { reason: "no rate for prefix", prefixLength: 3 } });
    if (prefixes.kind !== "prefix") throw new Error(`expected prefix groups, got ${prefixes.kind}`);
    expect(prefixes.rows.map((row) => [row.customer?.name, row.deck?.name, row.prefix, row.calls])).toEqual([
      ["Alice Co", "Retail", "886", 2],
      ["Bob Co", "Retail", "003", 1],
      ["Bob Co", "Retail", "886", 1],
    ]);

    // What a re-rate would charge, for its confirmation: only calls with a customer count;
    // the unknown accounts' calls have nobody to charge yet.
    expect(await rerateImpact({ tenantId, input: {} })).toMatchObject({
      calls: 7,
      chargeableCalls: 4,
      customers: 2,
      prepaidCustomers: 1,
      estimatedCharge: (301n * price) / seconds,
    });
    expect(await rerateImpact({ tenantId, input: { reason: "unknown account" } })).toMatchObject({ calls: 3, chargeableCalls: 0, customers: 0, estimatedCharge: 0n });

    // A trunk's own code cannot be mapped; an unknown one can, once.
    await expect(mapAccountCode({ tenantId, actor: ACTOR, input: { accountCode: "acct-1002", customerId: world.alice.id } })).rejects.toMatchObject({
      fieldErrors: { accountCode: [expect.stringMatching(/trunk "Bob main" of Bob Co/)] },
    });
    await mapAccountCode({ tenantId, actor: ACTOR, input: { accountCode: "acct-5555", customerId: world.bob.id } });
    await expect(mapAccountCode({ tenantId, actor: ACTOR, input: { accountCode: "acct-5555", customerId: world.alice.id } })).rejects.toMatchObject({
      fieldErrors: { accountCode: [expect.stringMatching(/already mapped to Bob Co/)] },
    });
    // A mapped code's calls now have their customer (found regardless of case, as rating finds it).
    expect(await rerateImpact({ tenantId, input: { reason: "unknown account" } })).toMatchObject({
      calls: 3,
      chargeableCalls: 2,
      customers: 1,
      prepaidCustomers: 0,
      estimatedCharge: (360n * price) / seconds,
    });
    expect(await rerateImpact({ tenantId, input: {} })).toMatchObject({ calls: 7, chargeableCalls: 6, customers: 2 });

    // The import's own validation speaks through the form's fields.
    const rate = { ...TAIWAN_RATE, deckId: world.deck.id };
    await expect(addRateForPrefix({ tenantId, actor: ACTOR, input: { ...rate, ratePerMinute: "abc" } })).rejects.toMatchObject({
      fieldErrors: { ratePerMinute: [expect.any(String)] },
    });
    await expect(addRateForPrefix({ tenantId, actor: ACTOR, input: { ...rate, prefix: "88x" } })).rejects.toMatchObject({
      fieldErrors: { prefix: [expect.any(String)] },
    });
    const added = await addRateForPrefix({ tenantId, actor: ACTOR, input: rate });
    expect(added).toMatchObject({ inserted: 1, deck: { id: world.deck.id } });
    // Another price from the very same moment would rewrite the terms of calls rated with it.
    await expect(addRateForPrefix({ tenantId, actor: ACTOR, input: { ...rate, ratePerMinute: "0.0900" } })).rejects.toMatchObject({
      fieldErrors: { effectiveFrom: [expect.stringMatching(/already has a rate for 886 from this moment/)] },
    });
    expect(await db().deckImport.count({ where: { tenantId, status: "PREVIEWED" } })).toBe(0);

    const before = await balances(tenantId);
    const request = await requestRerate({ tenantId, actor: ACTOR, request: {} });
    expect(request.queued).toBe(7);
    await runner.drain(60_000);
    const status = await rerateStatus({ tenantId, input: { requestId: request.requestId } });
    expect(status).toMatchObject({ done: true, status: "COMPLETED", rated: 5, stillUnbillable: 2 });
    // acct-9999 (nobody was mapped to it) and Bob's 00351… (no rate added) stay.
    expect(status.remaining).toBe(2);
    const after = await balances(tenantId);
    // Alice: 120 s + 60 s at $0.06/min in 60/60 → $0.18; Bob: 30 s → 60 s → $0.06, plus acct-5555's
    // Ottawa 300 s at $0.005 → $0.025 and London 60 s at $0.018 → $0.018.
    expect(before["1001"]! - after["1001"]!).toBe(180_000n);
    expect(before["1002"]! - after["1002"]!).toBe(60_000n + 25_000n + 18_000n);
    const file = await getCdrFile({ tenantId, fileId: queued.id });
    expect([file.rated, file.unbillable]).toEqual([6, 0]);
    expect(file.lines).toBe(file.rated + file.unanswered + file.unbillable + file.rejected);

    // Re-rating again bills nothing more.
    await requestRerate({ tenantId, actor: ACTOR, request: {} });
    await runner.drain(60_000);
    expect(await balances(tenantId)).toEqual(after);
    const summaryAfter = await unbillableSummary({ tenantId });
    expect(summaryAfter.reasons.map((row) => [row.reason, row.calls]).sort()).toEqual([
      ["no rate for prefix", 1],
      ["unknown account", 1],
    ]);
  });
});

describe("re-rating a call whose trunk has moved", () => {
  it("bills the customer the call was made for, with their deck, not the trunk's new customer", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    // Alice's call to Taiwan: her trunk, no rate in her deck.
    const file = line("acct-1001", "0118869123456", "2026-10-06 10:00:00", 120, "moved.1") + "\n";
    await upload(tenantId, world.asterisk.id, "moved.csv", Readable.from([Buffer.from(file)]));
    await runner.drain(60_000);
    const stored = () => pool().query(`SELECT customer_id, trunk_id, status, price::text FROM cdrs WHERE tenant_id = $1 AND record_key = 'moved.1'`, [tenantId]);
    expect((await stored()).rows).toEqual([{ customer_id: world.alice.id, trunk_id: world.aliceTrunk.id, status: "UNBILLABLE", price: null }]);

    // Her trunk now belongs to Bob, whose own deck prices Taiwan at another rate than hers
    // (moved before saveTrunk refused moves: such trunks remain in older data).
    await db().sipTrunk.update({ where: { id: world.aliceTrunk.id }, data: { customerId: world.bob.id } });
    const bobDeck = await db().rateDeck.create({ data: { tenantId, name: "Bob's deck", kind: "SELL", currency: "USD" } });
    await db().customer.update({ where: { id: world.bob.id }, data: { rateDeckId: bobDeck.id } });
    await addRateForPrefix({ tenantId, actor: ACTOR, input: { ...TAIWAN_RATE, deckId: world.deck.id, ratePerMinute: "0.0600" } });
    await addRateForPrefix({ tenantId, actor: ACTOR, input: { ...TAIWAN_RATE, deckId: bobDeck.id, ratePerMinute: "0.5000" } });

    const before = await balances(tenantId);
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 1 });
    // 120 s at $0.06/min in Alice's deck: $0.12, charged to her; Bob is untouched.
    expect((await stored()).rows).toEqual([{ customer_id: world.alice.id, trunk_id: world.aliceTrunk.id, status: "RATED", price: "120000" }]);
    const after = await balances(tenantId);
    expect(after["1001"]! - before["1001"]!).toBe(-120_000n);
    expect(after["1002"]).toBe(before["1002"]);
  });
});

describe("the no-rate detail of a call whose trunk has moved", () => {
  it("names the deck a re-rate prices it with: the trunk's own while the trunk is the customer's, then the customer's", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    // Alice's trunk has a deck of its own, without Taiwan.
    const trunkDeck = await db().rateDeck.create({ data: { tenantId, name: "Alice trunk deck", kind: "SELL", currency: "USD" } });
    await saveTrunk({ tenantId, actor: ACTOR, trunkId: world.aliceTrunk.id, fields: { customerId: world.alice.id, name: "Alice main", accountCode: "acct-1001", rateDeckId: trunkDeck.id } });
    const file = line("acct-1001", "0118869123456", "2026-10-06 10:00:00", 120, "deck.1") + "\n";
    await upload(tenantId, world.asterisk.id, "deck.csv", Readable.from([Buffer.from(file)]));
    await runner.drain(60_000);
    const named = async () => {
      const detail = await unbillableDetail({ tenantId, input: { reason: "no rate for prefix", prefixLength: 3 } });
      if (detail.kind !== "prefix") throw new Error(`expected prefix groups, got ${detail.kind}`);
      return detail.rows.map((row) => [row.customer?.name, row.deck?.name, row.prefix, row.calls]);
    };
    expect(await named()).toEqual([["Alice Co", "Alice trunk deck", "886", 1]]);

    // The trunk, deck and all, now belongs to Bob (moved as older data may hold): Alice's call is priced with her deck.
    await db().sipTrunk.update({ where: { id: world.aliceTrunk.id }, data: { customerId: world.bob.id } });
    expect(await named()).toEqual([["Alice Co", "Retail", "886", 1]]);
    // And the rate added to the deck named is the one that prices it.
    await addRateForPrefix({ tenantId, actor: ACTOR, input: { ...TAIWAN_RATE, deckId: world.deck.id } });
    expect(await rerateUnbillable({ tenantId })).toMatchObject({ rated: 1, charged: 120_000n });
    expect(await named()).toEqual([]);
  });
});

describe("re-rating while the file is still being ingested", () => {
  it("keeps what the re-rate moved in the file's counters when the ingest finishes", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    // Two Taiwan calls (no rate yet) in the first batch of two lines, then Ottawa and Taiwan again.
    const text =
      [
        line("acct-1001", "0118869123456", "2026-10-06 10:00:00", 120, "race.1"),
        line("acct-1002", "0118862555000", "2026-10-06 10:01:00", 60, "race.2"),
        line("acct-1001", "16135550199", "2026-10-06 10:02:00", 60, "race.3"),
        line("acct-1002", "0118869876543", "2026-10-06 10:03:00", 30, "race.4"),
      ].join("\n") + "\n";
    const quiet = new EmbeddedRunner({ functions: [] });
    setEmbeddedRunner(quiet);
    const file = await deliver({ tenantId, sourceId: world.asterisk.id, name: "race.csv", content: text }).finally(() => {
      quiet.stop();
      setEmbeddedRunner(runner.current);
    });
    const rate = { ...TAIWAN_RATE, deckId: world.deck.id };
    let rerated = 0;
    const result = await ingestCdrFile({
      tenantId,
      fileId: file.id,
      batchLines: 2,
      afterBatch: async (batches) => {
        if (batches !== 1) return;
        // The rate arrives and a re-rate runs while the rest of the file is being read (the
        // other writers may have committed the second batch too by now).
        await addRateForPrefix({ tenantId, actor: ACTOR, input: rate });
        rerated = (await rerateUnbillable({ tenantId })).rated;
      },
    });
    expect(rerated).toBeGreaterThanOrEqual(2);
    // The run reports the file's counters: its stored calls', re-rated ones included.
    expect(result).toMatchObject({ status: "DONE", rated: 1 + rerated, unbillable: 3 - rerated });
    const stored = await pool().query<{ status: string; calls: number }>(
      `SELECT status::text, count(*)::int AS calls FROM cdrs WHERE tenant_id = $1 AND file_id = $2 GROUP BY 1`,
      [tenantId, file.id],
    );
    const byStatus = Object.fromEntries(stored.rows.map((row) => [row.status, row.calls]));
    expect(byStatus).toEqual({ RATED: 1 + rerated, ...(rerated < 3 ? { UNBILLABLE: 3 - rerated } : {}) });
    // The file's counters are its stored calls', re-rated ones included.
    expect(await getCdrFile({ tenantId, fileId: file.id })).toMatchObject({ status: "DONE", lines: 4, rated: 1 + rerated, unbillable: 3 - rerated });
  });
});

describe("re-rating after an account code is mapped", () => {
  it("gives the account's unanswered calls their customer too, once, without charging them", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    const unanswered = line("acct-7777", "16135550123", "2026-10-08 09:00:00", 0, "u.1").replace('"ANSWERED"', '"NO ANSWER"');
    const answered = line("acct-7777", "16135550124", "2026-10-08 09:05:00", 60, "u.2");
    await upload(tenantId, world.asterisk.id, "unknown.csv", Readable.from([Buffer.from(`${unanswered}\n${answered}\n`)]));
    await runner.drain(60_000);
    const ownerOf = async (key: string) =>
      (await pool().query<{ customer_id: string | null; status: string }>(`SELECT customer_id, status::text FROM cdrs WHERE tenant_id = $1 AND record_key = $2`, [tenantId, key]))
        .rows[0];
    expect(await ownerOf("u.1")).toEqual({ customer_id: null, status: "UNANSWERED" });

    const before = await balances(tenantId);
    // Mapped in another case than the switch writes it: codes match regardless of case.
    await mapAccountCode({ tenantId, actor: ACTOR, input: { accountCode: "ACCT-7777", customerId: world.alice.id } });
    // The mapping gives the unanswered call its customer at once; the answered one waits for the re-rate, which charges it.
    expect(await ownerOf("u.1")).toEqual({ customer_id: world.alice.id, status: "UNANSWERED" });
    expect(await ownerOf("u.2")).toEqual({ customer_id: null, status: "UNBILLABLE" });
    expect(await balances(tenantId)).toEqual(before);
    await requestRerate({ tenantId, actor: ACTOR, request: { reason: "unknown account" } });
    await runner.drain(60_000);
    expect(await ownerOf("u.1")).toEqual({ customer_id: world.alice.id, status: "UNANSWERED" });
    expect(await ownerOf("u.2")).toEqual({ customer_id: world.alice.id, status: "RATED" });
    const run = await db().jobRun.findFirst({ where: { tenantId, eventName: "cdr/rerate.requested" }, select: { output: true } });
    expect(run?.output).toMatchObject({ rated: 1, unansweredClaimed: 0 });

    // A code whose calls were all unanswered never shows in the queue: a trunk created for it claims them.
    const lonely = line("acct-8888", "16135550125", "2026-10-08 10:00:00", 0, "u.3").replace('"ANSWERED"', '"NO ANSWER"');
    await upload(tenantId, world.asterisk.id, "lonely.csv", Readable.from([Buffer.from(`${lonely}\n`)]));
    await runner.drain(60_000);
    expect(await ownerOf("u.3")).toEqual({ customer_id: null, status: "UNANSWERED" });
    const trunk = await saveTrunk({ tenantId, actor: ACTOR, fields: { customerId: world.bob.id, name: "Bob's PBX", accountCode: "Acct-8888" } });
    expect(await ownerOf("u.3")).toEqual({ customer_id: world.bob.id, status: "UNANSWERED" });
    expect((await pool().query(`SELECT trunk_id FROM cdrs WHERE tenant_id = $1 AND record_key = 'u.3'`, [tenantId])).rows[0]).toEqual({ trunk_id: trunk.id });

    // An unanswered call stored without its customer after the mapping (an ingest that loaded
    // its owners just before it) is claimed by the next re-rate.
    await pool().query(
      `INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, account_code, caller, callee, status)
       SELECT tenant_id, source_id, file_id, 99, 'u.4', start_at + interval '1 minute', 0, account_code, caller, callee, 'UNANSWERED' FROM cdrs
       WHERE tenant_id = $1 AND record_key = 'u.1'`,
      [tenantId],
    );
    expect(await ownerOf("u.4")).toEqual({ customer_id: null, status: "UNANSWERED" });
    expect((await rerateUnbillable({ tenantId })).unansweredClaimed).toBe(1);
    expect(await ownerOf("u.4")).toEqual({ customer_id: world.alice.id, status: "UNANSWERED" });
    // Only the answered call is charged: 60 s to Ottawa.
    const after = await balances(tenantId);
    expect(before["1001"]! - after["1001"]!).toBeGreaterThan(0n);
    expect(after["1002"]).toBe(before["1002"]);
  });
});

describe("tenant scoping", () => {
  it("treats another tenant's file as not found, through the services and the router", async () => {
    const world = await createBillingTenant();
    const other = await createBillingTenant();
    const received = await upload(world.tenant.id, world.asterisk.id, "Master.csv", createReadStream(fixturePath("cdr/asterisk-master.csv")));
    await runner.drain(60_000);
    const foreign = { tenantId: other.tenant.id, fileId: received.id };
    await expect(getCdrFile(foreign)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(listCdrRejects({ ...foreign, page: 0 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(readAll(streamCdrRejectsCsv(foreign))).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await listCdrFiles({ tenantId: other.tenant.id, query: PAGE, filter: { status: null, sourceId: null } })).total).toBe(0);

    const intruder = await createUser({ tenantId: other.tenant.id, role: "TENANT_ADMIN" });
    const caller = await callerAs(intruder.user.id);
    for (const call of [() => caller.cdrFiles.get({ fileId: received.id }), () => caller.cdrFiles.retry({ fileId: received.id }), () => caller.cdrFiles.release({ fileId: received.id })]) {
      const error = await call().then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("NOT_FOUND");
    }
    // Support reads, but does not act.
    const support = await createUser({ tenantId: world.tenant.id, role: "TENANT_SUPPORT" });
    const supportCaller = await callerAs(support.user.id);
    await expect(supportCaller.cdrFiles.get({ fileId: received.id })).resolves.toMatchObject({ id: received.id });
    await expect(supportCaller.cdrFiles.rerate({})).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
