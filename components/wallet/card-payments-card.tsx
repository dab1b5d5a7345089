"use client";

import type { inferRouterOutputs } from "@trpc/server";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { DateTime } from "@/components/admin/date-time";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { QueryError } from "@/components/admin/query-error";
import { PAYMENT_KIND_LABEL, PAYMENT_STATUS_LABEL, PAYMENT_STATUS_TONE } from "@/components/payments/labels";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Money } from "@/components/ui/money";
import { SkeletonText } from "@/components/ui/skeleton";
import { Badge } from "@/components/ui/badge";
import { StatusBadge } from "@/components/ui/status-badge";
import type { AppRouter } from "@/server/trpc/root";

export type TCustomerPayment = inferRouterOutputs<AppRouter>["payments"]["customerPayments"][number];

/** Only a successful (or partly refunded) card payment with money left on it can be refunded. */
export function isRefundable(payment: TCustomerPayment): boolean {
  return (payment.status === "SUCCEEDED" || payment.status === "PARTIALLY_REFUNDED") && payment.amount > payment.refundedAmount;
}

/** Reconciliation with Stripe left it to a person (server/payments/manual-settlement.ts needsPerson). */
export function needsSettlingByHand(payment: TCustomerPayment): boolean {
  return payment.status === "PENDING" && (payment.reconcileNote?.startsWith("unresolved:") ?? false);
}

/** A customer's card payments (top-ups and auto-recharges) for tenant staff; admins refund them and settle stuck ones. */
export function CardPaymentsCard({
  customerId,
  canRefund,
  onRefund,
  onSettle,
}: {
  customerId: string;
  /** Tenant admins: refunds, and settling by hand what reconciliation could not. */
  canRefund: boolean;
  onRefund: (payment: TCustomerPayment) => void;
  onSettle: (payment: TCustomerPayment) => void;
}) {
  const trpc = useTRPC();
  const payments = useQuery(trpc.payments.customerPayments.queryOptions({ customerId }));
  const columns = [
    "Date",
    "Kind",
    { label: "Amount", align: "right" as const },
    { label: "Refunded", align: "right" as const },
    "Status",
    ...(canRefund ? [{ label: "Actions", align: "right" as const, srOnly: true }] : []),
  ];

  return (
    <Card aria-labelledby="wallet-payments-title">
      <CardHeader>
        <CardTitle id="wallet-payments-title">Card payments</CardTitle>
        <CardDescription>Top-ups and auto-recharges paid by card through Stripe. The last 100 are shown.</CardDescription>
      </CardHeader>
      <CardContent flush>
        {payments.isError ? (
          <QueryError error={payments.error} what="card payments" onRetry={() => void payments.refetch()} />
        ) : payments.isPending ? (
          <div className="p-4" aria-busy="true">
            <span className="sr-only" role="status">
              Loading card payments
            </span>
            <SkeletonText lines={3} />
          </div>
        ) : payments.data.length === 0 ? (
          <EmptyState compact title="No card payments yet" />
        ) : (
          <MiniTable label="Card payments" columns={columns}>
            {payments.data.map((payment) => (
              <MiniRow key={payment.id}>
                <MiniCell>
                  <DateTime value={payment.createdAt} />
                </MiniCell>
                <MiniCell>{PAYMENT_KIND_LABEL[payment.kind] ?? payment.kind}</MiniCell>
                <MiniCell align="right">
                  <Money micros={payment.amount} currency={payment.currency} />
                </MiniCell>
                <MiniCell align="right">
                  {payment.refundedAmount > 0n ? (
                    <Money micros={payment.refundedAmount} currency={payment.currency} />
                  ) : (
                    <span className="text-slate-400">—</span>
                  )}
                </MiniCell>
                <MiniCell>
                  {/* Staff see Stripe's code with the message; customers are shown the message only. */}
                  <span title={[payment.failureCode, payment.failureMessage].filter(Boolean).join(": ") || undefined}>
                    <StatusBadge
                      status={payment.status}
                      label={PAYMENT_STATUS_LABEL[payment.status]}
                      tone={PAYMENT_STATUS_TONE[payment.status]}
                    />
                  </span>
                  {payment.status === "PENDING" && payment.reconcileCheckedAt && payment.reconcileNote ? (
                    <ReconcileState checkedAt={payment.reconcileCheckedAt} note={payment.reconcileNote} />
                  ) : null}
                </MiniCell>
                {canRefund ? (
                  <MiniCell align="right">
                    {isRefundable(payment) ? (
                      <Button size="sm" onClick={() => onRefund(payment)}>
                        Refund
                      </Button>
                    ) : needsSettlingByHand(payment) ? (
                      <Button size="sm" onClick={() => onSettle(payment)}>
                        Settle…
                      </Button>
                    ) : null}
                  </MiniCell>
                ) : null}
              </MiniRow>
            ))}
          </MiniTable>
        )}
      </CardContent>
    </Card>
  );
}

/**
 * A payment still in progress as reconciliation last found it at Stripe (its webhook has not
 * come): waiting for the customer or the bank, or something a person must look at.
 */
function ReconcileState({ checkedAt, note }: { checkedAt: Date; note: string }) {
  const separator = note.indexOf(": ");
  const outcome = separator === -1 ? note : note.slice(0, separator);
  const detail = separator === -1 ? "" : note.slice(separator + 2);
  return (
    <span className="mt-1 block max-w-xs text-xs whitespace-normal text-slate-500" title={detail || undefined}>
      {outcome === "unresolved" ? (
        <Badge tone="warning">Needs attention</Badge>
      ) : (
        <>Checked with Stripe</>
      )}{" "}
      <DateTime value={checkedAt} />
      {outcome === "unresolved" && detail ? <span className="mt-0.5 block text-slate-600">{detail}</span> : null}
    </span>
  );
}
