/**
 * Where the shared sample files live for the rating tests. Copies inside the repository
 * (tests/fixtures) are preferred so the tests do not depend on anything outside it; the
 * shared folder beside the repository (../shared/fixtures, as CI lays it out) is the
 * fallback.
 */

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const IN_REPO_FIXTURES = path.resolve(import.meta.dirname, "../fixtures");
const SHARED_FIXTURES = path.resolve(import.meta.dirname, "../../../shared/fixtures");

/** Absolute path of a fixture, e.g. `fixturePath("cdr/asterisk-master.csv")`. */
export function fixturePath(relative: string): string {
  const inRepo = path.join(IN_REPO_FIXTURES, relative);
  if (existsSync(inRepo)) return inRepo;
  const shared = path.join(SHARED_FIXTURES, relative);
  if (existsSync(shared)) return shared;
  throw new Error(`fixture ${relative} not found in ${IN_REPO_FIXTURES} nor ${SHARED_FIXTURES}`);
}

export function readFixture(relative: string): Buffer {
  return readFileSync(fixturePath(relative));
}

/** Yields `data` in chunks of `size` bytes, to exercise chunk boundaries in stream readers. */
export async function* chunked(data: Buffer | string, size: number): AsyncGenerator<Buffer> {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}
