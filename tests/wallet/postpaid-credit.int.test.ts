import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { changeCustomerStatus, createCustomer as createCustomerAccount, getCustomer, updateCustomer } from "@/server/customers/customers";
import { computeDashboardFigures } from "@/server/dashboard/overview";
import { BELOW_LOW_BALANCE_SQL, EXHAUSTED_SQL, balanceExhausted, belowLowBalance } from "@/server/wallet/account-state";
import { postLedgerEntry } from "@/server/wallet/ledger";
import { getWallet, lockCustomer, unlockCustomer, updateWalletLimits } from "@/server/wallet/wallet";
import { createCustomer, createTenant, TEST_ACTOR } from "../support/factories";
import { withMoneyServices } from "../support/money-services";

const services = withMoneyServices({ smtp: true });

let sequence = 0;
const key = (what: string) => `${what}:${++sequence}`;

/** A postpaid account made as an admin makes it (the service, with its credit limit), mail to `email`. */
async function postpaid(tenantId: string, email: string, creditLimit: string) {
  const customer = await createCustomerAccount({
    tenantId,
    actor: TEST_ACTOR,
    fields: { accountNumber: `pp-${++sequence}`, name: `Postpaid ${sequence}`, billingType: "POSTPAID", contactEmail: email, creditLimit },
  });
  await services.runner.drain();
  return customer;
}

async function charge(tenantId: string, customerId: string, amount: bigint) {
  await postLedgerEntry({ tenantId, customerId, amount: -amount, kind: "CALL_CHARGES", idempotencyKey: key("charge") });
  await services.runner.drain();
}

const stateOf = (customerId: string) => db().customer.findUniqueOrThrow({ where: { id: customerId } });
const mailTo = (email: string) => services.smtp.received.filter((mail) => mail.to.includes(email));

type TCustomerRow = { tenantId: string; accountNumber: string; name: string; contactEmail: string; billingType: "PREPAID" | "POSTPAID"; balance: bigint } & Partial<{
  creditLimit: bigint;
  lockThreshold: bigint;
  lowBalanceThreshold: bigint;
}>;

/**
 * Customers at given balances in one go, each balance an opening ledger entry so balance ==
 * SUM(ledger) holds. Dated before the sweep's hour: they are here to be read, not reacted to.
 */
async function customersAt(rows: TCustomerRow[]) {
  const created = await db().customer.createManyAndReturn({ data: rows, select: { id: true, tenantId: true, balance: true } });
  await db().ledgerEntry.createMany({
    data: created
      .filter((customer) => customer.balance !== 0n)
      .map((customer) => ({ tenantId: customer.tenantId, customerId: customer.id, amount: customer.balance, kind: "ADJUSTMENT" as const, idempotencyKey: `opening-${customer.id}`, balanceAfter: customer.balance, createdAt: new Date(Date.now() - 2 * 3_600_000) })),
  });
}

function limits(customerId: string, values: Partial<{ creditLimit: string; lockThreshold: string; lowBalanceThreshold: string }>) {
  return { customerId, creditLimit: "0", lockThreshold: "0", lowBalanceThreshold: "5.00", ...values };
}

