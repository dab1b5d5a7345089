import { Badge, type BadgeTone } from "@/components/ui/badge";

/** Tone of the statuses used across Trunkline (accounts, jobs, activities, outbox, CDRs). */
const statusTones: Record<string, BadgeTone> = {
  // accounts / users
  ACTIVE: "success",
  SUSPENDED: "warning",
  LOCKED: "danger",
  CLOSED: "neutral",
  DISABLED: "neutral",
  INVITED: "info",
  // jobs, provisioning activities, imports
  PENDING: "neutral",
  QUEUED: "neutral",
  RUNNING: "info",
  PROCESSING: "info",
  RETRYING: "warning",
  COMPLETED: "success",
  SUCCEEDED: "success",
  FAILED: "danger",
  CANCELLED: "neutral",
  CANCELED: "neutral",
  // outbox (mail / SMS)
  SENT: "success",
  DELIVERED: "success",
  STORED: "info",
  BOUNCED: "danger",
  // CDRs
  RATED: "success",
  UNANSWERED: "neutral",
  UNBILLABLE: "warning",
  REJECTED: "danger",
  // invoices / payments
  DRAFT: "neutral",
  ISSUED: "info",
  PAID: "success",
  OVERDUE: "danger",
  REFUNDED: "neutral",
  VOID: "neutral",
};

/** The badge tone for a status code; unknown codes are neutral. */
export function statusTone(status: string): BadgeTone {
  return statusTones[status.toUpperCase()] ?? "neutral";
}

/** "UNBILLABLE" → "Unbillable", "IN_PROGRESS" → "In progress". */
export function statusLabel(status: string): string {
  const words = status.replace(/[_-]+/g, " ").trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export type StatusBadgeProps = {
  status: string;
  /** Overrides the humanised label (e.g. a translated one). */
  label?: string;
  /** Overrides the mapped tone. */
  tone?: BadgeTone;
  className?: string;
};

export function StatusBadge({ status, label, tone, className }: StatusBadgeProps) {
  return (
    <Badge tone={tone ?? statusTone(status)} dot className={className} title={status}>
      {label ?? statusLabel(status)}
    </Badge>
  );
}
