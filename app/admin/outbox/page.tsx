import type { Metadata } from "next";
import { Suspense } from "react";
import { ListPageFallback } from "@/components/admin/list-page-fallback";
import { OutboxList } from "@/components/admin/outbox-list";
import { env } from "@/server/env";

export const metadata: Metadata = { title: "Outbox" };
// Reads the configuration at request time.
export const dynamic = "force-dynamic";

export default function OutboxPage() {
  // Only whether SMTP is configured reaches the browser, never the URL (it may hold a password).
  const smtpConfigured = Boolean(env().SMTP_URL);
  return (
    <Suspense fallback={<ListPageFallback title="Outbox" />}>
      <OutboxList smtpConfigured={smtpConfigured} />
    </Suspense>
  );
}
