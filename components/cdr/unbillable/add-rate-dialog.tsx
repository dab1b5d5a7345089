"use client";

import { useState, type FormEvent, type ReactElement } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { formErrorsOf, withoutFieldError, type TFieldErrors } from "@/components/trpc/errors";
import { CATEGORY_OPTIONS, RATE_CATEGORIES, oneOf, type TRateCategory } from "@/components/rating/labels";
import { formatInstant } from "@/components/time/format-instant";
import { useTimeZone } from "@/components/time/time-zone-provider";
import { dateTimeInputValue, dayOf, instantFromDateTimeInput, startOfDay } from "@/components/time/wall-time";
import { FormDialog } from "@/components/ui/form-dialog";
import { FormField, type FormFieldControlProps } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";

const FIELDS = ["deckId", "prefix", "description", "category", "ratePerMinute", "connectFee", "initialIncrement", "increment", "graceSeconds", "effectiveFrom"] as const;
type TField = (typeof FIELDS)[number];

export type TAddRateTarget = {
  prefix: string;
  deckId: string | null;
  customerName: string | null;
  /** The first unbillable call of the group: the rate must be in force from then to price it. */
  firstSeen: Date;
  sampleCallee: string | null;
};

type TValues = Record<Exclude<TField, "category">, string> & { category: TRateCategory };

function initialValues(target: TAddRateTarget, timeZone: string): TValues {
  return {
    deckId: target.deckId ?? "",
    prefix: target.prefix,
    description: "",
    category: "INTERNATIONAL",
    ratePerMinute: "",
    connectFee: "0",
    initialIncrement: "60",
    increment: "60",
    graceSeconds: "0",
    // Midnight of the first call's day, in the tenant's zone: a rate effective from then covers it.
    effectiveFrom: dateTimeInputValue(startOfDay(dayOf(target.firstSeen, timeZone), timeZone), timeZone),
  };
}

/** Decimal places a micro-unit amount holds (server/rating/money.ts): more could not be stored exactly. */
const MAX_DECIMALS = 6;

/**
 * The server's parser (tryParseMoneyToMicros) in a form a person can act on: a plain,
 * non-negative decimal with a dot, at most six significant decimals.
 */
function decimalProblem(text: string, example: string): string | null {
  const value = text.trim();
  if (!/^(\d+\.?\d*|\.\d+)$/.test(value)) return `Enter an amount like ${example}: digits and a dot, no currency sign or comma`;
  const decimals = (value.split(".")[1] ?? "").replace(/0+$/, "");
  if (decimals.length > MAX_DECIMALS) return `At most ${MAX_DECIMALS} decimals, e.g. 0.012345`;
  return null;
}

function wholeSecondsProblem(text: string, { positive }: { positive: boolean }): string | null {
  const value = text.trim();
  if (!/^\d+$/.test(value)) return "Enter whole seconds, e.g. 60";
  if (positive && Number(value) === 0) return "Enter at least 1 second";
  return null;
}

/** What the browser can tell before asking the server; the server still checks everything. */
function validate(values: TValues, timeZone: string): TFieldErrors {
  const found: TFieldErrors = {};
  if (!values.deckId) found.deckId = ["Choose the deck to add the rate to"];
  if (!values.prefix.trim()) found.prefix = ["Enter the prefix"];
  else if (!/^\+?\d+$/.test(values.prefix.trim())) found.prefix = ["Enter digits only, e.g. 886"];
  if (!values.description.trim()) found.description = ["Enter a description, e.g. the destination's name"];
  if (!values.ratePerMinute.trim()) found.ratePerMinute = ["Enter the price per minute, e.g. 0.0600"];
  else {
    const problem = decimalProblem(values.ratePerMinute, "0.0600");
    if (problem) found.ratePerMinute = [problem.startsWith("Enter an amount") ? "Enter a price like 0.0600" : problem];
  }
  if (values.connectFee.trim()) {
    const problem = decimalProblem(values.connectFee, "0.0100");
    if (problem) found.connectFee = [problem.startsWith("Enter an amount") ? "Enter a fee like 0.0100, or 0 for none" : problem];
  }
  const grace = wholeSecondsProblem(values.graceSeconds || "0", { positive: false });
  if (grace) found.graceSeconds = [grace];
  const initial = wholeSecondsProblem(values.initialIncrement, { positive: true });
  if (initial) found.initialIncrement = [initial];
  const increment = wholeSecondsProblem(values.increment, { positive: true });
  if (increment) found.increment = [increment];
  if (!instantFromDateTimeInput(values.effectiveFrom, timeZone)) found.effectiveFrom = ["Enter the date from which the rate applies"];
  return found;
}

