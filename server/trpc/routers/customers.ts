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

// Support reads customers; creating them, changing their billing and deciding who may act
// for them (a CUSTOMER_ADMIN controls cards and auto-recharge) need TENANT_ADMIN.
const admin = () => tenantProcedure(TENANT_ADMIN_ROLES);

export const customersRouter = createTRPCRouter({
  list: tenantProcedure()
    .input(ZPageInput.extend({ filter: ZCustomerListFilter.default({ status: null, billingType: null }) }))
    .query(({ ctx, input }) => listCustomers({ tenantId: ctx.tenantId, query: input, filter: input.filter })),
  get: tenantProcedure()
    .input(ZCustomerId)
    .query(({ ctx, input }) => getCustomer({ tenantId: ctx.tenantId, customerId: input.customerId })),
  create: admin()
    .input(ZCustomerFields)
    .mutation(({ ctx, input }) => createCustomer({ tenantId: ctx.tenantId, actor: ctx.actor, fields: input })),
  update: admin()
    .input(ZCustomerId.extend({ fields: ZCustomerFields }))
    .mutation(({ ctx, input }) =>
      updateCustomer({ tenantId: ctx.tenantId, actor: ctx.actor, customerId: input.customerId, fields: input.fields }),
    ),
  changeStatus: admin()
    .input(ZCustomerStatusChange)
    .mutation(({ ctx, input }) => changeCustomerStatus({ tenantId: ctx.tenantId, actor: ctx.actor, change: input })),
  inviteUser: admin()
    .input(ZInviteCustomerUser)
    .mutation(({ ctx, input }) => inviteCustomerUser({ tenantId: ctx.tenantId, actor: ctx.actor, invite: input })),
  revokeInvitation: admin()
    .input(z.object({ invitationId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      revokeInvitation({ tenantId: ctx.tenantId, actor: ctx.actor, invitationId: input.invitationId }),
    ),
});
