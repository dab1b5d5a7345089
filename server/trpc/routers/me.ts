import { sessionTicket } from "@/server/auth/options";
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
      // Open pages compare it with the zone they were rendered in (FollowTenantTimeZone).
      tenantTimeZone: ctx.auth.tenantTimeZone,
      role: ctx.auth.role,
      customerId: ctx.auth.customerId,
    },
  })),
  updateProfile: authedProcedure.input(ZUpdateProfile).mutation(({ ctx, input }) => updateProfile(ctx.auth.userId, input)),
  // The change ends every session; the ticket lets this one continue (components/auth/refresh-session.ts).
  changePassword: authedProcedure.input(ZChangePassword).mutation(async ({ ctx, input }) => {
    const changed = await changePassword(ctx.auth.userId, input, { ip: ctx.ip });
    return { changed: true, sessionTicket: sessionTicket({ userId: ctx.auth.userId, sessionVersion: changed.sessionVersion }) };
  }),
  requestEmailChange: authedProcedure.input(ZChangeEmail).mutation(({ ctx, input }) => requestEmailChange(ctx.auth.userId, input, { ip: ctx.ip })),
});
