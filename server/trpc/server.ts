import "server-only";
import { cache } from "react";
import { headers } from "next/headers";
import { createContext } from "./context";
import { createCaller } from "./root";

/** tRPC caller for Server Components: same procedures, same checks, no HTTP hop. */
export const serverApi = cache(async () => createCaller(await createContext(await headers())));
