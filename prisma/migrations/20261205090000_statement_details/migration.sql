-- A statement's activity and call usage, stored when it is written: its period has ended
-- and entries are never back-dated, so they never change, and computing them at every view
-- read a month of calls. Nullable, no default: adding the column rewrites nothing. Statements
-- written before it have none; the first view computes theirs and stores it.
ALTER TABLE "statements" ADD COLUMN "details" JSONB;
