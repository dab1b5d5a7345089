"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { BehindModal } from "@/components/admin/behind-modal";
import { DateTime } from "@/components/admin/date-time";
import { isForbidden, toastError } from "@/components/trpc/errors";
import { isUuid } from "@/components/admin/format";
import { auditHref, billingTypeLabel, customerHref } from "@/components/admin/labels";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { QueryError } from "@/components/admin/query-error";
import { AuditIcon, CustomersIcon, DownloadIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { FormField } from "@/components/ui/form-field";
import { Select } from "@/components/ui/select";
import { Money } from "@/components/ui/money";
import { formatMicros } from "@/components/ui/money-format";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton, SkeletonText } from "@/components/ui/skeleton";
import { Stat } from "@/components/ui/stat";
import { StatusBadge } from "@/components/ui/status-badge";
import { toast } from "@/components/ui/toast";
import { AdjustDialog, type TAdjustSubmit } from "@/components/wallet/adjust-dialog";
import { BalanceChart } from "@/components/wallet/balance-chart";
import { CardPaymentsCard, type TCustomerPayment } from "@/components/wallet/card-payments-card";
import { periodLabel, type TWallet } from "@/components/wallet/labels";
import { LEDGER_PRECISION } from "@/components/wallet/ledger-precision";
import { LedgerTable, useLedgerFilters } from "@/components/wallet/ledger-table";
import { LimitsCard, type TLimitsSubmit } from "@/components/wallet/limits-card";
import { ReasonDialog, type TReasonSubmit } from "@/components/wallet/reason-dialog";
import { RefundDialog, type TRefundSubmit } from "@/components/wallet/refund-dialog";
import { SettlePaymentDialog, type TSettleSubmit } from "@/components/wallet/settle-payment-dialog";
import { RecurringFeeDialog, RecurringFeesCard, type TFeeSubmit } from "@/components/wallet/recurring-fees-card";
import { RecordUnavailable } from "@/components/admin/record-unavailable";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { useTimeZone } from "@/components/time/time-zone-provider";
import { dayOf, firstOfMonth } from "@/components/time/wall-time";

const BREADCRUMB_ROOT = { label: "Customers", href: "/admin/customers" };

/** How far back a statement can be written from this card. */
const STATEMENT_MONTHS = 24;

/**
 * The finished months, latest first ("2026-09" first in October), as statements are cut in the
 * tenant's zone. A list rather than a month input: Firefox and Safari show that as plain text.
 */
function finishedPeriods(timeZone: string): string[] {
  const today = dayOf(new Date(), timeZone);
  return Array.from({ length: STATEMENT_MONTHS }, (_, index) => firstOfMonth(today, index + 1).slice(0, "yyyy-mm".length));
}

