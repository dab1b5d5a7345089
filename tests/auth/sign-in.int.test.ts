import { describe, expect, it } from "vitest";
import { authenticate, INVALID_CREDENTIALS, MAX_FAILURES_PER_ACCOUNT } from "@/server/auth/sign-in";
import { db } from "@/server/db/client";
import { createTenant, createUser, TEST_PASSWORD } from "../support/factories";

describe("sign-in", () => {
  it("accepts the right password, case-insensitively on the email, and stores argon2id hashes", async () => {
    const tenant = await createTenant();
    const { user } = await createUser({ tenantId: tenant.id, role: "TENANT_ADMIN" });
    const result = await authenticate({ email: user.email.toUpperCase(), password: TEST_PASSWORD, ip: "10.0.0.1" });
    expect(result.id).toBe(user.id);
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("gives the same answer for an unknown email and a wrong password", async () => {
    const tenant = await createTenant();
    const { user } = await createUser({ tenantId: tenant.id, role: "TENANT_ADMIN" });
    await expect(authenticate({ email: "nobody@example.test", password: "whatever-123", ip: "10.0.0.2" })).rejects.toThrow(INVALID_CREDENTIALS);
    await expect(authenticate({ email: user.email, password: "wrong-password", ip: "10.0.0.2" })).rejects.toThrow(INVALID_CREDENTIALS);
  });

  it("refuses a disabled account with the generic message", async () => {
    const tenant = await createTenant();
    const { user } = await createUser({ tenantId: tenant.id, role: "TENANT_ADMIN" });
    await db().user.update({ where: { id: user.id }, data: { status: "DISABLED" } });
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "10.0.0.3" })).rejects.toThrow(INVALID_CREDENTIALS);
  });

  it("throttles an account after repeated failures and says when to try again", async () => {
    const tenant = await createTenant();
    const { user } = await createUser({ tenantId: tenant.id, role: "TENANT_ADMIN" });
    const now = new Date("2026-11-01T12:00:00Z");
    for (let attempt = 0; attempt < MAX_FAILURES_PER_ACCOUNT; attempt++) {
      await expect(authenticate({ email: user.email, password: "nope-nope-nope", ip: `10.1.0.${attempt}`, now })).rejects.toThrow(INVALID_CREDENTIALS);
    }
    // Even the right password is refused while throttled, from any address.
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "10.9.9.9", now })).rejects.toThrow(
      "Too many sign-in attempts. Try again in 15 minutes.",
    );
    const later = new Date(now.getTime() + 11 * 60 * 1000);
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "10.9.9.9", now: later })).rejects.toThrow(
      "Try again in 4 minutes.",
    );
    const afterWindow = new Date(now.getTime() + 16 * 60 * 1000);
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "10.9.9.9", now: afterWindow })).resolves.toMatchObject({ id: user.id });
  });

  it("throttles an address that tries many accounts", async () => {
    const now = new Date("2026-11-02T12:00:00Z");
    for (let attempt = 0; attempt < 20; attempt++) {
      await expect(authenticate({ email: `guess-${attempt}@example.test`, password: "x-password", ip: "192.0.2.50", now })).rejects.toThrow(INVALID_CREDENTIALS);
    }
    await expect(authenticate({ email: "another@example.test", password: "x-password", ip: "192.0.2.50", now })).rejects.toThrow(/Too many sign-in attempts/);
  });
});
