import { z } from "zod";

/**
 * One alert recipient of a CDR source, as the server stores it. Kept apart from
 * server/cdr/sources.ts (which reaches the database) so the source form checks each address by
 * this very rule: a looser check in the browser let through addresses the server then refused.
 */
export const ZAlertEmail = z.email("Enter valid email addresses").trim().toLowerCase();

export const MAX_ALERT_EMAILS = 20;

/** The addresses of the list that the server would refuse. */
export function invalidAlertEmails(emails: readonly string[]): string[] {
  return emails.filter((email) => !ZAlertEmail.safeParse(email).success);
}
