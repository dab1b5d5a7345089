"use client";

import { useState, type FormEvent } from "react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { reasonError } from "@/components/admin/validation";
import { FormDialog } from "@/components/ui/form-dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { formatMicros, parseDecimalToMicros } from "@/components/ui/money-format";
import { Textarea } from "@/components/ui/textarea";
import { normaliseAmount } from "@/components/wallet/labels";

export type TAdjustSubmit = (
  values: { amount: string; reason: string; requestId: string },
  handlers: { onSuccess: () => void; onError: (error: unknown) => void },
) => void;

const FORM_ID = "wallet-adjust-form";

/** A manual credit or debit with a mandatory reason. One request id per opened dialog: a double submit posts once. */
export function AdjustDialog({
  open,
  onOpenChange,
  customerName,
  currency,
  balance,
  submit,
  pending,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  customerName: string;
  currency: string;
  balance: bigint;
  submit: TAdjustSubmit;
  pending: boolean;
}) {
  return (
    <FormDialog
      open={open}
      onOpenChange={onOpenChange}
      title={`Credit or debit ${customerName}`}
      description="The entry is posted to the ledger at once and kept with its reason in the audit log."
      formId={FORM_ID}
      submitLabel="Post adjustment"
      pending={pending}
    >
      <AdjustForm currency={currency} balance={balance} submit={submit} pending={pending} onDone={() => onOpenChange(false)} />
    </FormDialog>
  );
}

function AdjustForm({
  currency,
  balance,
  submit,
  pending,
  onDone,
}: {
  currency: string;
  balance: bigint;
  submit: TAdjustSubmit;
  pending: boolean;
  onDone: () => void;
}) {
  // Mounted only while the dialog is open, so this is one id per opened dialog.
  const [requestId] = useState(() => crypto.randomUUID());
  const [direction, setDirection] = useState<"credit" | "debit">("credit");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<TFieldErrors>({});

  const magnitude = normaliseAmount(amount.replace(/^[+-]/, ""), { allowNegative: false });
  const micros = magnitude ? parseDecimalToMicros(magnitude) : null;
  const signed = micros === null ? null : direction === "debit" ? -micros : micros;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    const next: TFieldErrors = {};
    if (!magnitude || micros === null) next.amount = ["Enter an amount like 25.00"];
    else if (micros === 0n) next.amount = ["Enter a non-zero amount"];
    const problem = reasonError(reason);
    if (problem) next.reason = [problem];
    setErrors(next);
    if (Object.keys(next).length > 0 || !magnitude) {
      event.currentTarget.querySelector<HTMLElement>(next.amount ? '[name="amount"]' : '[name="reason"]')?.focus();
      return;
    }
    submit(
      { amount: direction === "debit" ? `-${magnitude}` : magnitude, reason: reason.trim(), requestId },
      {
        onSuccess: onDone,
        onError: (error) => {
          setErrors(formErrorsOf(error, ["amount", "reason"]));
          if (isForbidden(error)) onDone();
        },
      },
    );
  };

  return (
    <form id={FORM_ID} onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
      <fieldset>
        <legend className="mb-1 text-sm font-medium text-slate-800">Direction</legend>
        <div className="inline-flex rounded-md border border-slate-300 p-0.5" role="radiogroup" aria-label="Direction">
          {(["credit", "debit"] as const).map((value) => (
            <label
              key={value}
              className={
                direction === value
                  ? "cursor-pointer rounded px-3 py-1 text-sm font-medium text-white " + (value === "credit" ? "bg-success-600" : "bg-danger-600")
                  : "cursor-pointer rounded px-3 py-1 text-sm text-slate-700 hover:bg-slate-100"
              }
            >
              <input
                type="radio"
                name="direction"
                value={value}
                checked={direction === value}
                onChange={() => setDirection(value)}
                className="sr-only"
              />
              {value === "credit" ? "Credit (add)" : "Debit (take)"}
            </label>
          ))}
        </div>
      </fieldset>
      <FormField
        label="Amount"
        required
        error={errors.amount}
        hint={
          signed !== null && signed !== 0n
            ? `Balance after: ${formatMicros(balance + signed, currency, { precision: 6, minPrecision: 2 })}`
            : `In ${currency}, up to 6 decimals.`
        }
      >
        <Input
          name="amount"
          inputMode="decimal"
          autoComplete="off"
          placeholder="25.00"
          value={amount}
          onChange={(event) => {
            const value = event.target.value;
            setAmount(value);
            // A typed sign chooses the direction.
            if (value.trim().startsWith("-")) setDirection("debit");
            else if (value.trim().startsWith("+")) setDirection("credit");
            if (errors.amount) setErrors(({ amount: _ignored, ...rest }) => rest);
          }}
          data-autofocus
        />
      </FormField>
      <FormField label="Reason" required error={errors.reason} hint="At least 3 characters; the customer reads it in their transactions, and it is kept in the audit log.">
        <Textarea
          name="reason"
          value={reason}
          maxLength={500}
          onChange={(event) => {
            setReason(event.target.value);
            if (errors.reason) setErrors(({ reason: _ignored, ...rest }) => rest);
          }}
        />
      </FormField>
    </form>
  );
}
