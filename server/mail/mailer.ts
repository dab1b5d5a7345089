import nodemailer from "nodemailer";
import type { Transporter } from "nodemailer";
import { db } from "@/server/db/client";
import { env, type TEnv } from "@/server/env";
import { errorMessage } from "@/server/errors";

export type TMail = { tenantId: string | null; to: string; subject: string; text: string; html?: string };

let transport: { url: string; transporter: Transporter } | undefined;

function smtpTransport(url: string): Transporter {
  if (transport?.url !== url) {
    transport = { url, transporter: nodemailer.createTransport(url) };
  }
  return transport.transporter;
}

/**
 * Sends one message. With SMTP_URL it goes out over SMTP and only the envelope is kept
 * (bodies carry single-use links that should not linger). Without SMTP (the embedded
 * default) the whole message is kept in the outbox, where tenant admins can read it, so
 * invitations work on a machine with no mail server. Only mail the tenant's admins may read
 * goes through here: a link that acts for its recipient alone goes through sendAccountMail.
 * A failed SMTP delivery throws, so the job that sent it is retried.
 */
export function sendMail(mail: TMail): Promise<{ id: string; delivered: boolean }> {
  return deliver(mail);
}

/**
 * Mail whose link acts for its recipient alone (password reset, email confirmation). It is
 * never filed under a tenant: a tenant admin who could read a member's reset link could take
 * over that member's account, and a member may be another tenant's admin or a platform admin.
 * Without SMTP the body is kept tenant-less, readable only by platform admins in the outbox,
 * and noted in the server's log (see accountMailLogLine).
 */
export async function sendAccountMail(mail: Omit<TMail, "tenantId">): Promise<{ id: string; delivered: boolean }> {
  const config = env();
  if (!config.SMTP_URL) console.info(accountMailLogLine(mail, config));
  return deliver({ ...mail, tenantId: null });
}

/**
 * What the server's log says of an account mail kept for want of SMTP. In development, tests
 * and the embedded demo (`npm start` without DATABASE_URL, which runs a production build),
 * the whole message: with no mail server the operator is the only one who can pass the link
 * on, and the demo has no platform admin to open the outbox. In production on a real database
 * only the envelope and where to read it: the body's link is a live credential (it resets a
 * password or confirms an address), and production logs are shipped, kept and read by people
 * and systems that must not be able to take over an account.
 */
export function accountMailLogLine(mail: Pick<TMail, "to" | "subject" | "text">, config: Pick<TEnv, "NODE_ENV" | "EMBEDDED_DATABASE">): string {
  const envelope = `[mail] No SMTP server: mail for ${mail.to} kept in the outbox (platform admins only: /admin/outbox, "Account mail").\n  Subject: ${mail.subject}`;
  if (config.NODE_ENV === "production" && config.EMBEDDED_DATABASE !== "true") {
    return `${envelope}\n  Its body holds a single-use link and is not logged in production: a platform admin reads it in the outbox.`;
  }
  return `${envelope}\n  ${mail.text.replaceAll("\n", "\n  ")}`;
}

async function deliver(mail: TMail): Promise<{ id: string; delivered: boolean }> {
  const config = env();
  if (!config.SMTP_URL) {
    const stored = await db().outboundEmail.create({
      data: { tenantId: mail.tenantId, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, status: "STORED" },
    });
    return { id: stored.id, delivered: false };
  }
  try {
    await smtpTransport(config.SMTP_URL).sendMail({
      from: config.MAIL_FROM,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    });
  } catch (error) {
    await db().outboundEmail.create({
      data: {
        tenantId: mail.tenantId,
        to: mail.to,
        subject: mail.subject,
        status: "FAILED",
        error: errorMessage(error),
      },
    });
    throw error;
  }
  const sent = await db().outboundEmail.create({
    data: { tenantId: mail.tenantId, to: mail.to, subject: mail.subject, status: "SENT", sentAt: new Date() },
  });
  return { id: sent.id, delivered: true };
}
