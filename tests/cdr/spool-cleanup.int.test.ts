import { existsSync } from "node:fs";
import { readFile, rm, utimes, writeFile } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { ABANDONED_PART_AGE_MS, spoolTempPath } from "@/server/cdr/files";
import { EmbeddedRunner } from "@/server/jobs/embedded-runner";
import { functions } from "@/server/jobs/functions/index";

const runner = new EmbeddedRunner({ functions, backoffMs: () => 10 });
afterAll(() => runner.stop());

describe("the spool's abandoned temp files", () => {
  it("are deleted by the daily job once untouched for a day; transfers in progress are kept", async () => {
    const abandoned = await spoolTempPath();
    const recent = await spoolTempPath();
    await writeFile(abandoned, "x".repeat(1000));
    await writeFile(recent, "still arriving");
    // A process killed mid-download a day and a minute ago; another transfer wrote a minute ago.
    const dayAgo = new Date(Date.now() - ABANDONED_PART_AGE_MS - 60_000);
    await utimes(abandoned, dayAgo, dayAgo);
    const minuteAgo = new Date(Date.now() - 60_000);
    await utimes(recent, minuteAgo, minuteAgo);

    const [runId] = await runner.fireCron("cdr-spool-cleanup");
    await runner.drain();
    const run = await db().jobRun.findUniqueOrThrow({ where: { id: runId! } });
    expect(run.status).toBe("COMPLETED");
    expect(run.output).toMatchObject({ removed: expect.any(Number) as number });
    expect(existsSync(abandoned)).toBe(false);
    expect(await readFile(recent, "utf8")).toBe("still arriving");
    await rm(recent);
  });
});
