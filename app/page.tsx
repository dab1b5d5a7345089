import { redirect } from "next/navigation";
import { currentAuth } from "@/server/auth/session";
import { homePathFor } from "@/server/auth/roles";

export const dynamic = "force-dynamic";

export default async function Home() {
  const auth = await currentAuth();
  redirect(auth ? homePathFor(auth.role) : "/sign-in");
}
