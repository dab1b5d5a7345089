import { z } from "zod";
import { cdrFilterOptions, cdrFilterSelection, cdrTimeline, cdrTotals, searchCdrs, ZCdrFilter, ZCdrFilterSelection, ZCdrSearchPage } from "@/server/cdr/search";
import { createTRPCRouter, customerProcedure, tenantProcedure } from "@/server/trpc/init";

const ZSearch = ZCdrSearchPage.extend({ filter: ZCdrFilter });

// Staff (support included) read every call of the tenant; customer users read their own, the
// customer coming from the session whatever the filter says.
export const cdrsRouter = createTRPCRouter({
  search: tenantProcedure()
    .input(ZSearch)
    .query(({ ctx, input }) => searchCdrs({ scope: { tenantId: ctx.tenantId }, filter: input.filter, cursor: input.cursor, limit: input.limit, direction: input.direction })),
  totals: tenantProcedure()
    .input(z.object({ filter: ZCdrFilter }))
    .query(({ ctx, input }) => cdrTotals({ scope: { tenantId: ctx.tenantId }, filter: input.filter })),
  timeline: tenantProcedure()
    .input(z.object({ filter: ZCdrFilter }))
    .query(({ ctx, input }) => cdrTimeline({ scope: { tenantId: ctx.tenantId }, filter: input.filter })),
  filterOptions: tenantProcedure().query(({ ctx }) => cdrFilterOptions({ tenantId: ctx.tenantId })),
  filterSelection: tenantProcedure()
    .input(ZCdrFilterSelection)
    .query(({ ctx, input }) => cdrFilterSelection({ tenantId: ctx.tenantId }, input)),
  portalSearch: customerProcedure()
    .input(ZSearch)
    .query(({ ctx, input }) =>
      searchCdrs({ scope: { tenantId: ctx.tenantId, customerId: ctx.customerId }, filter: input.filter, cursor: input.cursor, limit: input.limit, direction: input.direction }),
    ),
  portalTotals: customerProcedure()
    .input(z.object({ filter: ZCdrFilter }))
    .query(({ ctx, input }) => cdrTotals({ scope: { tenantId: ctx.tenantId, customerId: ctx.customerId }, filter: input.filter })),
  portalTimeline: customerProcedure()
    .input(z.object({ filter: ZCdrFilter }))
    .query(({ ctx, input }) => cdrTimeline({ scope: { tenantId: ctx.tenantId, customerId: ctx.customerId }, filter: input.filter })),
  portalFilterOptions: customerProcedure().query(({ ctx }) => cdrFilterOptions({ tenantId: ctx.tenantId, customerId: ctx.customerId })),
  portalFilterSelection: customerProcedure()
    .input(ZCdrFilterSelection)
    .query(({ ctx, input }) => cdrFilterSelection({ tenantId: ctx.tenantId, customerId: ctx.customerId }, input)),
});