describe("creating a postpaid customer", () => {
  it("refuses one without a credit limit above zero, naming the field", async () => {
    const tenant = await createTenant();
    const fields = { accountNumber: "pp-none", name: "No Limit Co", billingType: "POSTPAID" as const, contactEmail: "nolimit@example.test" };
    for (const creditLimit of [undefined, null, "0", "0.00"]) {
      await expect(createCustomerAccount({ tenantId: tenant.id, actor: TEST_ACTOR, fields: { ...fields, creditLimit } })).rejects.toMatchObject({
        code: "INVALID_INPUT",
        fieldErrors: { creditLimit: [expect.stringMatching(/credit limit above zero/)] },
      });
    }
    expect(await db().customer.count({ where: { tenantId: tenant.id } })).toBe(0);

    // Through the API the error reaches the form under the field's name.
    const created = await createCustomerAccount({ tenantId: tenant.id, actor: TEST_ACTOR, fields: { ...fields, creditLimit: "250.50" } });
    expect(await stateOf(created.id)).toMatchObject({ billingType: "POSTPAID", creditLimit: 250_500_000n });
    const audit = await db().auditEvent.findFirstOrThrow({ where: { tenantId: tenant.id, action: "customer.created" } });
    expect(audit.after).toMatchObject({ creditLimit: "250500000" });
  });

  it("carries calls within its credit limit and locks past it, with a mail about paying, not topping up", async () => {
    const tenant = await createTenant();
    const email = "within@postpaid.test";
    const customer = await postpaid(tenant.id, email, "50.00");
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE", creditLimit: 50_000_000n });

    await charge(tenant.id, customer.id, 30_000_000n);
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE", balance: -30_000_000n });
    // Exactly at the limit still carries calls.
    await charge(tenant.id, customer.id, 20_000_000n);
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE", balance: -50_000_000n });

    await charge(tenant.id, customer.id, 1n);
    expect(await stateOf(customer.id)).toMatchObject({ status: "LOCKED", lockSource: "BALANCE" });
    const hold = await services.smtp.waitFor((mail) => mail.to.includes(email) && /on hold/.test(mail.subject));
    expect(hold.text).toMatch(/Pay the outstanding amount/);
    expect(hold.text).not.toMatch(/Top up/);
  });

  it("sends the low-credit mail when the credit left falls below the threshold, once per crossing, worded about credit", async () => {
    const tenant = await createTenant();
    const email = "credit@postpaid.test";
    const customer = await postpaid(tenant.id, email, "100.00");
    await updateWalletLimits({ tenantId: tenant.id, actor: TEST_ACTOR, limits: limits(customer.id, { creditLimit: "100.00", lowBalanceThreshold: "20.00" }) });
    await services.runner.drain();

    // Owing 70 of 100 leaves 30 of credit: above the 20 threshold, so no mail (the balance is far below it).
    await charge(tenant.id, customer.id, 70_000_000n);
    expect(mailTo(email)).toHaveLength(0);
    expect(await stateOf(customer.id)).toMatchObject({ lowBalanceAlerted: false });

    await charge(tenant.id, customer.id, 15_000_000n);
    const alert = await services.smtp.waitFor((mail) => mail.to.includes(email) && /Low available credit/.test(mail.subject));
    expect(alert.text).toContain("15.00 USD of its 100.00 USD credit limit left");
    expect(alert.text).toContain("below 20.00 USD");
    expect(alert.text).toContain("Outstanding: 85.00 USD");
    expect(alert.text).toMatch(/Pay the outstanding amount/);
    expect(alert.text).not.toMatch(/Top up/);
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE", lowBalanceAlerted: true });

    // Still below: no second mail. A payment that frees credit re-arms it.
    await charge(tenant.id, customer.id, 1_000_000n);
    expect(mailTo(email)).toHaveLength(1);
    await postLedgerEntry({ tenantId: tenant.id, customerId: customer.id, amount: 86_000_000n, kind: "TOPUP", idempotencyKey: key("payment") });
    await services.runner.drain();
    expect(await stateOf(customer.id)).toMatchObject({ lowBalanceAlerted: false });

    // The portal's banner and the customer page follow the same rule.
    expect((await getWallet({ tenantId: tenant.id, customerId: customer.id })).belowLowBalance).toBe(false);
    await charge(tenant.id, customer.id, 90_000_000n);
    expect((await getWallet({ tenantId: tenant.id, customerId: customer.id })).belowLowBalance).toBe(true);
    expect((await getCustomer({ tenantId: tenant.id, customerId: customer.id })).belowLowBalance).toBe(true);
    expect(mailTo(email).filter((mail) => /Low available credit/.test(mail.subject))).toHaveLength(2);
  });
});

