"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import { formatCount, reasonTitle } from "@/components/cdr/unbillable/types";
import { Skeleton } from "@/components/ui/skeleton";
import { formatMicros } from "@/components/ui/money-format";

function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/**
 * The question before a re-rate: it posts charges to customers' wallets and can lock prepaid
 * accounts, so the admin sees how many calls, about how much and how many customers first.
 * The figures are read when the dialog opens (rerateImpact), so they include a fix made a
 * moment ago.
 */
export function RerateConfirmDialog({
  reason,
  currency,
  pending,
  onCancel,
  onConfirm,
}: {
  /** undefined: closed; null: every reason; a string: that reason's calls only. */
  reason: string | null | undefined;
  currency: string;
  pending: boolean;
  onCancel: () => void;
  onConfirm: (reason: string | null) => void;
}) {
  const trpc = useTRPC();
  const open = reason !== undefined;
  const impact = useQuery({ ...trpc.cdrFiles.rerateImpact.queryOptions({ reason: reason ?? null }), enabled: open, staleTime: 0 });
  const data = open ? impact.data : undefined;
  const scope = reason ? `“${reasonTitle(reason)}”` : "every reason";

  return (
    <ConfirmDialog
      open={open}
      onOpenChange={(next) => !next && onCancel()}
      title={reason ? `Re-rate ${reasonTitle(reason).toLowerCase()} calls and charge customers?` : "Re-rate all unbillable calls and charge customers?"}
      confirmLabel="Re-rate and charge"
      destructive={false}
      pending={pending}
      onConfirm={() => onConfirm(reason ?? null)}
    >
      <div className="flex flex-col gap-2 text-sm text-slate-700" aria-live="polite">
        {impact.isError ? (
          <p className="text-danger-700">The figures could not be loaded. Re-rating still charges only the calls that now find a customer and a rate.</p>
        ) : !data ? (
          <div className="flex flex-col gap-2" aria-busy="true">
            <Skeleton className="h-4 w-full" />
            <Skeleton className="h-4 w-2/3" />
            <span className="sr-only">Counting the calls…</span>
          </div>
        ) : (
          <>
            <p data-testid="rerate-impact">
              {plural(data.calls, "unbillable call")} ({scope}) will be priced again with the current rates.{" "}
              {data.chargeableCalls === 0 ? (
                <>None of them has a customer to charge yet, so nothing will be charged.</>
              ) : (
                <>
                  {plural(data.chargeableCalls, "call")} that find a rate will be charged to{" "}
                  <strong className="font-semibold text-slate-900">{plural(data.customers, "customer")}</strong>
                  {data.estimatedCharge !== null ? (
                    <>
                      : about <strong className="font-semibold text-slate-900">{formatMicros(data.estimatedCharge, currency)}</strong> in total
                    </>
                  ) : null}
                  .
                </>
              )}
            </p>
            {data.chargeableCalls > 0 ? (
              <p>
                The charges go to the customers’ wallets at once.{" "}
                {data.prepaidCustomers > 0 ? (
                  <strong className="font-semibold text-slate-900">
                    {plural(data.prepaidCustomers, "prepaid account")} among them will be locked if {data.prepaidCustomers === 1 ? "its" : "their"} balance cannot
                    carry the calls.
                  </strong>
                ) : (
                  "Accounts whose balance cannot carry the calls will be locked."
                )}
              </p>
            ) : null}
            {data.calls > data.chargeableCalls ? (
              <p className="text-xs text-slate-500">
                {plural(data.calls - data.chargeableCalls, "call")} without a known customer (unmapped account codes) stay unbillable.
              </p>
            ) : null}
            {data.estimatedCharge !== null && data.chargeableCalls > 0 ? (
              <p className="text-xs text-slate-500">
                “About”: the exact amount is known only once each call is priced, and calls that still find no rate are not charged.{" "}
                {data.estimate.description}
              </p>
            ) : null}
            <p className="text-xs text-slate-500">Each call is billed once, however often you re-rate.</p>
          </>
        )}
      </div>
    </ConfirmDialog>
  );
}
