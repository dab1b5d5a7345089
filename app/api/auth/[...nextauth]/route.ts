import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { authOptions } from "@/server/auth/options";

export const dynamic = "force-dynamic";

type TRouteContext = { params: Promise<{ nextauth: string[] }> };

// Options are built per request so configuration is read at run time, not at build time.
async function handler(request: NextRequest, context: TRouteContext) {
  return NextAuth(request, { params: await context.params }, authOptions()) as Promise<Response>;
}

export { handler as GET, handler as POST };
