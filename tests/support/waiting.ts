import { expect } from "vitest";

/**
 * Asserts that `promise` is still pending after `ms`: it waits on a lock another connection
 * holds. Its rejection, if it comes later, is left for the caller's await to hear.
 */
export async function expectStillWaiting(promise: Promise<unknown>, ms = 400): Promise<void> {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  expect(state.settled).toBe(false);
}
