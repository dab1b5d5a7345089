import { describe, expect, it } from "vitest";
import { outageAlertLines } from "@/components/cdr/sources/outage-alerts";

describe("outageAlertLines", () => {
  const down = new Date("2026-11-22T12:22:47Z");
  const recovery = new Date("2026-11-22T14:03:10Z");

  it("gives the time of each alert that went out", () => {
    expect(outageAlertLines({ alertState: "DOWN_SENT", downAlertedAt: down, recoveryAlertedAt: null }, null)).toEqual([{ text: "Down alert sent", at: down, tone: "default" }]);
    expect(outageAlertLines({ alertState: "RECOVERY_SENT", downAlertedAt: down, recoveryAlertedAt: recovery }, null)).toEqual([
      { text: "Down alert sent", at: down, tone: "default" },
      { text: "Recovery alert sent", at: recovery, tone: "default" },
    ]);
  });

  it("says an owed alert is not sent yet, and why it waits", () => {
    const owedDown = { alertState: "DOWN_OWED" as const, downAlertedAt: null, recoveryAlertedAt: null };
    expect(outageAlertLines(owedDown, null).map((line) => line.text)).toEqual([
      "Down alert not sent yet",
      "Tried again at every poll (the mail relay refused it, or the poll has not sent it yet)",
    ]);
    expect(outageAlertLines(owedDown, "NO_RECIPIENTS")[1]?.text).toBe("No recipients: the source has no alert address and the tenant no active admin");
    expect(outageAlertLines({ alertState: "RECOVERY_OWED", downAlertedAt: down, recoveryAlertedAt: null }, "POLLING_OFF")).toEqual([
      { text: "Down alert sent", at: down, tone: "default" },
      { text: "Recovery alert not sent yet", at: null, tone: "warning" },
      { text: "Polling is off: sent by the first poll after it is turned on", at: null, tone: "muted" },
    ]);
  });

  it("says when no alert goes out: monitoring stopped, or the outage ended before its down alert", () => {
    expect(outageAlertLines({ alertState: "MONITORING_STOPPED", downAlertedAt: down, recoveryAlertedAt: null }, null).map((line) => line.text)).toEqual([
      "Down alert sent",
      "No recovery alert: monitoring stopped (see the error)",
    ]);
    expect(outageAlertLines({ alertState: "NEVER_SENT", downAlertedAt: null, recoveryAlertedAt: null }, "NO_RECIPIENTS").map((line) => line.text)).toEqual([
      "No alert sent: it ended before its down alert went out",
    ]);
  });
});
