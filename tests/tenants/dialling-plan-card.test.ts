import { describe, expect, it } from "vitest";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import superjson from "superjson";
import type { AppRouter } from "@/server/trpc/root";
import { TRPCProvider } from "@/components/trpc/react";
import { DiallingPlanCard } from "@/components/settings/dialling-plan-card";
import { previewDiallingPlan, suggestedSampleNumbers, type TDiallingPlan } from "@/server/tenants/dialling-plan";

const UK: TDiallingPlan = { countryCode: "44", internationalPrefixes: ["00"], nationalNumberLength: 10, nationalTrunkPrefix: "0", techPrefixes: ["99#"] };

/** The card as the settings page first shows it, with the server's answers already cached. */
function renderCard(plan: TDiallingPlan): string {
  const queryClient = new QueryClient();
  // Never called: every answer the first render needs is in the cache.
  const trpcClient = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "http://127.0.0.1:9/api/trpc", transformer: superjson })] });
  const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });
  const sampleNumbers = suggestedSampleNumbers(plan);
  queryClient.setQueryData(trpc.tenant.diallingPlan.queryKey(), { plan, sampleNumbers });
  const previewInput = { plan, numbers: sampleNumbers };
  queryClient.setQueryData(trpc.tenant.previewDiallingPlan.queryKey(previewInput), previewDiallingPlan(previewInput));
  return renderToStaticMarkup(
    h(QueryClientProvider, { client: queryClient }, h(TRPCProvider, { trpcClient, queryClient, children: h(DiallingPlanCard) })),
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
