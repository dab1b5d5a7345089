"use client";

import Link from "next/link";
import type { inferRouterOutputs } from "@trpc/server";
import { useState, type FormEvent } from "react";
import { clsx } from "clsx";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import type { AppRouter } from "@/server/trpc/root";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { DateTime } from "@/components/admin/date-time";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import { QueryError } from "@/components/admin/query-error";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { EmptyState } from "@/components/ui/empty-state";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Money } from "@/components/ui/money";
import { formatMicros, parseDecimalToMicros } from "@/components/ui/money-format";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton, SkeletonText } from "@/components/ui/skeleton";
import { toast } from "@/components/ui/toast";
import { balanceTone, type TBalanceTone } from "@/components/wallet/balance-tone";
import { LEDGER_PRECISION } from "@/components/wallet/ledger-precision";
import { cardAmountError, chargeOnSave, microsToInput } from "./amounts";
import { cardName, removalEffect } from "./saved-cards";
import { PAYMENT_KIND_LABEL, PAYMENT_STATUS_LABEL, PAYMENT_STATUS_TONE } from "./labels";

/** How many rows the "Recent …" cards show; the full lists are a link away. */
const RECENT_ROWS = 10;

type TOutputs = inferRouterOutputs<AppRouter>;
type TSavedCard = TOutputs["payments"]["paymentMethods"][number];
type TTopUpOptions = TOutputs["payments"]["topUpOptions"];

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
  postpaid,
}: {
  currency: string;
  minimum: bigint;
  maximum: bigint;
  presets: bigint[];
  available: boolean;
  canSaveCard: boolean;
  /** A postpaid account pays what it owes rather than topping up. */
  postpaid: boolean;
}) {
  const trpc = useTRPC();
  const [amount, setAmount] = useState(microsToInput(presets[1] ?? minimum, currency));
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
  const localError = cardAmountError(amount, { currency, minimum, maximum, verb: postpaid ? "Pay" : "Top up" });
  const serverErrors = fieldErrorsOf(start.error);
  return (
    <form
      className="space-y-4"
      aria-label={postpaid ? "Pay" : "Top up"}
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        if (localError) return;
        start.mutate({ amount: amount.trim(), saveCard: canSaveCard && saveCard });
      }}
    >
      <div className="flex flex-wrap gap-2" role="group" aria-label="Suggested amounts">
        {presets.map((preset) => (
          <Button key={preset.toString()} size="sm" variant={micros === preset ? "primary" : "secondary"} onClick={() => setAmount(microsToInput(preset, currency))}>
            <Money micros={preset} currency={currency} toneNegative={false} />
          </Button>
        ))}
      </div>
      <FormField label={`Amount (${currency})`} required hint={`Between ${microsToInput(minimum, currency)} and ${microsToInput(maximum, currency)}`} error={serverErrors.amount ?? localError}>
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
  // Whether a removal leaves auto-recharge without a card; only those who manage cards are asked.
  const autoRecharge = useQuery({ ...trpc.payments.autoRecharge.queryOptions(), enabled: canManage });
  const [removing, setRemoving] = useState<TSavedCard | null>(null);
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.payments.paymentMethods.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.payments.autoRecharge.queryKey() });
  };
  const setDefault = useMutation(trpc.payments.setDefaultPaymentMethod.mutationOptions({ onSuccess: async () => { toast.success("Default card updated"); await refresh(); }, onError: (error) => toast.error(messageOf(error)) }));
  const remove = useMutation(
    trpc.payments.removePaymentMethod.mutationOptions({
      onSuccess: async () => {
        setRemoving(null);
        toast.success("Card removed");
        await refresh();
      },
      onError: (error) => toast.error(messageOf(error)),
    }),
  );
  if (cards.isError) return <QueryError error={cards.error} what="saved cards" onRetry={() => void cards.refetch()} />;
  if (cards.isPending) return <Skeleton className="h-16" />;
  if (cards.data.length === 0) {
    return (
      <p className="text-sm text-slate-600">
        {canManage ? "No saved cards. Tick “Save this card” on a top-up to add one." : "No saved cards. Your account admin can save one with a top-up."}
      </p>
    );
  }
  const effect = removing ? removalEffect(removing, cards.data, autoRecharge.data?.enabled === true) : null;
  return (
    <>
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
                  <Button
                    size="sm"
                    aria-label={`Make ${cardName(card)} the default`}
                    loading={setDefault.isPending && setDefault.variables.paymentMethodId === card.id}
                    onClick={() => setDefault.mutate({ paymentMethodId: card.id })}
                  >
                    Make default
                  </Button>
                ) : null}
                <Button size="sm" variant="ghost" aria-label={`Remove ${cardName(card)}`} onClick={() => setRemoving(card)}>
                  Remove
                </Button>
              </div>
            ) : null}
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(open) => {
          if (!open) setRemoving(null);
        }}
        title={removing ? `Remove ${cardName(removing)}?` : "Remove card?"}
        description="The card is removed from your account and from our payment provider."
        confirmLabel="Remove card"
        pending={remove.isPending}
        onConfirm={() => {
          if (removing) remove.mutate({ paymentMethodId: removing.id });
        }}
      >
        {effect ? (
          <p role="alert" className="rounded-md bg-warning-50 px-3 py-2 text-sm text-warning-800">
            {effect}
          </p>
        ) : null}
      </ConfirmDialog>
    </>
  );
}

