import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Which IP addresses the platform may open connections to on a tenant's behalf. A tenant
 * admin types host names (an SFTP server's, for instance); without a policy they could point
 * the platform at its own loopback, private network or cloud metadata service and use it as
 * a port scanner. By default only globally reachable unicast addresses are permitted; an
 * operator whose servers really sit on a private network lists those networks explicitly.
 */

type TFamily = "ipv4" | "ipv6";

/** One network of an allow-list: an address and a prefix length (a bare address is a single host). */
export type TNetwork = { address: string; prefix: number; family: TFamily };

/** IANA special-purpose IPv4 ranges that are not globally reachable, plus multicast and the reserved class E. */
const NON_GLOBAL_IPV4: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8], // "this network": 0.0.0.0 reaches the local host on Linux
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // carrier-grade NAT (RFC 6598)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata services
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // deprecated 6to4 relay anycast
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address
];

/** The IPv4 address as four bytes. */
function ipv4Bytes(address: string): number[] {
  return address.split(".").map(Number);
}

function hex16(high: number, low: number): string {
  return ((high << 8) | low).toString(16);
}

function buildNonGlobalList(): BlockList {
  const list = new BlockList();
  for (const [address, prefix] of NON_GLOBAL_IPV4) {
    // Node matches IPv4 rules against IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) as well.
    list.addSubnet(address, prefix, "ipv4");
    // Translation prefixes carry an IPv4 address inside an IPv6 one: a NAT64 gateway or a
    // 6to4 relay would forward to it, so they are judged by the IPv4 address they carry.
    // (NAT64 with a public IPv4 address is how an IPv6-only platform reaches an IPv4-only carrier.)
    list.addSubnet(`64:ff9b::${address}`, 96 + prefix, "ipv6");
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(address);
    list.addSubnet(`2002:${hex16(a, b)}:${hex16(c, d)}::`, 16 + prefix, "ipv6");
  }
  // Only 2000::/3 holds global unicast. Below it, everything but the IPv4-mapped (::ffff:0:0/96)
  // and NAT64 (64:ff9b::/96) ranges, both judged by their IPv4 address above: unspecified,
  // loopback, deprecated IPv4-compatible addresses, local-use NAT64 64:ff9b:1::/48, discard 100::/64.
  list.addRange("::", "::fffe:ffff:ffff", "ipv6");
  list.addRange("::1:0:0:0", "64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", "ipv6");
  list.addRange("64:ff9b::1:0:0", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ipv6");
  // Above it: unique local fc00::/7, link-local fe80::/10, multicast ff00::/8, and the rest unallocated.
  list.addSubnet("4000::", 2, "ipv6");
  list.addSubnet("8000::", 1, "ipv6");
  // Inside it: IETF protocol assignments (Teredo, ORCHID, benchmarking…) and documentation.
  list.addSubnet("2001::", 23, "ipv6");
  list.addSubnet("2001:db8::", 32, "ipv6");
  list.addSubnet("3fff::", 20, "ipv6");
  return list;
}

const NON_GLOBAL = buildNonGlobalList();

/** The address without brackets or an IPv6 zone ("fe80::1%eth0"), which BlockList does not understand. */
function bareAddress(address: string): string {
  return address.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
}

function familyOf(address: string): TFamily | null {
  const version = isIP(address);
  return version === 4 ? "ipv4" : version === 6 ? "ipv6" : null;
}

/** Whether an IP address is global unicast: reachable on the Internet, nothing of the platform's own networks. */
export function isGlobalAddress(address: string): boolean {
  const bare = bareAddress(address);
  const family = familyOf(bare);
  if (family === null) throw new TypeError(`${address} is not an IP address`);
  return !NON_GLOBAL.check(bare, family);
}

export class NetworkListError extends Error {
  override name = "NetworkListError";
}

/**
 * Parses a comma-separated list of networks in CIDR notation ("10.20.0.0/16, fd00:1::/48");
 * a bare address stands for itself. Blank entries are ignored. Throws a {@link NetworkListError}
 * naming the first entry that is not a network.
 */
export function parseNetworkList(text: string): TNetwork[] {
  const networks: TNetwork[] = [];
  for (const entry of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    const [address = "", prefixText, ...extra] = entry.split("/");
    const family = familyOf(address);
    const maxPrefix = family === "ipv4" ? 32 : 128;
    const prefix = prefixText === undefined ? maxPrefix : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    if (family === null || extra.length > 0 || !(prefix >= 0 && prefix <= maxPrefix)) {
      throw new NetworkListError(`"${entry}" is not a network: give addresses or CIDRs such as 10.20.0.0/16 or fd00:1::/48, separated by commas`);
    }
    networks.push({ address, prefix, family });
  }
  return networks;
}

/**
 * Global unicast addresses, plus the networks an operator allowed on purpose. The allow-list
 * is checked by Node's BlockList, so an IPv4 network also covers its IPv4-mapped IPv6 form.
 */
export class AddressPolicy {
  private readonly allowed = new BlockList();

  constructor(readonly allowedNetworks: readonly TNetwork[] = []) {
    for (const network of allowedNetworks) this.allowed.addSubnet(network.address, network.prefix, network.family);
  }

  permits(address: string): boolean {
    const bare = bareAddress(address);
    const family = familyOf(bare);
    if (family === null) return false;
    return !NON_GLOBAL.check(bare, family) || this.allowed.check(bare, family);
  }
}

export type TLookupAll = (hostname: string, options: { all: true }) => Promise<{ address: string; family: number }[]>;

export type TPermittedAddress =
  | { permitted: true; address: string }
  | {
      permitted: false;
      /** The host was an IP address itself (not a name that resolved to one). */
      literal: boolean;
    };

/**
 * Resolves a host (a name, or an IP address) and says which address to connect to: the first
 * one resolved, and only if every resolved address is permitted. Checking all of them keeps a
 * name with one public and one private address from reaching the private one on a retry or
 * another resolver's order. The caller must connect to the address returned, not to the name:
 * a second lookup could answer differently (DNS rebinding). Lookup failures are thrown as
 * dns.lookup throws them (ENOTFOUND…).
 */
export async function resolvePermittedAddress(host: string, policy: AddressPolicy, lookup: TLookupAll = dnsLookup): Promise<TPermittedAddress> {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const literal = familyOf(bareAddress(bare)) !== null;
  const resolved = literal ? [{ address: bare }] : await lookup(bare, { all: true });
  const first = resolved[0];
  if (!first) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  if (!resolved.every((entry) => policy.permits(entry.address))) return { permitted: false, literal };
  // A zone ("fe80::1%eth0", from a lookup only) stays: it says which interface reaches the address.
  return { permitted: true, address: first.address };
}
