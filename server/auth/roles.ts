import type { Role } from "@/server/db/generated/enums";

export const TENANT_ROLES = ["PLATFORM_ADMIN", "TENANT_ADMIN", "TENANT_SUPPORT"] as const satisfies readonly Role[];
export const CUSTOMER_ROLES = ["CUSTOMER_ADMIN", "CUSTOMER_USER"] as const satisfies readonly Role[];
/** Roles that may change money and account state; TENANT_SUPPORT reads but does not act. */
export const TENANT_ADMIN_ROLES = ["PLATFORM_ADMIN", "TENANT_ADMIN"] as const satisfies readonly Role[];

export type TTenantRole = (typeof TENANT_ROLES)[number];
export type TCustomerRole = (typeof CUSTOMER_ROLES)[number];

export function isTenantRole(role: Role): role is TTenantRole {
  return (TENANT_ROLES as readonly Role[]).includes(role);
}

export function isCustomerRole(role: Role): role is TCustomerRole {
  return (CUSTOMER_ROLES as readonly Role[]).includes(role);
}

export const ROLE_LABELS: Record<Role, string> = {
  PLATFORM_ADMIN: "Platform admin",
  TENANT_ADMIN: "Tenant admin",
  TENANT_SUPPORT: "Support",
  CUSTOMER_ADMIN: "Customer admin",
  CUSTOMER_USER: "Customer user",
};

export function homePathFor(role: Role): "/admin" | "/portal" {
  return isCustomerRole(role) ? "/portal" : "/admin";
}
