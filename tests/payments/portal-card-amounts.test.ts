import { describe, expect, it } from "vitest";
import { cardAmountError, chargeOnSave, microsToInput } from "@/components/payments/amounts";
import { cardName, removalEffect } from "@/components/payments/saved-cards";

const bounds = { minimum: 5_000_000n, maximum: 1_000_000_000n, verb: "Top up" };

describe("the top-up amount check", () => {
  it("takes whole cents for USD, with a two-decimal example", () => {
    expect(cardAmountError("25.50", { ...bounds, currency: "USD" })).toBeUndefined();
    expect(cardAmountError("25.505", { ...bounds, currency: "USD" })).toBe("Enter an amount like 25.00");
    expect(cardAmountError("", { ...bounds, currency: "USD" })).toBe("Enter an amount");
    expect(cardAmountError("2", { ...bounds, currency: "USD" })).toBe("Top up between 5.00 and 1000.00 USD");
  });

  it("takes whole yen for JPY, as the server does, and says so", () => {
    expect(cardAmountError("1000", { ...bounds, currency: "JPY" })).toBeUndefined();
    expect(cardAmountError("1000.50", { ...bounds, currency: "JPY" })).toBe("Enter an amount like 25");
    expect(cardAmountError("2", { ...bounds, currency: "JPY" })).toBe("Top up between 5 and 1000 JPY");
  });

  it("takes three decimals for BHD", () => {
    expect(cardAmountError("10.125", { ...bounds, currency: "BHD" })).toBeUndefined();
    expect(cardAmountError("10.1255", { ...bounds, currency: "BHD" })).toBe("Enter an amount like 25.000");
  });

  it("follows the server's minor unit where Intl's display decimals differ", () => {
    // Intl shows HUF without decimals; Stripe and the server count fillér (2 decimals).
    expect(cardAmountError("100.50", { ...bounds, currency: "HUF" })).toBeUndefined();
  });

  it("words the range for a postpaid payment", () => {
    expect(cardAmountError("2", { ...bounds, verb: "Pay", currency: "USD" })).toBe("Pay between 5.00 and 1000.00 USD");
  });
});

describe("an amount input's value", () => {
  it("has the currency's minor-unit decimals, and more only where the amount has them", () => {
    expect(microsToInput(25_000_000n, "USD")).toBe("25.00");
    expect(microsToInput(1_000_000_000n, "JPY")).toBe("1000");
    expect(microsToInput(10_125_000n, "BHD")).toBe("10.125");
    expect(microsToInput(10_005_000n, "USD")).toBe("10.005");
    expect(microsToInput(-2_500_000n, "USD")).toBe("-2.50");
  });
});

describe("what saving auto-recharge charges at once", () => {
  const base = {
    enabled: true,
    paused: false,
    hasCard: true,
    rechargesToday: 1,
    maxPerDay: 3,
    balance: 20_000_000n,
    threshold: "50.00",
    amount: "25.00",
    topUpTo: null,
    minimum: 5_000_000n,
    maximum: 1_000_000_000n,
    currency: "USD",
  };

  it("is the recharge amount when the balance is already below the new threshold", () => {
    expect(chargeOnSave(base)).toBe(25_000_000n);
  });

  it("is what reaches the target, when topping up to one", () => {
    expect(chargeOnSave({ ...base, topUpTo: "80.00" })).toBe(60_000_000n);
  });

  it("is nothing when the balance is at or above the threshold, or the recharge cannot run", () => {
    expect(chargeOnSave({ ...base, threshold: "20.00" })).toBeNull();
    expect(chargeOnSave({ ...base, enabled: false })).toBeNull();
    expect(chargeOnSave({ ...base, paused: true })).toBeNull();
    expect(chargeOnSave({ ...base, hasCard: false })).toBeNull();
    expect(chargeOnSave({ ...base, threshold: "fifty" })).toBeNull();
    // Today's allowed recharges are used: the server would not charge.
    expect(chargeOnSave({ ...base, rechargesToday: 3 })).toBeNull();
    expect(chargeOnSave({ ...base, maxPerDay: 1 })).toBeNull();
  });
});

describe("removing a saved card", () => {
  const visa = { id: "a", brand: "visa", last4: "4242", isDefault: true, createdAt: new Date("2026-01-01") };
  const older = { id: "b", brand: "mastercard", last4: "4444", isDefault: false, createdAt: new Date("2025-06-01") };
  const newer = { id: "c", brand: "amex", last4: "0005", isDefault: false, createdAt: new Date("2026-03-01") };

  it("names the card", () => {
    expect(cardName(visa)).toBe("Visa ending 4242");
  });

  it("warns when auto-recharge would be left with no card", () => {
    expect(removalEffect(visa, [visa], true)).toMatch(/^Auto-recharge will have no card to charge/);
  });

  it("says which card auto-recharge charges next: the newest remaining, as the server picks it", () => {
    expect(removalEffect(visa, [visa, older, newer], true)).toBe("Auto-recharge will charge Amex ending 0005 instead.");
  });

  it("says nothing for a card auto-recharge does not charge, or when it is off", () => {
    expect(removalEffect(older, [visa, older], true)).toBeNull();
    expect(removalEffect(visa, [visa], false)).toBeNull();
  });
});