describe("the low-balance and exhausted rules", () => {
  it("say the same in TypeScript and in SQL", async () => {
    const tenant = await createTenant();
    const cases: { billingType: "PREPAID" | "POSTPAID"; balance: bigint; creditLimit: bigint; lockThreshold: bigint; lowBalanceThreshold: bigint }[] = [];
    for (const billingType of ["PREPAID", "POSTPAID"] as const) {
      for (const balance of [-100_000_001n, -100_000_000n, -95_000_001n, -95_000_000n, -1n, 0n, 1n, 4_999_999n, 5_000_000n, 20_000_000n]) {
        for (const creditLimit of [0n, 100_000_000n]) {
          for (const lowBalanceThreshold of [-1_000_000n, 0n, 5_000_000n]) {
            cases.push({ billingType, balance, creditLimit, lockThreshold: billingType === "PREPAID" ? 1n : 0n, lowBalanceThreshold });
          }
        }
      }
    }
    await customersAt(cases.map((fields, index) => ({ tenantId: tenant.id, accountNumber: `rule-${index}`, name: `Rule ${index}`, contactEmail: `rule-${index}@example.test`, ...fields })));
    const rows = await db().$queryRawUnsafe<{ account_number: string; low: boolean; exhausted: boolean }[]>(
      `SELECT c.account_number, ${BELOW_LOW_BALANCE_SQL} AS low, ${EXHAUSTED_SQL} AS exhausted FROM customers c WHERE c.tenant_id = $1::uuid`,
      tenant.id,
    );
    expect(rows).toHaveLength(cases.length);
    const sql = new Map(rows.map((row) => [row.account_number, row]));
    const disagreements = cases.filter((fields, index) => {
      const row = sql.get(`rule-${index}`)!;
      return row.low !== belowLowBalance(fields) || row.exhausted !== balanceExhausted(fields);
    });
    expect(disagreements).toEqual([]);
    // And the rule is the credit left for postpaid: owing 95 of 100 leaves 5, not below 5.
    expect(belowLowBalance({ billingType: "POSTPAID", balance: -95_000_000n, creditLimit: 100_000_000n, lowBalanceThreshold: 5_000_000n })).toBe(false);
    expect(belowLowBalance({ billingType: "POSTPAID", balance: -95_000_001n, creditLimit: 100_000_000n, lowBalanceThreshold: 5_000_000n })).toBe(true);
  });

  it("counts low accounts on the admin overview by the same rule", async () => {
    const tenant = await createTenant();
    const row = (accountNumber: string, billingType: "PREPAID" | "POSTPAID", balance: bigint, creditLimit = 0n): TCustomerRow => ({
      tenantId: tenant.id,
      accountNumber,
      name: accountNumber,
      billingType,
      contactEmail: `${accountNumber}@example.test`,
      balance,
      creditLimit,
    });
    await customersAt([
      row("owes-80-of-100", "POSTPAID", -80_000_000n, 100_000_000n), // 20 of credit left: fine
      row("owes-98-of-100", "POSTPAID", -98_000_000n, 100_000_000n), // 2 left: low
      row("prepaid-4", "PREPAID", 4_000_000n), // low
      row("prepaid-50", "PREPAID", 50_000_000n), // fine
    ]);
    const figures = await computeDashboardFigures({ tenantId: tenant.id });
    expect(figures.customers.lowBalance).toBe(2);
  });
});

