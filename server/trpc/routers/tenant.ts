import { createTRPCRouter, tenantProcedure } from "@/server/trpc/init";
import { getTenantOverview } from "@/server/tenants/overview";

export const tenantRouter = createTRPCRouter({
  overview: tenantProcedure().query(({ ctx }) => getTenantOverview({ tenantId: ctx.tenantId })),
});
