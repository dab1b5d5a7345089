"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { messageOf } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { Spinner } from "@/components/ui/spinner";
import { PAYMENT_STATUS_LABEL, PAYMENT_STATUS_TONE } from "./labels";

/** Back from Stripe: the payment stays pending until its webhook lands, then the balance shows it. */
export function TopUpReturn({ paymentId }: { paymentId: string | null }) {
  const trpc = useTRPC();
  const status = useQuery({
    ...trpc.payments.topUpStatus.queryOptions({ paymentId: paymentId ?? "" }),
    enabled: paymentId !== null,
    refetchInterval: (query) => (query.state.data?.payment.status === "PENDING" ? 1500 : false),
  });
  const payment = status.data?.payment;
  return (
    <div className="space-y-6">
      <PageHeader title="Top-up" breadcrumbs={[{ label: "Balance & payments", href: "/portal/balance" }, { label: "Top-up" }]} />
      <Card className="max-w-xl">
        <CardHeader>
          <CardTitle>{payment?.status === "SUCCEEDED" ? "Payment received" : payment?.status === "FAILED" ? "Payment not completed" : "Confirming your payment"}</CardTitle>
        </CardHeader>
        <CardContent className="space-y-4">
          {paymentId === null ? <p role="alert">No payment to show.</p> : null}
          {status.error ? <p role="alert">{messageOf(status.error)}</p> : null}
          {payment ? (
            <>
              <p className="flex items-center gap-2 text-sm">
                <Money micros={payment.amount} currency={payment.currency} toneNegative={false} />
                <Badge tone={PAYMENT_STATUS_TONE[payment.status] ?? "neutral"}>{PAYMENT_STATUS_LABEL[payment.status] ?? payment.status}</Badge>
              </p>
              {payment.status === "PENDING" ? (
                <p role="status" className="flex items-center gap-2 text-sm text-slate-600">
                  <Spinner size="xs" label={null} /> Waiting for the card network to confirm. This page updates by itself.
                </p>
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
