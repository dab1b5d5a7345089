import { expect, test } from "@playwright/test";
import { DEMO_ALICE, expectPath, signIn, snap } from "./support";

// scripts/e2e.ts runs a local Stripe-compatible server; its hosted checkout page's Pay button
// sends the signed webhooks to the app, as Stripe would, then returns to the success URL.
test("a customer tops up by card through Stripe Checkout and sees the new balance and the transaction", async ({ page }) => {
  await signIn(page, DEMO_ALICE);
  await expectPath(page, "/portal");
  await page.goto("/portal/balance");
  await expect(page.getByRole("heading", { name: "Balance & payments" })).toBeVisible();
  const balance = page.getByTestId("current-balance");
  await expect(balance).toBeVisible();
  const before = await balance.innerText();
  await snap(page, "top-up-1-balance");

  // Below the tenant's minimum is refused before anything is sent.
  const amount = page.getByLabel(/^Amount/);
  await amount.fill("1.00");
  await expect(page.getByText(/Top up between 5\.00 and 1000\.00 USD/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Continue to payment" })).toBeDisabled();

  await amount.fill("42.50");
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await expect(page).toHaveURL(/\/pay\/cs_test_/);
  await expect(page.getByText("42.50 USD")).toBeVisible();
  await snap(page, "top-up-2-checkout");

  await page.getByRole("button", { name: "Pay" }).click();
  await expectPath(page, /\/portal\/balance\/return\?payment=/);
  await expect(page.getByRole("heading", { name: "Payment received" })).toBeVisible();
  await expect(page.getByTestId("new-balance")).toContainText("$");
  await snap(page, "top-up-3-return");

  await page.getByRole("link", { name: "Back to balance & payments" }).click();
  await expect(balance).not.toHaveText(before);
  await expect(page.getByRole("table", { name: "Recent transactions" })).toContainText("Card top-up");
  await expect(page.getByRole("table", { name: "Recent transactions" })).toContainText("42.50");
  await expect(page.getByRole("table", { name: "Recent payments" })).toContainText("Paid");
  await snap(page, "top-up-4-after");
});
