/** The caller's address as the reverse proxy reports it, for throttling and the audit log. */
export function clientIp(header: (name: string) => string | null): string {
  const forwarded = header("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || header("x-real-ip")?.trim() || "unknown";
}
