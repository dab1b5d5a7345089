-- A short code or local number (911, 5550101) is stored as dialled, not as E.164 digits, and
-- a re-rate must read it that way again: with a "+" in front, 5550101 is Brazil. The call's
-- unbillable reason said so only when the number itself was unpriced ("no rate for short
-- code"); a call unbillable for its unknown account or missing deck lost the fact. A column
-- of its own keeps it whatever the reason. A constant default: no table rewrite.
ALTER TABLE "cdrs" ADD COLUMN "callee_short_code" BOOLEAN NOT NULL DEFAULT false;

-- Calls stored before, that a re-rate may read again (the unbillable ones): the reason says so,
-- or the number is shorter than the tenant's national numbers, which the normaliser only ever
-- stored as dialled (a short code or local number) or as a short foreign number. Taking the
-- second for the first leaves a call unbillable for want of a rate for the whole number; the
-- other way round would bill a local call as a call abroad. Older rated and unanswered calls
-- keep false: only a re-rate reads the number again, and it re-rates unbillable calls only.
UPDATE "cdrs" c SET "callee_short_code" = true
FROM "tenants" t
WHERE c."tenant_id" = t."id" AND c."status" = 'UNBILLABLE'
  AND (c."unbillable_reason" = 'no rate for short code' OR length(c."callee") < t."national_number_length");