function AutoRechargeForm({ options }: { options: TTopUpOptions }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.payments.autoRecharge.queryOptions());
  if (settings.isError) return <QueryError error={settings.error} what="auto-recharge settings" onRetry={() => void settings.refetch()} />;
  if (settings.isPending) return <Skeleton className="h-40" />;
  // Saving or retrying may charge the card: the payments, the balance and the ledger move too.
  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.payments.autoRecharge.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.payments.myPayments.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.payments.topUpOptions.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.wallet.pathKey() }),
    ]);
  };
  return <AutoRechargeFields key={settings.dataUpdatedAt} initial={settings.data} options={options} onSaved={refresh} />;
}

type TAutoRecharge = TOutputs["payments"]["autoRecharge"];

/** A stored reason as a sentence of its own ("No saved card to charge" gets its full stop). */
function asSentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function AutoRechargeFields({ initial, options, onSaved }: { initial: TAutoRecharge; options: TTopUpOptions; onSaved: () => Promise<void> }) {
  const trpc = useTRPC();
  const { currency } = options;
  const [enabled, setEnabled] = useState(initial.enabled);
  const [threshold, setThreshold] = useState(microsToInput(initial.threshold, currency));
  const [amount, setAmount] = useState(microsToInput(initial.amount, currency));
  const [useTarget, setUseTarget] = useState(initial.topUpTo !== null);
  const [topUpTo, setTopUpTo] = useState(initial.topUpTo !== null ? microsToInput(initial.topUpTo, currency) : "");
  const [maxPerDay, setMaxPerDay] = useState(String(initial.maxPerDay));
  const card = initial.defaultCard;
  const chargeFor = (values: { enabled: boolean; threshold: string; amount: string; topUpTo: string | null; maxPerDay: number }) =>
    chargeOnSave({
      ...values,
      paused: initial.suspendedAt !== null,
      hasCard: card !== null,
      rechargesToday: initial.rechargesToday,
      balance: options.balance,
      minimum: options.minimum,
      maximum: options.maximum,
      currency,
    });
  const typedMaxPerDay = Number.parseInt(maxPerDay, 10);
  const chargeNow = chargeFor({ enabled, threshold, amount, topUpTo: useTarget ? topUpTo : null, maxPerDay: Number.isNaN(typedMaxPerDay) ? 0 : typedMaxPerDay });
  const save = useMutation(
    trpc.payments.saveAutoRecharge.mutationOptions({
      onSuccess: async (_settings, saved) => {
        const charged = chargeFor({ enabled: saved.enabled, threshold: saved.threshold, amount: saved.amount, topUpTo: saved.topUpTo ?? null, maxPerDay: saved.maxPerDay });
        toast.success(charged !== null && card ? `Auto-recharge saved: charging ${formatMicros(charged, currency)} to ${cardName(card)} now` : "Auto-recharge saved");
        await onSaved();
      },
    }),
  );
  const retry = useMutation(
    trpc.payments.retryAutoRecharge.mutationOptions({
      onSuccess: async (result) => {
        toast.success(result.outcome.status === "SUCCEEDED" ? "Card charged" : result.outcome.status === "FAILED" ? "The card was declined again" : "Auto-recharge resumed");
        await onSaved();
      },
      onError: (error) => toast.error(messageOf(error)),
    }),
  );
  const errors = fieldErrorsOf(save.error);
  // Auto-recharge charges the default card, and the server refuses to turn it on without one.
  // Turned on already (the card was removed since), it stays editable so it can be turned off.
  const needsCard = card === null && !initial.enabled;
  const range = `Between ${microsToInput(options.minimum, currency)} and ${microsToInput(options.maximum, currency)}`;
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
            Auto-recharge is paused since <DateTime value={initial.suspendedAt} />.{initial.suspendedReason ? ` ${asSentence(initial.suspendedReason)}` : ""}{" "}
            {/* The server retries only a recharge that is turned on. */}
            {initial.enabled ? "Update your default card or retry." : "Turn it on and save to use it again."}
          </p>
          {initial.enabled ? (
            <Button size="sm" variant="danger" loading={retry.isPending} onClick={() => retry.mutate()}>
              Retry now
            </Button>
          ) : null}
        </div>
      ) : null}
      {initial.enabled && card === null ? (
        <p role="alert" className="rounded-md border border-warning-600/30 bg-warning-50 px-3 py-2 text-sm text-warning-800">
          Auto-recharge is on but has no card to charge. Save a card when you{" "}
          <a href="#top-up" className="font-medium text-brand-700 hover:underline">
            top up
          </a>
          , or turn auto-recharge off.
        </p>
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
          description={card ? `Charges your default card (${cardName(card)}).` : undefined}
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
          <FormField label={`Charge (${currency})`} error={errors.amount} hint={useTarget ? `${range}; used when the target needs less than the minimum` : range}>
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
        {chargeNow !== null && card ? (
          <p role="status" className="rounded-md border border-warning-600/30 bg-warning-50 px-3 py-2 text-sm text-warning-800">
            Your balance (<Money micros={options.balance} currency={currency} toneNegative={false} />) is below this threshold: saving charges{" "}
            <Money micros={chargeNow} currency={currency} toneNegative={false} /> to {cardName(card)} now.
          </p>
        ) : null}
        {save.error && Object.keys(errors).length === 0 ? (
          <p role="alert" className="text-sm text-danger-700">
            {messageOf(save.error)}
          </p>
        ) : null}
        <Button type="submit" loading={save.isPending}>
          {chargeNow !== null ? "Save and charge now" : "Save auto-recharge"}
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

function RecentTransactions() {
  const trpc = useTRPC();
  const ledger = useQuery(trpc.wallet.myLedger.queryOptions({ pageSize: RECENT_ROWS }));
  if (ledger.isError) return <QueryError error={ledger.error} what="your transactions" onRetry={() => void ledger.refetch()} />;
  if (ledger.isPending) return <RecentRowsLoading what="transactions" />;
  if (ledger.data.rows.length === 0) return <EmptyState compact title="No transactions yet" description="Top-ups, charges and adjustments appear here." />;
  const { currency } = ledger.data;
  return (
    <MiniTable label="Recent transactions" columns={["Date", "Description", { label: "Amount", align: "right" }, { label: "Balance", align: "right" }]}>
      {ledger.data.rows.map((row) => (
        <MiniRow key={row.id.toString()}>
          <MiniCell>
            <DateTime value={row.createdAt} />
          </MiniCell>
          <MiniCell wrap className="min-w-40">{row.description}</MiniCell>
          <MiniCell align="right">
            <Money micros={row.amount} currency={currency} tonePositive signPositive precision={LEDGER_PRECISION} />
          </MiniCell>
          <MiniCell align="right">
            <Money micros={row.balanceAfter} currency={currency} precision={LEDGER_PRECISION} />
          </MiniCell>
        </MiniRow>
      ))}
    </MiniTable>
  );
}

const TONE_TEXT: Record<TBalanceTone, string> = { danger: "text-danger-700", warning: "text-warning-700", neutral: "text-slate-900" };

/**
 * The account's headline figures at the currency's decimals (Money's tooltip has the exact
 * amount): the balance of a prepaid account; what a postpaid one owes, its credit limit and the
 * credit it has left, by the server's rules (getWallet). Coloured only when low or locked.
 */
function AccountCard() {
  const trpc = useTRPC();
  const wallet = useQuery(trpc.wallet.mine.queryOptions());
  const account = wallet.data;
  const credit = account?.credit ?? null;
  const tone = account ? TONE_TEXT[balanceTone(account)] : undefined;
  return (
    <Card>
      <CardHeader>
        <CardTitle>{credit ? "Your account" : "Current balance"}</CardTitle>
      </CardHeader>
      <CardContent>
        {wallet.isError ? (
          <QueryError error={wallet.error} what="your balance" onRetry={() => void wallet.refetch()} />
        ) : !account ? (
          <Skeleton className="h-9 w-40" />
        ) : credit ? (
          <dl className="space-y-3">
            <div>
              <dt className="text-sm text-slate-500">Amount owed</dt>
              <dd className="text-3xl font-semibold" data-testid="current-balance">
                <Money micros={credit.owed} currency={account.tenant.currency} />
              </dd>
            </div>
            <div className="grid grid-cols-2 gap-4 text-sm">
              <div>
                <dt className="text-slate-500">Credit limit</dt>
                <dd className="font-medium">
                  <Money micros={credit.limit} currency={account.tenant.currency} />
                </dd>
              </div>
              <div>
                <dt className="text-slate-500">Available credit</dt>
                <dd className={clsx("font-medium", tone)}>
                  <Money micros={credit.available} currency={account.tenant.currency} toneNegative={false} />
                </dd>
              </div>
            </div>
            {account.balance > 0n ? (
              <p className="text-sm text-slate-600">
                You are <Money micros={account.balance} currency={account.tenant.currency} /> in credit.
              </p>
            ) : null}
          </dl>
        ) : (
          <p className={clsx("text-3xl font-semibold", tone)} data-testid="current-balance">
            <Money micros={account.balance} currency={account.tenant.currency} toneNegative={false} />
          </p>
        )}
        {account?.status === "LOCKED" ? (
          <p className="mt-2 text-sm text-danger-700">
            {account.lockSource === "MANUAL"
              ? "Calls are on hold by your provider; contact them to resume service."
              : credit
                ? "Calls are on hold until a payment brings the balance back within your credit limit."
                : "Calls are on hold until the balance is restored."}
          </p>
        ) : null}
      </CardContent>
    </Card>
  );
}

/** Cards that need the currency wait for the top-up options; when those failed, the error above says so. */
function WaitingForOptions({ failed, className }: { failed: boolean; className: string }) {
  return failed ? <p className="text-sm text-slate-500">Shown once your payment options load.</p> : <Skeleton className={className} />;
}

export function BalancePage({ cancelled, canManageCards }: { cancelled: boolean; canManageCards: boolean }) {
  const trpc = useTRPC();
  const options = useQuery(trpc.payments.topUpOptions.queryOptions());
  const data = options.data;
  const postpaid = data?.billingType === "POSTPAID";
  return (
    <div className="space-y-6">
      <PageHeader
        title="Balance & payments"
        description={postpaid ? "Pay by card, manage saved cards and automatic payments." : "Top up by card, manage saved cards and automatic top-ups."}
      />
      {cancelled ? (
        <p role="status" className="rounded-md bg-warning-50 px-3 py-2 text-sm text-warning-800">
          The payment was cancelled; nothing was charged.
        </p>
      ) : null}
      <div className="grid gap-6 lg:grid-cols-3">
        <AccountCard />
        <Card className="scroll-mt-20 lg:col-span-2" id="top-up">
          <CardHeader>
            <CardTitle>{postpaid ? "Pay" : "Top up"}</CardTitle>
            <CardDescription>
              {postpaid ? "Pay towards what you owe on Stripe's secure page and come back here." : "You pay on Stripe's secure page and come back here."}
            </CardDescription>
          </CardHeader>
          <CardContent flush={options.isError}>
            {options.isError ? (
              <QueryError error={options.error} what="your payment options" onRetry={() => void options.refetch()} />
            ) : data ? (
              <TopUpForm
                currency={data.currency}
                minimum={data.minimum}
                maximum={data.maximum}
                presets={data.presets}
                available={data.cardPaymentsAvailable}
                canSaveCard={canManageCards}
                postpaid={postpaid}
              />
            ) : (
              <Skeleton className="h-40" />
            )}
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
          <CardContent>
            {!canManageCards ? (
              <p className="text-sm text-slate-600">Your account admin manages automatic top-ups.</p>
            ) : data ? (
              <AutoRechargeForm options={data} />
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
            <RecentTransactions />
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
