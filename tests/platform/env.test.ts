import { describe, expect, it } from "vitest";
import { ConfigurationError, parseEnv } from "@/server/env";

const valid = {
  AUTH_SECRET: "x".repeat(40),
  ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
};

describe("configuration", () => {
  it("accepts a minimal valid environment and fills defaults", () => {
    const config = parseEnv(valid);
    expect(config.APP_URL).toBe("http://localhost:3000");
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.PORT).toBe(3000);
  });

  it("names a missing variable", () => {
    expect(() => parseEnv({ ENCRYPTION_KEY: valid.ENCRYPTION_KEY })).toThrowError(/AUTH_SECRET is required/);
  });

  it("names a malformed variable and says what is wrong", () => {
    try {
      parseEnv({ ...valid, ENCRYPTION_KEY: "short", DATABASE_URL: "not a url" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const message = (error as Error).message;
      expect(message).toMatch(/ENCRYPTION_KEY is malformed: must be 32 bytes, base64-encoded/);
      expect(message).toMatch(/DATABASE_URL is malformed/);
    }
  });

  it("treats an empty optional URL as unset", () => {
    expect(parseEnv({ ...valid, SMTP_URL: "" }).SMTP_URL).toBeUndefined();
  });
});
