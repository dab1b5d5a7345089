import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { AppError, TRPC_CODE_BY_CODE } from "@/server/errors";
import { assertSameOrigin } from "@/server/http/same-origin";
import { createContext } from "@/server/trpc/context";
import { appRouter } from "@/server/trpc/root";

export const dynamic = "force-dynamic";

function handler(request: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => {
      // Mutations arrive as POST (tRPC refuses them over GET): another site's page must not
      // run them with the user's cookie. Refused here, before the session is even read.
      try {
        assertSameOrigin(request);
      } catch (error) {
        if (error instanceof AppError) throw new TRPCError({ code: TRPC_CODE_BY_CODE[error.code], message: error.message, cause: error });
        throw error;
      }
      return createContext(request.headers);
    },
  });
}

export { handler as GET, handler as POST };
