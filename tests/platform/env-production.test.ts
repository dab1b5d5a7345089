import { describe, expect, it } from "vitest";
import { parseEnv } from "@/server/env";

const valid = {
  AUTH_SECRET: "x".repeat(40),
  ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
};

describe("configuration in production", () => {
  it("refuses INNGEST_DEV when NODE_ENV=production, saying why", () => {
    expect(() => parseEnv({ ...valid, NODE_ENV: "production", INNGEST_DEV: "1" })).toThrowError(
      /INNGEST_DEV must not be set when NODE_ENV=production \(it turns off signature checks on \/api\/inngest\)/,
    );
  });

  it("still accepts INNGEST_DEV in development, and production without it", () => {
    expect(parseEnv({ ...valid, NODE_ENV: "development", INNGEST_DEV: "1" }).INNGEST_DEV).toBe("1");
    expect(parseEnv({ ...valid, NODE_ENV: "production", INNGEST_DEV: "" }).NODE_ENV).toBe("production");
    expect(parseEnv({ ...valid, NODE_ENV: "production", INNGEST_BASE_URL: "http://inngest:8288" }).INNGEST_BASE_URL).toBe("http://inngest:8288");
  });

  it("reads TRUSTED_PROXY_COUNT, defaulting to no proxy", () => {
    expect(parseEnv(valid).TRUSTED_PROXY_COUNT).toBe(0);
    expect(parseEnv({ ...valid, TRUSTED_PROXY_COUNT: "2" }).TRUSTED_PROXY_COUNT).toBe(2);
    expect(() => parseEnv({ ...valid, TRUSTED_PROXY_COUNT: "-1" })).toThrowError(/TRUSTED_PROXY_COUNT is malformed/);
  });
});
