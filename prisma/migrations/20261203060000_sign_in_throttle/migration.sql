-- Without a trusted reverse proxy the app cannot know a caller's address (see
-- server/auth/client-ip.ts): such attempts are recorded with no address rather than under a
-- shared placeholder that would throttle every caller together.
ALTER TABLE "sign_in_attempts" ALTER COLUMN "ip" DROP NOT NULL;