/** A customer's wallet for tenant staff: balance, lock, limits, ledger, recurring fees, statements. */
export function WalletAdmin({ customerId }: { customerId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const valid = isUuid(customerId);
  const { canEdit: canManage, known: roleKnown } = useStaffAccess();
  const wallet = useQuery({ ...trpc.wallet.get.queryOptions({ customerId }), enabled: valid });
  const filters = useLedgerFilters();
  const ledger = useQuery({
    ...trpc.wallet.ledger.queryOptions({ customerId, ...filters.queryInput }),
    enabled: valid,
    placeholderData: keepPreviousData,
  });

  const [adjusting, setAdjusting] = useState(false);
  const [lockChange, setLockChange] = useState<"lock" | "unlock" | null>(null);
  const [addingFee, setAddingFee] = useState(false);
  const [refunding, setRefunding] = useState<TCustomerPayment | null>(null);
  const [settling, setSettling] = useState<TCustomerPayment | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.wallet.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.customers.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() });
  };

  const adjust = useMutation(
    trpc.wallet.adjust.mutationOptions({
      onSuccess: (result) => {
        refresh();
        if (result.created) toast.success("Adjustment posted");
        else toast.info("This adjustment was already posted");
      },
    }),
  );
  const updateLimits = useMutation(
    trpc.wallet.updateLimits.mutationOptions({
      onSuccess: () => {
        refresh();
        toast.success("Limits saved");
      },
    }),
  );
  const lock = useMutation(
    trpc.wallet.lock.mutationOptions({
      onSuccess: () => {
        refresh();
        toast.success("Account locked");
      },
    }),
  );
  const unlock = useMutation(
    trpc.wallet.unlock.mutationOptions({
      onSuccess: () => {
        refresh();
        toast.success("Account unlocked");
      },
    }),
  );
  const saveFee = useMutation(
    trpc.wallet.saveRecurringCharge.mutationOptions({
      onSuccess: () => {
        refresh();
        toast.success("Recurring fee added");
      },
    }),
  );
  const refund = useMutation(
    trpc.payments.refund.mutationOptions({
      onSuccess: (result, variables) => {
        refresh();
        void queryClient.invalidateQueries({ queryKey: trpc.payments.pathKey() });
        const currency = refunding?.id === variables.paymentId ? refunding.currency : null;
        const amount = currency ? formatMicros(result.amount, currency) : "The payment";
        toast.success(
          !result.debited
            ? `Refund of ${amount} requested; the balance changes once Stripe completes it`
            : result.status === "pending"
              ? `Refund of ${amount} requested; Stripe is processing it`
              : `Refunded ${amount}`,
        );
      },
    }),
  );
  const settle = useMutation(
    trpc.payments.settleByHand.mutationOptions({
      onSuccess: (result) => {
        refresh();
        void queryClient.invalidateQueries({ queryKey: trpc.payments.pathKey() });
        toast.success(result.status === "SUCCEEDED" ? "Payment recorded as paid; the balance is credited" : "Payment closed as not paid");
      },
    }),
  );
  const toggleFee = useMutation(
    trpc.wallet.setRecurringChargeActive.mutationOptions({
      onSuccess: (result) => {
        refresh();
        toast.success(result.active ? "Recurring fee resumed" : "Recurring fee stopped");
      },
      onError: toastError,
    }),
  );

  if (!valid || wallet.isError) {
    return (
      <RecordUnavailable
        title="Wallet"
        parent={BREADCRUMB_ROOT}
        error={wallet.error}
        invalidId={!valid}
        what="this wallet"
        onRetry={() => void wallet.refetch()}
        notFound={{ icon: <CustomersIcon />, title: "This customer does not exist", backLabel: "Back to customers" }}
      />
    );
  }
  if (wallet.isPending) return <WalletSkeleton />;

  const data = wallet.data;
  const currency = data.tenant.currency;
  const prepaid = data.billingType === "PREPAID";
  const locked = data.status === "LOCKED";
  const negative = data.balance < 0n;
  const low = data.balance < data.lowBalanceThreshold;

  const submitAdjust: TAdjustSubmit = (values, handlers) => adjust.mutate({ customerId: data.id, ...values }, handlers);
  const submitLimits: TLimitsSubmit = (values, handlers) => updateLimits.mutate({ customerId: data.id, ...values }, handlers);
  const submitLock: TReasonSubmit = (reason, handlers) =>
    (lockChange === "unlock" ? unlock : lock).mutate({ customerId: data.id, reason }, handlers);
  const submitRefund: TRefundSubmit = (values, handlers) => refund.mutate(values, handlers);
  const submitSettle: TSettleSubmit = (values, handlers) => settle.mutate(values, handlers);
  const submitFee: TFeeSubmit = (values, handlers) => saveFee.mutate({ charge: { customerId: data.id, ...values } }, handlers);

  return (
    <div>
      <BehindModal hidden={adjusting || lockChange !== null || addingFee || refunding !== null || settling !== null}>
        <PageHeader
          breadcrumbs={[BREADCRUMB_ROOT, { label: data.name, href: customerHref(data.id) }, { label: "Wallet" }]}
          title={`${data.name} · Wallet`}
          meta={<StatusBadge status={data.status} />}
          description={
            <>
              Account <span className="font-mono text-slate-700">{data.accountNumber}</span> · {billingTypeLabel(data.billingType)} · {currency}
            </>
          }
          actions={
            <>
              <Link href={auditHref("customer", data.id)} className={buttonClassName("ghost")}>
                <AuditIcon />
                Audit log
              </Link>
              {canManage && data.status === "ACTIVE" ? (
                <Button
                  onClick={() => {
                    lock.reset();
                    setLockChange("lock");
                  }}
                >
                  Lock account
                </Button>
              ) : null}
              {canManage && locked ? (
                <Button
                  onClick={() => {
                    unlock.reset();
                    setLockChange("unlock");
                  }}
                >
                  Unlock account
                </Button>
              ) : null}
              {canManage && data.status !== "CLOSED" ? (
                <Button
                  variant="primary"
                  onClick={() => {
                    adjust.reset();
                    setAdjusting(true);
                  }}
                >
                  Credit or debit
                </Button>
              ) : null}
            </>
          }
        />

        {locked ? (
          <div role="alert" className="mb-5 rounded-lg border border-danger-600/30 bg-danger-50 px-4 py-3 text-sm text-danger-800">
            <p className="font-semibold">
              Locked {data.lockSource === "MANUAL" ? "by hand" : "because the balance ran out"}
              {data.lockedAt ? (
                <>
                  {" "}
                  on <DateTime value={data.lockedAt} />
                </>
              ) : null}
            </p>
            {data.lockReason ? <p className="mt-0.5">Reason: {data.lockReason}</p> : null}
            <p className="mt-0.5 text-danger-700">
              {data.lockSource === "MANUAL"
                ? "A manual lock stays until someone unlocks the account, even after a payment."
                : "It unlocks by itself once a payment brings the balance back."}
            </p>
          </div>
        ) : null}
        {!canManage && roleKnown ? (
          <p role="note" className="mb-5 rounded-lg border border-slate-200 bg-slate-50 px-4 py-2.5 text-sm text-slate-600">
            You can view this wallet. Moving money, changing limits and locking need a tenant admin.
          </p>
        ) : null}

        <div className="mb-5 grid grid-cols-1 gap-4 sm:grid-cols-3">
          <Stat
            label="Balance"
            value={<Money micros={data.balance} currency={currency} />}
            tone={negative ? "danger" : low ? "warning" : "neutral"}
            hint={low ? "Below the low-balance threshold" : undefined}
          />
          {prepaid ? (
            <Stat label="Lock threshold" value={<Money micros={data.lockThreshold} currency={currency} />} hint="Prepaid: locks at or below this balance" />
          ) : (
            <Stat label="Credit limit" value={<Money micros={data.creditLimit} currency={currency} toneNegative={false} />} hint="Postpaid: how far below zero it may go" />
          )}
          <Stat label="Low-balance threshold" value={<Money micros={data.lowBalanceThreshold} currency={currency} />} hint="The customer is emailed below this" />
        </div>

        {/* Tables with money columns (card payments, ledger) take the full width: in a column of
            the grid they would scroll their amounts and actions out of sight. */}
        <div className="grid gap-5 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
          <div className="flex min-w-0 flex-col gap-5">
            <Card aria-labelledby="wallet-chart-title">
              <CardHeader>
                <CardTitle id="wallet-chart-title">Balance over time</CardTitle>
                <CardDescription>After each transaction on the ledger page below.</CardDescription>
              </CardHeader>
              <CardContent>
                <BalanceChart rows={ledger.data?.rows ?? []} currency={currency} loading={ledger.isPending} />
              </CardContent>
            </Card>
            <RecurringFeesCard
              charges={data.recurringCharges}
              currency={currency}
              canEdit={canManage}
              onAdd={() => {
                saveFee.reset();
                setAddingFee(true);
              }}
              onToggle={(charge) => toggleFee.mutate({ chargeId: charge.id, active: !charge.active })}
              togglingId={toggleFee.isPending ? (toggleFee.variables?.chargeId ?? null) : null}
            />
          </div>
          <div className="flex min-w-0 flex-col gap-5">
            <LimitsCard
              key={`${data.creditLimit}:${data.lockThreshold}:${data.lowBalanceThreshold}`}
              limits={{ creditLimit: data.creditLimit, lockThreshold: data.lockThreshold, lowBalanceThreshold: data.lowBalanceThreshold }}
              billingType={data.billingType}
              currency={currency}
              canEdit={canManage}
              submit={submitLimits}
              pending={updateLimits.isPending}
            />
            <AutoRechargeCard settings={data.autoRecharge} currency={currency} />
            <StatementsCard customerId={data.id} canGenerate={canManage} />
          </div>
        </div>

        <div className="mt-5 flex flex-col gap-5">
          <CardPaymentsCard
            customerId={data.id}
            canRefund={canManage}
            onRefund={(payment) => {
              refund.reset();
              setRefunding(payment);
            }}
            onSettle={(payment) => {
              settle.reset();
              setSettling(payment);
            }}
          />
          <section aria-labelledby="wallet-ledger-title">
            <h2 id="wallet-ledger-title" className="mb-2 text-sm font-semibold text-slate-900">
              Ledger
            </h2>
            <LedgerTable
              label="Ledger"
              filters={filters}
              data={ledger.data}
              loading={ledger.isFetching}
              error={ledger.error}
              onRetry={() => void ledger.refetch()}
              exportPath={`/api/customers/${data.id}/ledger`}
              showActor
              showReferences
            />
          </section>
        </div>
      </BehindModal>

      <AdjustDialog
        open={adjusting}
        onOpenChange={setAdjusting}
        customerName={data.name}
        currency={currency}
        balance={data.balance}
        submit={submitAdjust}
        pending={adjust.isPending}
      />
      <ReasonDialog
        open={lockChange !== null}
        onOpenChange={(open) => {
          if (!open) setLockChange(null);
        }}
        title={lockChange === "unlock" ? `Unlock ${data.name}` : `Lock ${data.name}`}
        description={
          lockChange === "unlock"
            ? "Service resumes at once. If the balance still cannot carry calls, the account may lock again."
            : "Calls stop at once. A manual lock is not lifted by a payment; unlock it here."
        }
        confirmLabel={lockChange === "unlock" ? "Unlock account" : "Lock account"}
        danger={lockChange !== "unlock"}
        submit={submitLock}
        pending={lock.isPending || unlock.isPending}
      />
      <RefundDialog
        payment={refunding}
        onOpenChange={(open) => {
          if (!open) setRefunding(null);
        }}
        submit={submitRefund}
        pending={refund.isPending}
      />
      <SettlePaymentDialog
        payment={settling}
        onOpenChange={(open) => {
          if (!open) setSettling(null);
        }}
        submit={submitSettle}
        pending={settle.isPending}
      />
      <RecurringFeeDialog open={addingFee} onOpenChange={setAddingFee} currency={currency} submit={submitFee} pending={saveFee.isPending} />
    </div>
  );
}

