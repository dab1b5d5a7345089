import type { ReactNode } from "react";
import { SignedInShell } from "@/components/shell/signed-in-shell";
import { usableTimeZone } from "@/components/time/format-instant";
import { TimeZoneProvider } from "@/components/time/time-zone-provider";
import { FollowTenantTimeZone } from "@/components/time/follow-tenant-time-zone";
import { requireCustomerUser } from "@/server/auth/guards";
import { ROLE_LABELS } from "@/server/auth/roles";

export const dynamic = "force-dynamic";

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const auth = await requireCustomerUser();
  // Resolved here, at SSR, so every time on the page renders the same on the server and in the browser.
  return (
    <TimeZoneProvider timeZone={usableTimeZone(auth.tenantTimeZone)}>
      <FollowTenantTimeZone />
      <SignedInShell area="portal" tenantName={auth.tenantName} user={{ name: auth.name, email: auth.email, roleLabel: ROLE_LABELS[auth.role] }} role={auth.role}>
        {children}
      </SignedInShell>
    </TimeZoneProvider>
  );
}
