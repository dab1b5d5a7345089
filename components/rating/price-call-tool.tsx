"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { clsx } from "clsx";
import { useTRPC } from "@/components/trpc/react";
import { formErrorsOf, type TFieldErrors } from "@/components/trpc/errors";
import {
  categoryLabel,
  deckHref,
  formatExact,
  formatRate,
  isUuid,
} from "@/components/rating/labels";
import type { TPriceCallResult } from "@/components/rating/types";
import { DateTime } from "@/components/admin/date-time";
import { CallsIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { PageHeader } from "@/components/ui/page-header";
import { Select } from "@/components/ui/select";
import { Stat } from "@/components/ui/stat";
import { StatusBadge } from "@/components/ui/status-badge";
import { useTimeZone } from "@/components/time/time-zone-provider";
import { dateTimeInputValue, instantFromDateTimeInput } from "@/components/time/wall-time";

type TMode = "deck" | "customer";

type TValues = {
  mode: TMode;
  deckId: string;
  customerId: string;
  trunkId: string;
  buyDeckId: string;
  number: string;
  billsec: string;
  at: string;
};

type TPriceInput = {
  deckId: string | null;
  customerId: string | null;
  trunkId: string | null;
  buyDeckId: string | null;
  number: string;
  billsec: number;
  at: Date;
};

const FIELDS = ["deckId", "customerId", "trunkId", "buyDeckId", "number", "billsec", "at"] as const;
const MAX_BILLSEC = 86_400 * 2;

const RULE_LABELS: Record<string, string> = {
  DECK: "Deck",
  NORMALISE: "Normalise",
  MATCH: "Match",
  UNANSWERED: "Unanswered",
  GRACE: "Grace",
  INITIAL_INCREMENT: "Initial increment",
  SUBSEQUENT_INCREMENTS: "Increments",
  PER_MINUTE_CHARGE: "Per-minute charge",
  CONNECT_FEE: "Connect fee",
  TOTAL: "Total",
  MARGIN: "Margin",
};

function validate(values: TValues, timeZone: string): TFieldErrors {
  const errors: TFieldErrors = {};
  if (values.mode === "deck" && !values.deckId) errors.deckId = ["Choose the sell deck to price with"];
  if (values.mode === "customer" && !values.customerId) errors.customerId = ["Choose the customer whose deck prices the call"];
  const number = values.number.trim();
  if (!number) errors.number = ["Enter the number dialled"];
  else if (!/\d/.test(number)) errors.number = ["The number has no digits"];
  else if (number.length > 40) errors.number = ["At most 40 characters"];
  const billsec = values.billsec.trim();
  if (!/^\d+$/.test(billsec)) errors.billsec = ["Enter whole seconds, 0 or more"];
  else if (Number(billsec) > MAX_BILLSEC) errors.billsec = [`At most ${MAX_BILLSEC.toLocaleString("en-US")} seconds`];
  if (values.at && !instantFromDateTimeInput(values.at, timeZone)) errors.at = ["Enter a date and time, or leave empty for now"];
  return errors;
}

/**
 * The "price a call" tool: the same rating code the CDR pipeline runs, with every rule it
 * applied (deck choice, normalisation, longest-prefix match, grace, increments, rounding,
 * connect fee, cost and margin) listed in order.
 */
export function PriceCallTool() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const searchParams = useSearchParams();
  const modeId = useId();

  const [values, setValues] = useState<TValues>(() => {
    const deck = searchParams.get("deck");
    const customer = searchParams.get("customer");
    const buyDeck = searchParams.get("buyDeck");
    return {
      mode: isUuid(customer) && !isUuid(deck) ? "customer" : "deck",
      deckId: isUuid(deck) ? deck : "",
      customerId: isUuid(customer) ? customer : "",
      trunkId: "",
      buyDeckId: isUuid(buyDeck) ? buyDeck : "",
      number: searchParams.get("number")?.slice(0, 40) ?? "",
      billsec: /^\d{1,6}$/.test(searchParams.get("billsec") ?? "") ? (searchParams.get("billsec") ?? "60") : "60",
      at: "",
    };
  });
  const [errors, setErrors] = useState<TFieldErrors>({});
  // The last priced call stays on screen (dimmed) while the next one is being priced.
  const [shown, setShown] = useState<{ result: TPriceCallResult; input: TPriceInput } | null>(null);

  const timeZone = useTimeZone();
  const sellDecks = useQuery(trpc.rating.decks.queryOptions({ kind: "SELL" }));
  const buyDecks = useQuery(trpc.rating.decks.queryOptions({ kind: "BUY" }));
  const customers = useQuery({ ...trpc.customers.list.queryOptions({ pageSize: 200 }), enabled: values.mode === "customer" });
  const trunks = useQuery({
    ...trpc.rating.trunks.queryOptions({ customerId: values.customerId }),
    enabled: values.mode === "customer" && isUuid(values.customerId),
  });

  const price = useMutation({
    mutationFn: (input: TPriceInput) =>
      queryClient.fetchQuery({ ...trpc.rating.priceCall.queryOptions(input), staleTime: 0, retry: false }),
  });

  const set = <K extends keyof TValues>(field: K, value: TValues[K]) => {
    setValues((current) => ({ ...current, [field]: value, ...(field === "customerId" ? { trunkId: "" } : {}) }));
    if (errors[field]) {
      setErrors((current) => {
        const next = { ...current };
        delete next[field];
        return next;
      });
    }
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = validate(values, timeZone);
    setErrors(found);
    const first = FIELDS.find((field) => found[field]);
    if (first) {
      event.currentTarget.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    const input: TPriceInput = {
      deckId: values.mode === "deck" ? values.deckId : null,
      customerId: values.mode === "customer" ? values.customerId : null,
      trunkId: values.mode === "customer" && values.trunkId ? values.trunkId : null,
      buyDeckId: values.buyDeckId || null,
      number: values.number.trim(),
      billsec: Number(values.billsec.trim()),
      at: instantFromDateTimeInput(values.at, timeZone) ?? new Date(),
    };
    price.mutate(input, {
      onSuccess: (result) => setShown({ result, input }),
      onError: (error) => setErrors(formErrorsOf(error, FIELDS)),
    });
  };

  const deckName = (id: string | null) =>
    id ? ([...(sellDecks.data ?? []), ...(buyDecks.data ?? [])].find((deck) => deck.id === id)?.name ?? "a deck") : null;
  const customerRows = customers.data?.rows ?? [];

  return (
    <div>
      <PageHeader
        title="Price a call"
        description="Rate one call exactly as billing would: pick a sell deck or a customer, optionally a carrier's buy deck for cost, and see every rule applied."
      />
      <div className="grid items-start gap-4 lg:grid-cols-[24rem_1fr]">
        <Card aria-labelledby="price-call-form-title">
          <CardHeader>
            <CardTitle id="price-call-form-title">Call</CardTitle>
          </CardHeader>
          <CardContent>
            <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Price a call">
              <fieldset className="flex flex-col gap-1.5">
                <legend className="mb-1 text-sm font-medium text-slate-800">Price by</legend>
                <div className="grid grid-cols-2 gap-1 rounded-md bg-slate-100 p-0.5">
                  {(
                    [
                      // Short labels: "Sell deck" and "Customer" name the selects below.
                      { value: "deck", label: "Deck" },
                      { value: "customer", label: "Account" },
                    ] as const
                  ).map((option) => (
                    <label
                      key={option.value}
                      className={clsx(
                        "flex h-7 cursor-pointer items-center justify-center rounded text-sm font-medium has-focus-visible:outline-2 has-focus-visible:outline-brand-500",
                        values.mode === option.value ? "bg-white text-slate-900 shadow-xs" : "text-slate-600 hover:text-slate-900",
                      )}
                    >
                      <input
                        type="radio"
                        name={`${modeId}-mode`}
                        value={option.value}
                        checked={values.mode === option.value}
                        onChange={() => set("mode", option.value)}
                        className="sr-only"
                      />
                      {option.label}
                    </label>
                  ))}
                </div>
              </fieldset>

              {values.mode === "deck" ? (
                <FormField label="Sell deck" required error={errors.deckId}>
                  <Select
                    name="deckId"
                    value={values.deckId}
                    onChange={(event) => set("deckId", event.target.value)}
                    placeholder={sellDecks.isPending ? "Loading decks…" : "Choose a sell deck…"}
                    options={(sellDecks.data ?? []).map((deck) => ({ value: deck.id, label: `${deck.name} (${deck.currency})` }))}
                  />
                </FormField>
              ) : (
                <>
                  <FormField
                    label="Customer"
                    required
                    error={errors.customerId}
                    hint={customers.data && customers.data.total > customerRows.length ? `The first ${customerRows.length} accounts by number.` : undefined}
                  >
                    <Select
                      name="customerId"
                      value={values.customerId}
                      onChange={(event) => set("customerId", event.target.value)}
                      placeholder={customers.isPending ? "Loading customers…" : "Choose a customer…"}
                      options={customerRows.map((customer) => ({ value: customer.id, label: `${customer.accountNumber} — ${customer.name}` }))}
                    />
                  </FormField>
                  <FormField label="Trunk" optional error={errors.trunkId} hint="A trunk's deck override wins over the customer's deck.">
                    <Select
                      name="trunkId"
                      value={values.trunkId}
                      onChange={(event) => set("trunkId", event.target.value)}
                      disabled={!values.customerId}
                      placeholder="Any trunk (customer's deck)"
                      options={(trunks.data ?? []).map((trunk) => ({
                        value: trunk.id,
                        label: trunk.rateDeck ? `${trunk.name} → ${trunk.rateDeck.name}` : trunk.name,
                      }))}
                    />
                  </FormField>
                </>
              )}

              <FormField label="Buy deck (cost)" optional error={errors.buyDeckId} hint="A carrier's deck: gives the cost and your margin.">
                <Select
                  name="buyDeckId"
                  value={values.buyDeckId}
                  onChange={(event) => set("buyDeckId", event.target.value)}
                  placeholder="None"
                  options={(buyDecks.data ?? []).map((deck) => ({
                    value: deck.id,
                    label: deck.carrier ? `${deck.name} — ${deck.carrier.name}` : deck.name,
                  }))}
                />
              </FormField>

              <FormField label="Number" required error={errors.number} hint="As dialled: +44 20…, 011 44…, a 10-digit NANP number, with a tech prefix…">
                <Input
                  name="number"
                  value={values.number}
                  onChange={(event) => set("number", event.target.value)}
                  inputMode="tel"
                  autoComplete="off"
                  spellCheck={false}
                  maxLength={40}
                  className="font-mono"
                  placeholder="+1 212 555 0100"
                />
              </FormField>
              <div className="grid grid-cols-[9rem_minmax(0,1fr)] gap-3">
                <FormField label="Duration (seconds)" required error={errors.billsec} hint="Billable seconds; 0 = unanswered">
                  <Input
                    name="billsec"
                    type="number"
                    min={0}
                    max={MAX_BILLSEC}
                    step={1}
                    value={values.billsec}
                    onChange={(event) => set("billsec", event.target.value)}
                  />
                </FormField>
                <FormField
                  label="Date and time"
                  optional
                  error={errors.at}
                  hint={`On the ${timeZone} clock, the tenant's time zone. Empty: now.`}
                  labelAside={
                    <button
                      type="button"
                      className="text-brand-700 hover:underline"
                      onClick={() => set("at", dateTimeInputValue(new Date(), timeZone))}
                    >
                      Now
                    </button>
                  }
                >
                  <Input name="at" type="datetime-local" value={values.at} onChange={(event) => set("at", event.target.value)} />
                </FormField>
              </div>
              <Button type="submit" variant="primary" loading={price.isPending} className="self-start">
                <CallsIcon />
                Price call
              </Button>
            </form>
          </CardContent>
        </Card>

        <div aria-live="polite">
          {price.isError ? (
            <Card>
              <EmptyState
                compact
                icon={<CallsIcon />}
                title="The call could not be priced"
                description={price.error instanceof Error ? price.error.message : "Something went wrong"}
              />
            </Card>
          ) : shown ? (
            <PriceResult
              result={shown.result}
              input={shown.input}
              deckName={deckName(shown.input.deckId)}
              buyDeckName={deckName(shown.input.buyDeckId)}
              stale={price.isPending}
            />
          ) : (
            <Card>
              <EmptyState
                icon={<CallsIcon />}
                title={price.isPending ? "Pricing…" : "No call priced yet"}
                description="Fill in the call and press “Price call”. The result lists each rule on the way to the price."
              />
            </Card>
          )}
        </div>
      </div>
    </div>
  );
}

function Detail({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex items-baseline justify-between gap-4 border-b border-slate-100 py-1.5 last:border-b-0">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="min-w-0 truncate text-right text-sm text-slate-900">{children}</dd>
    </div>
  );
}

function PriceResult({
  result,
  input,
  deckName,
  buyDeckName,
  stale,
}: {
  result: TPriceCallResult;
  input: TPriceInput;
  deckName: string | null;
  buyDeckName: string | null;
  stale: boolean;
}) {
  const currency = result.currency;
  const money = (micros: bigint | null) => (micros === null ? <span className="text-slate-400">—</span> : formatExact(micros, currency));
  const marginTone = result.marginMicros === null ? "neutral" : result.marginMicros < 0n ? "danger" : "success";
  return (
    <Card aria-labelledby="price-result-title" className={clsx(stale && "opacity-60 transition-opacity")}>
      <CardHeader actions={<StatusBadge status={result.status} />}>
        <CardTitle id="price-result-title">Result</CardTitle>
        <CardDescription>
          <span className="font-mono">{input.number}</span> · {input.billsec} s · <DateTime value={input.at} style="precise" timeZone={result.timeZone} showZone />
          {deckName && input.deckId ? (
            <>
              {" "}
              ·{" "}
              <Link href={deckHref(input.deckId)} className="text-brand-700 hover:underline">
                {deckName}
              </Link>
            </>
          ) : null}
          {buyDeckName && input.buyDeckId ? (
            <>
              {" "}
              · cost by{" "}
              <Link href={deckHref(input.buyDeckId)} className="text-brand-700 hover:underline">
                {buyDeckName}
              </Link>
            </>
          ) : null}
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        {result.reason ? (
          <p
            role={result.status === "RATED" ? undefined : "status"}
            className={clsx(
              "rounded-md px-3 py-2 text-sm",
              result.status === "UNBILLABLE" || result.status === "REJECTED"
                ? "border border-warning-600/30 bg-warning-50 text-warning-800"
                : "border border-slate-200 bg-slate-50 text-slate-700",
            )}
          >
            {result.status === "UNBILLABLE" ? "Unbillable: " : result.status === "REJECTED" ? "Rejected: " : ""}
            {result.reason}
          </p>
        ) : null}

        <div className="grid grid-cols-2 gap-3 xl:grid-cols-4">
          <Stat label="Price" value={money(result.priceMicros)} tone={result.priceMicros === null ? "neutral" : "info"} />
          <Stat label="Cost" value={money(result.costMicros)} hint={input.buyDeckId ? undefined : "Choose a buy deck"} />
          <Stat
            label="Margin"
            value={result.marginMicros === null ? <span className="text-slate-400">—</span> : formatExact(result.marginMicros, currency, true)}
            tone={marginTone}
          />
          <Stat
            label="Billed seconds"
            value={result.billedSeconds === null ? <span className="text-slate-400">—</span> : `${result.billedSeconds} s`}
            hint={result.increments ? `Increments ${result.increments}` : undefined}
          />
        </div>

        <div className="grid gap-x-8 gap-y-0 md:grid-cols-2">
          <dl>
            <Detail label="Normalised number">
              {result.normalizedNumber ? <span className="font-mono">{result.normalizedNumber}</span> : <span className="text-slate-400">—</span>}
            </Detail>
            <Detail label="Matched prefix">
              {result.matchedPrefix ? (
                <span className="font-mono font-medium">{result.matchedPrefix}</span>
              ) : (
                <span className="text-slate-400">No match</span>
              )}
            </Detail>
            <Detail label="Destination">{result.description ?? <span className="text-slate-400">—</span>}</Detail>
            <Detail label="Category">{categoryLabel(result.category)}</Detail>
          </dl>
          <dl>
            <Detail label="Rate / min">
              {result.ratePerMinuteMicros === null ? <span className="text-slate-400">—</span> : formatRate(result.ratePerMinuteMicros, currency)}
            </Detail>
            <Detail label="Connect fee">
              {result.connectFeeMicros === null ? (
                <span className="text-slate-400">—</span>
              ) : result.connectFeeMicros === 0n ? (
                <span className="text-slate-500">None</span>
              ) : (
                formatRate(result.connectFeeMicros, currency)
              )}
            </Detail>
            <Detail label="Increments">{result.increments ?? <span className="text-slate-400">—</span>}</Detail>
            <Detail label="Currency">
              <span className="font-mono">{currency}</span>
            </Detail>
          </dl>
        </div>

        <section aria-labelledby="price-steps-title">
          <h3 id="price-steps-title" className="mb-2 text-sm font-semibold text-slate-900">
            How it was priced
          </h3>
          {result.steps.length === 0 ? (
            <p className="text-sm text-slate-500">No rule applied.</p>
          ) : (
            <ol className="flex flex-col" aria-label="Pricing steps">
              {result.steps.map((step, index) => (
                <li key={`${index}:${step.rule}`} className="flex gap-3 border-l-2 border-slate-200 py-1.5 pl-3 last:border-brand-500">
                  <span className="numeric w-5 shrink-0 text-right text-xs leading-5 text-slate-400">{index + 1}.</span>
                  <span className="w-36 shrink-0">
                    <Badge tone={step.rule === "TOTAL" ? "brand" : step.rule === "MARGIN" ? "success" : "neutral"} title={step.rule}>
                      {RULE_LABELS[step.rule] ?? step.rule}
                    </Badge>
                  </span>
                  <span className="min-w-0 text-sm break-words text-slate-800">{step.detail}</span>
                </li>
              ))}
            </ol>
          )}
        </section>
      </CardContent>
    </Card>
  );
}
