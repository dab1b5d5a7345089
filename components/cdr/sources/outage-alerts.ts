import type { TAvailability } from "@/components/cdr/sources/types";

type TOutage = TAvailability["outages"][number];
type TAlertsBlockedBy = TAvailability["source"]["alertsBlockedBy"];

/** One line of an outage's "Alerted" cell: a time when `at` is set (shown in the page's zone). */
export type TOutageAlertLine = { text: string; at: Date | null; tone: "default" | "warning" | "muted" };

function owedBecause(blockedBy: TAlertsBlockedBy): TOutageAlertLine {
  const text =
    blockedBy === "NO_RECIPIENTS"
      ? "No recipients: the source has no alert address and the tenant no active admin"
      : blockedBy === "POLLING_OFF"
        ? "Polling is off: sent by the first poll after it is turned on"
        : "Tried again at every poll (the mail relay refused it, or the poll has not sent it yet)";
  return { text, at: null, tone: "muted" };
}

/**
 * What went out about an outage, and when: the evidence of when the NOC was told, and of an
 * alert still waiting (a relay that refuses it, nobody to send it to).
 */
export function outageAlertLines(outage: Pick<TOutage, "alertState" | "downAlertedAt" | "recoveryAlertedAt">, blockedBy: TAlertsBlockedBy): TOutageAlertLine[] {
  const downSent: TOutageAlertLine = { text: "Down alert sent", at: outage.downAlertedAt, tone: "default" };
  switch (outage.alertState) {
    case "DOWN_OWED":
      return [{ text: "Down alert not sent yet", at: null, tone: "warning" }, owedBecause(blockedBy)];
    case "DOWN_SENT":
      return [downSent];
    case "RECOVERY_OWED":
      return [downSent, { text: "Recovery alert not sent yet", at: null, tone: "warning" }, owedBecause(blockedBy)];
    case "RECOVERY_SENT":
      return [downSent, { text: "Recovery alert sent", at: outage.recoveryAlertedAt, tone: "default" }];
    case "MONITORING_STOPPED":
      return [downSent, { text: "No recovery alert: monitoring stopped (see the error)", at: null, tone: "muted" }];
    case "NEVER_SENT":
      return [{ text: "No alert sent: it ended before its down alert went out", at: null, tone: "muted" }];
  }
}
