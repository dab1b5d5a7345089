import { z } from "zod";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { createTRPCRouter, tenantProcedure } from "@/server/trpc/init";
import { ZPageInput } from "@/server/lib/pagination";
import {
  ZCustomerFields,
  ZCustomerListFilter,
  ZCustomerStatusChange,
  changeCustomerStatus,
  createCustomer,
  getCustomer,
  listCustomers,
  updateCustomer,
} from "@/server/customers/customers";
import { ZInviteCustomerUser, inviteCustomerUser, revokeInvitation } from "@/server/users/invitations";

const ZCustomerId = z.object({ customerId: z.uuid() });

export const customersRouter = createTRPCRouter({
  list: tenantProcedure()
    .input(ZPageInput.extend({ filter: ZCustomerListFilter.default({ status: null, billingType: null }) }))
    .query(({ ctx, input }) => listCustomers({ tenantId: ctx.tenantId, query: input, filter: input.filter })),
  get: tenantProcedure()
    .input(ZCustomerId)
    .query(({ ctx, input }) => getCustomer({ tenantId: ctx.tenantId, customerId: input.customerId })),
  create: tenantProcedure()
    .input(ZCustomerFields)
    .mutation(({ ctx, input }) => createCustomer({ tenantId: ctx.tenantId, actor: ctx.actor, fields: input })),
  update: tenantProcedure()
    .input(ZCustomerId.extend({ fields: ZCustomerFields }))
    .mutation(({ ctx, input }) =>
      updateCustomer({ tenantId: ctx.tenantId, actor: ctx.actor, customerId: input.customerId, fields: input.fields }),
    ),
  changeStatus: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZCustomerStatusChange)
    .mutation(({ ctx, input }) => changeCustomerStatus({ tenantId: ctx.tenantId, actor: ctx.actor, change: input })),
  inviteUser: tenantProcedure()
    .input(ZInviteCustomerUser)
    .mutation(({ ctx, input }) => inviteCustomerUser({ tenantId: ctx.tenantId, actor: ctx.actor, invite: input })),
  revokeInvitation: tenantProcedure()
    .input(z.object({ invitationId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      revokeInvitation({ tenantId: ctx.tenantId, actor: ctx.actor, invitationId: input.invitationId }),
    ),
});
