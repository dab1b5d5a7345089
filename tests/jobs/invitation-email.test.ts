import { InngestTestEngine } from "@inngest/test";
import { describe, expect, it, vi } from "vitest";

// The function is a thin step around the domain service; here we prove its wiring with
// @inngest/test and the real function object, mocking only the step's side effect.
vi.mock("@/server/users/invitations", () => ({
  deliverInvitation: vi.fn(async (data: { invitationId: string }) => ({ skipped: false, emailId: `mail-for-${data.invitationId}` })),
}));

const { sendInvitationEmail } = await import("@/server/jobs/functions/auth-mail");
const { deliverInvitation } = await import("@/server/users/invitations");

describe("send-invitation-email function", () => {
  it("is triggered by auth/invitation.created and delivers the invitation in one step", async () => {
    const engine = new InngestTestEngine({ function: sendInvitationEmail });
    const data = { tenantId: "6f1d2c3b-0a1b-4c5d-8e9f-0123456789ab", invitationId: "7a1d2c3b-0a1b-4c5d-8e9f-0123456789ab" };
    const { result, error } = await engine.execute({ events: [{ name: "auth/invitation.created", data }] });
    expect(error).toBeUndefined();
    expect(result).toEqual({ skipped: false, emailId: `mail-for-${data.invitationId}` });
    expect(deliverInvitation).toHaveBeenCalledWith(data);
    expect(sendInvitationEmail.opts.triggers).toEqual([expect.objectContaining({ event: "auth/invitation.created" })]);
  });

  it("retries a failed delivery (the step error surfaces for the engine to retry)", async () => {
    vi.mocked(deliverInvitation).mockRejectedValueOnce(new Error("SMTP down"));
    const engine = new InngestTestEngine({ function: sendInvitationEmail });
    const { error } = await engine.execute({
      events: [{ name: "auth/invitation.created", data: { tenantId: "6f1d2c3b-0a1b-4c5d-8e9f-0123456789ab", invitationId: "8a1d2c3b-0a1b-4c5d-8e9f-0123456789ab" } }],
    });
    expect(error).toMatchObject({ message: "SMTP down" });
    expect(sendInvitationEmail.opts.retries).toBeGreaterThan(0);
  });
});
