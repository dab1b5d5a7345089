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
import { normaliseAmount } from "@/components/wallet/labels";

export type TCustomerFormSubmit = (
  values: { accountNumber: string; name: string; billingType: "PREPAID" | "POSTPAID"; contactEmail: string; creditLimit: string | null },
  handlers: { onSuccess: () => void; onError: (error: unknown) => void },
) => void;

/** The details plus the credit limit, asked for (and required) only when the account is postpaid. */
export type TCustomerFormState = TCustomerFormValues & { creditLimit: string };

const EMPTY: TCustomerFormState = { accountNumber: "", name: "", billingType: "PREPAID", contactEmail: "", creditLimit: "" };

const FORM_FIELDS = [...CUSTOMER_FIELDS, "creditLimit"] as const;

/** The server's rule (server/wallet/wallet.ts postpaidCreditLimit), checked before the round-trip. */
function validateForm(values: TCustomerFormState): TFieldErrors {
  const errors = validateCustomer(values);
  if (values.billingType === "POSTPAID") {
    const limit = normaliseAmount(values.creditLimit, { allowNegative: false });
    if (limit === null) errors.creditLimit = ["Enter a credit limit like 500.00"];
    else if (!/[1-9]/.test(limit)) errors.creditLimit = ["A postpaid account needs a credit limit above zero"];
  }
  return errors;
}

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
  initial?: TCustomerFormState;
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
  initial: TCustomerFormState;
  submit: TCustomerFormSubmit;
  onDone: () => void;
}) {
  const [values, setValues] = useState<TCustomerFormState>(initial);
  const [errors, setErrors] = useState<TFieldErrors>({});

  const postpaid = values.billingType === "POSTPAID";
  const switchingToPrepaid = initial.billingType === "POSTPAID" && !postpaid;
  const set = (field: keyof TCustomerFormState) => (value: string) => {
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
    const found = validateForm(values);
    setErrors(found);
    if (hasErrors(found)) {
      // Move focus to the first invalid field so keyboard and screen-reader users land on it.
      const first = FORM_FIELDS.find((field) => found[field]);
      if (first) event.currentTarget.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    submit(
      {
        accountNumber: values.accountNumber.trim(),
        name: values.name.trim(),
        billingType: values.billingType === "POSTPAID" ? "POSTPAID" : "PREPAID",
        contactEmail: values.contactEmail.trim(),
        // Only a limit typed here: the one the form loaded may have been raised on the wallet
        // page since, and sending it back would lower it again (the server keeps the current one).
        creditLimit: postpaid && (values.creditLimit.trim() !== initial.creditLimit || initial.billingType !== "POSTPAID") ? normaliseAmount(values.creditLimit, { allowNegative: false }) : null,
      },
      {
        onSuccess: onDone,
        onError: (error) => {
          setErrors(formErrorsOf(error, FORM_FIELDS));
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
        <FormField
          label="Billing type"
          required
          error={errors.billingType}
          hint={switchingToPrepaid ? "As prepaid the account locks while its balance is at or below its lock threshold, and its credit limit is dropped." : undefined}
        >
          <Select
            name="billingType"
            value={values.billingType}
            onChange={(event) => set("billingType")(event.target.value)}
            options={BILLING_TYPE_OPTIONS}
          />
        </FormField>
      </div>
      {postpaid ? (
        <FormField label="Credit limit" required error={errors.creditLimit} hint="How far below zero the balance may go before calls stop, in the tenant's currency">
          <Input
            name="creditLimit"
            inputMode="decimal"
            autoComplete="off"
            placeholder="500.00"
            value={values.creditLimit}
            onChange={(event) => set("creditLimit")(event.target.value)}
          />
        </FormField>
      ) : null}
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
