import { z } from "zod";
import { createTRPCRouter, customerProcedure } from "@/server/trpc/init";
import {
  ZChangeColleagueRole,
  ZInviteColleague,
  changeColleagueRole,
  inviteColleague,
  listCustomerAccess,
  removeColleague,
} from "@/server/users/customer-users";
import { resendInvitation, revokeInvitation } from "@/server/users/invitations";

// A customer's own admins manage who may act for their customer; a CUSTOMER_USER may not
// even list them. The tenant and the customer always come from the session (ctx).
const customerAdmin = () => customerProcedure(["CUSTOMER_ADMIN"]);
const ZInvitationId = z.object({ invitationId: z.uuid() });

export const portalUsersRouter = createTRPCRouter({
  list: customerAdmin().query(({ ctx }) => listCustomerAccess({ tenantId: ctx.tenantId, customerId: ctx.customerId, userId: ctx.auth.userId })),
  invite: customerAdmin()
    .input(ZInviteColleague)
    .mutation(({ ctx, input }) => inviteColleague({ tenantId: ctx.tenantId, customerId: ctx.customerId, actor: ctx.actor, invite: input })),
  resendInvitation: customerAdmin()
    .input(ZInvitationId)
    .mutation(({ ctx, input }) =>
      resendInvitation({ tenantId: ctx.tenantId, customerId: ctx.customerId, actor: ctx.actor, invitationId: input.invitationId }),
    ),
  revokeInvitation: customerAdmin()
    .input(ZInvitationId)
    .mutation(({ ctx, input }) =>
      revokeInvitation({ tenantId: ctx.tenantId, customerId: ctx.customerId, actor: ctx.actor, invitationId: input.invitationId }),
    ),
  changeRole: customerAdmin()
    .input(ZChangeColleagueRole)
    .mutation(({ ctx, input }) => changeColleagueRole({ tenantId: ctx.tenantId, customerId: ctx.customerId, actor: ctx.actor, change: input })),
  remove: customerAdmin()
    .input(z.object({ membershipId: z.uuid() }))
    .mutation(({ ctx, input }) =>
      removeColleague({ tenantId: ctx.tenantId, customerId: ctx.customerId, actor: ctx.actor, membershipId: input.membershipId }),
    ),
});
