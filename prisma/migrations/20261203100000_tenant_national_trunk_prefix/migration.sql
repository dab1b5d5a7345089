-- The national trunk prefix of a tenant's dialling plan: the "0" UK, German or French callers
-- dial before a national number (020 7183 8750 → +44 20 7183 8750). '' means the plan has none
-- (NANP, where "1" + 10 digits is already E.164), so existing tenants rate as before and the
-- normaliser never sees a NULL it would have to tell apart from "none".
ALTER TABLE "tenants"
    ADD COLUMN "national_trunk_prefix" TEXT NOT NULL DEFAULT '';

-- Rating reads this column for every file it ingests; a value the normaliser refuses would
-- stop every ingest of the tenant, so the database refuses it first. Digits only, at most 4
-- (real trunk prefixes are "0", "8", "06").
ALTER TABLE "tenants"
    ADD CONSTRAINT "tenants_national_trunk_prefix_digits" CHECK ("national_trunk_prefix" ~ '^[0-9]{0,4}$');
