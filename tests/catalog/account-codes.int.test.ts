import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { db, pool } from "@/server/db/client";
import { saveTrunk, type TTrunkFields } from "@/server/catalog/trunks";
import { mapAccountCode } from "@/server/cdr/unbillable";
import { loadCallRatingContext } from "@/server/cdr/call-rating";
import { createTenantWithTwoCustomers, TEST_ACTOR } from "../support/factories";

function trunk(customerId: string, accountCode: string, extra: Partial<TTrunkFields> = {}): TTrunkFields {
  return { customerId, name: `Trunk ${accountCode}`, accountCode, ...extra };
}

describe("a trunk and a mapping of the same account code", () => {
  it("refuses a trunk whose code is mapped to another customer, naming that customer", async () => {
    const { tenantId, alice, bob } = await createTenantWithTwoCustomers();
    await mapAccountCode({ tenantId, actor: TEST_ACTOR, input: { accountCode: "acct-77", customerId: alice.id } });
    await expect(saveTrunk({ tenantId, actor: TEST_ACTOR, fields: trunk(bob.id, "acct-77") })).rejects.toMatchObject({
      code: "INVALID_INPUT",
      fieldErrors: { accountCode: [expect.stringMatching(/mapped to Alice Co/)] },
    });
    expect(await db().sipTrunk.count({ where: { tenantId } })).toBe(0);
    const context = await loadCallRatingContext({ tenantId, costDeckId: null });
    expect(context.accountOwner("acct-77")).toMatchObject({ customerId: alice.id, trunkId: null });
  });

  it("moves a code mapped to the same customer onto the new trunk, in one transaction", async () => {
    const { tenantId, alice } = await createTenantWithTwoCustomers();
    await mapAccountCode({ tenantId, actor: TEST_ACTOR, input: { accountCode: "acct-78", customerId: alice.id } });
    const saved = await saveTrunk({ tenantId, actor: TEST_ACTOR, fields: trunk(alice.id, "acct-78") });
    expect(await db().accountCodeMapping.count({ where: { tenantId } })).toBe(0);
    const context = await loadCallRatingContext({ tenantId, costDeckId: null });
    expect(context.accountOwner("acct-78")).toMatchObject({ customerId: alice.id, trunkId: saved.id });
  });

  it("lets only one of a trunk and a mapping of one code saved at once succeed", async () => {
    const { tenantId, alice, bob } = await createTenantWithTwoCustomers();
    for (let round = 0; round < 5; round++) {
      const code = `race-${round}`;
      const results = await Promise.allSettled([
        saveTrunk({ tenantId, actor: TEST_ACTOR, fields: trunk(bob.id, code) }),
        mapAccountCode({ tenantId, actor: TEST_ACTOR, input: { accountCode: code, customerId: alice.id } }),
      ]);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      const holders = (await db().sipTrunk.count({ where: { tenantId, accountCode: code } })) + (await db().accountCodeMapping.count({ where: { tenantId, accountCode: code } }));
      expect(holders).toBe(1);
    }
  });
});

