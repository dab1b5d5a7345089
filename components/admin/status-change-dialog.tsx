"use client";

import { useState, type FormEvent } from "react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { reasonError } from "@/components/admin/validation";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form-field";
import { Money } from "@/components/ui/money";
import { Textarea } from "@/components/ui/textarea";

export type TStatusTarget = "ACTIVE" | "SUSPENDED" | "CLOSED";

export type TStatusSubmit = (
  values: { status: TStatusTarget; reason: string; acknowledgedBalance?: string },
  handlers: { onSuccess: () => void; onError: (error: unknown) => void },
) => void;

export const STATUS_ACTIONS: Record<TStatusTarget, { label: string; title: string; description: string; danger: boolean }> = {
  SUSPENDED: {
    label: "Suspend",
    title: "Suspend account",
    description: "Service stops until the account is reactivated. The reason is kept in the audit log.",
    danger: true,
  },
  ACTIVE: {
    label: "Reactivate",
    title: "Reactivate account",
    description: "Service resumes. The reason is kept in the audit log.",
    danger: false,
  },
  CLOSED: {
    label: "Close account",
    title: "Close account",
    description: "Closing is final: a closed account cannot be reactivated or changed. The reason is kept in the audit log.",
    danger: true,
  },
};

/**
 * Suspend / reactivate / close with a mandatory reason. Closing shows the balance: it is not
 * settled by closing (no refund or write-off), so one that is not zero must be acknowledged.
 */
export function StatusChangeDialog({
  target,
  customerName,
  balance,
  currency,
  onClose,
  onBalanceStale,
  submit,
  pending,
}: {
  /** The status to move to; null keeps the dialog closed. */
  target: TStatusTarget | null;
  customerName: string;
  /** Micro-units; the server checks the balance again when closing. */
  balance: bigint;
  currency: string;
  onClose: () => void;
  /** The server saw another balance than `balance`: fetch it again, for the dialog to show. */
  onBalanceStale: () => void;
  submit: TStatusSubmit;
  pending: boolean;
}) {
  const formId = "customer-status-form";
  const action = target ? STATUS_ACTIONS[target] : null;
  return (
    <Dialog
      open={target !== null}
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
      title={action ? `${action.title}: ${customerName}` : ""}
      description={action?.description}
      dismissible={!pending}
      footer={
        action ? (
          <>
            <Button onClick={onClose} disabled={pending}>
              Cancel
            </Button>
            <Button type="submit" form={formId} variant={action.danger ? "danger" : "primary"} loading={pending}>
              {action.label}
            </Button>
          </>
        ) : null
      }
    >
      {target ? <ReasonForm formId={formId} target={target} balance={target === "CLOSED" ? balance : 0n} currency={currency} submit={submit} onDone={onClose} onBalanceStale={onBalanceStale} /> : null}
    </Dialog>
  );
}

const ACKNOWLEDGE_REQUIRED = "Confirm you have seen the balance to close the account";

function ReasonForm({
  formId,
  target,
  balance,
  currency,
  submit,
  onDone,
  onBalanceStale,
}: {
  formId: string;
  target: TStatusTarget;
  /** The balance to acknowledge; zero when there is none (or the change is not a close). */
  balance: bigint;
  currency: string;
  submit: TStatusSubmit;
  onDone: () => void;
  onBalanceStale: () => void;
}) {
  const [reason, setReason] = useState("");
  const [acknowledged, setAcknowledged] = useState(false);
  const [errors, setErrors] = useState<TFieldErrors>({});
  // The server checks the balance again under its lock: one that moved off zero since the page
  // loaded comes back as this field's error, and from then on the checkbox is asked for too.
  const [serverSawBalance, setServerSawBalance] = useState(false);
  const needsAcknowledgement = balance !== 0n || serverSawBalance;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const problem = reasonError(reason);
    const found: TFieldErrors = {
      ...(problem ? { reason: [problem] } : {}),
      ...(needsAcknowledgement && !acknowledged ? { acknowledgedBalance: [ACKNOWLEDGE_REQUIRED] } : {}),
    };
    if (Object.keys(found).length > 0) {
      setErrors(found);
      event.currentTarget.querySelector<HTMLElement>(found.reason ? '[name="reason"]' : '[name="acknowledgedBalance"]')?.focus();
      return;
    }
    setErrors({});
    submit(
      // The figure shown is the one acknowledged: the server refuses it once the balance moved.
      { status: target, reason: reason.trim(), ...(needsAcknowledgement && acknowledged ? { acknowledgedBalance: balance.toString() } : {}) },
      {
        onSuccess: onDone,
        onError: (error) => {
          const found = formErrorsOf(error, ["reason", "acknowledgedBalance"]);
          if (found.acknowledgedBalance) {
            // Another balance than the one shown: show the new one and ask again.
            setServerSawBalance(true);
            setAcknowledged(false);
            onBalanceStale();
          }
          setErrors(found);
          if (isForbidden(error)) onDone();
        },
      },
    );
  };

  return (
    <form id={formId} onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
      {needsAcknowledgement ? (
        <div className="flex flex-col gap-2 rounded-md border border-warning-600/30 bg-warning-50 px-3 py-2.5 text-sm text-warning-800">
          {balance !== 0n ? (
            <p>
              {balance > 0n ? "The account holds a credit of " : "The account owes "}
              <Money micros={balance > 0n ? balance : -balance} currency={currency} toneNegative={false} />. Closing does not refund or write off the balance;
              settle it separately.
            </p>
          ) : null}
          <Checkbox
            name="acknowledgedBalance"
            label={balance > 0n ? "I have seen the credit and close the account anyway" : balance < 0n ? "I have seen the amount owed and close the account anyway" : "I have seen the balance and close the account anyway"}
            checked={acknowledged}
            invalid={Boolean(errors.acknowledgedBalance)}
            onChange={(event) => {
              setAcknowledged(event.target.checked);
              if (errors.acknowledgedBalance) setErrors(({ acknowledgedBalance: _seen, ...rest }) => rest);
            }}
          />
          {errors.acknowledgedBalance ? (
            <p role="alert" className="text-xs text-danger-700">
              {errors.acknowledgedBalance.join(" ")}
            </p>
          ) : null}
        </div>
      ) : null}
      <FormField label="Reason" required error={errors.reason} hint="At least 3 characters; visible in the audit log.">
        <Textarea
          name="reason"
          value={reason}
          onChange={(event) => {
            setReason(event.target.value);
            if (errors.reason) setErrors(({ reason: _fixed, ...rest }) => rest);
          }}
          maxLength={500}
          rows={3}
          data-autofocus
        />
      </FormField>
    </form>
  );
}
