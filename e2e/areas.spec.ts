import { expect, test } from "@playwright/test";
import { DEMO_ADMIN, DEMO_ALICE, expectPath, formAlert, signIn, snap } from "./support";

test("the sign-in page rejects bad credentials without saying whether the email exists", async ({ page }) => {
  await page.goto("/");
  await expectPath(page, "/sign-in");
  await snap(page, "sign-in");
  await signIn(page, "nobody@nowhere.test", "wrong-password");
  await expect(formAlert(page)).toHaveText("Invalid email or password.");
  await signIn(page, DEMO_ADMIN, "wrong-password");
  await expect(formAlert(page)).toHaveText("Invalid email or password.");
});

test("tenant staff land in /admin and customer users in /portal; each area refuses the other", async ({ page }) => {
  await signIn(page, DEMO_ADMIN);
  await expectPath(page, "/admin");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await snap(page, "admin-overview");
  await page.goto("/portal");
  await expectPath(page, /\/admin\?denied=portal$/);

  await page.context().clearCookies();
  await signIn(page, DEMO_ALICE);
  await expectPath(page, "/portal");
  await expect(page.getByRole("heading", { name: "Alice's company" })).toBeVisible();
  await snap(page, "portal-dashboard");
  await page.goto("/admin");
  await expectPath(page, /\/portal\?denied=admin$/);
  await expect(formAlert(page)).toContainText("admin area is for");
  await snap(page, "portal-refuses-admin");
  const response = await page.request.get("/api/trpc/customers.list?input=" + encodeURIComponent(JSON.stringify({ json: {} })));
  expect(response.status()).toBe(403);

  await page.goto("/portal/profile");
  await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
  await snap(page, "portal-profile");
});
