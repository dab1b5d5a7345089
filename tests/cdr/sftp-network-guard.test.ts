import { describe, expect, it } from "vitest";
import { parseEnv } from "@/server/env";
import { AddressPolicy, isGlobalAddress, parseNetworkList, resolvePermittedAddress, type TLookupAll } from "@/server/lib/network-policy";
import { SftpConnectError, SftpSession } from "@/server/cdr/sftp";

/**
 * Which addresses the platform connects to on a tenant's behalf: global unicast only, unless
 * the operator allowed a network (CDR_SFTP_ALLOWED_NETWORKS). The connection itself is in
 * sftp-network-guard.int.test.ts.
 */

const defaultPolicy = new AddressPolicy();

/** A resolver that answers fixed addresses and counts its calls. */
function fakeLookup(...answers: string[][]): TLookupAll & { calls: number } {
  const lookup = async () => {
    const answer = answers[Math.min(lookup.calls, answers.length - 1)] ?? [];
    lookup.calls++;
    return answer.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  lookup.calls = 0;
  return lookup;
}

describe("address classification (default: no network allowed)", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.0.0.5", "RFC 1918"],
    ["172.16.0.1", "RFC 1918"],
    ["172.31.255.254", "RFC 1918"],
    ["192.168.1.10", "RFC 1918"],
    ["169.254.169.254", "link-local (cloud metadata)"],
    ["100.64.0.1", "CGNAT"],
    ["100.127.255.254", "CGNAT"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "this network"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.1", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["192.0.0.8", "IETF protocol assignments"],
  ])("refuses IPv4 %s (%s)", (address) => {
    expect(isGlobalAddress(address)).toBe(false);
    expect(defaultPolicy.permits(address)).toBe(false);
  });

  it.each(["8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "192.169.0.1", "203.0.114.1", "9.255.255.255", "11.0.0.0"])("permits public IPv4 %s", (address) => {
    expect(defaultPolicy.permits(address)).toBe(true);
  });

  it.each([
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fc00::1", "unique local"],
    ["fd12:3456:789a::1", "unique local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local with a zone"],
    ["febf::1", "link-local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["2001::1", "Teredo / IETF"],
    ["64:ff9b:1::1", "local-use NAT64"],
    ["::7f00:1", "deprecated IPv4-compatible"],
    ["100::1", "discard-only"],
  ])("refuses IPv6 %s (%s)", (address) => {
    expect(defaultPolicy.permits(address)).toBe(false);
  });

  it.each(["2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001::200e"])("permits global IPv6 %s", (address) => {
    expect(defaultPolicy.permits(address)).toBe(true);
  });

  it("judges IPv4-mapped IPv6 addresses by the IPv4 address they carry, in either notation", () => {
    for (const address of ["::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.5", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe", "::FFFF:192.168.0.1"]) {
      expect(defaultPolicy.permits(address), address).toBe(false);
    }
    expect(defaultPolicy.permits("::ffff:8.8.8.8")).toBe(true);
    expect(defaultPolicy.permits("::ffff:808:808")).toBe(true);
  });

  it("judges NAT64 and 6to4 addresses by the IPv4 address they carry", () => {
    expect(defaultPolicy.permits("64:ff9b::a00:5")).toBe(false); // 10.0.0.5
    expect(defaultPolicy.permits("64:ff9b::127.0.0.1")).toBe(false);
    expect(defaultPolicy.permits("64:ff9b::a9fe:a9fe")).toBe(false); // 169.254.169.254
    expect(defaultPolicy.permits("64:ff9b::808:808")).toBe(true); // 8.8.8.8 through a NAT64 gateway
    expect(defaultPolicy.permits("2002:7f00:1::1")).toBe(false); // 127.0.0.1
    expect(defaultPolicy.permits("2002:c0a8:101::1")).toBe(false); // 192.168.1.1
    expect(defaultPolicy.permits("2002:808:808::1")).toBe(true);
  });

  it("permits nothing that is not an IP address", () => {
    expect(defaultPolicy.permits("localhost")).toBe(false);
    expect(defaultPolicy.permits("")).toBe(false);
    expect(() => isGlobalAddress("sftp.example.com")).toThrow(/not an IP address/);
  });
});

describe("the allow-list", () => {
  const policy = new AddressPolicy(parseNetworkList(" 10.20.0.0/16, fd00:1::/48,127.0.0.1 ,"));

  it("permits the networks listed, in every notation of them, and nothing else private", () => {
    expect(policy.permits("10.20.3.4")).toBe(true);
    expect(policy.permits("::ffff:10.20.3.4")).toBe(true);
    expect(policy.permits("fd00:1::5")).toBe(true);
    expect(policy.permits("127.0.0.1")).toBe(true); // a bare address is that host
    expect(policy.permits("127.0.0.2")).toBe(false);
    expect(policy.permits("10.21.0.1")).toBe(false);
    expect(policy.permits("fd00:2::1")).toBe(false);
    expect(policy.permits("169.254.169.254")).toBe(false);
    expect(policy.permits("::1")).toBe(false);
    // Public addresses stay permitted.
    expect(policy.permits("8.8.8.8")).toBe(true);
  });

  it("parses CIDRs and bare addresses, and names an entry that is not a network", () => {
    expect(parseNetworkList("")).toEqual([]);
    expect(parseNetworkList("10.0.0.0/8,::1")).toEqual([
      { address: "10.0.0.0", prefix: 8, family: "ipv4" },
      { address: "::1", prefix: 128, family: "ipv6" },
    ]);
    for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/8/8", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/x", "10.0.0/8", "sftp.example.com", "10.0.0.0/8 10.1.0.0/16"]) {
      expect(() => parseNetworkList(bad), bad).toThrow(/is not a network/);
    }
  });

  it("is a validated setting, empty by default", () => {
    const required = { AUTH_SECRET: "x".repeat(40), ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64") };
    expect(parseEnv(required).CDR_SFTP_ALLOWED_NETWORKS).toBe("");
    expect(parseEnv({ ...required, CDR_SFTP_ALLOWED_NETWORKS: "10.0.0.0/8, fd00::/8" }).CDR_SFTP_ALLOWED_NETWORKS).toBe("10.0.0.0/8, fd00::/8");
    expect(() => parseEnv({ ...required, CDR_SFTP_ALLOWED_NETWORKS: "10.0.0.0/8,10.0.0.0/40" })).toThrow(/CDR_SFTP_ALLOWED_NETWORKS is malformed: "10\.0\.0\.0\/40" is not a network/);
  });
});

