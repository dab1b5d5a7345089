"use client";

import { useState, type FormEvent } from "react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { BILLING_TYPE_OPTIONS } from "@/components/admin/labels";
import {
  CUSTOMER_FIELDS,
  hasErrors,
  validateCustomer,
  type TCustomerFormValues,
} from "@/components/admin/validation";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";

export type TCustomerFormSubmit = (
  values: { accountNumber: string; name: string; billingType: "PREPAID" | "POSTPAID"; contactEmail: string },
  handlers: { onSuccess: () => void; onError: (error: unknown) => void },
) => void;

const EMPTY: TCustomerFormValues = { accountNumber: "", name: "", billingType: "PREPAID", contactEmail: "" };

/**
 * Create or edit a customer's details. The parent owns the mutation (`submit`, `pending`);
 * this validates, shows field errors inline (client or server) and closes on success.
 */
export function CustomerFormDialog({
  open,
  onOpenChange,
  mode,
  initial,
  submit,
  pending,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  mode: "create" | "edit";
  initial?: TCustomerFormValues;
  submit: TCustomerFormSubmit;
  pending: boolean;
}) {
  const formId = mode === "create" ? "customer-create-form" : "customer-edit-form";
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={mode === "create" ? "New customer" : "Edit customer"}
      description={
        mode === "create"
          ? "An account your customers are billed under. You can invite their users afterwards."
          : "Changes are recorded in the audit log."
      }
      dismissible={!pending}
      footer={
        <>
          <Button onClick={() => onOpenChange(false)} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" form={formId} variant="primary" loading={pending}>
            {mode === "create" ? "Create customer" : "Save changes"}
          </Button>
        </>
      }
    >
      <CustomerForm
        formId={formId}
        initial={initial ?? EMPTY}
        submit={submit}
        onDone={() => onOpenChange(false)}
      />
    </Dialog>
  );
}

function CustomerForm({
  formId,
  initial,
  submit,
  onDone,
}: {
  formId: string;
  initial: TCustomerFormValues;
  submit: TCustomerFormSubmit;
  onDone: () => void;
}) {
  const [values, setValues] = useState<TCustomerFormValues>(initial);
  const [errors, setErrors] = useState<TFieldErrors>({});

  const set = (field: keyof TCustomerFormValues) => (value: string) => {
    setValues((current) => ({ ...current, [field]: value }));
    if (errors[field]) {
      setErrors((current) => {
        const next = { ...current };
        delete next[field];
        return next;
      });
    }
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = validateCustomer(values);
    setErrors(found);
    if (hasErrors(found)) {
      // Move focus to the first invalid field so keyboard and screen-reader users land on it.
      const first = CUSTOMER_FIELDS.find((field) => found[field]);
      if (first) event.currentTarget.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    submit(
      {
        accountNumber: values.accountNumber.trim(),
        name: values.name.trim(),
        billingType: values.billingType === "POSTPAID" ? "POSTPAID" : "PREPAID",
        contactEmail: values.contactEmail.trim(),
      },
      {
        onSuccess: onDone,
        onError: (error) => {
          setErrors(formErrorsOf(error, CUSTOMER_FIELDS));
          if (isForbidden(error)) onDone();
        },
      },
    );
  };

  return (
    <form id={formId} onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField label="Account number" required error={errors.accountNumber} hint="Letters, digits, dot, dash, underscore">
          <Input
            name="accountNumber"
            value={values.accountNumber}
            onChange={(event) => set("accountNumber")(event.target.value)}
            autoComplete="off"
            spellCheck={false}
            maxLength={32}
            className="font-mono"
            data-autofocus
          />
        </FormField>
        <FormField label="Billing type" required error={errors.billingType}>
          <Select
            name="billingType"
            value={values.billingType}
            onChange={(event) => set("billingType")(event.target.value)}
            options={BILLING_TYPE_OPTIONS}
          />
        </FormField>
      </div>
      <FormField label="Name" required error={errors.name}>
        <Input name="name" value={values.name} onChange={(event) => set("name")(event.target.value)} maxLength={200} autoComplete="organization" />
      </FormField>
      <FormField label="Contact email" required error={errors.contactEmail} hint="Invoices and account notices go here">
        <Input
          name="contactEmail"
          type="email"
          value={values.contactEmail}
          onChange={(event) => set("contactEmail")(event.target.value)}
          autoComplete="email"
          spellCheck={false}
        />
      </FormField>
    </form>
  );
}
