import { createTRPCRouter, customerProcedure } from "@/server/trpc/init";
import { getCustomerOverview } from "@/server/customers/portal";
import { spentThisMonth } from "@/server/wallet/monthly-spend";

export const portalRouter = createTRPCRouter({
  overview: customerProcedure().query(({ ctx }) =>
    getCustomerOverview({ tenantId: ctx.tenantId, customerId: ctx.customerId }),
  ),
  spentThisMonth: customerProcedure().query(({ ctx }) => spentThisMonth({ tenantId: ctx.tenantId, customerId: ctx.customerId })),
});
