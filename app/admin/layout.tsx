import type { ReactNode } from "react";
import { SignedInShell } from "@/components/shell/signed-in-shell";
import { usableTimeZone } from "@/components/time/format-instant";
import { TimeZoneProvider } from "@/components/time/time-zone-provider";
import { FollowTenantTimeZone } from "@/components/time/follow-tenant-time-zone";
import { requireTenantStaff } from "@/server/auth/guards";
import { ROLE_LABELS } from "@/server/auth/roles";

export const dynamic = "force-dynamic";

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const auth = await requireTenantStaff();
  // Resolved here, at SSR, so every time on the page renders the same on the server and in the browser.
  return (
    <TimeZoneProvider timeZone={usableTimeZone(auth.tenantTimeZone)}>
      <FollowTenantTimeZone />
      <SignedInShell area="admin" tenantName={auth.tenantName} user={{ name: auth.name, email: auth.email, roleLabel: ROLE_LABELS[auth.role] }}>
        {children}
      </SignedInShell>
    </TimeZoneProvider>
  );
}
