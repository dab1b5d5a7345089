"use client";

import type { ReactNode } from "react";
import { Button, type ButtonVariant } from "@/components/ui/button";
import { Dialog, type DialogSize } from "@/components/ui/dialog";

/**
 * A dialog around one form: Cancel and the form's submit button in the footer (the button
 * submits the form by its id, so Enter in a field and the button do the same), and no way to
 * dismiss it while the request is in flight.
 */
export function FormDialog({
  open,
  onOpenChange,
  title,
  description,
  formId,
  submitLabel,
  submitVariant = "primary",
  pending,
  size,
  children,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: ReactNode;
  description?: ReactNode;
  /** The id of the <form> among the children. */
  formId: string;
  submitLabel: ReactNode;
  submitVariant?: ButtonVariant;
  pending: boolean;
  size?: DialogSize;
  /** The form; mounted only while open, so it starts fresh each time. */
  children: ReactNode;
}) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={title}
      description={description}
      size={size}
      dismissible={!pending}
      footer={
        <>
          <Button onClick={() => onOpenChange(false)} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" form={formId} variant={submitVariant} loading={pending}>
            {submitLabel}
          </Button>
        </>
      }
    >
      {children}
    </Dialog>
  );
}
