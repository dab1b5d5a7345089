import { getServerSession } from "next-auth";
import { authOptions } from "./options";
import { loadAuthContext, type TAuthContext } from "./context";

/** The signed-in person for Server Components, route handlers and tRPC's context. */
export async function currentAuth(): Promise<TAuthContext | null> {
  const session = await getServerSession(authOptions());
  if (!session?.userId) return null;
  return loadAuthContext(session.userId);
}