function AutoRechargeCard({ settings, currency }: { settings: TWallet["autoRecharge"]; currency: string }) {
  return (
    <Card aria-labelledby="wallet-recharge-title">
      <CardHeader actions={settings?.enabled ? settings.suspendedAt ? <Badge tone="warning">Suspended</Badge> : <Badge tone="success">On</Badge> : <Badge>Off</Badge>}>
        <CardTitle id="wallet-recharge-title">Auto-recharge</CardTitle>
        <CardDescription>Set up by the customer in the portal, with a saved card.</CardDescription>
      </CardHeader>
      <CardContent>
        {settings ? (
          <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-6 gap-y-2 text-sm">
            <Row label="Enabled">{settings.enabled ? "Yes" : "No"}</Row>
            <Row label="When below">
              <Money micros={settings.threshold} currency={currency} />
            </Row>
            <Row label={settings.topUpTo !== null ? "Top up to" : "Charge"}>
              <Money micros={settings.topUpTo ?? settings.amount} currency={currency} />
            </Row>
            <Row label="At most">{settings.maxPerDay} per day</Row>
            {settings.suspendedAt ? (
              <Row label="Suspended">
                <span className="text-warning-800">
                  <DateTime value={settings.suspendedAt} />
                  {settings.suspendedReason ? ` · ${settings.suspendedReason}` : ""}
                </span>
              </Row>
            ) : null}
          </dl>
        ) : (
          <p className="text-sm text-slate-500">Not set up.</p>
        )}
      </CardContent>
    </Card>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className="min-w-0 text-slate-900">{children}</dd>
    </>
  );
}

