"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { RATING_ADMIN_ROLES } from "@/components/rating/labels";

/**
 * Whether the signed-in person may change decks, carriers, imports and trunks. The server
 * enforces this (TENANT_ADMIN); the UI only hides what would be refused. Unknown while the
 * profile loads, so write actions appear once we know rather than flash for support users.
 */
export function useRatingAccess(): { canEdit: boolean; known: boolean; tenantCurrency: string | null } {
  const trpc = useTRPC();
  const me = useQuery(trpc.me.get.queryOptions());
  const role = me.data?.membership.role ?? null;
  return {
    canEdit: role !== null && RATING_ADMIN_ROLES.includes(role),
    known: me.data !== undefined,
    tenantCurrency: me.data?.membership.tenantCurrency ?? null,
  };
}
