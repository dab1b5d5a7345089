"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { DateTime } from "@/components/admin/date-time";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Money } from "@/components/ui/money";
import { parseDecimalToMicros } from "@/components/ui/money-format";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { toast } from "@/components/ui/toast";
import { microsToInput, PAYMENT_KIND_LABEL, PAYMENT_STATUS_LABEL, PAYMENT_STATUS_TONE } from "./labels";

function TopUpForm({ currency, minimum, maximum, presets, available }: { currency: string; minimum: bigint; maximum: bigint; presets: bigint[]; available: boolean }) {
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
        start.mutate({ amount: amount.trim(), saveCard });
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
      <Checkbox
        label="Save this card for automatic top-ups"
        description="Stripe keeps the card; we store only its brand and last four digits."
        checked={saveCard}
        onChange={(event) => setSaveCard(event.target.checked)}
      />
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
  if (cards.isPending) return <Skeleton className="h-16" />;
  if (!cards.data || cards.data.length === 0) return <p className="text-sm text-slate-600">No saved cards. Tick “Save this card” on a top-up to add one.</p>;
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
  if (settings.isPending) return <Skeleton className="h-40" />;
  if (!settings.data) return <p role="alert">{messageOf(settings.error)}</p>;
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
      <Checkbox
        label="Recharge automatically when the balance runs low"
        description={initial.defaultCard ? `Charges your default card (${initial.defaultCard.brand} ending ${initial.defaultCard.last4}).` : "Save a card with a top-up first."}
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
    </form>
  );
}

function RecentPayments({ currency }: { currency: string }) {
  const trpc = useTRPC();
  const payments = useQuery(trpc.payments.myPayments.queryOptions());
  if (payments.isPending) return <Skeleton className="h-24" />;
  if (!payments.data || payments.data.length === 0) return <p className="text-sm text-slate-600">No card payments yet.</p>;
  return (
    <table className="w-full text-sm" aria-label="Recent payments">
      <thead>
        <tr className="text-left text-xs uppercase text-slate-500">
          <th className="py-2">Date</th>
          <th>Kind</th>
          <th className="text-right">Amount</th>
          <th className="pl-4">Status</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {payments.data.map((payment) => (
          <tr key={payment.id}>
            <td className="py-2">
              <DateTime value={payment.createdAt} />
            </td>
            <td>{PAYMENT_KIND_LABEL[payment.kind] ?? payment.kind}</td>
            <td className="text-right">
              <Money micros={payment.amount} currency={payment.currency || currency} toneNegative={false} />
            </td>
            <td className="pl-4">
              <Badge tone={PAYMENT_STATUS_TONE[payment.status] ?? "neutral"}>{PAYMENT_STATUS_LABEL[payment.status] ?? payment.status}</Badge>
              {payment.failureMessage ? <span className="ml-2 text-xs text-slate-500">{payment.failureMessage}</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RecentTransactions({ currency }: { currency: string }) {
  const trpc = useTRPC();
  const ledger = useQuery(trpc.wallet.myLedger.queryOptions({ pageSize: 10 }));
  if (ledger.isPending) return <Skeleton className="h-24" />;
  if (!ledger.data || ledger.data.rows.length === 0) return <p className="text-sm text-slate-600">No transactions yet.</p>;
  return (
    <table className="w-full text-sm" aria-label="Recent transactions">
      <thead>
        <tr className="text-left text-xs uppercase text-slate-500">
          <th className="py-2">Date</th>
          <th>Description</th>
          <th className="text-right">Amount</th>
          <th className="text-right">Balance</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {ledger.data.rows.map((row) => (
          <tr key={row.id.toString()}>
            <td className="py-2">
              <DateTime value={row.createdAt} />
            </td>
            <td>{row.memo ?? row.kind}</td>
            <td className="text-right">
              <Money micros={row.amount} currency={currency} tonePositive signPositive />
            </td>
            <td className="text-right">
              <Money micros={row.balanceAfter} currency={currency} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
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
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Top up</CardTitle>
            <CardDescription>You pay on Stripe&apos;s secure page and come back here.</CardDescription>
          </CardHeader>
          <CardContent>
            {data ? <TopUpForm currency={data.currency} minimum={data.minimum} maximum={data.maximum} presets={data.presets} available={data.cardPaymentsAvailable} /> : <Skeleton className="h-40" />}
          </CardContent>
        </Card>
      </div>
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
          <CardContent>{data ? canManageCards ? <AutoRechargeForm currency={data.currency} /> : <p className="text-sm text-slate-600">Your account admin manages automatic top-ups.</p> : <Skeleton className="h-40" />}</CardContent>
        </Card>
      </div>
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Recent payments</CardTitle>
          </CardHeader>
          <CardContent>{data ? <RecentPayments currency={data.currency} /> : <Skeleton className="h-24" />}</CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Recent transactions</CardTitle>
          </CardHeader>
          <CardContent>{data ? <RecentTransactions currency={data.currency} /> : <Skeleton className="h-24" />}</CardContent>
        </Card>
      </div>
    </div>
  );
}