function StatementsCard({ customerId, canGenerate }: { customerId: string; canGenerate: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const statements = useQuery(trpc.statements.forCustomer.queryOptions({ customerId }));
  const timeZone = useTimeZone();
  const periods = finishedPeriods(timeZone);
  const [period, setPeriod] = useState(() => periods[0]!);
  const [periodError, setPeriodError] = useState<string | null>(null);
  const generate = useMutation(
    trpc.statements.generate.mutationOptions({
      onSuccess: (statement) => {
        setPeriodError(null);
        void queryClient.invalidateQueries({ queryKey: trpc.statements.pathKey() });
        toast.success(`Statement for ${periodLabel(statement.period)} generated`);
      },
      onError: (error) => {
        if (isForbidden(error)) toastError(error);
        else setPeriodError(error.message);
      },
    }),
  );
  return (
    <Card aria-labelledby="wallet-statements-title">
      <CardHeader>
        <CardTitle id="wallet-statements-title">Statements</CardTitle>
        <CardDescription>Written and emailed on the 1st for the month before.</CardDescription>
      </CardHeader>
      <CardContent flush>
        {statements.isError ? (
          <QueryError error={statements.error} what="statements" onRetry={() => void statements.refetch()} />
        ) : statements.isPending ? (
          <div className="p-4">
            <SkeletonText lines={3} />
          </div>
        ) : statements.data.statements.length === 0 ? (
          <EmptyState compact title="No statements yet" />
        ) : (
          <MiniTable label="Statements" columns={["Period", { label: "Closing", align: "right" }, "Emailed", { label: "PDF", align: "right", srOnly: true }]}>
            {statements.data.statements.map((statement) => (
              <MiniRow key={statement.id}>
                <MiniCell className="font-medium text-slate-900">{periodLabel(statement.period)}</MiniCell>
                <MiniCell align="right">
                  <Money micros={statement.closingBalance} currency={statements.data.currency} precision={LEDGER_PRECISION} />
                </MiniCell>
                <MiniCell>{statement.emailedAt ? <DateTime value={statement.emailedAt} style="date" /> : <span className="text-slate-400">Not yet</span>}</MiniCell>
                <MiniCell align="right">
                  <a
                    href={`/api/customers/${customerId}/statements/${statement.id}/pdf`}
                    className="inline-flex items-center gap-1 text-brand-700 hover:underline"
                    aria-label={`Download the statement for ${periodLabel(statement.period)} (PDF)`}
                  >
                    <DownloadIcon className="size-3.5" />
                    PDF
                  </a>
                </MiniCell>
              </MiniRow>
            ))}
          </MiniTable>
        )}
      </CardContent>
      {canGenerate ? (
        <form
          className="flex items-end gap-2 border-t border-slate-200 px-4 py-3"
          onSubmit={(event) => {
            event.preventDefault();
            generate.mutate({ customerId, period });
          }}
          noValidate
        >
          <FormField label="Month" error={periodError} className="flex-1">
            <Select
              size="sm"
              value={period}
              options={periods.map((value) => ({ value, label: periodLabel(value) }))}
              onChange={(event) => {
                setPeriod(event.target.value);
                setPeriodError(null);
              }}
            />
          </FormField>
          <Button type="submit" size="sm" loading={generate.isPending} className={periodError ? "mb-5" : undefined}>
            Generate statement
          </Button>
        </form>
      ) : null}
    </Card>
  );
}

function WalletSkeleton() {
  return (
    <div aria-busy="true">
      <span className="sr-only" role="status">
        Loading wallet
      </span>
      <div className="mb-5 flex flex-col gap-2">
        <Skeleton className="h-3 w-40" />
        <Skeleton className="h-6 w-72" />
        <Skeleton className="h-4 w-48" />
      </div>
      <div className="mb-5 grid grid-cols-1 gap-4 sm:grid-cols-3">
        {[0, 1, 2].map((index) => (
          <Skeleton key={index} className="h-20" />
        ))}
      </div>
      <Card>
        <CardContent>
          <SkeletonText lines={8} />
        </CardContent>
      </Card>
    </div>
  );
}
