import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { isUniqueViolation } from "@/server/errors";
import { createTenant } from "../support/factories";

/** isUniqueViolation recognises a duplicate key however Prisma reports it. */
describe("isUniqueViolation", () => {
  it("recognises a duplicate from the query builder and from a raw query, and nothing else", async () => {
    const tenant = await createTenant();
    const duplicateBuilder = await db()
      .tenant.create({ data: { id: tenant.id, name: "Twin", slug: `twin-${tenant.id.slice(0, 8)}` } })
      .catch((error: unknown) => error);
    expect(isUniqueViolation(duplicateBuilder)).toBe(true);

    const duplicateRaw = await db()
      .$executeRaw`INSERT INTO tenants (id, name, slug, updated_at) VALUES (${tenant.id}::uuid, 'Twin', 'twin-raw', now())`
      .catch((error: unknown) => error);
    expect(duplicateRaw).toMatchObject({ code: "P2010" });
    expect(isUniqueViolation(duplicateRaw)).toBe(true);

    const otherRaw = await db().$executeRaw`SELECT 1 / 0`.catch((error: unknown) => error);
    expect(otherRaw).toBeInstanceOf(Error);
    expect(isUniqueViolation(otherRaw)).toBe(false);
  });
});