describe("resolving a host", () => {
  it("refuses a name when any of its addresses is not permitted", async () => {
    const lookup = fakeLookup(["93.184.215.14", "10.0.0.5"]);
    expect(await resolvePermittedAddress("sftp.carrier.example", defaultPolicy, lookup)).toEqual({ permitted: false, literal: false });
    const mapped = fakeLookup(["2606:4700::1", "::ffff:127.0.0.1"]);
    expect(await resolvePermittedAddress("sftp.carrier.example", defaultPolicy, mapped)).toEqual({ permitted: false, literal: false });
  });

  it("refuses a real name that resolves to loopback", async () => {
    expect(await resolvePermittedAddress("localhost", defaultPolicy)).toEqual({ permitted: false, literal: false });
  });

  it("returns the address it checked, from one lookup, so a changed answer cannot be connected to", async () => {
    // A rebinding resolver: public first, loopback afterwards.
    const lookup = fakeLookup(["93.184.215.14"], ["127.0.0.1"]);
    expect(await resolvePermittedAddress("rebind.example", defaultPolicy, lookup)).toEqual({ permitted: true, address: "93.184.215.14" });
    expect(lookup.calls).toBe(1);
  });

  it("takes an IP address as itself, without a lookup", async () => {
    const lookup = fakeLookup(["8.8.8.8"]);
    expect(await resolvePermittedAddress("169.254.169.254", defaultPolicy, lookup)).toEqual({ permitted: false, literal: true });
    expect(await resolvePermittedAddress("[::1]", defaultPolicy, lookup)).toEqual({ permitted: false, literal: true });
    expect(await resolvePermittedAddress("2606:4700::1", defaultPolicy, lookup)).toEqual({ permitted: true, address: "2606:4700::1" });
    expect(lookup.calls).toBe(0);
  });

  it("passes lookup failures on as the resolver reports them", async () => {
    const failing: TLookupAll = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.invalid"), { code: "ENOTFOUND" });
    };
    await expect(resolvePermittedAddress("nowhere.invalid", defaultPolicy, failing)).rejects.toMatchObject({ code: "ENOTFOUND" });
    await expect(resolvePermittedAddress("empty.example", defaultPolicy, fakeLookup([]))).rejects.toMatchObject({ code: "ENOTFOUND" });
  });
});

describe("SftpSession.connect", () => {
  const server = { id: null, position: 0, port: 22, username: "cdr", password: "pw", privateKey: null, hostKey: null };

  it("refuses a name resolving to the metadata service before connecting, naming the server and the setting, not the address", async () => {
    const lookup = fakeLookup(["169.254.169.254"]);
    const failure = await SftpSession.connect({ ...server, host: "sftp.carrier.example" }, { timeoutMs: 1000, lookup }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SftpConnectError);
    expect(failure).toMatchObject({ kind: "NOT_ALLOWED" });
    const message = (failure as Error).message;
    expect(message).toMatch(/^sftp\.carrier\.example:22 resolves to an address on a private or reserved network/);
    expect(message).toContain("CDR_SFTP_ALLOWED_NETWORKS");
    expect(message).not.toContain("169.254");
  });

  it("refuses a literal private address (test processes allow loopback only)", async () => {
    const failure = await SftpSession.connect({ ...server, host: "10.0.0.5" }, { timeoutMs: 1000 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ kind: "NOT_ALLOWED", message: expect.stringMatching(/^10\.0\.0\.5:22 is an address on a private or reserved network/) });
  });
});
