import { describe, expect, it } from "vitest";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import superjson from "superjson";
import type { AppRouter } from "@/server/trpc/root";
import { TRPCProvider } from "@/components/trpc/react";
import { DiallingPlanCard, previewFeedback } from "@/components/settings/dialling-plan-card";
import { TenantSettings } from "@/components/settings/tenant-settings";
import { previewDiallingPlan, suggestedSampleNumbers, type TDiallingPlan } from "@/server/tenants/dialling-plan";

const UK: TDiallingPlan = { countryCode: "44", internationalPrefixes: ["00"], nationalNumberLength: 10, nationalTrunkPrefix: "0", techPrefixes: ["99#"] };

/** The card as the settings page first shows it, with the server's answers already cached. */
function renderCard(plan: TDiallingPlan, canEdit = true): string {
  const queryClient = new QueryClient();
  // Never called: every answer the first render needs is in the cache.
  const trpcClient = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "http://127.0.0.1:9/api/trpc", transformer: superjson })] });
  const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });
  const sampleNumbers = suggestedSampleNumbers(plan);
  queryClient.setQueryData(trpc.tenant.diallingPlan.queryKey(), { plan, sampleNumbers });
  const previewInput = { plan, numbers: sampleNumbers };
  queryClient.setQueryData(trpc.tenant.previewDiallingPlan.queryKey(previewInput), previewDiallingPlan(previewInput));
  return renderToStaticMarkup(
    h(QueryClientProvider, { client: queryClient }, h(TRPCProvider, { trpcClient, queryClient, children: h(DiallingPlanCard, { canEdit }) })),
  );
}

describe("the dialling plan card", () => {
  it("shows the stored plan in its fields and how it reads the sample numbers", () => {
    const html = renderCard(UK);
    expect(html).toContain("Dialling plan");
    expect(html).toMatch(/<input[^>]*name="countryCode"[^>]*value="44"/);
    expect(html).toMatch(/<input[^>]*name="internationalPrefixes"[^>]*value="00"/);
    expect(html).toMatch(/<input[^>]*name="nationalNumberLength"[^>]*value="10"/);
    expect(html).toMatch(/<input[^>]*name="nationalTrunkPrefix"[^>]*value="0"/);
    expect(html).toMatch(/<input[^>]*name="techPrefixes"[^>]*value="99#"/);
    expect(html).toContain('aria-label="How the plan reads the sample numbers"');
    expect(html).toContain("02071838750");
    expect(html).toContain("+442071838750");
    expect(html).toContain("Short code");
    expect(html).toContain("calls rated from now on");
    expect(html).toContain("Save dialling plan");
  });
});

describe("the dialling plan card for support staff", () => {
  it("shows the plan read-only and keeps the preview, without Save or Reset", () => {
    const html = renderCard(UK, false);
    expect(html).toMatch(/<input[^>]*name="countryCode"[^>]*readOnly=""[^>]*value="44"|<input[^>]*readOnly=""[^>]*name="countryCode"[^>]*value="44"|<input[^>]*name="countryCode"[^>]*value="44"[^>]*readOnly=""/);
    expect(html).not.toContain("Save dialling plan");
    expect(html).not.toContain("Reset dialling plan");
    expect(html).toContain("Only a tenant admin can change the plan");
    expect(html).toContain("+442071838750");
  });
});

describe("the dialling plan preview for screen readers", () => {
  it("announces one line, not the table", () => {
    const html = renderCard(UK);
    expect(html.match(/aria-live=/g)).toHaveLength(1);
    expect(html).toMatch(/<p[^>]*role="status"[^>]*aria-live="polite"[^>]*>5 sample numbers: 4 read as E.164, 1 short code, 0 rejected.<\/p>/);
    expect(html).not.toMatch(/aria-live="polite"[^>]*>\s*<table/);
  });
});

describe("what the preview tells the form", () => {
  const answer = previewDiallingPlan({ plan: { ...UK, internationalPrefixes: ["011"] }, numbers: ["02071838750"] });

  it("shows the last answer's errors while the next is on its way", () => {
    expect(answer.fieldErrors).toMatchObject({ internationalPrefixes: [expect.any(String)] });
    const feedback = previewFeedback({ data: answer, isError: false, error: null }, true);
    expect(feedback.errors).toEqual({ internationalPrefixes: answer.fieldErrors?.internationalPrefixes });
    expect(feedback.planInvalid).toBe(true);
    expect(feedback.summary).toBe("Fix the highlighted fields to see how numbers are read.");
  });

  it("drops them when the preview fails, and says so", () => {
    const feedback = previewFeedback({ data: answer, isError: true, error: new Error("Network down") }, true);
    expect(feedback).toEqual({ errors: {}, planInvalid: false, summary: "Preview failed: Network down" });
  });

  it("puts a sample number's problem on the samples", () => {
    const tooLong = previewDiallingPlan({ plan: UK, numbers: ["1".repeat(65)] });
    expect(previewFeedback({ data: tooLong, isError: false, error: null }, true).errors).toEqual({ sampleNumbers: ["A sample number is at most 64 characters"] });
  });
});

describe("the settings page", () => {
  it("shows the dialling plan when the payment settings could not be loaded", () => {
    // No refetch at mount, so the first render shows the cached failure.
    const queryClient = new QueryClient({ defaultOptions: { queries: { retryOnMount: false, retry: false } } });
    const trpcClient = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "http://127.0.0.1:9/api/trpc", transformer: superjson })] });
    const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });
    queryClient.setQueryData(trpc.me.get.queryKey(), {
      profile: null as never,
      membership: { tenantName: "Acme Telecom", tenantCurrency: "USD", tenantTimeZone: "America/Toronto", role: "TENANT_ADMIN", customerId: null },
    });
    const stripeKey = trpc.payments.stripeSettings.queryKey();
    queryClient.getQueryCache().build(queryClient, { queryKey: stripeKey }).setState({
      status: "error",
      error: new Error("Stripe settings are unavailable"),
      errorUpdatedAt: Date.now(),
      fetchStatus: "idle",
    });
    const sampleNumbers = suggestedSampleNumbers(UK);
    queryClient.setQueryData(trpc.tenant.diallingPlan.queryKey(), { plan: UK, sampleNumbers });
    const previewInput = { plan: UK, numbers: sampleNumbers };
    queryClient.setQueryData(trpc.tenant.previewDiallingPlan.queryKey(previewInput), previewDiallingPlan(previewInput));

    const html = renderToStaticMarkup(
      h(QueryClientProvider, { client: queryClient }, h(TRPCProvider, { trpcClient, queryClient, children: h(TenantSettings) })),
    );
    expect(html).toContain("Could not load the payment settings");
    expect(html).toContain("Stripe settings are unavailable");
    expect(html).toMatch(/<input[^>]*name="countryCode"[^>]*value="44"/);
    expect(html).toContain("Save dialling plan");
  });
});
