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

/** micro-units → "25.00" for an input's value (no floats). */
export function microsToInput(micros: bigint): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const whole = magnitude / 1_000_000n;
  const cents = ((magnitude % 1_000_000n) / 10_000n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}${whole}.${cents}`;
}
