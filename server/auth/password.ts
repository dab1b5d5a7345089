import { hash, verify } from "@node-rs/argon2";
import { AppError } from "@/server/errors";

// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
// `Algorithm` is a const enum, which isolated modules cannot read: 2 is Argon2id.
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 10;

export function assertPasswordStrength(password: string, field = "password"): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw AppError.invalidField(field, `Use at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (password.length > 200) {
    throw AppError.invalidField(field, "Use at most 200 characters.");
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// Verifying against a fixed hash when the account does not exist keeps the response time
// the same, so timing does not reveal which emails have accounts.
let decoyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  decoyHash ??= hashPassword("decoy-password-never-used");
  await verifyPassword(await decoyHash, password);
}
