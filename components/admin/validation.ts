import type { TFieldErrors } from "@/components/trpc/errors";

// Minimal client-side copies of the server's zod rules, so most mistakes are caught before
// a round-trip. The server stays the authority; its messages are shown the same way.

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ACCOUNT_NUMBER = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function emailError(value: string): string | null {
  return EMAIL.test(value.trim()) ? null : "Enter a valid email address";
}

export type TCustomerFormValues = {
  accountNumber: string;
  name: string;
  billingType: string;
  contactEmail: string;
};

export const CUSTOMER_FIELDS = ["accountNumber", "name", "billingType", "contactEmail"] as const;

export function validateCustomer(values: TCustomerFormValues): TFieldErrors {
  const errors: TFieldErrors = {};
  const accountNumber = values.accountNumber.trim();
  if (accountNumber.length < 2) errors.accountNumber = ["Account number is required"];
  else if (accountNumber.length > 32) errors.accountNumber = ["At most 32 characters"];
  else if (!ACCOUNT_NUMBER.test(accountNumber)) errors.accountNumber = ["Use letters, digits, dot, dash or underscore"];
  const name = values.name.trim();
  if (!name) errors.name = ["Name is required"];
  else if (name.length > 200) errors.name = ["At most 200 characters"];
  if (values.billingType !== "PREPAID" && values.billingType !== "POSTPAID") errors.billingType = ["Choose a billing type"];
  const email = emailError(values.contactEmail);
  if (email) errors.contactEmail = [email];
  return errors;
}

export function reasonError(value: string): string | null {
  const reason = value.trim();
  if (reason.length < 3) return "Give a reason";
  if (reason.length > 500) return "At most 500 characters";
  return null;
}

export function hasErrors(errors: TFieldErrors): boolean {
  return Object.keys(errors).length > 0;
}
