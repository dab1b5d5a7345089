import { describe, expect, it } from "vitest";
import { clientIp } from "@/server/auth/client-ip";
import {
  authenticate,
  FREE_FAILURES_PER_ACCOUNT,
  INVALID_CREDENTIALS,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT,
} from "@/server/auth/sign-in";
import { db } from "@/server/db/client";
import { createTenant, createUser, TEST_PASSWORD } from "../support/factories";

const WRONG = "nope-nope-nope";

function forwardedFor(value: string) {
  return (name: string) => (name === "x-forwarded-for" ? value : null);
}

async function adminUser() {
  const tenant = await createTenant();
  return (await createUser({ tenantId: tenant.id, role: "TENANT_ADMIN" })).user;
}

describe("sign-in", () => {
  it("accepts the right password, case-insensitively on the email, and stores argon2id hashes", async () => {
    const user = await adminUser();
    const result = await authenticate({ email: user.email.toUpperCase(), password: TEST_PASSWORD, ip: "10.0.0.1" });
    expect(result.id).toBe(user.id);
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("gives the same answer for an unknown email and a wrong password", async () => {
    const user = await adminUser();
    await expect(authenticate({ email: "nobody@example.test", password: "whatever-123", ip: "10.0.0.2" })).rejects.toThrow(INVALID_CREDENTIALS);
    await expect(authenticate({ email: user.email, password: "wrong-password", ip: "10.0.0.2" })).rejects.toThrow(INVALID_CREDENTIALS);
  });

  it("refuses a disabled account with the generic message", async () => {
    const user = await adminUser();
    await db().user.update({ where: { id: user.id }, data: { status: "DISABLED" } });
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "10.0.0.3" })).rejects.toThrow(INVALID_CREDENTIALS);
  });

  it("stops one address guessing one account, and says when it may try again", async () => {
    const user = await adminUser();
    const now = new Date("2026-11-01T12:00:00Z");
    for (let attempt = 0; attempt < MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT; attempt++) {
      await expect(authenticate({ email: user.email, password: WRONG, ip: "10.1.0.1", now })).rejects.toThrow(INVALID_CREDENTIALS);
    }
    // Refused before the password is looked at: even the right one.
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "10.1.0.1", now })).rejects.toThrow(
      "Too many sign-in attempts. Try again in 15 minutes.",
    );
    const later = new Date(now.getTime() + 11 * 60 * 1000);
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "10.1.0.1", now: later })).rejects.toThrow("Try again in 4 minutes.");
    const afterWindow = new Date(now.getTime() + 16 * 60 * 1000);
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "10.1.0.1", now: afterWindow })).resolves.toMatchObject({ id: user.id });
  });

  it("does not let a locked-out attacker's address keep the real user out from another address", async () => {
    const user = await adminUser();
    const now = new Date("2026-11-03T12:00:00Z");
    for (let attempt = 0; attempt < MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT + 3; attempt++) {
      await authenticate({ email: user.email, password: WRONG, ip: "203.0.113.66", now }).catch(() => {});
    }
    await expect(authenticate({ email: user.email, password: WRONG, ip: "203.0.113.66", now })).rejects.toThrow(/Too many sign-in attempts/);
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "198.51.100.10", now })).resolves.toMatchObject({ id: user.id });
  });

  it("backs off an account guessed from many addresses, but still lets the real user in from a clean address", async () => {
    const user = await adminUser();
    const now = new Date("2026-11-04T12:00:00Z");
    for (let attempt = 0; attempt < FREE_FAILURES_PER_ACCOUNT; attempt++) {
      await expect(authenticate({ email: user.email, password: WRONG, ip: `10.4.0.${attempt}`, now })).rejects.toThrow(INVALID_CREDENTIALS);
    }
    // An address that has failed waits for the account's backoff, which doubles per failure.
    await expect(authenticate({ email: user.email, password: WRONG, ip: "10.4.0.1", now })).rejects.toThrow("Try again in 1 second.");
    const second = new Date(now.getTime() + 1000);
    await expect(authenticate({ email: user.email, password: WRONG, ip: "10.4.0.1", now: second })).rejects.toThrow(INVALID_CREDENTIALS);
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "10.4.0.2", now: second })).rejects.toThrow("Try again in 2 seconds.");
    // An address with no failure on this account gets its password checked: right is in…
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "192.0.2.200", now: second })).resolves.toMatchObject({ id: user.id });
    // …wrong counts, and that address now waits like the others.
    await expect(authenticate({ email: user.email, password: WRONG, ip: "192.0.2.201", now: second })).rejects.toThrow(INVALID_CREDENTIALS);
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "192.0.2.201", now: second })).rejects.toThrow("Try again in 4 seconds.");
    const fourLater = new Date(second.getTime() + 4000);
    await expect(authenticate({ email: user.email, password: TEST_PASSWORD, ip: "192.0.2.201", now: fourLater })).resolves.toMatchObject({ id: user.id });
  });

  it("throttles an address that tries many accounts", async () => {
    const now = new Date("2026-11-02T12:00:00Z");
    for (let attempt = 0; attempt < MAX_FAILURES_PER_ADDRESS; attempt++) {
      await expect(authenticate({ email: `guess-${attempt}@example.test`, password: "x-password", ip: "192.0.2.50", now })).rejects.toThrow(INVALID_CREDENTIALS);
    }
    await expect(authenticate({ email: "another@example.test", password: "x-password", ip: "192.0.2.50", now })).rejects.toThrow(/Too many sign-in attempts/);
  });

  it("counts parallel attempts: no more than the limit are checked", async () => {
    const user = await adminUser();
    const now = new Date("2026-11-05T12:00:00Z");
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => authenticate({ email: user.email, password: WRONG, ip: "10.5.0.1", now })),
    );
    const reasons = results.map((result) => (result.status === "rejected" ? String((result.reason as Error).message) : "accepted"));
    expect(reasons.filter((reason) => reason === INVALID_CREDENTIALS)).toHaveLength(MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT);
    expect(reasons.filter((reason) => /Too many sign-in attempts/.test(reason))).toHaveLength(20 - MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT);
    expect(await db().signInAttempt.count({ where: { email: user.email } })).toBe(MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT);
  });

  it("counts parallel attempts from many addresses against the account's backoff", async () => {
    const user = await adminUser();
    const now = new Date("2026-11-06T12:00:00Z");
    // Unknown addresses (no trusted proxy) never count as clean: the account's limit is all there is.
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => authenticate({ email: user.email, password: WRONG, ip: null, now })));
    const checked = results.filter((result) => result.status === "rejected" && (result.reason as Error).message === INVALID_CREDENTIALS);
    expect(checked).toHaveLength(FREE_FAILURES_PER_ACCOUNT);
  });
});

