import { afterEach, describe, expect, it, vi } from "vitest";
import type * as envModule from "@/server/env";
import type { TEnv } from "@/server/env";

// The mailer's outbox write and its configuration, replaced: what is under test is what the
// server's log receives when no SMTP server is configured.
const stored: unknown[] = [];
vi.mock("@/server/db/client", () => ({
  db: () => ({
    outboundEmail: {
      create: async ({ data }: { data: unknown }) => {
        stored.push(data);
        return { id: `mail-${stored.length}` };
      },
    },
  }),
}));
const config: { current: Partial<TEnv> } = { current: {} };
vi.mock("@/server/env", async (original) => ({ ...(await original<typeof envModule>()), env: () => config.current }));

const { sendAccountMail } = await import("@/server/mail/mailer");

const link = "http://localhost:3000/reset-password/7Qk1-single-use-token";
const mail = { to: "dana@demo-telecom.test", subject: "Reset your Trunkline password", text: `Someone asked to reset your password.\n\nOpen ${link} within an hour.` };

async function logged(nodeEnv: TEnv["NODE_ENV"], embeddedDatabase: TEnv["EMBEDDED_DATABASE"] = "false"): Promise<string> {
  config.current = { NODE_ENV: nodeEnv, EMBEDDED_DATABASE: embeddedDatabase, SMTP_URL: undefined };
  const info = vi.spyOn(console, "info").mockImplementation(() => {});
  await sendAccountMail(mail);
  const lines = info.mock.calls.map((call) => call.join(" ")).join("\n");
  info.mockRestore();
  return lines;
}

afterEach(() => {
  stored.length = 0;
});

describe("account mail without SMTP", () => {
  it("in production logs only the envelope and where to read it, never the single-use link", async () => {
    const text = await logged("production");
    expect(text).toContain(mail.to);
    expect(text).toContain(mail.subject);
    expect(text).toMatch(/outbox/i);
    expect(text).toMatch(/platform admin/i);
    expect(text).not.toContain(link);
    expect(text).not.toContain("7Qk1-single-use-token");
    expect(text).not.toContain("Someone asked");
    // The message itself is still kept whole, tenant-less, for the platform admins' outbox.
    expect(stored).toEqual([expect.objectContaining({ tenantId: null, to: mail.to, subject: mail.subject, text: mail.text, status: "STORED" })]);
  });

  it.each(["development", "test"] as const)("in %s prints the whole message, link included (the local demo picks it up there)", async (nodeEnv) => {
    const text = await logged(nodeEnv);
    expect(text).toContain(mail.to);
    expect(text).toContain(mail.subject);
    expect(text).toContain(link);
  });

  it("on the embedded demo (`npm start`, a production build) prints the whole message: nobody else can pass the link on", async () => {
    const text = await logged("production", "true");
    expect(text).toContain(link);
  });

  it("logs nothing when the mail goes out over SMTP", async () => {
    config.current = { NODE_ENV: "production", SMTP_URL: "smtp://127.0.0.1:9", MAIL_FROM: "Trunkline <no-reply@trunkline.local>" };
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    await expect(sendAccountMail(mail)).rejects.toThrow();
    expect(info).not.toHaveBeenCalled();
    info.mockRestore();
  });
});
