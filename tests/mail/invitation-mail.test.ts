import { describe, expect, it } from "vitest";
import { invitationMail, tenantInstantText } from "@/server/mail/templates";

describe("invitation mail", () => {
  const expiresAt = new Date("2026-12-10T16:05:00Z");

  it("gives the expiry on the tenant's clock, with the zone named", () => {
    const mail = invitationMail({ tenantName: "Demo Telecom", tenantTimeZone: "America/Toronto", customerName: null, token: "t0k3n", expiresAt });
    expect(mail.text).toContain("expires 2026-12-10 11:05:00-05:00 (America/Toronto).");
    expect(mail.html).toContain("expires 2026-12-10 11:05:00-05:00 (America/Toronto).");
    expect(mail.text).not.toContain("GMT");
  });

  it("follows daylight saving time", () => {
    expect(tenantInstantText(new Date("2026-07-01T12:00:00Z"), "America/Toronto")).toBe("2026-07-01 08:00:00-04:00 (America/Toronto)");
  });

  it("names UTC, and falls back to it for a zone it does not know", () => {
    expect(tenantInstantText(expiresAt, "UTC")).toBe("2026-12-10 16:05:00+00:00 (UTC)");
    expect(tenantInstantText(expiresAt, "Mars/Olympus")).toBe("2026-12-10 16:05:00+00:00 (UTC)");
  });
});
