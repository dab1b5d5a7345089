"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { DateTime } from "@/components/admin/date-time";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { QueryError } from "@/components/admin/query-error";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { EmptyState } from "@/components/ui/empty-state";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Money } from "@/components/ui/money";
import { parseDecimalToMicros } from "@/components/ui/money-format";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton, SkeletonText } from "@/components/ui/skeleton";
import { toast } from "@/components/ui/toast";
import { microsToInput, PAYMENT_KIND_LABEL, PAYMENT_STATUS_LABEL, PAYMENT_STATUS_TONE } from "./labels";

/** How many rows the "Recent …" cards show; the full lists are a link away. */
const RECENT_ROWS = 10;

/**
 * `canSaveCard`: a saved card becomes the default that auto-recharge charges, so only the
 * account's admins are offered to save one (the server refuses it from anyone else).
 */
function TopUpForm({
  currency,
  minimum,
  maximum,
  presets,
  available,
  canSaveCard,
}: {
  currency: string;
  minimum: bigint;
  maximum: bigint;
  presets: bigint[];
  available: boolean;
  canSaveCard: boolean;
}) {
  const trpc = useTRPC();
  const [amount, setAmount] = useState(presets[1] !== undefined ? microsToInput(presets[1]) : microsToInput(minimum));
  const [saveCard, setSaveCard] = useState(false);
  const start = useMutation(
    trpc.payments.startTopUp.mutationOptions({
      onSuccess: (result) => {
        // Stripe's hosted page takes the card; we never see it.
        window.location.assign(result.checkoutUrl);
      },
    }),
  );
  const micros = parseDecimalToMicros(amount);
  const localError =
    amount.trim() === ""
      ? "Enter an amount"
      : micros === null || micros % 10_000n !== 0n
        ? "Enter an amount like 25.00"
        : micros < minimum || micros > maximum
          ? `Top up between ${microsToInput(minimum)} and ${microsToInput(maximum)} ${currency}`
          : undefined;
  const serverErrors = fieldErrorsOf(start.error);
  return (
    <form
      className="space-y-4"
      aria-label="Top up"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        if (localError) return;
        start.mutate({ amount: amount.trim(), saveCard: canSaveCard && saveCard });
      }}
    >
      <div className="flex flex-wrap gap-2" role="group" aria-label="Suggested amounts">
        {presets.map((preset) => (
          <Button key={preset.toString()} size="sm" variant={micros === preset ? "primary" : "secondary"} onClick={() => setAmount(microsToInput(preset))}>
            <Money micros={preset} currency={currency} toneNegative={false} />
          </Button>
        ))}
      </div>
      <FormField label={`Amount (${currency})`} required hint={`Between ${microsToInput(minimum)} and ${microsToInput(maximum)}`} error={serverErrors.amount ?? localError}>
        <Input inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} />
      </FormField>
      {canSaveCard ? (
        <Checkbox
          label="Save this card for automatic top-ups"
          description="Stripe keeps the card; we store only its brand and last four digits."
          checked={saveCard}
          onChange={(event) => setSaveCard(event.target.checked)}
        />
      ) : null}
      {start.error && !serverErrors.amount ? (
        <p role="alert" className="text-sm text-danger-700">
          {messageOf(start.error)}
        </p>
      ) : null}
      {!available ? <p className="text-sm text-slate-600">Card payments are not set up by your provider yet.</p> : null}
      <Button type="submit" variant="primary" loading={start.isPending} disabled={!available || Boolean(localError)}>
        Continue to payment
      </Button>
    </form>
  );
}

