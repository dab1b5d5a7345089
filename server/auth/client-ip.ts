import { env } from "@/server/env";

/**
 * The caller's address, for sign-in throttling and the audit log, or null when it cannot be
 * known.
 *
 * Neither Next.js nor next-auth gives a route handler the socket's address: `next start`
 * only copies it into X-Forwarded-For when the request has no such header (`??=` in
 * next/dist/server/base-server.js), so what arrives there is whatever the client sent.
 * Each reverse proxy appends the address it received the request from, so with
 * TRUSTED_PROXY_COUNT = n the n-th entry from the right was written by our outermost proxy
 * and is the client; everything left of it is the client's own claim. With 0 (no proxy, the
 * default) the header is ignored entirely and the address is unknown. X-Real-IP is never
 * read: a proxy that does not set it passes the client's through.
 */
export function clientIp(header: (name: string) => string | null, trustedProxyCount: number = env().TRUSTED_PROXY_COUNT): string | null {
  if (trustedProxyCount <= 0) return null;
  const hops = (header("x-forwarded-for") ?? "")
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  // Fewer hops than proxies: the request did not pass through all of them, so no entry is
  // one of ours to trust.
  if (hops.length < trustedProxyCount) return null;
  return hops[hops.length - trustedProxyCount] ?? null;
}
