import { beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import superjson from "superjson";
import pg from "pg";
import { db } from "@/server/db/client";
import { appRouter } from "@/server/trpc/root";
import { callerAs, createWorld } from "../support/factories";

/**
 * Every procedure of the app router, called by people who must not reach tenant A's data:
 * an admin of tenant B, and a customer user of another customer inside tenant A. Each call
 * must either be refused or return nothing of the target; and tenant A's data must be
 * byte-for-byte the same afterwards. A procedure without a case here fails the suite, so a
 * new procedure cannot ship without saying how it is scoped.
 */

type TWorld = Awaited<ReturnType<typeof createWorld>>;
type TTarget = TWorld & {
  invitationId: string;
  emailId: string;
  runId: string;
  auditId: string;
  deckId: string;
  buyDeckId: string;
  carrierId: string;
  importId: string;
  trunkId: string;
  recurringChargeId: string;
  statementId: string;
  paymentId: string;
  paymentMethodId: string;
  cdrSourceId: string;
  cdrServerId: string;
  cdrFileId: string;
};

type TCase =
  /** Scoped by the session: input cannot name another tenant's data. */
  | { input: (target: TTarget) => unknown }
  /** Public, scoped by an unguessable token: a wrong token must be refused. */
  | { publicToken: (target: TTarget) => unknown };

const FIELDS = { accountNumber: "hijack-1", name: "Hijacked", billingType: "PREPAID", contactEmail: "evil@example.test" };
const PAGE = { page: 0, pageSize: 200, search: "" };
const UK_PLAN = { countryCode: "44", internationalPrefixes: ["00"], nationalNumberLength: 10, nationalTrunkPrefix: "0", techPrefixes: [] };

const cases: Record<string, TCase> = {
  "auth.describeInvitation": { publicToken: () => ({ token: "x".repeat(43) }) },
  "auth.acceptInvitation": { publicToken: () => ({ token: "x".repeat(43), name: "Evil", password: "long-enough-password" }) },
  // Asking for a reset is open to anyone by design (the link goes to the owner's inbox);
  // the flow itself is covered in tests/auth/invitation-flow.int.test.ts.
  "auth.requestPasswordReset": { publicToken: () => ({ email: "nobody@elsewhere.test" }) },
  "auth.resetPassword": { publicToken: () => ({ token: "y".repeat(43), password: "long-enough-password" }) },
  "auth.verifyEmail": { publicToken: () => ({ token: "z".repeat(43) }) },
  "me.get": { input: () => undefined },
  "me.updateProfile": { input: () => ({ name: "Renamed attacker" }) },
  "me.changePassword": { input: () => ({ currentPassword: "wrong", newPassword: "whatever-long-pass" }) },
  "me.requestEmailChange": { input: (t) => ({ email: t.admin.user.email }) },
  "customers.list": { input: () => PAGE },
  "customers.get": { input: (t) => ({ customerId: t.customer.id }) },
  "customers.create": { input: () => ({ ...FIELDS, accountNumber: `new-${Date.now()}` }) },
  "customers.update": { input: (t) => ({ customerId: t.customer.id, fields: FIELDS }) },
  "customers.changeStatus": { input: (t) => ({ customerId: t.customer.id, status: "SUSPENDED", reason: "attack" }) },
  "customers.inviteUser": { input: (t) => ({ customerId: t.customer.id, email: "evil@example.test", role: "CUSTOMER_ADMIN" }) },
  "customers.revokeInvitation": { input: (t) => ({ invitationId: t.invitationId }) },
  "users.list": { input: () => PAGE },
  "users.invitations": { input: () => undefined },
  "users.invite": { input: () => ({ email: `evil-${Date.now()}@example.test`, role: "TENANT_ADMIN" }) },
  "users.remove": { input: (t) => ({ membershipId: t.admin.membership.id }) },
  "users.resendInvitation": { input: (t) => ({ invitationId: t.invitationId }) },
  "outbox.list": { input: () => PAGE },
  "outbox.get": { input: (t) => ({ emailId: t.emailId }) },
  "jobs.list": { input: () => PAGE },
  "jobs.get": { input: (t) => ({ runId: t.runId }) },
  "audit.list": { input: () => PAGE },
  "portal.overview": { input: () => undefined },
  "portal.spentThisMonth": { input: () => undefined },
  // A customer admin manages only the session's customer: ids of another customer's people
  // and invitations are not found, and an invitation can name no customer (the session's is used).
  // (Inviting another customer's people is not refused, so as to say nothing of them: they are
  // refused at acceptance, tests/users/portal-users.int.test.ts. Here the address is the caller's
  // own, a member of the customer already, so the invitation changes nothing of tenant A.)
  "portal.users.list": { input: () => undefined },
  "portal.users.invite": { input: (t) => ({ email: t.otherCustomerAdmin.user.email, role: "CUSTOMER_ADMIN" }) },
  "portal.users.resendInvitation": { input: (t) => ({ invitationId: t.invitationId }) },
  "portal.users.revokeInvitation": { input: (t) => ({ invitationId: t.invitationId }) },
  "portal.users.changeRole": { input: (t) => ({ membershipId: t.customerAdmin.membership.id, role: "CUSTOMER_USER" }) },
  "portal.users.remove": { input: (t) => ({ membershipId: t.customerAdmin.membership.id }) },
  "tenant.overview": { input: () => undefined },
  "tenant.generalSettings": { input: () => undefined },
  // Tenant B's admin only renames and re-zones tenant B (tenants has no tenant_id column, so the
  // snapshot misses it: tests/tenants/general-settings.int.test.ts checks tenant A's row).
  "tenant.updateGeneralSettings": { input: () => ({ name: "Hijacked Telecom", timeZone: "Europe/London" }) },
  "tenant.diallingPlan": { input: () => undefined },
  "tenant.previewDiallingPlan": { input: () => ({ plan: UK_PLAN, numbers: ["02071838750"] }) },
  // Tenant B's admin only changes tenant B's own plan (tenants has no tenant_id column, so the
  // snapshot misses it: tests/tenants/dialling-plan.int.test.ts checks tenant A's row).
  "tenant.updateDiallingPlan": { input: () => UK_PLAN },
  "rating.carriers": { input: () => undefined },
  "rating.saveCarrier": { input: (t) => ({ carrierId: t.carrierId, fields: { name: "Hijacked carrier" } }) },
  "rating.decks": { input: () => ({ kind: null }) },
  "rating.deck": { input: (t) => ({ deckId: t.deckId }) },
  "rating.saveDeck": { input: (t) => ({ deckId: t.deckId, fields: { name: "Hijacked deck", kind: "SELL" } }) },
  "rating.rates": { input: (t) => ({ deckId: t.deckId }) },
  "rating.import": { input: (t) => ({ importId: t.importId }) },
  "rating.importErrors": { input: (t) => ({ importId: t.importId }) },
  "rating.importChanges": { input: (t) => ({ importId: t.importId }) },
  "rating.commitImport": { input: (t) => ({ importId: t.importId }) },
  "rating.discardImport": { input: (t) => ({ importId: t.importId }) },
  "rating.priceCall": { input: (t) => ({ deckId: t.deckId, buyDeckId: t.buyDeckId, number: "16135550100", billsec: 60, at: new Date() }) },
  "rating.assignCustomerDeck": { input: (t) => ({ customerId: t.customer.id, deckId: null }) },
  "rating.trunks": { input: (t) => ({ customerId: t.customer.id }) },
  "wallet.get": { input: (t) => ({ customerId: t.customer.id }) },
  "wallet.ledger": { input: (t) => ({ customerId: t.customer.id }) },
  "wallet.adjust": { input: (t) => ({ customerId: t.customer.id, amount: "100.00", reason: "attack", requestId: "6a1d2c3b-0a1b-4c5d-8e9f-0123456789ab" }) },
  "wallet.updateLimits": { input: (t) => ({ customerId: t.customer.id, creditLimit: "1000000", lockThreshold: "-1000", lowBalanceThreshold: "0" }) },
  "wallet.lock": { input: (t) => ({ customerId: t.customer.id, reason: "attack" }) },
  "wallet.unlock": { input: (t) => ({ customerId: t.customer.id, reason: "attack" }) },
  "wallet.saveRecurringCharge": { input: (t) => ({ charge: { customerId: t.customer.id, description: "attack", amount: "1000", startsOn: new Date() } }) },
  "wallet.setRecurringChargeActive": { input: (t) => ({ chargeId: t.recurringChargeId, active: false }) },
  "wallet.mine": { input: () => undefined },
  "payments.stripeSettings": { input: () => undefined },
  // Tenant B's admin only changes tenant B's own keys.
  "payments.updateStripeSettings": { input: () => ({ secretKey: "sk_test_attacker", webhookSecret: "whsec_attacker" }) },
  "payments.customerPayments": { input: (t) => ({ customerId: t.customer.id }) },
  "payments.refund": { input: (t) => ({ paymentId: t.paymentId, amount: "5.00" }) },
  "payments.settleByHand": { input: (t) => ({ paymentId: t.paymentId, outcome: "paid", paymentIntentId: "pi_attackerMadeThisUp", reason: "attack" }) },
  "payments.topUpOptions": { input: () => undefined },
  "payments.startTopUp": { input: () => ({ amount: "25.00" }) },
  "payments.topUpStatus": { input: (t) => ({ paymentId: t.paymentId }) },
  "payments.myPayments": { input: () => undefined },
  "payments.paymentMethods": { input: () => undefined },
  "payments.setDefaultPaymentMethod": { input: (t) => ({ paymentMethodId: t.paymentMethodId }) },
  "payments.removePaymentMethod": { input: (t) => ({ paymentMethodId: t.paymentMethodId }) },
  "payments.autoRecharge": { input: () => undefined },
  // Enabled without a saved card is refused before anything is written.
  "payments.saveAutoRecharge": { input: () => ({ enabled: true, threshold: "10.00", amount: "25.00", topUpTo: null, maxPerDay: 3 }) },
  "payments.retryAutoRecharge": { input: () => undefined },
  "statements.mine": { input: () => undefined },
  "statements.get": { input: (t) => ({ statementId: t.statementId }) },
  "statements.forCustomer": { input: (t) => ({ customerId: t.customer.id }) },
  "statements.generate": { input: (t) => ({ customerId: t.customer.id, period: "2026-01" }) },
  "wallet.myLedger": { input: () => ({}) },
  "rating.saveTrunk": {
    input: (t) => ({ trunkId: t.trunkId, fields: { customerId: t.customer.id, name: "Hijacked", accountCode: "hijack" } }),
  },
  // Calls: staff see their own tenant only; customer users only their own customer, whatever the filter names.
  "cdrs.search": { input: (t) => ({ filter: { customerId: t.customer.id } }) },
  "cdrs.totals": { input: (t) => ({ filter: { customerId: t.customer.id } }) },
  "cdrs.timeline": { input: (t) => ({ filter: { customerId: t.customer.id } }) },
  "cdrs.filterOptions": { input: () => undefined },
  "cdrs.portalSearch": { input: (t) => ({ filter: { customerId: t.customer.id } }) },
  "cdrs.portalTotals": { input: (t) => ({ filter: { customerId: t.customer.id } }) },
  "cdrs.portalTimeline": { input: (t) => ({ filter: { customerId: t.customer.id } }) },
  "cdrs.portalFilterOptions": { input: () => undefined },
  "cdrs.filterSelection": { input: (t) => ({ customerId: t.customer.id, trunkId: t.trunkId }) },
  "cdrs.portalFilterSelection": { input: (t) => ({ customerId: t.customer.id, trunkId: t.trunkId }) },
  "cdrSources.list": { input: () => ({}) },
  "cdrSources.get": { input: (t) => ({ sourceId: t.cdrSourceId }) },
  // Tenant B cannot name tenant A's cost deck; a customer user cannot create at all.
  "cdrSources.create": { input: (t) => ({ fields: { name: "Hijacked source", format: "asterisk", timeZone: "UTC", costDeckId: t.buyDeckId } }) },
  "cdrSources.update": { input: (t) => ({ sourceId: t.cdrSourceId, fields: { name: "Hijacked source", format: "asterisk", timeZone: "UTC" } }) },
  "cdrSources.setEnabled": { input: (t) => ({ sourceId: t.cdrSourceId, enabled: true }) },
  "cdrSources.testConnection": { input: (t) => ({ sourceId: t.cdrSourceId }) },
  "cdrSources.acceptHostKey": { input: (t) => ({ sourceId: t.cdrSourceId, serverId: t.cdrServerId, fingerprint: `SHA256:${"A".repeat(43)}` }) },
  "cdrSources.pollNow": { input: (t) => ({ sourceId: t.cdrSourceId }) },
  "cdrSources.delete": { input: (t) => ({ sourceId: t.cdrSourceId }) },
  "cdrSources.availability": { input: (t) => ({ sourceId: t.cdrSourceId, from: new Date(Date.now() - 86_400_000), to: new Date() }) },
  // CDR files and the unbillable queue: another tenant's file id is not found; fixes cannot name A's customer or deck.
  "cdrFiles.list": { input: () => PAGE },
  "cdrFiles.needingAttention": { input: () => undefined },
  "cdrFiles.get": { input: (t) => ({ fileId: t.cdrFileId }) },
  "cdrFiles.rejects": { input: (t) => ({ fileId: t.cdrFileId }) },
  "cdrFiles.release": { input: (t) => ({ fileId: t.cdrFileId }) },
  "cdrFiles.dismiss": { input: (t) => ({ fileId: t.cdrFileId, reason: "attack" }) },
  "cdrFiles.retry": { input: (t) => ({ fileId: t.cdrFileId }) },
  "cdrFiles.unbillableSummary": { input: () => undefined },
  "cdrFiles.unbillableDetail": { input: () => ({ reason: "unknown account" }) },
  "cdrFiles.mappableCustomers": { input: () => ({ search: "" }) },
  "cdrFiles.mapAccountCode": { input: (t) => ({ accountCode: "hijack-code", customerId: t.customer.id }) },
  "cdrFiles.addRate": {
    input: (t) => ({ deckId: t.deckId, prefix: "999", description: "Hijack", category: "OTHER", ratePerMinute: "0", effectiveFrom: new Date("2026-01-01T00:00:00Z") }),
  },
  "cdrFiles.rerateImpact": { input: () => ({}) },
  "cdrFiles.rerate": { input: () => ({}) },
  "cdrFiles.rerateStatus": { input: () => ({ requestId: "6a1d2c3b-0a1b-4c5d-8e9f-0123456789ab" }) },
};

const procedurePaths = Object.keys(appRouter._def.procedures).sort();

/** A digest of everything tenant A owns; the attackers' own user rows may change (me.*). */
async function snapshotTenant(tenantId: string, exceptUserIds: string[]): Promise<string> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
    );
    const parts: string[] = [];
    for (const { table_name } of tables.rows) {
      const { rows } = await client.query<{ digest: string | null }>(
        `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM "${table_name}" t WHERE tenant_id = $1`,
        [tenantId],
      );
      parts.push(`${table_name}:${rows[0]?.digest ?? "empty"}`);
    }
    const users = await client.query<{ digest: string | null }>(
      `SELECT md5(string_agg(u::text, '|' ORDER BY u::text)) AS digest FROM users u WHERE id IN (SELECT user_id FROM memberships WHERE tenant_id = $1) AND NOT (id = ANY($2::uuid[]))`,
      [tenantId, exceptUserIds],
    );
    parts.push(`users:${users.rows[0]?.digest ?? "empty"}`);
    // Tables owned through a parent rather than a tenant_id column.
    const rates = await client.query<{ digest: string | null }>(
      `SELECT md5(string_agg(r::text, '|' ORDER BY r::text)) AS digest FROM rates r JOIN rate_decks d ON d.id = r.deck_id WHERE d.tenant_id = $1`,
      [tenantId],
    );
    parts.push(`rates:${rates.rows[0]?.digest ?? "empty"}`);
    return parts.join("\n");
  } finally {
    await client.end();
  }
}

