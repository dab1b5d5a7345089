import { z } from "zod";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { createTRPCRouter, customerProcedure, tenantProcedure } from "@/server/trpc/init";
import { ZPeriod, generateStatement, getStatement, listStatements } from "@/server/wallet/statements";

// Customers read their own statements; tenant staff read any customer's; admins (re)generate.
export const statementsRouter = createTRPCRouter({
  mine: customerProcedure().query(({ ctx }) => listStatements({ tenantId: ctx.tenantId, customerId: ctx.customerId })),
  get: customerProcedure()
    .input(z.object({ statementId: z.uuid() }))
    .query(({ ctx, input }) => getStatement({ tenantId: ctx.tenantId, customerId: ctx.customerId, statementId: input.statementId })),
  forCustomer: tenantProcedure()
    .input(z.object({ customerId: z.uuid() }))
    .query(({ ctx, input }) => listStatements({ tenantId: ctx.tenantId, customerId: input.customerId })),
  generate: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ customerId: z.uuid(), period: ZPeriod }))
    .mutation(({ ctx, input }) => generateStatement({ tenantId: ctx.tenantId, customerId: input.customerId, period: input.period })),
});
