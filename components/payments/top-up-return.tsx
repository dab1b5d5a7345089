"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { messageOf } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { Spinner } from "@/components/ui/spinner";
import { PAYMENT_STATUS_LABEL, PAYMENT_STATUS_TONE } from "./labels";

const POLL_INTERVAL_MS = 1500;
/**
 * How long the page keeps asking. A webhook normally lands within seconds; one that was lost is
 * settled by reconciliation after 15 minutes, which no one should watch a spinner for.
 */
const POLL_LIMIT_MS = 2 * 60 * 1000;

/** What the card says it is about; neutral when there is no payment to speak of (a bad link, an error). */
function titleOf(options: { paymentId: string | null; failed: boolean; payment: { status: string } | undefined; stoppedWaiting: boolean }): string {
  const { payment, stoppedWaiting } = options;
  if (options.paymentId === null || options.failed) return "Payment status";
  if (!payment) return "Confirming your payment";
  if (payment.status === "SUCCEEDED") return "Payment received";
  if (payment.status === "FAILED") return "Payment not completed";
  if (payment.status === "PENDING") return stoppedWaiting ? "Payment still being confirmed" : "Confirming your payment";
  return "Payment status";
}

/** Back from Stripe: the payment stays pending until its webhook lands, then the balance shows it. */
export function TopUpReturn({ paymentId }: { paymentId: string | null }) {
  const trpc = useTRPC();
  const [stoppedWaiting, setStoppedWaiting] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setStoppedWaiting(true), POLL_LIMIT_MS);
    return () => clearTimeout(timer);
  }, []);
  const status = useQuery({
    ...trpc.payments.topUpStatus.queryOptions({ paymentId: paymentId ?? "" }),
    enabled: paymentId !== null,
    refetchInterval: (query) => (query.state.data?.payment.status === "PENDING" && !stoppedWaiting ? POLL_INTERVAL_MS : false),
  });
  const payment = status.data?.payment;
  const title = titleOf({ paymentId, failed: status.isError, payment, stoppedWaiting });
  return (
    <div className="space-y-6">
      <PageHeader title="Card payment" breadcrumbs={[{ label: "Balance & payments", href: "/portal/balance" }, { label: "Card payment" }]} />
      <Card className="max-w-xl">
        <CardHeader>
          <CardTitle>{title}</CardTitle>
        </CardHeader>
        <CardContent className="space-y-4">
          {paymentId === null ? <p role="alert">This link does not name a payment. Your card payments are listed on Balance &amp; payments.</p> : null}
          {status.error ? <p role="alert">{messageOf(status.error)}</p> : null}
          {payment ? (
            <>
              <p className="flex items-center gap-2 text-sm">
                <Money micros={payment.amount} currency={payment.currency} toneNegative={false} />
                <Badge tone={PAYMENT_STATUS_TONE[payment.status] ?? "neutral"}>{PAYMENT_STATUS_LABEL[payment.status] ?? payment.status}</Badge>
              </p>
              {payment.status === "PENDING" && !stoppedWaiting ? (
                <p role="status" className="flex items-center gap-2 text-sm text-slate-600">
                  <Spinner size="xs" label={null} /> Waiting for the card network to confirm. This page updates by itself.
                </p>
              ) : null}
              {payment.status === "PENDING" && stoppedWaiting ? (
                <div role="status" className="space-y-3 text-sm text-slate-600">
                  <p>Your payment is being confirmed; your balance updates within 15 minutes. You can leave this page.</p>
                  <Button size="sm" loading={status.isFetching} onClick={() => void status.refetch()}>
                    Check again
                  </Button>
                </div>
              ) : null}
              {payment.status === "SUCCEEDED" && status.data ? (
                <p className="text-sm">
                  New balance:{" "}
                  <strong data-testid="new-balance">
                    <Money micros={status.data.balance} currency={payment.currency} />
                  </strong>
                </p>
              ) : null}
              {payment.failureMessage ? <p className="text-sm text-danger-700">{payment.failureMessage}</p> : null}
            </>
          ) : null}
          <Link href="/portal/balance" className={buttonClassName("secondary")}>
            Back to balance & payments
          </Link>
        </CardContent>
      </Card>
    </div>
  );
}
