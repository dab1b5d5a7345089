import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { uploadCdrFile } from "@/server/cdr/upload";
import { mappableCustomers, unbillableDetail } from "@/server/cdr/unbillable";
import { callerAs, createCustomer, createUser } from "../support/factories";
import { ACTOR, createBillingTenant, withJobRunner } from "./ingest-support";

const runner = withJobRunner();

function line(account: string, callee: string, start: string, billsec: number, key: string): string {
  const end = start.replace(/:(\d\d)$/, (_, s: string) => `:${String(Math.min(59, Number(s) + 1)).padStart(2, "0")}`);
  return `"${account}","6135550101","${callee}","from-internal","""Caller"" <6135550101>","SIP/t-1","SIP/c-1","Dial","SIP/c/${callee}","${start}","${start}","${end}",${billsec + 1},${billsec},"ANSWERED","DOCUMENTATION","${key}",""`;
}

async function ingest(tenantId: string, sourceId: string, name: string, lines: string[]) {
  await uploadCdrFile({ tenantId, actor: ACTOR, sourceId, fileName: name, body: Readable.from([Buffer.from(`${lines.join("\n")}\n`)]) });
  await runner.drain(60_000);
}

describe("the unbillable queue's detail", () => {
  it("says how many groups there are beyond the 200 it lists, and searches codes, customers and called prefixes on the server", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    // 205 unknown account codes, acct-x000 … acct-x204; acct-x204 has three calls, so it leads.
    const unknown = Array.from({ length: 205 }, (_, index) =>
      line(`acct-x${String(index).padStart(3, "0")}`, "16135550100", "2026-10-06 10:00:00", 60, `u.${index}`),
    );
    unknown.push(line("acct-x204", "16135550100", "2026-10-06 10:05:00", 60, "u.extra.1"), line("acct-x204", "16135550100", "2026-10-06 10:06:00", 60, "u.extra.2"));
    // Calls to Taiwan (886) and Japan (81), which the retail deck has no rate for.
    const noRate = [
      line("acct-1001", "0118869123456", "2026-10-06 11:00:00", 60, "n.1"),
      line("acct-1001", "0118862555000", "2026-10-06 11:01:00", 60, "n.2"),
      line("acct-1001", "011819012345678", "2026-10-06 11:02:00", 60, "n.3"),
    ];
    // Carol and Dave have no deck.
    for (const [accountNumber, name] of [["1003", "Carol Co"], ["1004", "Dave Co"]] as const) {
      const customer = await createCustomer(tenantId, { accountNumber, name });
      await db().sipTrunk.create({ data: { tenantId, customerId: customer.id, name: `${name} main`, accountCode: `acct-${accountNumber}` } });
    }
    const noDeck = [line("acct-1003", "16135550100", "2026-10-06 12:00:00", 60, "d.1"), line("acct-1004", "16135550100", "2026-10-06 12:01:00", 60, "d.2")];
    await ingest(tenantId, world.asterisk.id, "queue.csv", [...unknown, ...noRate, ...noDeck]);

    const accounts = await unbillableDetail({ tenantId, input: { reason: "unknown account" } });
    if (accounts.kind !== "account") throw new Error(`expected account groups, got ${accounts.kind}`);
    expect(accounts.rows).toHaveLength(200);
    expect(accounts.groups).toEqual({ total: 205, limit: 200 });
    expect(accounts.rows[0]).toMatchObject({ accountCode: "acct-x204", calls: 3 });

    // Part of the code, in any case; LIKE's wildcards are only characters.
    const found = await unbillableDetail({ tenantId, input: { reason: "unknown account", search: "X01" } });
    if (found.kind !== "account") throw new Error("unreachable");
    expect(found.rows.map((row) => row.accountCode)).toEqual(Array.from({ length: 10 }, (_, index) => `acct-x01${index}`));
    expect(found.groups).toEqual({ total: 10, limit: 200 });
    const wildcard = await unbillableDetail({ tenantId, input: { reason: "unknown account", search: "%" } });
    expect([wildcard.rows.length, wildcard.groups.total]).toEqual([0, 0]);

    const prefixes = await unbillableDetail({ tenantId, input: { reason: "no rate for prefix", prefixLength: 4 } });
    if (prefixes.kind !== "prefix") throw new Error(`expected prefix groups, got ${prefixes.kind}`);
    expect(prefixes.groups.total).toBe(3);
    // The first digits of the called number, written as people write them.
    const taiwan = await unbillableDetail({ tenantId, input: { reason: "no rate for prefix", prefixLength: 4, search: "+886 9" } });
    if (taiwan.kind !== "prefix") throw new Error("unreachable");
    expect(taiwan.rows.map((row) => [row.prefix, row.calls])).toEqual([["8869", 1]]);
    expect(taiwan.groups.total).toBe(1);

    // Customers without a deck, by name or account number.
    const decks = await unbillableDetail({ tenantId, input: { reason: "no rate deck assigned" } });
    expect(decks.groups.total).toBe(2);
    for (const search of ["carol", "1003"]) {
      const carol = await unbillableDetail({ tenantId, input: { reason: "no rate deck assigned", search } });
      if (carol.kind !== "deck") throw new Error(`expected deck groups, got ${carol.kind}`);
      expect(carol.rows.map((row) => row.customer?.name)).toEqual(["Carol Co"]);
      expect(carol.groups.total).toBe(1);
    }
  });
});

describe("the customers an account code can be mapped to", () => {
  it("leave out closed accounts, which the mapping refuses, and follow the search", async () => {
    const world = await createBillingTenant();
    const tenantId = world.tenant.id;
    const closed = await createCustomer(tenantId, { accountNumber: "1003", name: "Alpha Closed Co" });
    await db().customer.update({ where: { id: closed.id }, data: { status: "CLOSED" } });
    await db().customer.update({ where: { id: world.bob.id }, data: { status: "SUSPENDED" } });

    const all = await mappableCustomers({ tenantId, input: {} });
    expect(all).toEqual({
      rows: [
        { id: world.alice.id, name: "Alice Co", accountNumber: "1001" },
        { id: world.bob.id, name: "Bob Co", accountNumber: "1002" },
      ],
      more: false,
    });
    expect((await mappableCustomers({ tenantId, input: { search: "co" } })).rows.map((row) => row.name)).toEqual(["Alice Co", "Bob Co"]);
    expect((await mappableCustomers({ tenantId, input: { search: "1002" } })).rows.map((row) => row.name)).toEqual(["Bob Co"]);
    expect((await mappableCustomers({ tenantId, input: { search: "Alpha" } })).rows).toEqual([]);

    // Another tenant's customers are never offered; support reads the queue but does not map.
    const other = await createBillingTenant();
    expect((await mappableCustomers({ tenantId: other.tenant.id, input: {} })).rows.map((row) => row.id)).not.toContain(world.alice.id);
    const support = await createUser({ tenantId, role: "TENANT_SUPPORT" });
    await expect((await callerAs(support.user.id)).cdrFiles.mappableCustomers({ search: "" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
