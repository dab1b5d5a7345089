-- A short code or local number (911, 5550101) is stored as dialled, not as E.164 digits, and
-- a re-rate must read it that way again: with a "+" in front, 5550101 is Brazil. The call's
-- unbillable reason said so only when the number itself was unpriced ("no rate for short
-- code"); a call unbillable for its unknown account or missing deck lost the fact. A column
-- of its own keeps it whatever the reason. A constant default: no table rewrite.
ALTER TABLE "cdrs" ADD COLUMN "callee_short_code" BOOLEAN NOT NULL DEFAULT false;

-- Calls stored before: the reason is the only record of it.
UPDATE "cdrs" SET "callee_short_code" = true
WHERE "status" = 'UNBILLABLE' AND "unbillable_reason" = 'no rate for short code';
-- Older rated and unanswered calls keep false: only a re-rate reads the number again, and it
-- re-rates unbillable calls only.
