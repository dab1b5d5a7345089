"use client";

import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { usableTimeZone } from "./format-instant";
import { useTimeZone } from "./time-zone-provider";

/** How often an open page asks whether the tenant's zone moved (it also asks on focus). */
const CHECK_INTERVAL_MS = 5 * 60_000;

/**
 * Keeps an open page on the tenant's current time zone. The zone reaches the page with the
 * layout's server render, and the App Router keeps a layout across client navigation: after an
 * admin moves the company's zone, another person's open tab would go on showing, and reading
 * typed dates, in the old one while the server (exports, statements, the overview) uses the new.
 * When the session's zone differs from the one the page was rendered with, the layout is
 * rendered again (router.refresh), as the settings page does for the admin who saved it.
 */
export function FollowTenantTimeZone() {
  const trpc = useTRPC();
  const router = useRouter();
  const shown = useTimeZone();
  const current = useQuery({ ...trpc.me.get.queryOptions(), refetchInterval: CHECK_INTERVAL_MS, refetchOnWindowFocus: "always" });
  const zone = current.data ? usableTimeZone(current.data.membership.tenantTimeZone) : null;
  useEffect(() => {
    if (zone !== null && zone !== shown) router.refresh();
  }, [zone, shown, router]);
  return null;
}
