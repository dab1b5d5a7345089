import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

type TSecrets = { AUTH_SECRET: string; ENCRYPTION_KEY: string };

/**
 * The embedded quick start needs no configuration: the session secret and the encryption
 * key are generated once and kept beside the embedded database (git-ignored, mode 0600).
 * Losing them signs everyone out and makes stored tenant secrets unreadable, exactly as
 * losing the database would.
 */
export function loadOrCreateEmbeddedSecrets(dataDir: string): TSecrets {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as TSecrets;
  mkdirSync(dataDir, { recursive: true });
  const secrets = {
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
