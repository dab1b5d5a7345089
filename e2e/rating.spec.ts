import path from "node:path";
import { expect, test } from "@playwright/test";
import { DEMO_ADMIN, DEMO_SUPPORT, signIn, snap } from "./support";

const RETAIL_DECK = path.resolve(import.meta.dirname, "../tests/fixtures/rates/retail-usd.csv");
const HEADER = "prefix,description,category,rate_per_minute,connect_fee,initial_increment,increment,grace_seconds,effective_from,effective_to";

test.describe.configure({ mode: "serial" });

test("an admin builds a deck: refused import with line numbers, real import, browse, price a call, assign to a customer", async ({ page }) => {
  await signIn(page, DEMO_ADMIN);
  await expect(page).toHaveURL(/\/admin/);

  await page.goto("/admin/carriers");
  await page.getByRole("button", { name: "New carrier" }).click();
  await page.getByRole("button", { name: "Create carrier" }).click();
  await expect(page.getByText("Name is required")).toBeVisible();
  await page.getByLabel("Name").fill("Lumen");
  await page.getByRole("button", { name: "Create carrier" }).click();
  await expect(page.getByRole("cell", { name: "Lumen", exact: true })).toBeVisible();
  await snap(page, "rating-carriers");

  await page.goto("/admin/rates");
  await page.getByRole("button", { name: "New deck" }).click();
  await page.getByLabel("Name").fill("Retail 2026");
  await page.getByRole("button", { name: "Create deck" }).click();
  await expect(page.getByRole("heading", { name: "Retail 2026" })).toBeVisible();
  const deckUrl = page.url();

  // A file with malformed rows is refused whole, each bad row named by its line.
  await page.getByRole("button", { name: "Import rates" }).click();
  const bad = `${HEADER}\n1,USA,LONG_DISTANCE,0.012,0,60,6,0,,\n12x,Broken,LOCAL,0.01,0,60,6,0,,\n1613,Ottawa,LOCAL,abc,0,60,60,0,,\n`;
  await page.getByLabel("Deck file").setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await snap(page, "rating-import-dialog");
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await expect(page).toHaveURL(/\/imports\//);
  await expect(page.getByRole("button", { name: "Commit import" })).toBeDisabled();
  const invalid = page.getByRole("table", { name: "Invalid lines" });
  await expect(invalid).toContainText("3");
  await expect(invalid).toContainText("4");
  await snap(page, "rating-import-refused");
  await page.getByRole("button", { name: "Discard" }).click();
  await page.getByRole("button", { name: "Yes, discard" }).click();
  await expect(page).toHaveURL(deckUrl);

  // The shared retail fixture imports whole.
  await page.getByRole("button", { name: "Import rates" }).click();
  await page.getByLabel("Deck file").setInputFiles(RETAIL_DECK);
  await page.getByLabel("Format").selectOption("native");
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await expect(page).toHaveURL(/\/imports\//);
  await expect(page.getByRole("button", { name: "Commit import" })).toBeEnabled();
  await snap(page, "rating-import-preview");
  await page.getByRole("button", { name: "Commit import" }).click();
  await page.getByRole("button", { name: "Yes, commit" }).click();
  await expect(page.getByRole("heading", { name: "Import committed" })).toBeVisible();
  await page.getByRole("link", { name: "Back to Retail 2026" }).click();
  await expect(page.getByText("14 rates", { exact: true })).toBeVisible();
  await snap(page, "rating-deck-rates");
  await page.getByLabel("Search rates").fill("1212");
  await expect(page.getByText("2 rates match", { exact: true })).toBeVisible();

  // 60/6 at $0.0120/min: 61 s bills 66 s → ceil(66 × 12000 / 60) = 13200 µ = $0.0132.
  await page.goto("/admin/price-call");
  await page.getByLabel("Sell deck").selectOption({ label: "Retail 2026 (USD)" });
  await page.getByLabel("Number").fill("(303) 555-0100");
  await page.getByLabel("Duration (seconds)").fill("61");
  await page.getByRole("button", { name: "Price call" }).click();
  const steps = page.getByRole("list", { name: "Pricing steps" });
  await expect(steps).toBeVisible();
  await expect(steps).toContainText("66");
  await expect(page.getByText("13200", { exact: false }).or(page.getByText("0.0132")).first()).toBeVisible();
  await snap(page, "rating-price-call");

  await page.goto("/admin/customers");
  await page.getByRole("table", { name: "Customers" }).getByText("Alice's company").click();
  await page.getByLabel("Sell deck").selectOption({ label: "Retail 2026 (USD)" });
  await page.getByRole("button", { name: "Save deck" }).click();
  await expect(page.getByText("Rate deck assigned")).toBeVisible();
  await page.getByRole("button", { name: "Add trunk" }).click();
  await page.getByLabel("Trunk name").fill("Main PBX");
  await page.getByLabel("Account code").fill("acct-1001");
  await page.getByLabel("IP ACL").fill("203.0.113.10\n10.0.0.1/33");
  await page.getByRole("button", { name: "Create trunk" }).click();
  await expect(page.getByText("Line 2: 10.0.0.1/33 needs a prefix length from 0 to 32")).toBeVisible();
  await page.getByLabel("IP ACL").fill("203.0.113.10\n10.0.0.0/24");
  await page.getByRole("button", { name: "Create trunk" }).click();
  await expect(page.getByRole("cell", { name: "acct-1001" })).toBeVisible();
  await snap(page, "rating-customer-card");
});

test("support staff can read decks but not change them", async ({ page }) => {
  await signIn(page, DEMO_SUPPORT);
  await expect(page).toHaveURL(/\/admin/);
  await page.goto("/admin/rates");
  await page.getByRole("link", { name: "Retail 2026" }).click();
  await expect(page.getByRole("link", { name: "Export CSV" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Import rates" })).toHaveCount(0);
  const download = await page.request.get(`${page.url()}`.replace("/admin/rates/", "/api/decks/") + "/export");
  expect(download.status()).toBe(200);
  expect((await download.text()).split("\n")[0]).toBe(HEADER);
  await snap(page, "rating-support-deck");
});