function callByPath(caller: unknown, path: string, input: unknown): Promise<unknown> {
  const procedure = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
  return (procedure as (input: unknown) => Promise<unknown>)(input);
}

let target: TTarget;
let attackerTenant: TWorld;

beforeAll(async () => {
  const world = await createWorld("Tenant A");
  attackerTenant = await createWorld("Tenant B");
  const invitation = await db().invitation.create({
    data: { tenantId: world.tenant.id, customerId: world.customer.id, email: "pending@a.test", role: "CUSTOMER_USER", tokenHash: "a".repeat(64), expiresAt: new Date(Date.now() + 86_400_000) },
  });
  const email = await db().outboundEmail.create({ data: { tenantId: world.tenant.id, to: "someone@a.test", subject: "A's secret", text: "secret link", status: "STORED" } });
  const run = await db().jobRun.create({ data: { tenantId: world.tenant.id, functionId: "send-invitation-email", eventName: "auth/invitation.created", status: "COMPLETED", maxAttempts: 5 } });
  const audit = await db().auditEvent.create({ data: { tenantId: world.tenant.id, action: "customer.created", targetType: "customer", targetId: world.customer.id, actorEmail: world.admin.user.email } });
  const carrier = await db().carrier.create({ data: { tenantId: world.tenant.id, name: "A's carrier" } });
  const deck = await db().rateDeck.create({ data: { tenantId: world.tenant.id, name: "A's retail deck", kind: "SELL", currency: "USD" } });
  const buyDeck = await db().rateDeck.create({ data: { tenantId: world.tenant.id, name: "A's cost deck", kind: "BUY", currency: "USD", carrierId: carrier.id } });
  await db().rate.create({
    data: { deckId: deck.id, prefix: "1613", description: "A's secret Ottawa", category: "LOCAL", ratePerMinute: 5000n, connectFee: 0n, initialIncrement: 60, increment: 60, graceSeconds: 0, effectiveFrom: new Date("2026-01-01T00:00:00Z") },
  });
  const deckImport = await db().deckImport.create({
    data: { tenantId: world.tenant.id, deckId: deck.id, format: "native", fileName: "a-deck.csv", effectiveFrom: new Date(), status: "PREVIEWED" },
  });
  await db().customer.update({ where: { id: world.customer.id }, data: { rateDeckId: deck.id } });
  const recurring = await db().recurringCharge.create({
    data: { tenantId: world.tenant.id, customerId: world.customer.id, description: "A's secret DID fee", amount: 2_000_000n, startsOn: new Date("2026-01-01") },
  });
  await db().ledgerEntry.create({
    data: { tenantId: world.tenant.id, customerId: world.customer.id, amount: 0n, kind: "ADJUSTMENT", idempotencyKey: "seed", balanceAfter: 0n, memo: "A's secret memo" },
  });
  const statement = await db().statement.create({
    data: { tenantId: world.tenant.id, customerId: world.customer.id, period: "2026-01", periodStart: new Date("2026-01-01T05:00:00Z"), periodEnd: new Date("2026-02-01T05:00:00Z"), openingBalance: 0n, closingBalance: 0n, totals: {} },
  });
  const payment = await db().payment.create({
    data: { tenantId: world.tenant.id, customerId: world.customer.id, kind: "TOPUP", amount: 25_000_000n, currency: "USD", status: "SUCCEEDED", paymentIntentId: "pi_target_a" },
  });
  const paymentMethod = await db().paymentMethod.create({
    data: { tenantId: world.tenant.id, customerId: world.customer.id, stripePaymentMethodId: "pm_target_a", brand: "visa", last4: "4242", expMonth: 12, expYear: 2030 },
  });
  const trunk = await db().sipTrunk.create({ data: { tenantId: world.tenant.id, customerId: world.customer.id, name: "A's trunk", accountCode: "a-trunk-1" } });
  // A rated call of the target customer in the default search range (the last 7 days), in a
  // month whose partition may not exist yet (the migrations prepare months up to 2027).
  await db().$executeRaw`SELECT ensure_cdr_partitions((now() - interval '1 hour')::date, (now() - interval '1 hour')::date)`;
  await db().$executeRaw`INSERT INTO cdrs (tenant_id, source_id, file_id, line, record_key, start_at, billsec, caller, callee, customer_id, trunk_id, status, category, billed_seconds, price, cost)
    VALUES (${world.tenant.id}::uuid, gen_random_uuid(), gen_random_uuid(), 1, 'A-secret-call', now() - interval '1 hour', 60, 'A''s secret caller', '16135550100',
            ${world.customer.id}::uuid, ${trunk.id}::uuid, 'RATED', 'LOCAL', 60, 5000, 3000)`;
  const cdrSource = await db().cdrSource.create({
    data: {
      tenantId: world.tenant.id,
      name: "A's secret CDR source",
      format: "asterisk",
      timeZone: "UTC",
      servers: {
        create: { tenantId: world.tenant.id, position: 0, host: "sftp.a.test", username: "a", passwordEnc: "sealed", presentedHostKey: `SHA256:${"A".repeat(43)}` },
      },
    },
  });
  const cdrFile = await db().cdrFile.create({
    data: { tenantId: world.tenant.id, sourceId: cdrSource.id, fileName: "A's secret CDR file.csv", remotePath: "/cdr/a.csv", size: 10n, sha256: "a".repeat(64), status: "HELD", note: "A's secret note" },
  });
  await db().cdrReject.create({ data: { tenantId: world.tenant.id, fileId: cdrFile.id, line: 1, raw: "A's secret raw line", reason: "not a CDR" } });
  target = {
    ...world,
    invitationId: invitation.id,
    emailId: email.id,
    runId: run.id,
    auditId: audit.id,
    deckId: deck.id,
    buyDeckId: buyDeck.id,
    carrierId: carrier.id,
    importId: deckImport.id,
    trunkId: trunk.id,
    recurringChargeId: recurring.id,
    statementId: statement.id,
    paymentId: payment.id,
    paymentMethodId: paymentMethod.id,
    cdrSourceId: cdrSource.id,
    cdrServerId: (await db().cdrSourceServer.findFirstOrThrow({ where: { sourceId: cdrSource.id } })).id,
    cdrFileId: cdrFile.id,
  };
});

