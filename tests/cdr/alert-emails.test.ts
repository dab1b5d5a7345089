import { describe, expect, it } from "vitest";
import { invalidAlertEmails } from "@/server/cdr/alert-emails";
import { ZCdrSourceFields } from "@/server/cdr/sources";

/**
 * The source form checks alert recipients with the server's own rule: addresses a looser
 * browser check let through were refused by the server, and "Save" then did nothing visible.
 */

const REFUSED = ["noc@example.c", "ops@exa_mple.com", "josé@example.com", "noc@10.0.0.1", "noc@", "noc.example.com"];
const ACCEPTED = ["noc@example.com", "NOC+cdr@carrier.co.uk", "ops.team@sub.example.org"];

function serverRefuses(email: string): boolean {
  return !ZCdrSourceFields.safeParse({ name: "Source", format: "asterisk", timeZone: "UTC", filePattern: "*.csv", alertEmails: [email] }).success;
}

describe("alert recipients", () => {
  it("are refused by the form exactly when the server refuses them", () => {
    expect(invalidAlertEmails([...REFUSED, ...ACCEPTED])).toEqual(REFUSED);
    for (const email of [...REFUSED, ...ACCEPTED]) expect(serverRefuses(email), email).toBe(REFUSED.includes(email));
  });
});
