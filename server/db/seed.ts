import type { PrismaClient } from "./generated/client";
import { hashPassword } from "@/server/auth/password";

export const DEMO_PASSWORD = "trunkline-demo";

export const DEMO_SIGN_INS = [
  { email: "admin@demo-telecom.test", role: "TENANT_ADMIN", label: "Tenant admin" },
  { email: "support@demo-telecom.test", role: "TENANT_SUPPORT", label: "Support (reads everything, changes nothing)" },
  { email: "alice@alice-co.test", role: "CUSTOMER_ADMIN", label: "Alice's company (acct-1001, prepaid)" },
  { email: "bob@bob-co.test", role: "CUSTOMER_ADMIN", label: "Bob's company (acct-1002, postpaid)" },
] as const;

/**
 * The demo tenant. Idempotent: running it again changes nothing that exists.
 * Demo passwords exist for the embedded quick start only; `npm start` prints them there.
 */
export async function seedDemo(prisma: PrismaClient): Promise<{ created: boolean }> {
  const existing = await prisma.tenant.findUnique({ where: { slug: "demo-telecom" } });
  if (existing) return { created: false };
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await prisma.$transaction(async (tx) => {
    const tenant = await tx.tenant.create({
      data: { name: "Demo Telecom", slug: "demo-telecom", currency: "USD", timeZone: "America/Toronto" },
    });
    const alice = await tx.customer.create({
      data: {
        tenantId: tenant.id,
        accountNumber: "acct-1001",
        name: "Alice's company",
        billingType: "PREPAID",
        contactEmail: "billing@alice-co.test",
      },
    });
    const bob = await tx.customer.create({
      data: {
        tenantId: tenant.id,
        accountNumber: "acct-1002",
        name: "Bob's company",
        billingType: "POSTPAID",
        contactEmail: "billing@bob-co.test",
        // A postpaid account needs a credit limit (createCustomer refuses one without): with
        // none, Bob's first call would put him past it and lock him. $500.
        creditLimit: 500_000_000n,
      },
    });
    const people = [
      { email: "admin@demo-telecom.test", name: "Dana Admin", role: "TENANT_ADMIN" as const, customerId: null },
      { email: "support@demo-telecom.test", name: "Sam Support", role: "TENANT_SUPPORT" as const, customerId: null },
      { email: "alice@alice-co.test", name: "Alice Martin", role: "CUSTOMER_ADMIN" as const, customerId: alice.id },
      { email: "bob@bob-co.test", name: "Bob Chen", role: "CUSTOMER_ADMIN" as const, customerId: bob.id },
    ];
    for (const person of people) {
      const user = await tx.user.create({
        data: { email: person.email, name: person.name, passwordHash, emailVerifiedAt: new Date() },
      });
      await tx.membership.create({
        data: { userId: user.id, tenantId: tenant.id, role: person.role, customerId: person.customerId },
      });
    }
  });
  return { created: true };
}
