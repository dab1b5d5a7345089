import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { generateSshKeyPair, startSftpServer, unusedPort } from "../tests/support/sftp-server";
import { DEMO_ADMIN, DEMO_ALICE, expectPath, signIn, snap } from "./support";

const DECK_HEADER = "prefix,description,category,rate_per_minute,connect_fee,initial_increment,increment,grace_seconds,effective_from,effective_to";
// North America only: the file's calls to London have no rate until the admin adds one.
const DECK = `${DECK_HEADER}\n1,USA and Canada,LONG_DISTANCE,0.0120,0,60,6,0,2026-01-01T00:00:00Z,\n`;
const ACCOUNT = "pbx-alice-7";

// The second test goes on from the first: the account code is mapped, the deck has rates.
test.describe.configure({ mode: "serial" });

/** One Asterisk Master.csv line (the switch writes UTC; the source says so). */
function masterLine(callee: string, start: Date, billsec: number, disposition: string, key: string): string {
  const at = (date: Date) => date.toISOString().slice(0, 19).replace("T", " ");
  const end = new Date(start.getTime() + (billsec + 5) * 1000);
  return `"${ACCOUNT}","6135550101","${callee}","from-internal","""Alice"" <6135550101>","SIP/pbx-1","SIP/carrier-1","Dial","SIP/carrier/${callee}","${at(start)}","${at(start)}","${at(end)}",${billsec + 5},${billsec},"${disposition}","DOCUMENTATION","e2e.${key}",""`;
}

/** Yesterday's calls, so the Calls pages' default period shows them. */
function masterFile(): string {
  const day = new Date();
  day.setUTCDate(day.getUTCDate() - 1);
  day.setUTCHours(14, 0, 0, 0);
  const at = (minutes: number) => new Date(day.getTime() + minutes * 60_000);
  return (
    [
      masterLine("13035550100", at(0), 120, "ANSWERED", "1"),
      masterLine("16135550199", at(5), 61, "ANSWERED", "2"),
      masterLine("011442071838750", at(10), 300, "ANSWERED", "3"),
      masterLine("011442079460000", at(20), 60, "ANSWERED", "4"),
      masterLine("13035550101", at(30), 0, "NO ANSWER", "5"),
      "this line is not a CDR",
    ].join("\n") + "\n"
  );
}

async function portalBalance(page: Page): Promise<string> {
  await page.goto("/portal/balance");
  const balance = page.getByTestId("current-balance");
  await expect(balance).toBeVisible();
  return (await balance.innerText()).trim();
}

