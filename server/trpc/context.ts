import { clientIp } from "@/server/auth/client-ip";
import { currentAuth } from "@/server/auth/session";
import type { TContext } from "./init";

/** Context for a request: the session decides who is acting; nothing comes from input. */
export async function createContext(headers: Headers): Promise<TContext> {
  return { auth: await currentAuth(), ip: clientIp((name) => headers.get(name)) };
}