/** An amount field with the deck's currency beside it, so nobody types cents or another currency. */
function withCurrency(currency: string | null, unit: string, input: (control: FormFieldControlProps) => ReactElement) {
  return function AmountControl(control: FormFieldControlProps) {
    return (
      <div className="flex items-center gap-2">
        {input(control)}
        <span className="shrink-0 text-sm whitespace-nowrap text-slate-600" aria-hidden={currency === null}>
          {currency ? `${currency}${unit}` : ""}
        </span>
      </div>
    );
  };
}

/**
 * Adds the missing rate to a deck. The server imports it as a one-line deck file, so it is
 * checked and versioned exactly like an import; its messages come back next to the fields.
 */
export function AddRateDialog({
  target,
  onClose,
  onAdded,
}: {
  target: TAddRateTarget | null;
  onClose: () => void;
  onAdded: (summary: { prefix: string; deckName: string }) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const open = target !== null;
  const timeZone = useTimeZone();
  const decks = useQuery({ ...trpc.rating.decks.queryOptions({ kind: "SELL" }), enabled: open });
  const [values, setValues] = useState<TValues | null>(target ? initialValues(target, timeZone) : null);
  const [errors, setErrors] = useState<TFieldErrors>({});
  const [openedFor, setOpenedFor] = useState(target);
  if (target !== openedFor) {
    setOpenedFor(target);
    setValues(target ? initialValues(target, timeZone) : null);
    setErrors({});
  }

  const add = useMutation(
    trpc.cdrFiles.addRate.mutationOptions({
      onSuccess: (result) => {
        void queryClient.invalidateQueries({ queryKey: trpc.rating.rates.queryKey() });
        onAdded({ prefix: values?.prefix ?? "", deckName: result.deck?.name ?? "the deck" });
      },
      // The hook's callbacks are those of the latest render, so `values` is what is typed now.
      onError: (error, submitted) => {
        const current = values;
        const answered = formErrorsOf(error, FIELDS);
        // A message about a value the user has since changed describes what is no longer there.
        const stillTrue: TFieldErrors = {};
        for (const [field, messages] of Object.entries(answered)) {
          const key = field as TField;
          const sent = key === "effectiveFrom" ? dateTimeInputValue(submitted.effectiveFrom as Date, timeZone) : (submitted[key] as string | undefined);
          if (!current || !FIELDS.includes(key) || current[key] === sent) stillTrue[field] = messages;
        }
        setErrors(stillTrue);
      },
    }),
  );

  const set = (field: TField) => (event: { target: { value: string } }) => {
    const value = event.target.value;
    setValues((current) => (current ? { ...current, [field]: field === "category" ? (oneOf(value, RATE_CATEGORIES) ?? "OTHER") : value } : current));
    setErrors((current) => withoutFieldError(current, field));
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!values) return;
    const found = validate(values, timeZone);
    setErrors(found);
    const effectiveFrom = instantFromDateTimeInput(values.effectiveFrom, timeZone);
    if (!effectiveFrom || Object.keys(found).length > 0) {
      const first = FIELDS.find((field) => found[field]);
      if (first) event.currentTarget.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    add.mutate({ ...values, effectiveFrom });
  };

  const deckOptions = (decks.data ?? []).map((deck) => ({ value: deck.id, label: `${deck.name} (${deck.currency})` }));
  const deckCurrency = (values && decks.data?.find((deck) => deck.id === values.deckId)?.currency) ?? null;
  const typedEffectiveFrom = values ? instantFromDateTimeInput(values.effectiveFrom, timeZone) : null;
  const lateStart = target !== null && typedEffectiveFrom !== null && typedEffectiveFrom.getTime() > target.firstSeen.getTime();

  return (
    <FormDialog
      open={open}
      onOpenChange={(next) => !next && !add.isPending && onClose()}
      title="Add rate"
      description={
        target?.customerName
          ? `A new number range in ${target.customerName}'s deck. It is saved as a new deck version, like an import.`
          : "A new number range, saved as a new deck version, like an import."
      }
      formId="add-rate-form"
      submitLabel="Add rate"
      pending={add.isPending}
      size="lg"
    >
      {values ? (
        <form id="add-rate-form" noValidate onSubmit={submit} className="grid gap-4 sm:grid-cols-2">
          <FormField label="Rate deck" required error={errors.deckId} className="sm:col-span-2" hint={target?.customerName ? `The deck that priced ${target.customerName}'s calls is chosen.` : undefined}>
            <Select name="deckId" value={values.deckId} onChange={set("deckId")} placeholder={decks.isPending ? "Loading decks…" : "Choose a deck"} options={deckOptions} />
          </FormField>
          <FormField label="Prefix" required error={errors.prefix} hint={target?.sampleCallee ? `E.164 digits, e.g. a call went to ${target.sampleCallee}.` : "E.164 digits, without +."}>
            <Input name="prefix" value={values.prefix} onChange={set("prefix")} inputMode="numeric" className="font-mono" data-autofocus />
          </FormField>
          <FormField label="Description" required error={errors.description}>
            <Input name="description" value={values.description} onChange={set("description")} placeholder="e.g. Taiwan - fixed" />
          </FormField>
          <FormField label="Category" required error={errors.category}>
            <Select name="category" value={values.category} onChange={set("category")} options={CATEGORY_OPTIONS} />
          </FormField>
          <FormField
            label="Price per minute"
            required
            error={errors.ratePerMinute}
            hint={deckCurrency ? `In ${deckCurrency}, the deck's currency, e.g. 0.0600.` : "In the deck's currency, e.g. 0.0600."}
          >
            {withCurrency(deckCurrency, " / min", (control) => (
              <Input {...control} name="ratePerMinute" value={values.ratePerMinute} onChange={set("ratePerMinute")} inputMode="decimal" className="numeric" />
            ))}
          </FormField>
          <FormField label="Connect fee" error={errors.connectFee} hint="Charged once per answered call; 0 for none.">
            {withCurrency(deckCurrency, "", (control) => (
              <Input {...control} name="connectFee" value={values.connectFee} onChange={set("connectFee")} inputMode="decimal" className="numeric" />
            ))}
          </FormField>
          <FormField label="Grace seconds" error={errors.graceSeconds} hint="Calls this short are free.">
            <Input name="graceSeconds" value={values.graceSeconds} onChange={set("graceSeconds")} inputMode="numeric" className="numeric" />
          </FormField>
          <FormField label="First increment (s)" error={errors.initialIncrement}>
            <Input name="initialIncrement" value={values.initialIncrement} onChange={set("initialIncrement")} inputMode="numeric" className="numeric" />
          </FormField>
          <FormField label="Then every (s)" error={errors.increment}>
            <Input name="increment" value={values.increment} onChange={set("increment")} inputMode="numeric" className="numeric" />
          </FormField>
          <FormField
            label="Effective from"
            required
            error={errors.effectiveFrom}
            className="sm:col-span-2"
            hint={
              target
                ? `In ${timeZone}. Calls are priced by the rate in force when they started; the first unbillable call of this group started ${formatInstant(target.firstSeen, timeZone)}.`
                : undefined
            }
          >
            <Input name="effectiveFrom" type="datetime-local" value={values.effectiveFrom} onChange={set("effectiveFrom")} />
          </FormField>
          {lateStart ? (
            <p role="status" className="rounded-md border border-warning-600/30 bg-warning-50 px-3 py-2 text-sm text-warning-800 sm:col-span-2">
              This date is after the first unbillable call of the group: calls before it stay unbillable when you re-rate.
            </p>
          ) : null}
        </form>
      ) : null}
    </FormDialog>
  );
}
