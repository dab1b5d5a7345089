import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { listAuditEvents } from "@/server/audit/audit";
import { ZPageInput } from "@/server/lib/pagination";
import { createWorld } from "../support/factories";

const NO_FILTER = { targetType: null, targetId: null };

describe("audit log target names", () => {
  it("names the page's customers, users and sources, only from the tenant's own records", async () => {
    const a = await createWorld("Audit A");
    const b = await createWorld("Audit B");
    const source = await db().cdrSource.create({ data: { tenantId: a.tenant.id, name: "Main switch", format: "asterisk", timeZone: "UTC" } });
    const event = (targetType: string, targetId: string | null) => ({ tenantId: a.tenant.id, action: `${targetType}.updated`, targetType, targetId });
    await db().auditEvent.createMany({
      data: [
        event("customer", a.customer.id),
        event("user", a.support.user.id),
        event("cdr_source", source.id),
        // Ids of another tenant's records, a type without names and a non-uuid id: left unnamed.
        event("customer", b.customer.id),
        event("user", b.admin.user.id),
        event("payment", a.customer.id),
        event("customer", "not-a-uuid"),
        event("tenant", null),
      ],
    });

    const page = await listAuditEvents({ tenantId: a.tenant.id, query: ZPageInput.parse({ pageSize: 50 }), filter: NO_FILTER });
    const nameOf = (targetType: string, targetId: string | null) =>
      page.rows.find((row) => row.targetType === targetType && row.targetId === targetId)?.targetName;

    expect(nameOf("customer", a.customer.id)).toBe(`${a.customer.name} (${a.customer.accountNumber})`);
    expect(nameOf("user", a.support.user.id)).toBe(a.support.user.email);
    expect(nameOf("cdr_source", source.id)).toBe("Main switch");
    expect(nameOf("customer", b.customer.id)).toBeNull();
    expect(nameOf("user", b.admin.user.id)).toBeNull();
    expect(nameOf("payment", a.customer.id)).toBeNull();
    expect(nameOf("customer", "not-a-uuid")).toBeNull();
    expect(nameOf("tenant", null)).toBeNull();
  });
});
