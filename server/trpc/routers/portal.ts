import { createTRPCRouter, customerProcedure } from "@/server/trpc/init";
import { getCustomerOverview } from "@/server/customers/portal";
import { spentThisMonth } from "@/server/wallet/monthly-spend";
import { portalUsersRouter } from "@/server/trpc/routers/portal-users";

export const portalRouter = createTRPCRouter({
  overview: customerProcedure().query(({ ctx }) =>
    getCustomerOverview({ tenantId: ctx.tenantId, customerId: ctx.customerId }),
  ),
  spentThisMonth: customerProcedure().query(({ ctx }) => spentThisMonth({ tenantId: ctx.tenantId, customerId: ctx.customerId })),
  /** The customer's own admins managing its portal users (the portal's Users page). */
  users: portalUsersRouter,
});
