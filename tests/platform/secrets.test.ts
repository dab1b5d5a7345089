import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, hashToken, newToken } from "@/server/security/secrets";

describe("secrets at rest", () => {
  it("round-trips and never stores the plaintext", () => {
    const sealed = encryptSecret("sk_live_very_secret");
    expect(sealed).not.toContain("sk_live");
    expect(sealed.startsWith("v1:")).toBe(true);
    expect(decryptSecret(sealed)).toBe("sk_live_very_secret");
  });

  it("uses a fresh IV each time", () => {
    expect(encryptSecret("same")).not.toBe(encryptSecret("same"));
  });

  it("rejects a tampered ciphertext", () => {
    const sealed = encryptSecret("secret");
    const parts = sealed.split(":");
    const body = Buffer.from(parts[3] ?? "", "base64url");
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = body.toString("base64url");
    expect(() => decryptSecret(parts.join(":"))).toThrow();
  });

  it("stores only a hash of emailed tokens", () => {
    const { token, tokenHash } = newToken();
    expect(token.length).toBeGreaterThanOrEqual(40);
    expect(hashToken(token)).toBe(tokenHash);
    expect(tokenHash).not.toContain(token);
  });
});
