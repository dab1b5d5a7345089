import { authedProcedure, createTRPCRouter } from "@/server/trpc/init";
import {
  ZChangeEmail,
  ZChangePassword,
  ZUpdateProfile,
  changePassword,
  getProfile,
  requestEmailChange,
  updateProfile,
} from "@/server/users/users";

export const meRouter = createTRPCRouter({
  get: authedProcedure.query(async ({ ctx }) => ({
    profile: await getProfile(ctx.auth.userId),
    membership: {
      tenantName: ctx.auth.tenantName,
      tenantCurrency: ctx.auth.tenantCurrency,
      role: ctx.auth.role,
      customerId: ctx.auth.customerId,
    },
  })),
  updateProfile: authedProcedure.input(ZUpdateProfile).mutation(({ ctx, input }) => updateProfile(ctx.auth.userId, input)),
  changePassword: authedProcedure.input(ZChangePassword).mutation(({ ctx, input }) => changePassword(ctx.auth.userId, input)),
  requestEmailChange: authedProcedure
    .input(ZChangeEmail)
    .mutation(({ ctx, input }) => requestEmailChange(ctx.auth.userId, ctx.auth.tenantId, input)),
});
