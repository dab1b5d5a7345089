import type { ReactNode } from "react";
import { SignedInShell } from "@/components/shell/signed-in-shell";
import { requireCustomerUser } from "@/server/auth/guards";
import { ROLE_LABELS } from "@/server/auth/roles";

export const dynamic = "force-dynamic";

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const auth = await requireCustomerUser();
  return (
    <SignedInShell area="portal" tenantName={auth.tenantName} user={{ name: auth.name, email: auth.email, roleLabel: ROLE_LABELS[auth.role] }}>
      {children}
    </SignedInShell>
  );
}
