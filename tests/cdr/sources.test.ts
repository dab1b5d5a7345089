import { describe, expect, it } from "vitest";
import { ZCdrSourceFields, globToRegExp } from "@/server/cdr/sources";
import { classifyConnectError, serverLabel } from "@/server/cdr/sftp";
import { formatDuration } from "@/server/cdr/alerts";
import { percentUp } from "@/server/cdr/availability";

describe("CDR source helpers", () => {
  it("matches file names with * and ? only, everything else literal", () => {
    const glob = globToRegExp("Master-????.csv");
    expect(glob.test("Master-2026.csv")).toBe(true);
    expect(glob.test("Master-2026xcsv")).toBe(false);
    expect(globToRegExp("*.csv").test("a.b.csv")).toBe(true);
    expect(globToRegExp("cdr(1)+[x].csv").test("cdr(1)+[x].csv")).toBe(true);
  });

  it("classifies connection failures in words", () => {
    expect(classifyConnectError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "h:22").kind).toBe("REFUSED");
    expect(classifyConnectError(new Error("getConnection: All configured authentication methods failed"), "h:22").kind).toBe("AUTH");
    expect(classifyConnectError(new Error("Timed out while waiting for handshake"), "h:22").kind).toBe("TIMEOUT");
    expect(classifyConnectError(Object.assign(new Error("getaddrinfo ENOTFOUND x"), { code: "ENOTFOUND" }), "x:22").kind).toBe("HOST_NOT_FOUND");
    expect(serverLabel({ host: "::1", port: 2222 })).toBe("[::1]:2222");
  });

  it("validates the fields and names the field at fault", () => {
    const result = ZCdrSourceFields.safeParse({ name: "X", format: "cisco", timeZone: "Nowhere/City", filePattern: "in/*.csv", pollIntervalMinutes: 2000 });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join(".")).sort();
    expect(paths).toEqual(expect.arrayContaining(["filePattern", "format", "pollIntervalMinutes", "timeZone"]));
    const ok = ZCdrSourceFields.parse({ name: "X", format: "csv", timeZone: "utc", filePattern: "*", alertEmails: ["NOC@Example.com"] });
    expect(ok.alertEmails).toEqual(["noc@example.com"]);
  });

  it("formats durations to the second and availability to 3 decimals", () => {
    expect(formatDuration(45)).toBe("45 s");
    expect(formatDuration(3 * 3600 + 5 * 60 + 9)).toBe("3 h 05 min 09 s");
    expect(percentUp(86_400_000, 86_400)).toBe(99.9);
    expect(percentUp(0, 0)).toBeNull();
  });
});
