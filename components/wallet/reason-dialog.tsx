"use client";

import { useState, type FormEvent } from "react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { reasonError } from "@/components/admin/validation";
import { FormDialog } from "@/components/ui/form-dialog";
import { FormField } from "@/components/ui/form-field";
import { Textarea } from "@/components/ui/textarea";

export type TReasonSubmit = (reason: string, handlers: { onSuccess: () => void; onError: (error: unknown) => void }) => void;

const FORM_ID = "wallet-reason-form";

/** A confirmation that needs a reason (lock, unlock). */
export function ReasonDialog({
  open,
  onOpenChange,
  title,
  description,
  confirmLabel,
  danger,
  submit,
  pending,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description: string;
  confirmLabel: string;
  danger: boolean;
  submit: TReasonSubmit;
  pending: boolean;
}) {
  return (
    <FormDialog
      open={open}
      onOpenChange={onOpenChange}
      title={title}
      description={description}
      formId={FORM_ID}
      submitLabel={confirmLabel}
      submitVariant={danger ? "danger" : "primary"}
      pending={pending}
    >
      <ReasonForm submit={submit} pending={pending} onDone={() => onOpenChange(false)} />
    </FormDialog>
  );
}

function ReasonForm({ submit, pending, onDone }: { submit: TReasonSubmit; pending: boolean; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<TFieldErrors>({});
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    const problem = reasonError(reason);
    if (problem) {
      setErrors({ reason: [problem] });
      event.currentTarget.querySelector<HTMLElement>('[name="reason"]')?.focus();
      return;
    }
    setErrors({});
    submit(reason.trim(), {
      onSuccess: onDone,
      onError: (error) => {
        setErrors(formErrorsOf(error, ["reason"]));
        if (isForbidden(error)) onDone();
      },
    });
  };
  return (
    <form id={FORM_ID} onSubmit={onSubmit} noValidate>
      <FormField label="Reason" required error={errors.reason} hint="At least 3 characters; kept in the audit log.">
        <Textarea
          name="reason"
          value={reason}
          maxLength={500}
          rows={3}
          onChange={(event) => {
            setReason(event.target.value);
            if (errors.reason) setErrors({});
          }}
          data-autofocus
        />
      </FormField>
    </form>
  );
}
