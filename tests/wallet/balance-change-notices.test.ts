import { describe, expect, it } from "vitest";
import { BalanceChangeNotices, type TPostResult } from "@/server/wallet/ledger";

/** A posting result as the ledger returns it; only what the notices read is real. */
function change(customerId: string, entryId: bigint, created = true): TPostResult {
  return { created, balanceBefore: 0n, entry: { customerId, id: entryId } } as unknown as TPostResult;
}

describe("BalanceChangeNotices", () => {
  it("sends a customer's first change at once, then at most one per interval, and the last one on flush", async () => {
    const sent: string[][] = [];
    let now = 0;
    const notices = new BalanceChangeNotices(5_000, async (results) => void sent.push(results.map((r) => `${r.entry.customerId}#${r.entry.id}`)), () => now);

    await notices.changed([change("a", 1n), change("b", 2n), change("c", 3n, false)]);
    now = 1_000;
    await notices.changed([change("a", 4n), change("b", 5n)]);
    now = 2_000;
    await notices.changed([change("a", 6n)]);
    now = 5_000;
    await notices.changed([change("a", 7n)]);
    await notices.flush();

    expect(sent).toEqual([
      ["a#1", "b#2"], // first changes at once; an entry that already existed is no change
      [],
      [],
      ["a#7"], // the interval has passed: the latest change of a goes, and replaces the held #6
      ["b#5"], // held since t=1s, sent when the writer is done
    ]);
    await notices.flush();
    expect(sent.at(-1)).toEqual([]);
  });
});
