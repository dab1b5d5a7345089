import { isIP } from "node:net";
import { env } from "@/server/env";
import { AddressPolicy, parseNetworkList } from "@/server/lib/network-policy";

/**
 * Where CDR SFTP servers may be. On a shared platform a tenant admin must not be able to aim
 * the connection test (or polling) at the platform's own loopback, private network or cloud
 * metadata service: it would work as a port scanner whose error messages say what answers
 * there. So only public addresses, plus the networks the platform's operator listed in
 * CDR_SFTP_ALLOWED_NETWORKS (a carrier's own installation, whose switches sit on a private
 * network). Enforced when connecting (server/cdr/sftp.ts), on the address connected to;
 * checked when saving too (server/cdr/sources.ts), for a literal address only, as a courtesy.
 */

/** The platform setting that lets SFTP servers be on private or reserved networks. */
export const SFTP_ALLOWED_NETWORKS_SETTING = "CDR_SFTP_ALLOWED_NETWORKS";

let cachedPolicy: { setting: string; policy: AddressPolicy } | undefined;

export function sftpAddressPolicy(): AddressPolicy {
  const setting = env().CDR_SFTP_ALLOWED_NETWORKS;
  if (cachedPolicy?.setting !== setting) cachedPolicy = { setting, policy: new AddressPolicy(parseNetworkList(setting)) };
  return cachedPolicy.policy;
}

/**
 * The refusal of a server at an address the policy does not permit. The same words whether
 * anything listens there or not (nothing was sent to find out), and no resolved address: a
 * tenant admin learns nothing of the platform's networks from it.
 */
export function notAllowedMessage(server: string, literal: boolean): string {
  const where = literal ? `${server} is an address` : `${server} resolves to an address`;
  return (
    `${where} on a private or reserved network (loopback, private, link-local, shared or multicast), which this platform does not connect to. ` +
    `If the server really is on such a network, the platform's operator can allow that network with the ${SFTP_ALLOWED_NETWORKS_SETTING} setting.`
  );
}

/**
 * A host typed as an IP address the policy does not permit. Names are not looked up here: the
 * answer could change before the connection anyway, and the connection checks again.
 */
export function isRefusedLiteralAddress(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  return isIP(bare) !== 0 && !sftpAddressPolicy().permits(bare);
}
