import { describe, expect, it } from "vitest";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { AppRouterContext, type AppRouterInstance } from "next/dist/shared/lib/app-router-context.shared-runtime";
import superjson from "superjson";
import type { AppRouter } from "@/server/trpc/root";
import { TRPCProvider } from "@/components/trpc/react";
import { CompanySettingsCard, TIME_ZONE_NOTE } from "@/components/settings/company-settings-card";
import { timeZoneGroups } from "@/components/settings/time-zone-options";

const SETTINGS = { name: "Acme Telecom", slug: "acme-telecom", currency: "CAD", timeZone: "America/Toronto" };

const noop = () => undefined;
const ROUTER: AppRouterInstance = { back: noop, forward: noop, refresh: noop, push: noop, replace: noop, prefetch: noop, bfcacheId: "test" };

/** The card as the settings page shows it once the settings are loaded. */
function renderCard(canEdit: boolean): string {
  const queryClient = new QueryClient();
  // Never called: the answer the render needs is in the cache.
  const trpcClient = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "http://127.0.0.1:9/api/trpc", transformer: superjson })] });
  const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });
  queryClient.setQueryData(trpc.tenant.generalSettings.queryKey(), SETTINGS);
  return renderToStaticMarkup(
    h(
      AppRouterContext.Provider,
      { value: ROUTER },
      h(QueryClientProvider, { client: queryClient }, h(TRPCProvider, { trpcClient, queryClient, children: h(CompanySettingsCard, { canEdit }) })),
    ),
  );
}

describe("the company settings card", () => {
  it("shows the name, the zone picked among zones labelled with their offset, and slug and currency read-only with why", () => {
    const html = renderCard(true);
    expect(html).toMatch(/<input[^>]*name="name"[^>]*value="Acme Telecom"/);
    expect(html).toMatch(/<option value="America\/Toronto" selected="">America\/Toronto \(UTC-0[45]:00\)<\/option>/);
    expect(html).toContain('<optgroup label="Europe">');
    expect(html).toContain(TIME_ZONE_NOTE.replaceAll("'", "&#x27;"));
    expect(html).toMatch(/<input(?=[^>]*name="slug")(?=[^>]*readOnly="")(?=[^>]*value="acme-telecom")/);
    expect(html).toContain("Stripe webhook address");
    expect(html).toMatch(/<input(?=[^>]*name="currency")(?=[^>]*readOnly="")(?=[^>]*value="CAD")/);
    // Admins edit the name.
    expect(html).not.toMatch(/<input(?=[^>]*name="name")(?=[^>]*readOnly="")/);
    expect(html).toContain("Balances, rates and payments are amounts in it");
    // Nothing to save until something changes.
    expect(html).toMatch(/<button[^>]*type="submit"[^>]*disabled=""[^>]*>.*Save company settings/);
  });

  it("shows support staff the settings read-only, without Save", () => {
    const html = renderCard(false);
    expect(html).toMatch(/<input(?=[^>]*name="name")(?=[^>]*readOnly="")/);
    expect(html).toMatch(/<select(?=[^>]*name="timeZone")(?=[^>]*disabled="")/);
    expect(html).not.toContain("Save company settings");
    expect(html).toContain("Only a tenant admin can change");
  });
});

describe("the time-zone picker's choices", () => {
  it("puts UTC first and groups the rest by region, keeping the stored zone even if the browser does not list it", () => {
    const groups = timeZoneGroups("Asia/Calcutta", new Date("2026-01-15T12:00:00Z"), ["Europe/London", "America/Toronto", "Asia/Kolkata", "UTC"]);
    expect(groups.map((group) => group.region)).toEqual(["UTC", "America", "Asia", "Europe"]);
    expect(groups[0]!.options).toEqual([{ value: "UTC", label: "UTC" }]);
    expect(groups.find((group) => group.region === "Asia")!.options).toEqual([
      { value: "Asia/Calcutta", label: "Asia/Calcutta (UTC+05:30)" },
      { value: "Asia/Kolkata", label: "Asia/Kolkata (UTC+05:30)" },
    ]);
    expect(groups.find((group) => group.region === "America")!.options).toEqual([{ value: "America/Toronto", label: "America/Toronto (UTC-05:00)" }]);
  });
});
