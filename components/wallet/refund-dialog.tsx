"use client";

import { useState, type FormEvent } from "react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { PAYMENT_KIND_LABEL } from "@/components/payments/labels";
import { FormDialog } from "@/components/ui/form-dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { currencyDigits, formatMicros, parseDecimalToMicros } from "@/components/ui/money-format";
import { Textarea } from "@/components/ui/textarea";
import type { TCustomerPayment } from "@/components/wallet/card-payments-card";

export type TRefundSubmit = (
  values: { paymentId: string; amount: string; reason?: string },
  handlers: { onSuccess: () => void; onError: (error: unknown) => void },
) => void;

const FORM_ID = "wallet-refund-form";
/** The refund service's amount format: decimal currency units, up to 6 decimals. */
const AMOUNT_PATTERN = /^\d{1,9}(\.\d{1,6})?$/;

function toInput(micros: bigint, currency: string): string {
  return formatMicros(micros, currency, { currencyDisplay: "none", grouping: false, precision: 6, minPrecision: Math.min(2, currencyDigits(currency)) });
}

/** Refund all or part of a card payment through Stripe; the ledger debit is posted when Stripe accepts it. */
export function RefundDialog({
  payment,
  onOpenChange,
  submit,
  pending,
}: {
  /** The payment being refunded; null closes the dialog. */
  payment: TCustomerPayment | null;
  onOpenChange: (open: boolean) => void;
  submit: TRefundSubmit;
  pending: boolean;
}) {
  return (
    <FormDialog
      open={payment !== null}
      onOpenChange={onOpenChange}
      title="Refund card payment"
      description="The money goes back to the customer's card and the same amount is debited from their balance."
      formId={FORM_ID}
      submitLabel="Refund payment"
      submitVariant="danger"
      pending={pending}
    >
      {payment ? <RefundForm payment={payment} submit={submit} pending={pending} onDone={() => onOpenChange(false)} /> : null}
    </FormDialog>
  );
}

function RefundForm({
  payment,
  submit,
  pending,
  onDone,
}: {
  payment: TCustomerPayment;
  submit: TRefundSubmit;
  pending: boolean;
  onDone: () => void;
}) {
  const currency = payment.currency;
  const remaining = payment.amount - payment.refundedAmount;
  const [amount, setAmount] = useState(() => toInput(remaining, currency));
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<TFieldErrors>({});
  const digits = currencyDigits(currency);
  const step = 10n ** BigInt(6 - digits);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    const text = amount.trim().replace(/,/g, "");
    const micros = AMOUNT_PATTERN.test(text) ? parseDecimalToMicros(text) : null;
    const next: TFieldErrors = {};
    if (micros === null) next.amount = ["Enter an amount like 10.00"];
    else if (micros <= 0n) next.amount = ["Enter an amount above zero"];
    else if (micros > remaining) next.amount = [`That is more than is left to refund (${formatMicros(remaining, currency)})`];
    else if (micros % step !== 0n) next.amount = [digits === 0 ? "Use whole units" : `Use at most ${digits} decimals`];
    if (reason.trim().length > 500) next.reason = ["At most 500 characters"];
    setErrors(next);
    if (Object.keys(next).length > 0) {
      event.currentTarget.querySelector<HTMLElement>(next.amount ? '[name="amount"]' : '[name="reason"]')?.focus();
      return;
    }
    submit(
      { paymentId: payment.id, amount: text, ...(reason.trim() ? { reason: reason.trim() } : {}) },
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
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 rounded-lg border border-slate-200 bg-slate-50 px-3 py-2 text-sm">
        <dt className="text-slate-500">Payment</dt>
        <dd className="text-slate-900">
          {PAYMENT_KIND_LABEL[payment.kind] ?? payment.kind} of {formatMicros(payment.amount, currency)}
        </dd>
        <dt className="text-slate-500">Already refunded</dt>
        <dd className="numeric text-slate-900">{formatMicros(payment.refundedAmount, currency)}</dd>
        <dt className="text-slate-500">Left to refund</dt>
        <dd className="numeric font-medium text-slate-900">{formatMicros(remaining, currency)}</dd>
      </dl>
      <FormField label="Amount" required error={errors.amount} hint={`In ${currency}; at most ${formatMicros(remaining, currency)}.`}>
        <Input
          name="amount"
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          onChange={(event) => {
            setAmount(event.target.value);
            if (errors.amount) setErrors(({ amount: _ignored, ...rest }) => rest);
          }}
          data-autofocus
        />
      </FormField>
      <FormField label="Reason" optional error={errors.reason} hint="Kept in the audit log.">
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