describe("client address", () => {
  it("ignores X-Forwarded-For without a trusted proxy, so a spoofed one buys no fresh limit", async () => {
    expect(clientIp(forwardedFor("10.66.0.1"), 0)).toBeNull();
    expect(clientIp(forwardedFor("10.66.0.1, 10.66.0.2"), 0)).toBeNull();

    const user = await adminUser();
    const now = new Date("2026-11-07T12:00:00Z");
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < FREE_FAILURES_PER_ACCOUNT + 5; attempt++) {
      const ip = clientIp(forwardedFor(`10.66.${attempt}.1`), 0);
      outcomes.push(await authenticate({ email: user.email, password: WRONG, ip, now }).then(() => "accepted", (error: Error) => error.message));
    }
    expect(outcomes.filter((outcome) => outcome === INVALID_CREDENTIALS)).toHaveLength(FREE_FAILURES_PER_ACCOUNT);
  });

  it("takes the address our proxy appended, whatever the client put before it", async () => {
    expect(clientIp(forwardedFor("1.2.3.4, 198.51.100.7"), 1)).toBe("198.51.100.7");
    expect(clientIp(forwardedFor("1.2.3.4, 198.51.100.7, 10.0.0.2"), 2)).toBe("198.51.100.7");
    // Fewer entries than proxies: the request bypassed one of them.
    expect(clientIp(forwardedFor("198.51.100.7"), 2)).toBeNull();
    expect(clientIp(() => null, 1)).toBeNull();

    const now = new Date("2026-11-08T12:00:00Z");
    const outcomes: string[] = [];
    for (let attempt = 0; attempt <= MAX_FAILURES_PER_ADDRESS; attempt++) {
      const ip = clientIp(forwardedFor(`10.77.${attempt}.1, 198.51.100.77`), 1);
      outcomes.push(
        await authenticate({ email: `spoof-${attempt}@example.test`, password: "x-password", ip, now }).then(() => "accepted", (error: Error) => error.message),
      );
    }
    expect(outcomes.at(-1)).toMatch(/Too many sign-in attempts/);
  });
});
