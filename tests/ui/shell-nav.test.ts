import { describe, expect, it } from "vitest";
import { isValidElement } from "react";
import { navTrail, type AppShellNavGroup } from "@/components/shell/app-shell";
import { ADMIN_NAV, PORTAL_NAV } from "@/components/shell/signed-in-shell";

describe("shell navigation", () => {
  it.each([
    ["admin", ADMIN_NAV],
    ["portal", PORTAL_NAV],
  ])("gives every %s menu item its own icon", (_area, nav) => {
    const icons = nav.flatMap((group) => group.items.map((item) => (isValidElement(item.icon) ? item.icon.type : null)));
    expect(icons.every(Boolean)).toBe(true);
    expect(new Set(icons).size).toBe(icons.length);
  });

  it("does not repeat the section when the page has its name", () => {
    const calls: AppShellNavGroup = { label: "Calls", items: [{ href: "/admin/calls", label: "Calls" }, { href: "/admin/cdr/files", label: "CDR files" }] };
    expect(navTrail({ group: calls, item: calls.items[0]! })).toEqual({ section: null, page: "Calls" });
    expect(navTrail({ group: calls, item: calls.items[1]! })).toEqual({ section: "Calls", page: "CDR files" });
    const top: AppShellNavGroup = { label: "", items: [{ href: "/admin", label: "Overview" }] };
    expect(navTrail({ group: top, item: top.items[0]! })).toEqual({ section: null, page: "Overview" });
    expect(navTrail(null)).toBeNull();
  });
});
