import { createTRPCRouter, customerProcedure } from "@/server/trpc/init";
import { getCustomerOverview } from "@/server/customers/portal";

export const portalRouter = createTRPCRouter({
  overview: customerProcedure().query(({ ctx }) =>
    getCustomerOverview({ tenantId: ctx.tenantId, customerId: ctx.customerId }),
  ),
});
