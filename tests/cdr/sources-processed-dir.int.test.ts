import { beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { db } from "@/server/db/client";
import { createCdrSource, updateCdrSource, type TCdrSourceFields } from "@/server/cdr/sources";
import { callerAs, createWorld, TEST_ACTOR } from "../support/factories";

/**
 * MOVE into the folder that is polled would loop: each poll lists the moved file again,
 * fetches it as a duplicate and moves it once more under a new name. Such a processed folder
 * is refused on create and on update, however it is spelt.
 */

const actor = TEST_ACTOR;
const MESSAGE = "The processed folder must differ from the folder polled";

let world: Awaited<ReturnType<typeof createWorld>>;

function fieldsFor(name: string, folders: { remoteDir?: string; processedDir: string | null }): TCdrSourceFields {
  return { name, format: "asterisk", timeZone: "UTC", filePattern: "*.csv", afterDownload: "MOVE", ...folders };
}

/** The same folder, spelt two ways. */
const SAME: [string | undefined, string][] = [
  [undefined, "."],
  [".", "."],
  [".", "./"],
  ["/cdr", "/cdr/"],
  ["/cdr/", "/cdr"],
  ["cdr/../cdr", "cdr"],
  ["cdr", "./cdr//"],
  ["/", "/cdr/.."],
];

function refusedForProcessedDir(error: unknown): boolean {
  return error instanceof ZodError && error.issues.some((issue) => issue.path.join(".") === "processedDir" && issue.message === MESSAGE);
}

beforeAll(async () => {
  world = await createWorld();
});

describe("the processed folder of MOVE", () => {
  it("is refused on create when it is the folder polled", async () => {
    const tenantId = world.tenant.id;
    for (const [index, [remoteDir, processedDir]] of SAME.entries()) {
      await expect(createCdrSource({ tenantId, actor, fields: fieldsFor(`Looping ${index}`, { remoteDir, processedDir }) })).rejects.toSatisfy(refusedForProcessedDir);
    }
    // Through the API, the form gets the message on its field.
    const admin = await callerAs(world.admin.user.id);
    const error = await admin.cdrSources.create({ fields: fieldsFor("Looping API", { remoteDir: "/cdr", processedDir: "/cdr/" }) }).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect(((error as TRPCError).cause as ZodError).issues).toEqual([expect.objectContaining({ path: ["fields", "processedDir"], message: MESSAGE })]);
    expect(await db().cdrSource.count({ where: { tenantId, name: { startsWith: "Looping" } } })).toBe(0);

    // Another folder, even inside the one polled (not listed: polling is not recursive), is fine.
    const created = await createCdrSource({ tenantId, actor, fields: fieldsFor("Moving", { remoteDir: "/cdr", processedDir: "/cdr/done" }) });
    expect(created).toMatchObject({ remoteDir: "/cdr", processedDir: "/cdr/done" });
    // Without MOVE the folder is not used: nothing to refuse.
    await expect(createCdrSource({ tenantId, actor, fields: { ...fieldsFor("Leaving", { remoteDir: ".", processedDir: "." }), afterDownload: "LEAVE" } })).resolves.toMatchObject({
      processedDir: null,
    });
  });

  it("is refused on update, when either folder is changed onto the other", async () => {
    const tenantId = world.tenant.id;
    const source = await createCdrSource({ tenantId, actor, fields: fieldsFor("Moving later", { remoteDir: "inbox", processedDir: "inbox/done" }) });
    for (const [remoteDir, processedDir] of [...SAME, ["inbox/done", "inbox/done"] as const, ["inbox", "./inbox/"] as const]) {
      await expect(updateCdrSource({ tenantId, actor, sourceId: source.id, fields: fieldsFor("Moving later", { remoteDir, processedDir }) })).rejects.toSatisfy(
        refusedForProcessedDir,
      );
    }
    const admin = await callerAs(world.admin.user.id);
    await expect(
      admin.cdrSources.update({ sourceId: source.id, fields: fieldsFor("Moving later", { remoteDir: "inbox/done/..", processedDir: "inbox" }) }),
    ).rejects.toSatisfy((error: unknown) => error instanceof TRPCError && error.code === "BAD_REQUEST" && refusedFieldOf(error.cause) === "fields.processedDir");
    expect(await db().cdrSource.findUniqueOrThrow({ where: { id: source.id } })).toMatchObject({ remoteDir: "inbox", processedDir: "inbox/done" });
    await expect(updateCdrSource({ tenantId, actor, sourceId: source.id, fields: fieldsFor("Moving later", { remoteDir: "inbox", processedDir: "archive" }) })).resolves.toMatchObject({
      processedDir: "archive",
    });
  });
});

function refusedFieldOf(error: unknown): string | null {
  if (!(error instanceof ZodError)) return null;
  return error.issues.find((issue) => issue.message === MESSAGE)?.path.join(".") ?? null;
}