describe("cross-tenant isolation", () => {
  it("has a case for every procedure, and no case for a procedure that does not exist", () => {
    expect(procedurePaths.filter((path) => !(path in cases))).toEqual([]);
    expect(Object.keys(cases).filter((path) => !procedurePaths.includes(path))).toEqual([]);
  });

  it("refuses or returns nothing of tenant A to tenant B's admin and to another customer's user", async () => {
    const attackerIds = [attackerTenant.admin.user.id, target.otherCustomerAdmin.user.id];
    const before = await snapshotTenant(target.tenant.id, attackerIds);
    const attackers = [
      {
        name: "tenant B admin",
        userId: attackerTenant.admin.user.id,
        secrets: [target.tenant.id, target.tenant.name, target.customer.id, target.customer.name, target.admin.user.email, target.customerAdmin.user.email, target.invitationId, target.emailId, target.runId, target.auditId, target.deckId, target.carrierId, target.importId, target.trunkId, target.statementId, target.paymentId, target.paymentMethodId, "pi_target_a", "pm_target_a", "A's secret", "A's retail deck", "A's carrier"],
      },
      {
        name: "customer user of another customer in tenant A",
        userId: target.otherCustomerAdmin.user.id,
        secrets: [target.customer.id, target.customer.name, target.customerAdmin.user.email, target.admin.user.email, target.invitationId, target.emailId, target.runId, target.deckId, target.trunkId, target.statementId, target.paymentId, target.paymentMethodId, "pi_target_a", "pm_target_a", "A's secret", "A's retail deck"],
      },
    ];
    const leaks: string[] = [];
    for (const attacker of attackers) {
      const caller = await callerAs(attacker.userId);
      for (const path of procedurePaths) {
        const testCase = cases[path];
        if (!testCase) continue;
        const input = "input" in testCase ? testCase.input(target) : testCase.publicToken(target);
        try {
          const result = await callByPath(caller, path, input);
          const serialized = JSON.stringify(superjson.serialize(result));
          for (const secret of attacker.secrets) {
            if (serialized.includes(secret)) leaks.push(`${attacker.name}: ${path} returned ${secret}`);
          }
        } catch (error) {
          if (!(error instanceof TRPCError)) throw error;
          if (!["NOT_FOUND", "FORBIDDEN", "UNAUTHORIZED", "BAD_REQUEST", "CONFLICT", "PRECONDITION_FAILED"].includes(error.code)) {
            leaks.push(`${attacker.name}: ${path} failed unexpectedly with ${error.code}: ${error.message}`);
          }
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(await snapshotTenant(target.tenant.id, attackerIds)).toBe(before);
  });

  it("still works for tenant A's own admin (the suite is not passing because everything fails)", async () => {
    const admin = await callerAs(target.admin.user.id);
    const owner = await callerAs(target.customerAdmin.user.id);
    await expect(admin.customers.get({ customerId: target.customer.id })).resolves.toMatchObject({ id: target.customer.id });
    await expect(admin.outbox.get({ emailId: target.emailId })).resolves.toMatchObject({ subject: "A's secret" });
    await expect(admin.jobs.get({ runId: target.runId })).resolves.toMatchObject({ id: target.runId });
    await expect(admin.rating.rates({ deckId: target.deckId })).resolves.toMatchObject({ total: 1 });
    await expect(admin.rating.trunks({ customerId: target.customer.id })).resolves.toHaveLength(1);
    await expect(admin.wallet.ledger({ customerId: target.customer.id })).resolves.toMatchObject({ total: 1 });
    await expect(owner.wallet.myLedger({})).resolves.toMatchObject({ total: 1 });
    await expect(owner.portal.overview()).resolves.toMatchObject({ id: target.customer.id });
    expect((await owner.portal.users.list()).rows.map((row) => row.email)).toEqual(expect.arrayContaining([target.customerAdmin.user.email, "pending@a.test"]));
    await expect(admin.cdrSources.get({ sourceId: target.cdrSourceId })).resolves.toMatchObject({ name: "A's secret CDR source" });
    await expect(admin.cdrFiles.rejects({ fileId: target.cdrFileId })).resolves.toMatchObject({ total: 1 });
    expect((await admin.cdrs.search({ filter: { customerId: target.customer.id } })).rows.map((row) => row.recordKey)).toEqual(["A-secret-call"]);
    expect((await owner.cdrs.portalSearch({ filter: {} })).rows.map((row) => row.recordKey)).toEqual(["A-secret-call"]);
  });
});
