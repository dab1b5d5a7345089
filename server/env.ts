import { z } from "zod";
import { parseLockTimeout } from "@/server/db/lock-timeout";
import { NetworkListError, parseNetworkList } from "@/server/lib/network-policy";

/**
 * The only reader of process.env. Validated once; a missing or malformed variable stops
 * start-up with a message that names it.
 */
// An empty value counts as unset, as shells and .env files often leave them.
const ZOptionalUrl = z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), z.url().optional());

const ZEnv = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: ZOptionalUrl,
  DATA_DIR: z.string().default(".data"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(5488),
  APP_URL: z.url().default("http://localhost:3000"),
  // How many reverse proxies in front of the app append to X-Forwarded-For (server/auth/client-ip.ts).
  TRUSTED_PROXY_COUNT: z.coerce.number().int().min(0).max(10).default(0),
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters"),
  ENCRYPTION_KEY: z
    .string()
    .refine((value) => Buffer.from(value, "base64").length === 32, "must be 32 bytes, base64-encoded"),
  SMTP_URL: ZOptionalUrl,
  MAIL_FROM: z.string().default("Trunkline <no-reply@trunkline.local>"),
  INNGEST_DEV: z.string().optional(),
  INNGEST_BASE_URL: ZOptionalUrl,
  INNGEST_EVENT_KEY: z.string().optional(),
  INNGEST_SIGNING_KEY: z.string().optional(),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_PUBLISHABLE_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  STRIPE_API_URL: ZOptionalUrl,
  JOBS_ENABLED: z.enum(["true", "false"]).default("true"),
  // Set by `npm start` when it runs the embedded PostgreSQL (the local demo), never by hand.
  EMBEDDED_DATABASE: z.enum(["true", "false"]).default("false"),
  // Longest wait of a migration for one lock, in milliseconds once parsed (server/db/lock-timeout.ts).
  MIGRATION_LOCK_TIMEOUT: z
    .string()
    .optional()
    .transform((value, context) => {
      const milliseconds = parseLockTimeout(value);
      if (milliseconds === null) {
        context.addIssue({ code: "custom", message: "a duration above 0 and at most 1 hour, e.g. 10s, 500ms, 2min or 10000 for milliseconds" });
        return z.NEVER;
      }
      return milliseconds;
    }),
  // Private or reserved networks (CIDRs, comma-separated) that tenants' CDR SFTP servers may be
  // on. Empty: only public addresses, so a tenant admin cannot make the platform probe its own
  // networks (server/cdr/sftp.ts). A carrier's own installation lists its private networks here.
  CDR_SFTP_ALLOWED_NETWORKS: z
    .string()
    .default("")
    .superRefine((value, context) => {
      try {
        parseNetworkList(value);
      } catch (error) {
        if (!(error instanceof NetworkListError)) throw error;
        context.addIssue({ code: "custom", message: error.message });
      }
    }),
}).superRefine((config, context) => {
  // The SDK's dev mode serves /api/inngest without checking request signatures: anyone who
  // can reach the app could then run any function (recharges, provisioning) with any payload.
  if (config.NODE_ENV === "production" && config.INNGEST_DEV?.trim()) {
    context.addIssue({
      code: "custom",
      path: ["INNGEST_DEV"],
      params: { refused: true },
      message: "must not be set when NODE_ENV=production (it turns off signature checks on /api/inngest); use INNGEST_BASE_URL with INNGEST_SIGNING_KEY",
    });
  }
});

export type TEnv = z.infer<typeof ZEnv>;

export class ConfigurationError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join("\n")}`);
    this.name = "ConfigurationError";
  }
}

export function parseEnv(source: Record<string, string | undefined>): TEnv {
  const result = ZEnv.safeParse(source);
  if (!result.success) {
    throw new ConfigurationError(
      result.error.issues.map((issue) => {
        const name = issue.path.join(".");
        const value = source[name];
        // A valid value this deployment must not use: "malformed" would send the reader astray.
        if (issue.code === "custom" && issue.params?.refused === true) return `${name} ${issue.message}`;
        return value === undefined || value === ""
          ? `${name} is required (${issue.message})`
          : `${name} is malformed: ${issue.message}`;
      }),
    );
  }
  return result.data;
}

let cached: TEnv | undefined;

export function env(): TEnv {
  cached ??= parseEnv(process.env);
  return cached;
}

/** An Inngest server receives events and calls our serve endpoint (the production path). */
export function inngestServerConfigured(config: TEnv = env()): boolean {
  return Boolean(config.INNGEST_DEV || config.INNGEST_BASE_URL);
}
