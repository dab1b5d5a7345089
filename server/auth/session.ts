import { getServerSession } from "next-auth";
import { authOptions } from "./options";
import { loadAuthContext, type TAuthContext } from "./context";

/** The signed-in person for Server Components, route handlers and tRPC's context. */
export async function currentAuth(): Promise<TAuthContext | null> {
  const session = await getServerSession(authOptions());
  // A session without a version predates versions: it is as stale as an outdated one.
  if (!session?.userId || session.sessionVersion === null) return null;
  return loadAuthContext(session.userId, { sessionVersion: session.sessionVersion });
}
