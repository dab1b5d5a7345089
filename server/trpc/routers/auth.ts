import { z } from "zod";
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
  describeInvitation: publicProcedure.input(ZToken).query(({ input }) => describeInvitation(input.token)),
  acceptInvitation: publicProcedure.input(ZAcceptInvitation).mutation(({ input, ctx }) => acceptInvitation(input, ctx.ip)),
  requestPasswordReset: publicProcedure.input(ZRequestPasswordReset).mutation(({ input }) => requestPasswordReset(input)),
  resetPassword: publicProcedure.input(ZResetPassword).mutation(({ input }) => resetPassword(input)),
  verifyEmail: publicProcedure.input(ZToken).mutation(({ input }) => verifyEmail(input.token)),
});
