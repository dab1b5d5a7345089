import type pg from "pg";
import { expect } from "vitest";
import { pool } from "@/server/db/client";

/**
 * Waits until PostgreSQL shows a backend blocked by `holder`'s transaction (a lock it holds),
 * then asserts `promise` has not settled: the call under test is waiting on that lock, however
 * slow the machine. A sleep would not prove it (the call may not have reached its lock yet).
 * The promise's rejection, if it comes later, is left for the caller's await to hear.
 */
export async function expectStillWaiting(promise: Promise<unknown>, holder: pg.PoolClient | pg.Client, timeoutMs = 20_000): Promise<void> {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  const holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const blocked = await pool().query<{ waiting: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))) AS waiting",
      [holderPid],
    );
    if (blocked.rows[0]!.waiting) break;
    if (state.settled) throw new Error("the call finished without waiting for the lock held by the other transaction");
    if (Date.now() > deadline) throw new Error("nothing waited for the lock held by the other transaction");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(state.settled).toBe(false);
}

/**
 * Waits until `count` backends of this database wait for a lock. Behind a row lock, the first
 * waiter waits for the holder and the next ones for the first (the tuple lock it queues
 * on), so they are counted by what they wait for, not by whom.
 */
export async function waitForLockWaiters(count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const blocked = await pool().query<{ waiting: number }>(
      "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if (blocked.rows[0]!.waiting >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${blocked.rows[0]!.waiting} of ${count} waiting for a lock`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
