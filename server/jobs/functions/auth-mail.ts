import { inngest } from "@/server/jobs/client";
import { RUN_TIMEOUTS } from "@/server/jobs/timeouts";
import { emailVerificationRequested, invitationCreated, passwordResetRequested } from "@/server/jobs/events";
import { deliverInvitation } from "@/server/users/invitations";
import { deliverEmailVerification, deliverPasswordReset } from "@/server/users/account-tokens";

export const sendInvitationEmail = inngest.createFunction(
  { id: "send-invitation-email", retries: 4, timeouts: RUN_TIMEOUTS.mail, triggers: [invitationCreated] },
  async ({ event, step }) => step.run("issue-token-and-mail", () => deliverInvitation(event.data)),
);

export const sendPasswordResetEmail = inngest.createFunction(
  { id: "send-password-reset-email", retries: 4, timeouts: RUN_TIMEOUTS.mail, triggers: [passwordResetRequested] },
  async ({ event, step }) => step.run("issue-token-and-mail", () => deliverPasswordReset(event.data)),
);

export const sendEmailVerification = inngest.createFunction(
  { id: "send-email-verification", retries: 4, timeouts: RUN_TIMEOUTS.mail, triggers: [emailVerificationRequested] },
  async ({ event, step }) => step.run("issue-token-and-mail", () => deliverEmailVerification(event.data)),
);
