import { expect, test } from "@playwright/test";
import { DEMO_ADMIN, DEMO_ALICE, expectPath, signIn, snap } from "./support";

// The second test manages the colleague the first one invited.
test.describe.configure({ mode: "serial" });

test("an admin invites a customer user, who accepts from the email, signs in and lands in the portal", async ({ page }) => {
  await signIn(page, DEMO_ADMIN);
  await expectPath(page, "/admin");

  await page.getByRole("navigation").getByRole("link", { name: "Customers" }).click();
  await expect(page.getByRole("table", { name: "Customers" })).toContainText("Alice's company");
  await snap(page, "admin-customers");
  await page.getByRole("table", { name: "Customers" }).getByText("Alice's company").click();
  await expect(page.getByRole("heading", { name: "Alice's company" })).toBeVisible();
  await snap(page, "admin-customer-detail");

  await page.getByRole("button", { name: "Invite user" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Email").fill("carol@alice-co.test");
  await dialog.getByLabel("Role").selectOption("CUSTOMER_USER");
  await dialog.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByText("carol@alice-co.test").first()).toBeVisible();

  // No SMTP in the embedded default: the invitation waits in the outbox once the job has run.
  await page.getByRole("link", { name: "Outbox" }).click();
  await expect(page).toHaveURL(/\/admin\/outbox/);
  const outbox = page.getByRole("table", { name: "Outbox" });
  await expect(async () => {
    await page.goto("/admin/outbox");
    await expect(outbox.getByText("carol@alice-co.test")).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await snap(page, "admin-outbox");
  await outbox.getByText("carol@alice-co.test").click();
  const message = page.getByRole("dialog");
  const link = message.getByRole("link", { name: /\/invite\// }).first();
  await expect(link).toBeVisible();
  await snap(page, "admin-outbox-message");
  const invitationUrl = await link.getAttribute("href");
  expect(invitationUrl).toMatch(/\/invite\/[A-Za-z0-9_-]{40,}$/);
  await page.keyboard.press("Escape");
  await expect(message).toBeHidden();

  await page.getByRole("link", { name: "Jobs" }).click();
  await expect(page.getByRole("table", { name: "Job runs" })).toContainText("send-invitation-email");
  await snap(page, "admin-jobs");
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("table", { name: "Audit events" })).toContainText("invitation.created");
  await snap(page, "admin-audit");
  await page.getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("table", { name: "Members" })).toContainText(DEMO_ADMIN);
  await snap(page, "admin-users");

  await page.context().clearCookies();
  await page.goto(new URL(invitationUrl!).pathname);
  await expect(page.getByRole("heading", { name: /Join Alice's company/ })).toBeVisible();
  await page.getByLabel("Your name").fill("Carol Diaz");
  await page.getByLabel("New password").fill("carol-password-1");
  await page.getByLabel("Confirm password").fill("carol-password-2");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("The passwords do not match.")).toBeVisible();
  await snap(page, "invite-accept-validation");
  await page.getByLabel("Confirm password").fill("carol-password-1");
  await page.getByRole("button", { name: "Create account" }).click();
  await expectPath(page, "/portal");
  await expect(page.getByRole("heading", { name: "Alice's company" })).toBeVisible();
  await snap(page, "portal-after-invitation");

  // The link is single-use.
  await page.context().clearCookies();
  await page.goto(new URL(invitationUrl!).pathname);
  await expect(page.getByRole("heading", { name: "Invitation unavailable" })).toBeVisible();

  // And the new user signs in normally. A customer user does not manage the company's users.
  await signIn(page, "carol@alice-co.test", "carol-password-1");
  await expectPath(page, "/portal");
  await expect(page.getByRole("navigation").getByRole("link", { name: "Users" })).toHaveCount(0);
});

test("a customer admin invites a colleague, changes a role and revokes an invitation from the portal", async ({ page }) => {
  await signIn(page, DEMO_ALICE);
  await expectPath(page, "/portal");
  await page.getByRole("navigation").getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
  const users = page.getByRole("table", { name: "Users" });
  await expect(users).toContainText(DEMO_ALICE);
  await expect(users).toContainText("carol@alice-co.test");

  await page.getByRole("button", { name: "Invite user" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Email").fill("dave@alice-co.test");
  await dialog.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByText("Invitation sent to dave@alice-co.test")).toBeVisible();
  await expect(users).toContainText("dave@alice-co.test");

  await users.getByRole("button", { name: "Make carol@alice-co.test a customer admin" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Make customer admin" }).click();
  await expect(page.getByText("carol@alice-co.test is now a customer admin")).toBeVisible();
  await snap(page, "portal-users");

  await users.getByRole("button", { name: "Revoke invitation for dave@alice-co.test" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke invitation" }).click();
  await expect(page.getByText("Invitation revoked")).toBeVisible();
  await expect(users).not.toContainText("dave@alice-co.test");
});
