import type { ReactNode } from "react";
import { SignedInShell } from "@/components/shell/signed-in-shell";
import { requireTenantStaff } from "@/server/auth/guards";
import { ROLE_LABELS } from "@/server/auth/roles";

export const dynamic = "force-dynamic";

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const auth = await requireTenantStaff();
  return (
    <SignedInShell area="admin" tenantName={auth.tenantName} user={{ name: auth.name, email: auth.email, roleLabel: ROLE_LABELS[auth.role] }}>
      {children}
    </SignedInShell>
  );
}