test("an admin uploads a CDR file, fixes the unbillable calls and re-rates: the customer's balance and calls change once", async ({ page, browser }) => {
  // The customer's side, before anything is billed.
  const alice = await browser.newPage();
  await signIn(alice, DEMO_ALICE);
  await expectPath(alice, "/portal");
  const balanceBefore = await portalBalance(alice);

  await signIn(page, DEMO_ADMIN);
  await expectPath(page, "/admin");

  // A sell deck for Alice: North America only.
  await page.goto("/admin/rates");
  await page.getByRole("button", { name: "New deck" }).click();
  await page.getByLabel("Name").fill("Alice voice");
  await page.getByRole("button", { name: "Create deck" }).click();
  await expect(page.getByRole("heading", { name: "Alice voice" })).toBeVisible();
  await page.getByRole("button", { name: "Import rates" }).click();
  await page.getByLabel("Deck file").setInputFiles({ name: "alice-voice.csv", mimeType: "text/csv", buffer: Buffer.from(DECK) });
  await page.getByLabel("Format").selectOption("native");
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await page.getByRole("button", { name: "Commit import" }).click();
  await page.getByRole("button", { name: "Yes, commit" }).click();
  await expect(page.getByRole("heading", { name: "Import committed" })).toBeVisible();
  await page.goto("/admin/customers");
  await page.getByRole("table", { name: "Customers" }).getByText("Alice's company").click();
  await page.getByLabel("Sell deck").selectOption({ label: "Alice voice (USD)" });
  await page.getByRole("button", { name: "Save deck" }).click();
  await expect(page.getByText("Rate deck assigned")).toBeVisible();

  // A source that takes uploads only: Asterisk, UTC, no servers.
  await page.goto("/admin/cdr/sources");
  await page.getByRole("link", { name: "New source" }).click();
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("PBX uploads");
  await page.getByRole("button", { name: "Remove server 1" }).click();
  await page.getByRole("button", { name: "Create source" }).click();
  await expect(page.getByText("Uploads only").first()).toBeVisible();

  // Upload: the file goes through the pipeline and every line is accounted for.
  await page.goto("/admin/cdr/files");
  await page.getByRole("button", { name: "Upload CDR file" }).first().click();
  const upload = page.getByRole("dialog");
  await upload.getByRole("button", { name: "Upload" }).click();
  await expect(upload.getByText("Choose a CDR file to upload")).toBeVisible();
  // The only source is chosen already.
  await expect(upload.getByLabel("Source")).toHaveValue(/.+/);
  await upload.getByLabel("CDR file").setInputFiles({ name: "Master.csv", mimeType: "text/csv", buffer: Buffer.from(masterFile()) });
  await snap(page, "cdr-upload-dialog");
  await upload.getByRole("button", { name: "Upload" }).click();
  await expect(upload).toBeHidden();
  const files = page.getByRole("table", { name: "CDR files" });
  await expect(files.getByRole("row").filter({ hasText: "Master.csv" }).getByText("Done")).toBeVisible({ timeout: 60_000 });
  await snap(page, "cdr-files");
  await files.getByRole("link", { name: "Master.csv" }).click();
  await expect(page.getByTestId("line-equation")).toContainText("6 lines = 0 rated + 1 unanswered + 4 unbillable + 1 rejected");
  await expect(page.getByTestId("line-equation")).toContainText("every line accounted for");
  const rejects = page.getByRole("table", { name: "Rejected lines" });
  await expect(rejects).toContainText("6");
  await expect(rejects).toContainText("this line is not a CDR");
  await expect(page.getByText("Calls stored")).toBeVisible();
  await snap(page, "cdr-file-detail");
  // "View calls" opens the calls page filtered to the file, on the days its calls fall on.
  await page.getByRole("link", { name: "View calls" }).click();
  await expect(page).toHaveURL(/fileId=[0-9a-f-]+&range=custom&fromDay=\d{4}-\d{2}-\d{2}&toDay=/);
  await expect(page.getByRole("table", { name: "Calls" })).toContainText("13035550100");
  // A link to a file that is not there (another tenant's, or a wrong one): not found, and the way back.
  await page.goto("/admin/cdr/files/00000000-0000-4000-8000-000000000000");
  await expect(page.getByRole("heading", { name: "CDR file not found" })).toBeVisible();
  await expect(page.getByRole("link", { name: "All CDR files" })).toBeVisible();
  await snap(page, "cdr-file-not-found");

  // Nobody owns the account code yet: map it to Alice, then re-rate.
  await page.goto("/admin/cdr/unbillable");
  const unknown = page.getByRole("table", { name: /by account code/ });
  await expect(unknown).toContainText(ACCOUNT);
  await snap(page, "cdr-unbillable-unknown-account");
  await unknown.getByRole("row").filter({ hasText: ACCOUNT }).getByRole("button").first().click();
  const map = page.getByRole("dialog");
  await expect(map.getByLabel("Account code")).toHaveValue(ACCOUNT);
  await map.getByLabel("Find customer").fill("alice");
  await map.getByRole("combobox", { name: "Customer" }).selectOption({ label: "Alice's company (acct-1001)" });
  await snap(page, "cdr-map-account-code");
  await map.getByRole("button", { name: "Map account code" }).click();
  await expect(map).toBeHidden();
  await page.getByRole("button", { name: "Re-rate all" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Re-rate and charge" }).click();
  await expect(page.getByText(/Re-rated all reasons: 2 calls billed/)).toBeVisible({ timeout: 30_000 });

  // The North American calls are billed; London has no rate in Alice's deck.
  const noRate = page.getByRole("table", { name: /by customer and prefix/ });
  await expect(noRate).toContainText("Alice's company");
  await expect(noRate).toContainText("4420");
  const balanceAfterMapping = await portalBalance(alice);
  expect(balanceAfterMapping).not.toBe(balanceBefore);

  await noRate.getByRole("row").filter({ hasText: "4420" }).getByRole("button").first().click();
  const addRate = page.getByRole("dialog");
  await expect(addRate.getByLabel("Rate deck")).toHaveValue(/.+/);
  await addRate.getByLabel("Prefix").fill("44");
  await addRate.getByLabel("Description").fill("United Kingdom");
  await addRate.getByLabel("Price per minute").fill("abc");
  await addRate.getByRole("button", { name: "Add rate" }).click();
  // The error itself, not the field's label or hint (which also say "price"), so the check waits for it.
  await expect(addRate.getByText("Enter a price like 0.0600", { exact: true })).toBeVisible();
  await expect(addRate.getByLabel("Price per minute")).toHaveAttribute("aria-invalid", "true");
  await addRate.getByLabel("Price per minute").fill("0.0500");
  await snap(page, "cdr-add-rate");
  await addRate.getByRole("button", { name: "Add rate" }).click();
  await expect(addRate).toBeHidden();
  await page.getByRole("button", { name: "Re-rate all" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Re-rate and charge" }).click();
  await expect(page.getByText(/Re-rated all reasons: 2 calls billed/)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("Nothing unbillable")).toBeVisible();
  await snap(page, "cdr-unbillable-empty");

  // Re-rating again finds nothing to bill: the balance moves no further.
  const balanceAfterFix = await portalBalance(alice);
  expect(balanceAfterFix).not.toBe(balanceAfterMapping);

  // The admin's call list has the four answered calls, rated, with their totals.
  await page.goto("/admin/calls");
  const calls = page.getByRole("table", { name: "Calls" });
  await expect(calls).toContainText("442071838750");
  await expect(page.getByRole("figure", { name: "Calls per day" })).toBeVisible();
  await snap(page, "cdr-admin-calls");

  // Alice sees her own calls and the new balance.
  await alice.goto("/portal/calls");
  const portalCalls = alice.getByRole("table", { name: "Calls" });
  await expect(portalCalls).toContainText("13035550100");
  await expect(portalCalls).toContainText("442071838750");
  // The unanswered attempt is hers too, since the account code was mapped.
  await expect(portalCalls).toContainText("13035550101");
  await snap(alice, "cdr-portal-calls");
  await alice.goto("/portal/balance");
  await expect(alice.getByTestId("current-balance")).toHaveText(balanceAfterFix);
  await snap(alice, "cdr-portal-balance");
  await alice.close();
});

test("a source whose primary SFTP server is down fetches from the fallback, records the outage and mails the alert", async ({ page }) => {
  const sftpRoot = process.env.E2E_SFTP_ROOT;
  const sftpPort = process.env.E2E_SFTP_PORT;
  expect(sftpRoot && sftpPort, "scripts/e2e.ts starts the carrier's SFTP server").toBeTruthy();
  // Today's file on the carrier's server, old enough to be complete (polls skip files still being written).
  const folder = path.join(sftpRoot!, "cdr");
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, "Master-today.csv");
  const today = new Date();
  today.setUTCHours(today.getUTCHours() - 2, 0, 0, 0);
  writeFileSync(file, [masterLine("13035550188", today, 90, "ANSWERED", "sftp.1"), masterLine("442071830000", new Date(today.getTime() + 60_000), 30, "ANSWERED", "sftp.2")].join("\n") + "\n");
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(file, hourAgo, hourAgo);
  // A loopback port nothing listens on: connecting to it is refused at once.
  const downPort = await unusedPort();

  await signIn(page, DEMO_ADMIN);
  await expectPath(page, "/admin");
  await page.goto("/admin/cdr/sources");
  await page.getByRole("link", { name: "New source" }).click();
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("Carrier X");
  await page.getByLabel("Remote folder").fill("cdr");
  await page.getByLabel("File-name pattern").fill("Master-*.csv");
  await page.getByLabel("Alert recipients").fill("noc@demo-telecom.test");
  const primary = page.getByRole("group", { name: "Server 1" });
  await primary.getByLabel("Host").fill("127.0.0.1");
  await primary.getByLabel("Port").fill(String(downPort));
  await primary.getByLabel("Username").fill("carrier");
  await primary.getByLabel("Password").fill("e2e-sftp-password");
  await page.getByRole("button", { name: "Add server" }).click();
  const fallback = page.getByRole("group", { name: "Server 2" });
  await fallback.getByLabel("Host").fill("127.0.0.1");
  await fallback.getByLabel("Port").fill(sftpPort!);
  await fallback.getByLabel("Username").fill("carrier");
  await fallback.getByLabel("Password").fill("e2e-sftp-password");

  // The test connects to each server in turn and lists what a poll would fetch, without fetching it.
  await page.getByRole("button", { name: "Test connection" }).click();
  const down = page.getByRole("region", { name: `Server 1: 127.0.0.1:${downPort}` });
  const up = page.getByRole("region", { name: `Server 2: 127.0.0.1:${sftpPort}` });
  await expect(down.getByText(/refused/i).first()).toBeVisible({ timeout: 30_000 });
  await expect(up.getByText("Master-today.csv")).toBeVisible();
  await expect(up.getByText("Would be fetched", { exact: true })).toBeVisible();
  await snap(page, "cdr-source-test-connection");
  await page.getByRole("button", { name: "Create source" }).click();
  await expect(page.getByRole("heading", { name: "Carrier X" })).toBeVisible();

  // Monitoring starts when polling is turned on (a disabled source's polls record no outage).
  await page.getByRole("button", { name: "Turn polling on" }).click();
  await expect(page.getByRole("button", { name: "Turn polling off" })).toBeVisible();
  // A poll rolls over to the fallback and fetches the file, which is then rated.
  await page.getByRole("button", { name: "Poll now" }).click();
  await expect(page.getByText(/Poll requested/)).toBeVisible();
  await page.goto("/admin/cdr/files");
  const files = page.getByRole("table", { name: "CDR files" });
  await expect(async () => {
    await page.reload();
    await expect(files.getByRole("row").filter({ hasText: "Master-today.csv" }).getByText("Done")).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await expect(files.getByRole("row").filter({ hasText: "Master-today.csv" })).toContainText("Carrier X");

  // The primary's outage is on the Availability page, still open.
  await page.goto("/admin/cdr/sources");
  await page.getByRole("table", { name: "CDR sources" }).getByText("Carrier X").click();
  await expect(page.getByRole("table", { name: "Servers" })).toContainText(`127.0.0.1:${downPort}`);
  await snap(page, "cdr-source-detail");
  await page.getByRole("link", { name: "Availability", exact: true }).click();
  const outages = page.getByRole("table", { name: "Outages" });
  await expect(outages).toContainText(`127.0.0.1:${downPort}`);
  await expect(outages.getByText("Ongoing")).toBeVisible();
  await snap(page, "cdr-source-availability");

  // One alert to the recipients, in the outbox (no SMTP server in the demo).
  await page.goto("/admin/outbox");
  await expect(page.getByText(`CDR server down: 127.0.0.1:${downPort} (Carrier X)`).first()).toBeVisible();
  await snap(page, "cdr-source-alert-outbox");
});

test("a server that presents another SSH host key is refused until an admin accepts the key the carrier confirmed", async ({ page }) => {
  const root = path.join(process.env.E2E_SFTP_ROOT!, "..", "rekeyed-sftp");
  mkdirSync(path.join(root, "cdr"), { recursive: true });
  let server = await startSftpServer({ root, username: "carrier", password: "e2e-sftp-password" });
  const label = `127.0.0.1:${server.port}`;
  try {
    await signIn(page, DEMO_ADMIN);
    await expectPath(page, "/admin");
    await page.goto("/admin/cdr/sources/new");
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("Rekeyed carrier");
    await page.getByLabel("Remote folder").fill("cdr");
    await page.getByLabel("File-name pattern").fill("Master-*.csv");
    const only = page.getByRole("group", { name: "Server 1" });
    await only.getByLabel("Host").fill("127.0.0.1");
    await only.getByLabel("Port").fill(String(server.port));
    await only.getByLabel("Username").fill("carrier");
    await only.getByLabel("Password").fill("e2e-sftp-password");
    await page.getByRole("button", { name: "Create source" }).click();
    await expect(page.getByRole("heading", { name: "Rekeyed carrier" })).toBeVisible();

    // The first poll keeps the key the server presents.
    const servers = page.getByRole("table", { name: "Servers" });
    await page.getByRole("button", { name: "Poll now" }).click();
    await expect(servers.getByText(/^SHA256:/)).toBeVisible({ timeout: 30_000 });

    // Another machine answers at that address: refused, with both keys shown.
    await server.stop();
    server = await startSftpServer({ root, username: "carrier", password: "e2e-sftp-password", port: server.port, hostKey: generateSshKeyPair().private });
    await page.getByRole("button", { name: "Poll now" }).click();
    const alert = page.getByRole("alert").filter({ hasText: `The host key of ${label} changed` });
    await expect(alert).toBeVisible({ timeout: 30_000 });
    expect(server.authAttempts()).toBe(0);
    await snap(page, "cdr-source-host-key-changed");

    await alert.getByRole("button", { name: "Accept the new key…" }).click();
    await page.getByRole("button", { name: "Accept the key" }).click();
    await expect(page.getByText("New host key accepted")).toBeVisible();
    await expect(alert).toBeHidden();
    await page.getByRole("button", { name: "Poll now" }).click();
    await expect(servers.getByRole("row").filter({ hasText: label }).getByText("Up", { exact: true })).toBeVisible({ timeout: 30_000 });
  } finally {
    await server.stop();
  }
});

test("a mistyped source that never delivered a file is deleted; one with files offers no delete", async ({ page }) => {
  await signIn(page, DEMO_ADMIN);
  await expectPath(page, "/admin");
  // "PBX uploads" brought the first test's file: its page offers no delete.
  await page.goto("/admin/cdr/sources");
  await page.getByRole("link", { name: "PBX uploads" }).click();
  await expect(page.getByRole("heading", { name: "PBX uploads" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Delete…" })).toHaveCount(0);

  await page.goto("/admin/cdr/sources/new");
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("Carier Y (typo)");
  await page.getByRole("button", { name: "Remove server 1" }).click();
  await page.getByRole("button", { name: "Create source" }).click();
  await expect(page.getByRole("heading", { name: "Carier Y (typo)" })).toBeVisible();
  await page.getByRole("button", { name: "Delete…" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete Carier Y (typo)?" });
  await expect(confirm.getByText("No file ever came from this source")).toBeVisible();
  await snap(page, "cdr-source-delete");
  await confirm.getByRole("button", { name: "Delete source" }).click();
  await expect(page.getByText("Source deleted")).toBeVisible();
  await expectPath(page, "/admin/cdr/sources");
  await expect(page.getByRole("link", { name: "PBX uploads" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Carier Y (typo)" })).toHaveCount(0);
});