function SavedCards({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const cards = useQuery(trpc.payments.paymentMethods.queryOptions());
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.payments.paymentMethods.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.payments.autoRecharge.queryKey() });
  };
  const setDefault = useMutation(trpc.payments.setDefaultPaymentMethod.mutationOptions({ onSuccess: async () => { toast.success("Default card updated"); await refresh(); }, onError: (error) => toast.error(messageOf(error)) }));
  const remove = useMutation(trpc.payments.removePaymentMethod.mutationOptions({ onSuccess: async () => { toast.success("Card removed"); await refresh(); }, onError: (error) => toast.error(messageOf(error)) }));
  if (cards.isError) return <QueryError error={cards.error} what="saved cards" onRetry={() => void cards.refetch()} />;
  if (cards.isPending) return <Skeleton className="h-16" />;
  if (cards.data.length === 0) {
    return (
      <p className="text-sm text-slate-600">
        {canManage ? "No saved cards. Tick “Save this card” on a top-up to add one." : "No saved cards. Your account admin can save one with a top-up."}
      </p>
    );
  }
  return (
    <ul className="divide-y divide-slate-200" aria-label="Saved cards">
      {cards.data.map((card) => (
        <li key={card.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
          <div className="text-sm">
            <span className="font-medium capitalize">{card.brand}</span> ending {card.last4}{" "}
            <span className="text-slate-500">
              expires {String(card.expMonth).padStart(2, "0")}/{card.expYear}
            </span>{" "}
            {card.isDefault ? <Badge tone="brand">Default</Badge> : null}
          </div>
          {canManage ? (
            <div className="flex gap-2">
              {!card.isDefault ? (
                <Button size="sm" loading={setDefault.isPending && setDefault.variables.paymentMethodId === card.id} onClick={() => setDefault.mutate({ paymentMethodId: card.id })}>
                  Make default
                </Button>
              ) : null}
              <Button size="sm" variant="ghost" loading={remove.isPending && remove.variables.paymentMethodId === card.id} onClick={() => remove.mutate({ paymentMethodId: card.id })}>
                Remove
              </Button>
            </div>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function AutoRechargeForm({ currency }: { currency: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.payments.autoRecharge.queryOptions());
  if (settings.isError) return <QueryError error={settings.error} what="auto-recharge settings" onRetry={() => void settings.refetch()} />;
  if (settings.isPending) return <Skeleton className="h-40" />;
  return <AutoRechargeFields key={settings.dataUpdatedAt} initial={settings.data} currency={currency} onSaved={() => queryClient.invalidateQueries({ queryKey: trpc.payments.autoRecharge.queryKey() })} />;
}

type TAutoRecharge = { enabled: boolean; threshold: bigint; amount: bigint; topUpTo: bigint | null; maxPerDay: number; suspendedAt: Date | null; suspendedReason: string | null; defaultCard: { brand: string; last4: string } | null };

function AutoRechargeFields({ initial, currency, onSaved }: { initial: TAutoRecharge; currency: string; onSaved: () => Promise<void> }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [enabled, setEnabled] = useState(initial.enabled);
  const [threshold, setThreshold] = useState(microsToInput(initial.threshold));
  const [amount, setAmount] = useState(microsToInput(initial.amount));
  const [useTarget, setUseTarget] = useState(initial.topUpTo !== null);
  const [topUpTo, setTopUpTo] = useState(initial.topUpTo !== null ? microsToInput(initial.topUpTo) : "");
  const [maxPerDay, setMaxPerDay] = useState(String(initial.maxPerDay));
  const save = useMutation(trpc.payments.saveAutoRecharge.mutationOptions({ onSuccess: async () => { toast.success("Auto-recharge saved"); await onSaved(); } }));
  const retry = useMutation(
    trpc.payments.retryAutoRecharge.mutationOptions({
      onSuccess: async (result) => {
        toast.success(result.outcome.status === "SUCCEEDED" ? "Card charged" : result.outcome.status === "FAILED" ? "The card was declined again" : "Auto-recharge resumed");
        await onSaved();
        await queryClient.invalidateQueries({ queryKey: trpc.payments.topUpOptions.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.payments.myPayments.queryKey() });
      },
      onError: (error) => toast.error(messageOf(error)),
    }),
  );
  const errors = fieldErrorsOf(save.error);
  // Auto-recharge charges the default card, and the server refuses to turn it on without one.
  // Turned on already (the card was removed since), it stays editable so it can be turned off.
  const needsCard = initial.defaultCard === null && !initial.enabled;
  return (
    <form
      className="space-y-4"
      aria-label="Auto-recharge"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        const days = Number.parseInt(maxPerDay, 10);
        save.mutate({ enabled, threshold: threshold.trim(), amount: amount.trim(), topUpTo: useTarget ? topUpTo.trim() : null, maxPerDay: Number.isNaN(days) ? 0 : days });
      }}
    >
      {initial.suspendedAt ? (
        <div role="alert" className="flex flex-wrap items-center justify-between gap-3 rounded-md border border-danger-600/30 bg-danger-50 px-4 py-3 text-sm text-danger-800">
          <p>
            Auto-recharge is paused since <DateTime value={initial.suspendedAt} />: {initial.suspendedReason}. Update your default card or retry.
          </p>
          <Button size="sm" variant="danger" loading={retry.isPending} onClick={() => retry.mutate()}>
            Retry now
          </Button>
        </div>
      ) : null}
      {needsCard ? (
        <p role="note" className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-600">
          Auto-recharge charges your default card. Save one first: tick “Save this card for automatic top-ups” when you{" "}
          <a href="#top-up" className="font-medium text-brand-700 hover:underline">
            top up
          </a>
          .
        </p>
      ) : null}
      {/* A disabled fieldset disables every field and the button in it at once. */}
      <fieldset disabled={needsCard} className="min-w-0 space-y-4 disabled:opacity-60">
        <Checkbox
          label="Recharge automatically when the balance runs low"
          description={initial.defaultCard ? `Charges your default card (${initial.defaultCard.brand} ending ${initial.defaultCard.last4}).` : needsCard ? undefined : "Save a card with a top-up first."}
          checked={enabled}
          onChange={(event) => setEnabled(event.target.checked)}
        />
        <div className="grid gap-4 sm:grid-cols-2">
          <FormField label={`When the balance falls below (${currency})`} error={errors.threshold}>
            <Input inputMode="decimal" value={threshold} onChange={(event) => setThreshold(event.target.value)} />
          </FormField>
          <FormField label="At most, recharges per day" error={errors.maxPerDay}>
            <Input inputMode="numeric" value={maxPerDay} onChange={(event) => setMaxPerDay(event.target.value)} />
          </FormField>
          <FormField label={`Charge (${currency})`} error={errors.amount} hint={useTarget ? "Used when the target needs less than the minimum" : undefined}>
            <Input inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} />
          </FormField>
          <div className="space-y-2">
            <Checkbox label="Instead, top up to a target balance" checked={useTarget} onChange={(event) => setUseTarget(event.target.checked)} />
            {useTarget ? (
              <FormField label={`Target balance (${currency})`} error={errors.topUpTo}>
                <Input inputMode="decimal" value={topUpTo} onChange={(event) => setTopUpTo(event.target.value)} />
              </FormField>
            ) : null}
          </div>
        </div>
        {save.error && Object.keys(errors).length === 0 ? (
          <p role="alert" className="text-sm text-danger-700">
            {messageOf(save.error)}
          </p>
        ) : null}
        <Button type="submit" loading={save.isPending}>
          Save auto-recharge
        </Button>
      </fieldset>
    </form>
  );
}

function RecentRowsLoading({ what }: { what: string }) {
  return (
    <div className="p-4" aria-busy="true">
      <span className="sr-only" role="status">
        Loading {what}
      </span>
      <SkeletonText lines={3} />
    </div>
  );
}

function RecentPayments() {
  const trpc = useTRPC();
  const payments = useQuery(trpc.payments.myPayments.queryOptions());
  if (payments.isError) return <QueryError error={payments.error} what="your card payments" onRetry={() => void payments.refetch()} />;
  if (payments.isPending) return <RecentRowsLoading what="card payments" />;
  if (payments.data.length === 0) return <EmptyState compact title="No card payments yet" description="Top-ups paid by card appear here." />;
  return (
    <MiniTable label="Recent payments" columns={["Date", "Kind", { label: "Amount", align: "right" }, "Status"]}>
      {payments.data.slice(0, RECENT_ROWS).map((payment) => (
        <MiniRow key={payment.id}>
          <MiniCell>
            <DateTime value={payment.createdAt} />
          </MiniCell>
          <MiniCell>{PAYMENT_KIND_LABEL[payment.kind] ?? payment.kind}</MiniCell>
          <MiniCell align="right">
            <Money micros={payment.amount} currency={payment.currency} toneNegative={false} />
          </MiniCell>
          <MiniCell>
            <Badge tone={PAYMENT_STATUS_TONE[payment.status] ?? "neutral"}>{PAYMENT_STATUS_LABEL[payment.status] ?? payment.status}</Badge>
            {payment.failureMessage ? <span className="mt-0.5 block max-w-56 text-xs whitespace-normal text-slate-500">{payment.failureMessage}</span> : null}
          </MiniCell>
        </MiniRow>
      ))}
    </MiniTable>
  );
}

function RecentTransactions({ currency }: { currency: string }) {
  const trpc = useTRPC();
  const ledger = useQuery(trpc.wallet.myLedger.queryOptions({ pageSize: RECENT_ROWS }));
  if (ledger.isError) return <QueryError error={ledger.error} what="your transactions" onRetry={() => void ledger.refetch()} />;
  if (ledger.isPending) return <RecentRowsLoading what="transactions" />;
  if (ledger.data.rows.length === 0) return <EmptyState compact title="No transactions yet" description="Top-ups, charges and adjustments appear here." />;
  return (
    <MiniTable label="Recent transactions" columns={["Date", "Description", { label: "Amount", align: "right" }, { label: "Balance", align: "right" }]}>
      {ledger.data.rows.map((row) => (
        <MiniRow key={row.id.toString()}>
          <MiniCell>
            <DateTime value={row.createdAt} />
          </MiniCell>
          <MiniCell wrap className="min-w-40">{row.description}</MiniCell>
          <MiniCell align="right">
            <Money micros={row.amount} currency={currency} tonePositive signPositive />
          </MiniCell>
          <MiniCell align="right">
            <Money micros={row.balanceAfter} currency={currency} />
          </MiniCell>
        </MiniRow>
      ))}
    </MiniTable>
  );
}

/** Cards that need the currency wait for the top-up options; when those failed, the error above says so. */
function WaitingForOptions({ failed, className }: { failed: boolean; className: string }) {
  return failed ? <p className="text-sm text-slate-500">Shown once your balance loads.</p> : <Skeleton className={className} />;
}

export function BalancePage({ cancelled, canManageCards }: { cancelled: boolean; canManageCards: boolean }) {
  const trpc = useTRPC();
  const options = useQuery(trpc.payments.topUpOptions.queryOptions());
  const data = options.data;
  return (
    <div className="space-y-6">
      <PageHeader title="Balance & payments" description="Top up by card, manage saved cards and automatic top-ups." />
      {cancelled ? (
        <p role="status" className="rounded-md bg-warning-50 px-3 py-2 text-sm text-warning-800">
          The payment was cancelled; nothing was charged.
        </p>
      ) : null}
      {options.isError ? (
        <Card>
          <CardContent flush>
            <QueryError error={options.error} what="your balance and top-up options" onRetry={() => void options.refetch()} />
          </CardContent>
        </Card>
      ) : (
        <div className="grid gap-6 lg:grid-cols-3">
          <Card>
            <CardHeader>
              <CardTitle>Current balance</CardTitle>
            </CardHeader>
            <CardContent>
              {data ? (
                <p className="text-3xl font-semibold" data-testid="current-balance">
                  <Money micros={data.balance} currency={data.currency} />
                </p>
              ) : (
                <Skeleton className="h-9 w-40" />
              )}
              {data?.status === "LOCKED" ? <p className="mt-2 text-sm text-danger-700">Calls are on hold until the balance is restored.</p> : null}
            </CardContent>
          </Card>
          <Card className="scroll-mt-20 lg:col-span-2" id="top-up">
            <CardHeader>
              <CardTitle>Top up</CardTitle>
              <CardDescription>You pay on Stripe&apos;s secure page and come back here.</CardDescription>
            </CardHeader>
            <CardContent>
              {data ? (
                <TopUpForm
                  currency={data.currency}
                  minimum={data.minimum}
                  maximum={data.maximum}
                  presets={data.presets}
                  available={data.cardPaymentsAvailable}
                  canSaveCard={canManageCards}
                />
              ) : (
                <Skeleton className="h-40" />
              )}
            </CardContent>
          </Card>
        </div>
      )}
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Saved cards</CardTitle>
          </CardHeader>
          <CardContent>
            <SavedCards canManage={canManageCards} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Auto-recharge</CardTitle>
          </CardHeader>
          <CardContent>
            {!canManageCards ? (
              <p className="text-sm text-slate-600">Your account admin manages automatic top-ups.</p>
            ) : data ? (
              <AutoRechargeForm currency={data.currency} />
            ) : (
              <WaitingForOptions failed={options.isError} className="h-40" />
            )}
          </CardContent>
        </Card>
      </div>
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Recent payments</CardTitle>
            <CardDescription>Card top-ups and automatic recharges.</CardDescription>
          </CardHeader>
          <CardContent flush>
            <RecentPayments />
          </CardContent>
        </Card>
        <Card>
          <CardHeader
            actions={
              <Link href="/portal/transactions" className="text-sm font-medium text-brand-700 hover:underline">
                View all
              </Link>
            }
          >
            <CardTitle>Recent transactions</CardTitle>
            <CardDescription>The last {RECENT_ROWS} entries on your account.</CardDescription>
          </CardHeader>
          <CardContent flush>
            {data ? (
              <RecentTransactions currency={data.currency} />
            ) : (
              <div className="p-4">
                <WaitingForOptions failed={options.isError} className="h-24" />
              </div>
            )}
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
