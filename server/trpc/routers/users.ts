import { z } from "zod";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { createTRPCRouter, tenantProcedure } from "@/server/trpc/init";
import { ZPageInput } from "@/server/lib/pagination";
import { listOpenInvitations, listTenantMembers, removeMember } from "@/server/users/users";
import { ZInviteTenantUser, inviteTenantUser, resendInvitation } from "@/server/users/invitations";

export const usersRouter = createTRPCRouter({
  list: tenantProcedure()
    .input(ZPageInput)
    .query(({ ctx, input }) => listTenantMembers({ tenantId: ctx.tenantId, query: input })),
  invitations: tenantProcedure().query(({ ctx }) => listOpenInvitations({ tenantId: ctx.tenantId })),
  invite: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZInviteTenantUser)
    .mutation(({ ctx, input }) => inviteTenantUser({ tenantId: ctx.tenantId, actor: ctx.actor, invite: input })),
  remove: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ membershipId: z.uuid() }))
    .mutation(({ ctx, input }) => removeMember({ tenantId: ctx.tenantId, actor: ctx.actor, actorRole: ctx.auth.role, membershipId: input.membershipId })),
  // Any open invitation of the tenant, staff's or a customer's (revoking is customers.revokeInvitation).
  resendInvitation: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ invitationId: z.uuid() }))
    .mutation(({ ctx, input }) => resendInvitation({ tenantId: ctx.tenantId, actor: ctx.actor, invitationId: input.invitationId })),
});
