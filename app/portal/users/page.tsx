import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { PortalUsersNotAllowed, PortalUsersPage } from "@/components/portal-users/portal-users-page";
import { requireCustomerUser } from "@/server/auth/guards";

export const metadata: Metadata = { title: "Users" };

export default async function PortalUsers() {
  const auth = await requireCustomerUser();
  // The procedures refuse a customer user anyway (server/trpc/routers/portal-users.ts); this
  // tells them so instead of a page of errors.
  if (auth.role !== "CUSTOMER_ADMIN") return <PortalUsersNotAllowed />;
  // The list's search and paging live in the URL (useSearchParams).
  return (
    <Suspense fallback={<ListPageFallback title="Users" />}>
      <PortalUsersPage />
    </Suspense>
  );
}
