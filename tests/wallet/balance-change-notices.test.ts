import { describe, expect, it } from "vitest";
import { BalanceChangeNotices, type TPostResult } from "@/server/wallet/ledger";

/** A posting result as the ledger returns it; only what the notices read is real. */
function change(customerId: string, entryId: bigint, created = true): TPostResult {
  return { created, balanceBefore: 0n, entry: { tenantId: "t", customerId, id: entryId } } as unknown as TPostResult;
}

/** Notices whose "state lags" answer is `lags` (every customer unless said), recording what they send and ask. */
function notices(lags: Set<string> | null = null) {
  const sent: string[][] = [];
  const asked: string[][] = [];
  const clock = { now: 0 };
  const subject = new BalanceChangeNotices(
    5_000,
    async (results) => void sent.push(results.map((r) => `${r.entry.customerId}#${r.entry.id}`)),
    async (tenantId, customerIds) => {
      expect(tenantId).toBe("t");
      asked.push([...customerIds]);
      return new Set(customerIds.filter((id) => lags === null || lags.has(id)));
    },
    () => clock.now,
  );
  return { subject, sent, asked, clock };
}

describe("BalanceChangeNotices", () => {
  it("sends a customer's first change at once, then at most one per interval, and the last one on flush", async () => {
    const { subject, sent, clock } = notices();
    await subject.changed([change("a", 1n), change("b", 2n), change("c", 3n, false)]);
    clock.now = 1_000;
    await subject.changed([change("a", 4n), change("b", 5n)]);
    clock.now = 2_000;
    await subject.changed([change("a", 6n)]);
    clock.now = 5_000;
    await subject.changed([change("a", 7n)]);
    await subject.flush();

    expect(sent).toEqual([
      ["a#1", "b#2"], // first changes at once; an entry that already existed is no change
      [],
      [],
      ["a#7"], // the interval has passed: the latest change of a goes, and replaces the held #6
      ["b#5"], // held since t=1s, sent when the writer is done
    ]);
    await subject.flush();
    expect(sent.at(-1)).toEqual([]);
  });

  it("sends nothing for customers whose state matches their balance, and drops a held change once it does", async () => {
    const lags = new Set(["a", "b"]);
    const { subject, sent, asked, clock } = notices(lags);
    await subject.changed([change("a", 1n), change("b", 2n), change("c", 3n), change("d", 4n, false)]);
    expect(asked).toEqual([["a", "b", "c"]]); // one question per batch, for the entries written
    clock.now = 1_000;
    await subject.changed([change("a", 5n), change("b", 6n)]); // both held
    lags.delete("a"); // a's reaction has caught up (say, the lock happened)
    clock.now = 2_000;
    await subject.changed([change("a", 7n), change("c", 8n)]);
    lags.add("c");
    await subject.flush();
    expect(sent).toEqual([["a#1", "b#2"], [], [], ["b#6"]]);
  });
});
