import { randomBytes } from "node:crypto";
import type { Role } from "@/server/db/generated/enums";
import { db } from "@/server/db/client";
import { hashPassword } from "@/server/auth/password";
import { loadAuthContext } from "@/server/auth/context";
import { createCaller } from "@/server/trpc/root";

export const TEST_PASSWORD = "correct-horse-battery";

/** The admin a service call is made for in tests that do not go through a session. */
export const TEST_ACTOR = { userId: null, email: "admin@example.test", ip: "127.0.0.1" };
let passwordHash: Promise<string> | undefined;

function suffix(): string {
  return randomBytes(4).toString("hex");
}

export async function createTenant(name = `Tenant ${suffix()}`) {
  return db().tenant.create({
    data: { name, slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${suffix()}`, currency: "USD", timeZone: "America/Toronto" },
  });
}

export async function createCustomer(tenantId: string, overrides: Partial<{ accountNumber: string; name: string; billingType: "PREPAID" | "POSTPAID" }> = {}) {
  return db().customer.create({
    data: {
      tenantId,
      accountNumber: overrides.accountNumber ?? `acct-${suffix()}`,
      name: overrides.name ?? `Customer ${suffix()}`,
      billingType: overrides.billingType ?? "PREPAID",
      contactEmail: `billing-${suffix()}@example.test`,
    },
  });
}

export async function createUser(options: { tenantId: string; role: Role; customerId?: string | null; email?: string }) {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  const user = await db().user.create({
    data: {
      email: options.email ?? `user-${suffix()}@example.test`,
      name: `User ${suffix()}`,
      passwordHash: await passwordHash,
      emailVerifiedAt: new Date(),
    },
  });
  const membership = await db().membership.create({
    data: { userId: user.id, tenantId: options.tenantId, role: options.role, customerId: options.customerId ?? null },
  });
  return { user, membership };
}

/** A tRPC caller acting as this user, with the context the server would build. */
export async function callerAs(userId: string | null, ip = "127.0.0.1") {
  const auth = userId ? await loadAuthContext(userId) : null;
  return createCaller({ auth, ip });
}

/** A tenant with an admin, a support user and two customers, each with a customer admin. */
export async function createWorld(name?: string) {
  const tenant = await createTenant(name);
  const admin = await createUser({ tenantId: tenant.id, role: "TENANT_ADMIN" });
  const support = await createUser({ tenantId: tenant.id, role: "TENANT_SUPPORT" });
  const customer = await createCustomer(tenant.id);
  const otherCustomer = await createCustomer(tenant.id);
  const customerAdmin = await createUser({ tenantId: tenant.id, role: "CUSTOMER_ADMIN", customerId: customer.id });
  const otherCustomerAdmin = await createUser({ tenantId: tenant.id, role: "CUSTOMER_ADMIN", customerId: otherCustomer.id });
  return { tenant, admin, support, customer, otherCustomer, customerAdmin, otherCustomerAdmin };
}

/** A tenant with two customers and no users: for services called directly. */
export async function createTenantWithTwoCustomers() {
  const tenant = await createTenant();
  const alice = await createCustomer(tenant.id, { name: "Alice Co" });
  const bob = await createCustomer(tenant.id, { name: "Bob Co" });
  return { tenantId: tenant.id, alice, bob };
}