describe("account codes differing only in case", () => {
  it("are one code: a case variant of another customer's trunk or mapping is refused", async () => {
    const { tenantId, alice, bob } = await createTenantWithTwoCustomers();
    await saveTrunk({ tenantId, actor: TEST_ACTOR, fields: trunk(alice.id, "Acct-1") });
    await mapAccountCode({ tenantId, actor: TEST_ACTOR, input: { accountCode: "Map-1", customerId: alice.id } });
    await expect(saveTrunk({ tenantId, actor: TEST_ACTOR, fields: trunk(bob.id, "ACCT-1") })).rejects.toMatchObject({
      fieldErrors: { accountCode: [expect.stringMatching(/ACCT-1 \(as Acct-1\).*Alice Co/)] },
    });
    await expect(mapAccountCode({ tenantId, actor: TEST_ACTOR, input: { accountCode: "acct-1", customerId: bob.id } })).rejects.toMatchObject({
      fieldErrors: { accountCode: [expect.stringMatching(/trunk "Trunk Acct-1" of Alice Co/)] },
    });
    await expect(mapAccountCode({ tenantId, actor: TEST_ACTOR, input: { accountCode: "MAP-1", customerId: bob.id } })).rejects.toMatchObject({
      fieldErrors: { accountCode: [expect.stringMatching(/already mapped to Alice Co/)] },
    });
    await expect(saveTrunk({ tenantId, actor: TEST_ACTOR, fields: trunk(bob.id, "map-1") })).rejects.toMatchObject({
      fieldErrors: { accountCode: [expect.stringMatching(/mapped to Alice Co/)] },
    });
  });

  it("are refused by the database too, whoever writes them", async () => {
    const { tenantId, alice, bob } = await createTenantWithTwoCustomers();
    await db().sipTrunk.create({ data: { tenantId, customerId: alice.id, name: "A", accountCode: "x-1" } });
    await expect(db().sipTrunk.create({ data: { tenantId, customerId: bob.id, name: "B", accountCode: "X-1" } })).rejects.toThrow();
    await db().accountCodeMapping.create({ data: { tenantId, customerId: alice.id, accountCode: "m-1" } });
    await expect(db().accountCodeMapping.create({ data: { tenantId, customerId: bob.id, accountCode: "M-1" } })).rejects.toThrow();
  });

  it("rate a call whose code's case differs as the code's owner's", async () => {
    const { tenantId, alice, bob } = await createTenantWithTwoCustomers();
    const saved = await saveTrunk({ tenantId, actor: TEST_ACTOR, fields: trunk(alice.id, "acct-9") });
    await mapAccountCode({ tenantId, actor: TEST_ACTOR, input: { accountCode: "Legacy-7", customerId: bob.id } });
    const context = await loadCallRatingContext({ tenantId, costDeckId: null });
    expect(context.ownerOf("ACCT-9", "16135550101")).toMatchObject({ customerId: alice.id, trunkId: saved.id });
    expect(context.accountOwner("legacy-7")).toMatchObject({ customerId: bob.id, trunkId: null });
    expect(context.accountOwner("acct-10")).toBeNull();
  });
});

describe("mapping an account code", () => {
  it("trims it and refuses spaces and control characters inside", async () => {
    const { tenantId, alice } = await createTenantWithTwoCustomers();
    const mapping = await mapAccountCode({ tenantId, actor: TEST_ACTOR, input: { accountCode: "  code-5 \t", customerId: alice.id } });
    expect(mapping.accountCode).toBe("code-5");
    for (const accountCode of ["code 6", "code\u00077", "code\u200b8"]) {
      await expect(mapAccountCode({ tenantId, actor: TEST_ACTOR, input: { accountCode, customerId: alice.id } })).rejects.toMatchObject({
        issues: [expect.objectContaining({ path: ["accountCode"], message: "An account code cannot contain spaces or control characters" })],
      });
    }
  });
});

describe("the case-insensitive migration", () => {
  it("stops, naming the tenant and the colliding codes, when codes already differ only in case", async () => {
    const { tenantId, alice, bob } = await createTenantWithTwoCustomers();
    const sql = await readFile(path.resolve(import.meta.dirname, "../../prisma/migrations/20261203080000_account_codes_case_insensitive/migration.sql"), "utf8");
    const client = await pool().connect();
    try {
      await client.query("BEGIN");
      await client.query(`DROP INDEX "sip_trunks_tenant_id_lower_account_code_key"; DROP INDEX "account_code_mappings_tenant_id_lower_account_code_key"`);
      await client.query(
        `INSERT INTO sip_trunks (tenant_id, customer_id, name, account_code, updated_at) VALUES ($1, $2, 'A', 'dup-1', now()), ($1, $3, 'B', 'DUP-1', now())`,
        [tenantId, alice.id, bob.id],
      );
      await expect(client.query(sql)).rejects.toThrow(/differing only in case.*Tenant .*sip_trunks: DUP-1, dup-1/);
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
  });
});
