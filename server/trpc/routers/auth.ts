import { z } from "zod";
import { sessionTicket } from "@/server/auth/options";
import { createTRPCRouter, publicProcedure } from "@/server/trpc/init";
import { ZAcceptInvitation, acceptInvitation, describeInvitation } from "@/server/users/invitations";
import {
  ZRequestPasswordReset,
  ZResetPassword,
  requestPasswordReset,
  resetPassword,
  verifyEmail,
} from "@/server/users/account-tokens";

const ZToken = z.object({ token: z.string().min(20).max(200) });

export const authRouter = createTRPCRouter({
  describeInvitation: publicProcedure
    .input(ZToken)
    .query(({ input, ctx }) => describeInvitation(input.token, ctx.auth?.userId ?? null)),
  acceptInvitation: publicProcedure
    .input(ZAcceptInvitation)
    .mutation(({ input, ctx }) => acceptInvitation(input, { ip: ctx.ip, signedInUserId: ctx.auth?.userId ?? null })),
  requestPasswordReset: publicProcedure.input(ZRequestPasswordReset).mutation(({ input }) => requestPasswordReset(input)),
  resetPassword: publicProcedure.input(ZResetPassword).mutation(({ input }) => resetPassword(input)),
  // A changed address ends the account's sessions; the browser that confirmed it, when signed
  // in as that account, gets a ticket to continue (components/auth/refresh-session.ts).
  verifyEmail: publicProcedure.input(ZToken).mutation(async ({ input, ctx }) => {
    const { email, userId, sessionVersion } = await verifyEmail(input.token);
    return {
      email,
      addressChanged: sessionVersion !== null,
      sessionTicket: sessionVersion !== null && ctx.auth?.userId === userId ? sessionTicket({ userId, sessionVersion }) : null,
    };
  }),
});
