import { describe, expect, it } from "vitest";

import { CdrFileError, parseCdrStream, type CdrRecord } from "@/server/rating/cdr-formats";

import { chunked, collect } from "./fixtures";

async function parseText(text: string): Promise<CdrRecord[]> {
  return collect(parseCdrStream(chunked(text, 7), { format: "csv" }));
}

/** One answered call: 75 s from start to hang-up, 60 s of it talking. */
function feed(billableColumn: string): string {
  return `call_id,called_number,start_time_utc,duration,${billableColumn}\nc-1,+12125550100,2026-10-08T13:00:00Z,75,60\n`;
}

describe("header-row CSV: the billable-seconds column", () => {
  it.each([
    "billable_duration",
    "billable_seconds",
    "BillableSeconds",
    "talk_time",
    "TalkTime",
    "conversation_time",
    "connected_seconds",
  ])("reads %j as billsec, not the total duration", async (column) => {
    const [record] = await parseText(feed(column));
    expect(record).toMatchObject({ duration: 75, billsec: 60 });
    expect(record!.status).toBeUndefined();
  });

  it.each([
    // A carrier's own billed (already rounded) seconds: our increments would round them again.
    ["billed_seconds", 5],
    ["billed_duration", 5],
    ["talk_secs", 5],
    ["conversation_length", 5],
    ["BILL_SEC_ROUNDED", 5],
  ])("refuses a header whose %j would be ignored for the total duration, naming line 1 and the column", async (column, position) => {
    const parsing = parseText(feed(column));
    await expect(parsing).rejects.toThrow(CdrFileError);
    await expect(parseText(feed(column))).rejects.toThrow(
      new RegExp(`^line 1 \\(header\\): column ${position} "${column}" looks like billable seconds`),
    );
  });

  it("still bills a duration-only feed by duration", async () => {
    const [record] = await parseText("call_id,called_number,start_time_utc,duration,call_type\nc-1,+12125550100,2026-10-08T13:00:00Z,75,LD\n");
    expect(record).toMatchObject({ duration: 75, billsec: 75 });
  });

  it("does not refuse a billing-account column, which is a name, not a time", async () => {
    const [record] = await parseText("call_id,called_number,start_time_utc,duration,billing_account\nc-1,+12125550100,2026-10-08T13:00:00Z,75,A-1\n");
    expect(record).toMatchObject({ duration: 75, billsec: 75 });
  });

  it("a billsec column wins over a carrier's billed seconds beside it", async () => {
    const [record] = await parseText(
      "call_id,called_number,start_time_utc,duration,billsec,billed_seconds\nc-1,+12125550100,2026-10-08T13:00:00Z,75,61,120\n",
    );
    expect(record).toMatchObject({ duration: 75, billsec: 61 });
  });
});
