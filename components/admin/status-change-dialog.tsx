"use client";

import { useState, type FormEvent } from "react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { reasonError } from "@/components/admin/validation";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form-field";
import { Textarea } from "@/components/ui/textarea";

export type TStatusTarget = "ACTIVE" | "SUSPENDED" | "CLOSED";

export type TStatusSubmit = (
  values: { status: TStatusTarget; reason: string },
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

/** Suspend / reactivate / close with a mandatory reason. */
export function StatusChangeDialog({
  target,
  customerName,
  onClose,
  submit,
  pending,
}: {
  /** The status to move to; null keeps the dialog closed. */
  target: TStatusTarget | null;
  customerName: string;
  onClose: () => void;
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
      {target ? <ReasonForm formId={formId} target={target} submit={submit} onDone={onClose} /> : null}
    </Dialog>
  );
}

function ReasonForm({
  formId,
  target,
  submit,
  onDone,
}: {
  formId: string;
  target: TStatusTarget;
  submit: TStatusSubmit;
  onDone: () => void;
}) {
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<TFieldErrors>({});

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const problem = reasonError(reason);
    if (problem) {
      setErrors({ reason: [problem] });
      event.currentTarget.querySelector<HTMLElement>('[name="reason"]')?.focus();
      return;
    }
    setErrors({});
    submit(
      { status: target, reason: reason.trim() },
      {
        onSuccess: onDone,
        onError: (error) => {
          setErrors(formErrorsOf(error, ["reason"]));
          if (isForbidden(error)) onDone();
        },
      },
    );
  };

  return (
    <form id={formId} onSubmit={onSubmit} noValidate>
      <FormField label="Reason" required error={errors.reason} hint="At least 3 characters; visible in the audit log.">
        <Textarea
          name="reason"
          value={reason}
          onChange={(event) => {
            setReason(event.target.value);
            if (errors.reason) setErrors({});
          }}
          maxLength={500}
          rows={3}
          data-autofocus
        />
      </FormField>
    </form>
  );
}
