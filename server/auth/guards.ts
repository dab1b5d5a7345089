import { redirect } from "next/navigation";
import { currentAuth } from "./session";
import { isCustomerRole, isTenantRole } from "./roles";
import type { TAuthContext } from "./context";

/**
 * Page guards for the two areas. One portal address serves both; each area sends the
 * other's users home, so a customer user never sees an admin page (and the tRPC procedures
 * refuse them regardless).
 */
export async function requireTenantStaff(): Promise<TAuthContext> {
  const auth = await currentAuth();
  if (!auth) redirect("/sign-in");
  if (!isTenantRole(auth.role)) redirect("/portal?denied=admin");
  return auth;
}

export async function requireCustomerUser(): Promise<TAuthContext & { customerId: string }> {
  const auth = await currentAuth();
  if (!auth) redirect("/sign-in");
  if (!isCustomerRole(auth.role) || !auth.customerId) redirect("/admin?denied=portal");
  return { ...auth, customerId: auth.customerId };
}
