import type { BadgeTone } from "@/components/ui/badge";

export const PAYMENT_STATUS_TONE: Record<string, BadgeTone> = {
  PENDING: "info",
  SUCCEEDED: "success",
  FAILED: "danger",
  REFUNDED: "neutral",
  PARTIALLY_REFUNDED: "warning",
  DISPUTED: "danger",
};

export const PAYMENT_STATUS_LABEL: Record<string, string> = {
  PENDING: "Pending",
  SUCCEEDED: "Paid",
  FAILED: "Failed",
  REFUNDED: "Refunded",
  PARTIALLY_REFUNDED: "Partly refunded",
  DISPUTED: "Disputed",
};

export const PAYMENT_KIND_LABEL: Record<string, string> = { TOPUP: "Card top-up", AUTO_RECHARGE: "Auto-recharge" };
