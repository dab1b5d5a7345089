export type TBalanceTone = "danger" | "warning" | "neutral";

export type TAccountStanding = { billingType: "PREPAID" | "POSTPAID"; status: string; balance: bigint; belowLowBalance: boolean };

/**
 * The colour of an account's headline figures: danger when it is locked or a prepaid balance is
 * below zero, warning when it is low by the server's rule (the credit left, for postpaid),
 * neutral otherwise. A postpaid balance below zero is what the account owes, which is normal
 * within its credit limit.
 */
export function balanceTone(account: TAccountStanding): TBalanceTone {
  if (account.status === "LOCKED") return "danger";
  if (account.billingType === "PREPAID" && account.balance < 0n) return "danger";
  return account.belowLowBalance ? "warning" : "neutral";
}
