"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";

/**
 * Whether the signed-in staff member may change things (customers, users, decks, carriers, CDR
 * sources and files), not only read them. The server enforces this (TENANT_ADMIN); the UI only
 * hides what would be refused. Unknown while the profile loads, so write actions appear once
 * we know rather than flash for support users.
 */
const STAFF_ADMIN_ROLES: readonly string[] = TENANT_ADMIN_ROLES;

export function useStaffAccess(): { canEdit: boolean; known: boolean; tenantCurrency: string | null } {
  const trpc = useTRPC();
  const me = useQuery(trpc.me.get.queryOptions());
  const role = me.data?.membership.role ?? null;
  return {
    canEdit: role !== null && STAFF_ADMIN_ROLES.includes(role),
    known: me.data !== undefined,
    tenantCurrency: me.data?.membership.tenantCurrency ?? null,
  };
}
