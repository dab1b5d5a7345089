"use client";

import { useState, type FormEvent } from "react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { PAYMENT_KIND_LABEL } from "@/components/payments/labels";
import { FormDialog } from "@/components/ui/form-dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { formatMicros } from "@/components/ui/money-format";
import { Textarea } from "@/components/ui/textarea";
import type { TCustomerPayment } from "@/components/wallet/card-payments-card";

type TOutcome = "paid" | "unpaid";

export type TSettleSubmit = (
  values: { paymentId: string; outcome: "paid"; paymentIntentId: string; reason: string } | { paymentId: string; outcome: "unpaid"; reason: string },
  handlers: { onSuccess: () => void; onError: (error: unknown) => void },
) => void;

const FORM_ID = "wallet-settle-form";
/** The service's format for a PaymentIntent id (manual-settlement.ts). */
const PAYMENT_INTENT_PATTERN = /^pi_[A-Za-z0-9]{8,100}$/;

const OUTCOME_LABEL: Record<TOutcome, string> = { paid: "It was paid", unpaid: "It was not paid" };

/**
 * Settles by hand a card payment reconciliation with Stripe left to a person ("Needs
 * attention"), after the admin looked it up in Stripe's dashboard.
 */
export function SettlePaymentDialog({
  payment,
  onOpenChange,
  submit,
  pending,
}: {
  /** The payment being settled; null closes the dialog. */
  payment: TCustomerPayment | null;
  onOpenChange: (open: boolean) => void;
  submit: TSettleSubmit;
  pending: boolean;
}) {
  return (
    <FormDialog
      open={payment !== null}
      onOpenChange={onOpenChange}
      title="Settle card payment by hand"
      description="Stripe could not tell us how this payment ended. Look it up in Stripe's dashboard (in the account it was made in) and record what you found."
      formId={FORM_ID}
      submitLabel="Settle payment"
      pending={pending}
    >
      {payment ? <SettleForm payment={payment} submit={submit} pending={pending} onDone={() => onOpenChange(false)} /> : null}
    </FormDialog>
  );
}

function SettleForm({ payment, submit, pending, onDone }: { payment: TCustomerPayment; submit: TSettleSubmit; pending: boolean; onDone: () => void }) {
  const [outcome, setOutcome] = useState<TOutcome>("paid");
  const [paymentIntentId, setPaymentIntentId] = useState("");
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<TFieldErrors>({});
  const amount = formatMicros(payment.amount, payment.currency);

  const clear = (field: string) => {
    if (errors[field]) setErrors(({ [field]: _ignored, ...rest }) => rest);
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    const intent = paymentIntentId.trim();
    const why = reason.trim();
    const next: TFieldErrors = {};
    if (outcome === "paid" && !PAYMENT_INTENT_PATTERN.test(intent)) next.paymentIntentId = ["Enter the PaymentIntent id from Stripe's dashboard, like pi_3QxY…"];
    if (why.length < 3) next.reason = ["Say what you checked, for the audit log"];
    setErrors(next);
    if (Object.keys(next).length > 0) {
      event.currentTarget.querySelector<HTMLElement>(next.paymentIntentId ? '[name="paymentIntentId"]' : '[name="reason"]')?.focus();
      return;
    }
    const handlers = {
      onSuccess: onDone,
      onError: (error: unknown) => {
        setErrors(formErrorsOf(error, ["paymentIntentId", "reason"]));
        if (isForbidden(error)) onDone();
      },
    };
    if (outcome === "paid") submit({ paymentId: payment.id, outcome, paymentIntentId: intent, reason: why }, handlers);
    else submit({ paymentId: payment.id, outcome, reason: why }, handlers);
  };

  return (
    <form id={FORM_ID} onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 rounded-lg border border-slate-200 bg-slate-50 px-3 py-2 text-sm">
        <dt className="text-slate-500">Payment</dt>
        <dd className="text-slate-900">
          {PAYMENT_KIND_LABEL[payment.kind] ?? payment.kind} of {amount}
        </dd>
        {payment.reconcileNote ? (
          <>
            <dt className="text-slate-500">Stripe said</dt>
            <dd className="text-slate-900">{payment.reconcileNote.replace(/^unresolved: /, "")}</dd>
          </>
        ) : null}
      </dl>
      <fieldset>
        <legend className="mb-1 text-sm font-medium text-slate-800">What did you find in Stripe?</legend>
        <div className="inline-flex rounded-md border border-slate-300 p-0.5" role="radiogroup" aria-label="What did you find in Stripe?">
          {(["paid", "unpaid"] as const).map((value) => (
            <label
              key={value}
              className={
                outcome === value
                  ? "cursor-pointer rounded px-3 py-1 text-sm font-medium text-white " + (value === "paid" ? "bg-success-600" : "bg-danger-600")
                  : "cursor-pointer rounded px-3 py-1 text-sm text-slate-700 hover:bg-slate-100"
              }
            >
              <input type="radio" name="outcome" value={value} checked={outcome === value} onChange={() => setOutcome(value)} className="sr-only" />
              {OUTCOME_LABEL[value]}
            </label>
          ))}
        </div>
        <p className="mt-1 text-xs text-slate-500">
          {outcome === "paid"
            ? `The customer's balance is credited ${amount} once; if Stripe's own notice arrives later, it finds the credit done.`
            : payment.kind === "AUTO_RECHARGE"
              ? "The payment is closed as failed, like a declined automatic top-up: the account is locked if its balance cannot carry calls. The customer is not emailed."
              : "The payment is closed as failed; nothing is credited. If Stripe later says it was paid, it is credited then."}
        </p>
      </fieldset>
      {outcome === "paid" ? (
        <FormField label="PaymentIntent id" required error={errors.paymentIntentId} hint="In Stripe's dashboard: Payments → the payment → its id, starting pi_.">
          <Input
            name="paymentIntentId"
            autoComplete="off"
            spellCheck={false}
            value={paymentIntentId}
            onChange={(event) => {
              setPaymentIntentId(event.target.value);
              clear("paymentIntentId");
            }}
            data-autofocus
          />
        </FormField>
      ) : null}
      <FormField label="What you checked" required error={errors.reason} hint="Kept in the audit log.">
        <Textarea
          name="reason"
          value={reason}
          maxLength={500}
          onChange={(event) => {
            setReason(event.target.value);
            clear("reason");
          }}
        />
      </FormField>
    </form>
  );
}
