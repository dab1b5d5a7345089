import type { SelectOption } from "@/components/ui/select";

// Client-side copies of small server enums and labels (server modules stay out of the bundle).

export const ROLE_LABELS: Record<string, string> = {
  PLATFORM_ADMIN: "Platform admin",
  TENANT_ADMIN: "Tenant admin",
  TENANT_SUPPORT: "Support",
  CUSTOMER_ADMIN: "Customer admin",
  CUSTOMER_USER: "Customer user",
};

export function roleLabel(role: string): string {
  return ROLE_LABELS[role] ?? role;
}

export const BILLING_TYPES = ["PREPAID", "POSTPAID"] as const;
export type TBillingType = (typeof BILLING_TYPES)[number];
export const BILLING_TYPE_LABELS: Record<TBillingType, string> = { PREPAID: "Prepaid", POSTPAID: "Postpaid" };
export const BILLING_TYPE_OPTIONS: SelectOption[] = BILLING_TYPES.map((value) => ({ value, label: BILLING_TYPE_LABELS[value] }));

export function billingTypeLabel(value: string): string {
  return (BILLING_TYPE_LABELS as Record<string, string>)[value] ?? value;
}

export const CUSTOMER_STATUSES = ["ACTIVE", "SUSPENDED", "LOCKED", "CLOSED"] as const;
export const JOB_STATUSES = ["QUEUED", "RUNNING", "RETRYING", "COMPLETED", "FAILED"] as const;

/** `value` if it is one of `allowed`, else null: URL parameters are untrusted input. */
export function oneOf<T extends string>(value: string | null | undefined, allowed: readonly T[]): T | null {
  return value !== null && value !== undefined && (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

export function customerHref(customerId: string): string {
  return `/admin/customers/${customerId}`;
}

export function auditHref(targetType: string, targetId: string): string {
  return `/admin/audit?${new URLSearchParams({ targetType, targetId }).toString()}`;
}
