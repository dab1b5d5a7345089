import { env } from "@/server/env";
import { createLocalTimestampFormatter } from "@/server/lib/local-timestamp";

export type TRenderedMail = { subject: string; text: string; html: string };

function escapeHtml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function layout(options: { heading: string; paragraphs: string[]; action?: { label: string; url: string }; footer: string }): string {
  const body = options.paragraphs.map((paragraph) => `<p style="margin:0 0 12px">${escapeHtml(paragraph)}</p>`).join("");
  const button = options.action
    ? `<p style="margin:20px 0"><a href="${escapeHtml(options.action.url)}" style="background:#4f46e5;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none;display:inline-block">${escapeHtml(options.action.label)}</a></p><p style="font-size:12px;color:#64748b">Or paste this address into your browser: ${escapeHtml(options.action.url)}</p>`
    : "";
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#0f172a;max-width:560px;margin:0 auto;padding:24px"><h1 style="font-size:18px">${escapeHtml(options.heading)}</h1>${body}${button}<p style="font-size:12px;color:#64748b;margin-top:24px">${escapeHtml(options.footer)}</p></body></html>`;
}

export function appUrl(pathname: string): string {
  return new URL(pathname, env().APP_URL).toString();
}

/**
 * An instant as a mail to a tenant's people gives it: on the tenant's clock, with the offset
 * and the zone's name, as the portal speaks the tenant's time ("2026-12-10 11:05:00-05:00
 * (America/Toronto)"). A zone the formatter does not know falls back to UTC, named.
 */
export function tenantInstantText(instant: Date, timeZone: string): string {
  let formatter;
  try {
    formatter = createLocalTimestampFormatter(timeZone, { milliseconds: false });
  } catch {
    formatter = createLocalTimestampFormatter("UTC", { milliseconds: false });
  }
  return `${formatter.format(instant)} (${formatter.timeZone})`;
}

export function invitationMail(options: {
  tenantName: string;
  /** The tenant's IANA zone: the expiry is given on its clock. */
  tenantTimeZone: string;
  customerName: string | null;
  token: string;
  expiresAt: Date;
}): TRenderedMail {
  const url = appUrl(`/invite/${options.token}`);
  const what = options.customerName ? `${options.customerName}'s account at ${options.tenantName}` : options.tenantName;
  const expires = tenantInstantText(options.expiresAt, options.tenantTimeZone);
  return {
    subject: `You're invited to ${what} on Trunkline`,
    text: `You have been invited to ${what}.\n\nAccept the invitation and choose your password:\n${url}\n\nThe link works once and expires ${expires}.`,
    html: layout({
      heading: `You're invited to ${what}`,
      paragraphs: ["Accept the invitation to choose your password and sign in."],
      action: { label: "Accept invitation", url },
      footer: `The link works once and expires ${expires}. If you did not expect this, ignore this message.`,
    }),
  };
}

export function passwordResetMail(options: { token: string; expiresAt: Date }): TRenderedMail {
  const url = appUrl(`/reset-password/${options.token}`);
  const expires = options.expiresAt.toUTCString();
  return {
    subject: "Reset your Trunkline password",
    text: `Someone asked to reset the password of your Trunkline account.\n\nChoose a new password:\n${url}\n\nThe link works once and expires ${expires}. If it wasn't you, ignore this message.`,
    html: layout({
      heading: "Reset your password",
      paragraphs: ["Someone asked to reset the password of your Trunkline account."],
      action: { label: "Choose a new password", url },
      footer: `The link works once and expires ${expires}. If it wasn't you, ignore this message: your password stays as it is.`,
    }),
  };
}

export function emailVerificationMail(options: { token: string; expiresAt: Date }): TRenderedMail {
  const url = appUrl(`/verify-email/${options.token}`);
  const expires = options.expiresAt.toUTCString();
  return {
    subject: "Confirm your email address for Trunkline",
    text: `Confirm this email address for your Trunkline account:\n${url}\n\nThe link works once and expires ${expires}.`,
    html: layout({
      heading: "Confirm your email address",
      paragraphs: ["Confirm this address to use it for your Trunkline account."],
      action: { label: "Confirm email address", url },
      footer: `The link works once and expires ${expires}.`,
    }),
  };
}
