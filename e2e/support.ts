import { expect, type Page } from "@playwright/test";

export const DEMO_PASSWORD = "trunkline-demo";
export const DEMO_ADMIN = "admin@demo-telecom.test";
export const DEMO_SUPPORT = "support@demo-telecom.test";
export const DEMO_ALICE = "alice@alice-co.test";
export const DEMO_BOB = "bob@bob-co.test";

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signOut(page: Page): Promise<void> {
  await page.context().clearCookies();
}

/** Full-page screenshot kept as a CI artifact under e2e-artifacts/. */
export async function snap(page: Page, name: string): Promise<void> {
  // Wait for skeletons and spinners to go, so the picture shows the loaded page.
  await expect(page.locator(".animate-skeleton, [aria-busy='true']")).toHaveCount(0, { timeout: 15_000 });
  // From the top: a full-page picture of a scrolled page draws the sticky shell mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `e2e-artifacts/${name}.png`, fullPage: true });
}

/** The message a form shows (Next.js keeps an empty route announcer with role=alert too). */
export function formAlert(page: Page) {
  return page.locator("main [role='alert']");
}

export async function expectPath(page: Page, path: RegExp | string): Promise<void> {
  await expect(page).toHaveURL(typeof path === "string" ? new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\?.*)?$`) : path);
}