describe("changing limits or billing type re-checks the lock", () => {
  it("unlocks a postpaid account whose raised credit limit covers its debt, once committed", async () => {
    const tenant = await createTenant();
    const customer = await postpaid(tenant.id, "raised@postpaid.test", "10.00");
    await charge(tenant.id, customer.id, 20_000_000n);
    expect(await stateOf(customer.id)).toMatchObject({ status: "LOCKED", lockSource: "BALANCE" });

    await updateWalletLimits({ tenantId: tenant.id, actor: TEST_ACTOR, limits: limits(customer.id, { creditLimit: "50.00" }) });
    await services.runner.drain();
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE", lockSource: null, creditLimit: 50_000_000n });
  });

  it("locks a prepaid account whose raised lock threshold is above its balance", async () => {
    const { id: tenantId } = await createTenant();
    const customer = await createCustomer(tenantId);
    await postLedgerEntry({ tenantId, customerId: customer.id, amount: 10_000_000n, kind: "TOPUP", idempotencyKey: key("topup") });
    await services.runner.drain();
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE" });

    await updateWalletLimits({ tenantId, actor: TEST_ACTOR, limits: limits(customer.id, { lockThreshold: "20.00" }) });
    await services.runner.drain();
    expect(await stateOf(customer.id)).toMatchObject({ status: "LOCKED", lockSource: "BALANCE" });
  });

  it("leaves a manual lock alone", async () => {
    const tenant = await createTenant();
    const customer = await postpaid(tenant.id, "manual@postpaid.test", "10.00");
    await lockCustomer({ tenantId: tenant.id, actor: TEST_ACTOR, change: { customerId: customer.id, reason: "Fraud review" } });
    await updateWalletLimits({ tenantId: tenant.id, actor: TEST_ACTOR, limits: limits(customer.id, { creditLimit: "500.00" }) });
    await services.runner.drain();
    expect(await stateOf(customer.id)).toMatchObject({ status: "LOCKED", lockSource: "MANUAL", lockReason: "Fraud review" });
  });

  it("refuses a postpaid credit limit of zero", async () => {
    const tenant = await createTenant();
    const customer = await postpaid(tenant.id, "zero@postpaid.test", "10.00");
    await expect(updateWalletLimits({ tenantId: tenant.id, actor: TEST_ACTOR, limits: limits(customer.id, { creditLimit: "0.00" }) })).rejects.toMatchObject({
      fieldErrors: { creditLimit: [expect.stringMatching(/above zero/)] },
    });
    expect(await stateOf(customer.id)).toMatchObject({ creditLimit: 10_000_000n });
  });

  it("catches a limits change whose event was lost in the sweep", async () => {
    const tenant = await createTenant();
    const customer = await postpaid(tenant.id, "lost@postpaid.test", "10.00");
    await charge(tenant.id, customer.id, 20_000_000n);
    // Backdate the charge past the sweep's hour: only the limits change is recent.
    await db().ledgerEntry.updateMany({ where: { customerId: customer.id }, data: { createdAt: new Date(Date.now() - 3 * 3_600_000) } });
    expect(await stateOf(customer.id)).toMatchObject({ status: "LOCKED" });

    const quiet = new EmbeddedRunner({ functions: [] });
    setEmbeddedRunner(quiet);
    try {
      await updateWalletLimits({ tenantId: tenant.id, actor: TEST_ACTOR, limits: limits(customer.id, { creditLimit: "50.00" }) });
    } finally {
      quiet.stop();
      setEmbeddedRunner(services.runner);
    }
    expect(await stateOf(customer.id)).toMatchObject({ status: "LOCKED" });
    await services.runner.fireCron("wallet-balance-sweep", new Date());
    await services.runner.drain();
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE", lockSource: null });
  });

  it("does not let an edit of a name undo an admin's unlock in the sweep", async () => {
    const tenant = await createTenant();
    const email = "unlocked@postpaid.test";
    const customer = await postpaid(tenant.id, email, "10.00");
    await charge(tenant.id, customer.id, 20_000_000n);
    expect(await stateOf(customer.id)).toMatchObject({ status: "LOCKED", lockSource: "BALANCE" });
    // The admin decides to let it carry calls anyway.
    await unlockCustomer({ tenantId: tenant.id, actor: TEST_ACTOR, change: { customerId: customer.id, reason: "Paying by wire tomorrow" } });
    await services.runner.drain();
    const row = await stateOf(customer.id);
    await updateCustomer({
      tenantId: tenant.id,
      actor: TEST_ACTOR,
      customerId: customer.id,
      fields: { accountNumber: row.accountNumber, name: "Renamed Ltd", billingType: "POSTPAID", contactEmail: email },
    });
    await services.runner.fireCron("wallet-balance-sweep", new Date());
    await services.runner.drain();
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE", name: "Renamed Ltd", creditLimit: 10_000_000n });
  });

  it("mails nothing to a closed account when its limits change", async () => {
    const tenant = await createTenant();
    const email = "closed@postpaid.test";
    const customer = await postpaid(tenant.id, email, "1000.00");
    await charge(tenant.id, customer.id, 900_000_000n);
    await changeCustomerStatus({ tenantId: tenant.id, actor: TEST_ACTOR, change: { customerId: customer.id, status: "CLOSED", reason: "Left", acknowledgedBalance: "-900000000" } });
    const before = mailTo(email).length;
    await updateWalletLimits({ tenantId: tenant.id, actor: TEST_ACTOR, limits: limits(customer.id, { creditLimit: "901.00" }) });
    await services.runner.drain();
    expect(mailTo(email)).toHaveLength(before);
    expect(await stateOf(customer.id)).toMatchObject({ status: "CLOSED", lowBalanceAlerted: false });
  });

  it("requires a credit limit to switch to postpaid, and judges the account again after a switch either way", async () => {
    const tenant = await createTenant();
    const email = "switch@example.test";
    const base = { accountNumber: "switcher", name: "Switcher", contactEmail: email };
    const customer = await createCustomerAccount({ tenantId: tenant.id, actor: TEST_ACTOR, fields: { ...base, billingType: "PREPAID" } });
    await services.runner.drain();
    // A new account is judged once money first moves: no "on hold" mail before it has started.
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE", lockSource: null, creditLimit: 0n });
    expect(mailTo(email)).toEqual([]);

    await expect(
      updateCustomer({ tenantId: tenant.id, actor: TEST_ACTOR, customerId: customer.id, fields: { ...base, billingType: "POSTPAID" } }),
    ).rejects.toMatchObject({ fieldErrors: { creditLimit: [expect.stringMatching(/above zero/)] } });
    expect(await stateOf(customer.id)).toMatchObject({ billingType: "PREPAID" });

    await updateCustomer({ tenantId: tenant.id, actor: TEST_ACTOR, customerId: customer.id, fields: { ...base, billingType: "POSTPAID", creditLimit: "40.00" } });
    await services.runner.drain();
    expect(await stateOf(customer.id)).toMatchObject({ billingType: "POSTPAID", creditLimit: 40_000_000n, status: "ACTIVE", lockSource: null });

    // Editing other details keeps the limit when none is typed.
    await updateCustomer({ tenantId: tenant.id, actor: TEST_ACTOR, customerId: customer.id, fields: { ...base, name: "Switcher Inc", billingType: "POSTPAID" } });
    expect(await stateOf(customer.id)).toMatchObject({ name: "Switcher Inc", creditLimit: 40_000_000n });

    // Owing money as prepaid cannot carry calls: the switch back locks it and drops the credit.
    await charge(tenant.id, customer.id, 15_000_000n);
    expect(await stateOf(customer.id)).toMatchObject({ status: "ACTIVE" });
    await updateCustomer({ tenantId: tenant.id, actor: TEST_ACTOR, customerId: customer.id, fields: { ...base, billingType: "PREPAID" } });
    await services.runner.drain();
    expect(await stateOf(customer.id)).toMatchObject({ billingType: "PREPAID", creditLimit: 0n, status: "LOCKED", lockSource: "BALANCE" });
  });
});
