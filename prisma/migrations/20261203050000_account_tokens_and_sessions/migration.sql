-- Sessions carry the user's session version; bumping it (password reset or change, email
-- change) ends every session issued before. Sessions signed before this migration carry no
-- version and are refused, so everyone signs in once more.
ALTER TABLE "users" ADD COLUMN "session_version" INTEGER NOT NULL DEFAULT 0;

-- A verification link confirms only the address it was mailed to. Open links issued before
-- did not record one and could confirm whatever address was pending when opened: cancel them
-- (they lived 24 hours; a new one is a click away).
ALTER TABLE "user_tokens" ADD COLUMN "email" TEXT;
UPDATE "user_tokens" SET "used_at" = now() WHERE "purpose" = 'VERIFY_EMAIL' AND "used_at" IS NULL;

-- Throttles password-reset mail per address, known or not.
CREATE TABLE "password_reset_requests" (
    "email" TEXT NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "password_reset_requests_pkey" PRIMARY KEY ("email")
);

-- Reset and verification mails carry a link that acts for one person: they were filed under
-- that person's tenant, where the tenant's admins could read them in the outbox. Move them out
-- of every tenant's view (platform operators only).
UPDATE "outbound_emails" SET "tenant_id" = NULL
WHERE "subject" IN ('Reset your Trunkline password', 'Confirm your email address for Trunkline');
