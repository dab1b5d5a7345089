import { describe, expect, it } from "vitest";
import { balanceTone } from "@/components/wallet/balance-tone";

describe("the colour of an account's headline figures", () => {
  it("leaves a postpaid account that owes within its limit neutral", () => {
    expect(balanceTone({ billingType: "POSTPAID", status: "ACTIVE", balance: -300_000_000n, belowLowBalance: false })).toBe("neutral");
  });

  it("warns when the account is low by the server's rule, and alarms when it is locked", () => {
    expect(balanceTone({ billingType: "POSTPAID", status: "ACTIVE", balance: -950_000_000n, belowLowBalance: true })).toBe("warning");
    expect(balanceTone({ billingType: "POSTPAID", status: "LOCKED", balance: -1_100_000_000n, belowLowBalance: true })).toBe("danger");
  });

  it("alarms for a prepaid balance below zero", () => {
    expect(balanceTone({ billingType: "PREPAID", status: "ACTIVE", balance: -1n, belowLowBalance: true })).toBe("danger");
    expect(balanceTone({ billingType: "PREPAID", status: "ACTIVE", balance: 30_000_000n, belowLowBalance: false })).toBe("neutral");
  });
});
