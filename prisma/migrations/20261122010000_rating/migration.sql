-- Rating: dialling plan per tenant, carriers, rate decks and rates, SIP trunks, deck imports.

ALTER TABLE "tenants"
    ADD COLUMN "country_code" TEXT NOT NULL DEFAULT '1',
    ADD COLUMN "international_prefixes" TEXT[] NOT NULL DEFAULT ARRAY['011']::TEXT[],
    ADD COLUMN "national_number_length" INTEGER NOT NULL DEFAULT 10,
    ADD COLUMN "tech_prefixes" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];

CREATE TYPE "CarrierStatus" AS ENUM ('ACTIVE', 'INACTIVE');
CREATE TYPE "RateDeckKind" AS ENUM ('SELL', 'BUY');
CREATE TYPE "RateCategory" AS ENUM ('LOCAL', 'LONG_DISTANCE', 'TOLL_FREE', 'INTERNATIONAL', 'MOBILE', 'PREMIUM', 'OTHER');
CREATE TYPE "TrunkStatus" AS ENUM ('ACTIVE', 'DISABLED');
CREATE TYPE "DeckImportStatus" AS ENUM ('PREVIEWED', 'COMMITTED', 'DISCARDED');

CREATE TABLE "carriers" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "status" "CarrierStatus" NOT NULL DEFAULT 'ACTIVE',
    "notes" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "carriers_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "carriers_tenant_id_name_key" ON "carriers"("tenant_id", "name");
CREATE UNIQUE INDEX "carriers_tenant_id_id_key" ON "carriers"("tenant_id", "id");
ALTER TABLE "carriers" ADD CONSTRAINT "carriers_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "rate_decks" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "kind" "RateDeckKind" NOT NULL,
    "carrier_id" UUID,
    "description" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "rate_decks_pkey" PRIMARY KEY ("id"),
    -- A BUY deck is a carrier's cost: it names the carrier. A SELL deck does not.
    CONSTRAINT "rate_decks_carrier_kind_check" CHECK (("kind" = 'BUY') = ("carrier_id" IS NOT NULL))
);
CREATE UNIQUE INDEX "rate_decks_tenant_id_name_key" ON "rate_decks"("tenant_id", "name");
CREATE UNIQUE INDEX "rate_decks_tenant_id_id_key" ON "rate_decks"("tenant_id", "id");
CREATE INDEX "rate_decks_carrier_id_idx" ON "rate_decks"("carrier_id");
ALTER TABLE "rate_decks" ADD CONSTRAINT "rate_decks_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
-- The carrier must be the deck's own tenant's.
ALTER TABLE "rate_decks" ADD CONSTRAINT "rate_decks_carrier_id_fkey" FOREIGN KEY ("carrier_id") REFERENCES "carriers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "rate_decks" ADD CONSTRAINT "rate_decks_tenant_carrier_fkey" FOREIGN KEY ("tenant_id", "carrier_id") REFERENCES "carriers"("tenant_id", "id");

-- Prefixes compare byte-wise (COLLATE "C") so `prefix LIKE '1613%'` uses the index.
CREATE TABLE "rates" (
    "id" BIGSERIAL NOT NULL,
    "deck_id" UUID NOT NULL,
    "prefix" TEXT COLLATE "C" NOT NULL,
    "description" TEXT NOT NULL,
    "category" "RateCategory" NOT NULL,
    "rate_per_minute" BIGINT NOT NULL,
    "connect_fee" BIGINT NOT NULL,
    "initial_increment" INTEGER NOT NULL,
    "increment" INTEGER NOT NULL,
    "grace_seconds" INTEGER NOT NULL,
    "effective_from" TIMESTAMPTZ(3) NOT NULL,
    "effective_to" TIMESTAMPTZ(3),
    CONSTRAINT "rates_pkey" PRIMARY KEY ("id"),
    -- 1 to 15 digits. Written without a regular expression: a regex CHECK costs more than
    -- the rest of the row's checks together when a deck import inserts a million rates.
    CONSTRAINT "rates_prefix_digits_check" CHECK (char_length("prefix") BETWEEN 1 AND 15 AND btrim("prefix", '0123456789') = ''),
    CONSTRAINT "rates_amounts_check" CHECK ("rate_per_minute" >= 0 AND "connect_fee" >= 0),
    CONSTRAINT "rates_increments_check" CHECK ("initial_increment" > 0 AND "increment" > 0 AND "grace_seconds" >= 0),
    CONSTRAINT "rates_window_check" CHECK ("effective_to" IS NULL OR "effective_to" > "effective_from")
);
CREATE UNIQUE INDEX "rates_deck_id_prefix_effective_from_key" ON "rates"("deck_id", "prefix", "effective_from");
ALTER TABLE "rates" ADD CONSTRAINT "rates_deck_id_fkey" FOREIGN KEY ("deck_id") REFERENCES "rate_decks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "customers" ADD COLUMN "rate_deck_id" UUID;
CREATE INDEX "customers_rate_deck_id_idx" ON "customers"("rate_deck_id");
ALTER TABLE "customers" ADD CONSTRAINT "customers_rate_deck_id_fkey" FOREIGN KEY ("rate_deck_id") REFERENCES "rate_decks"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "sip_trunks" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "account_code" TEXT NOT NULL,
    "status" "TrunkStatus" NOT NULL DEFAULT 'ACTIVE',
    "rate_deck_id" UUID,
    "tech_prefix" TEXT,
    "channel_limit" INTEGER NOT NULL DEFAULT 10,
    "cps_limit" INTEGER NOT NULL DEFAULT 5,
    "ip_acl" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "sip_trunks_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "sip_trunks_tenant_id_account_code_key" ON "sip_trunks"("tenant_id", "account_code");
CREATE INDEX "sip_trunks_customer_id_idx" ON "sip_trunks"("customer_id");
CREATE INDEX "sip_trunks_rate_deck_id_idx" ON "sip_trunks"("rate_deck_id");
ALTER TABLE "sip_trunks" ADD CONSTRAINT "sip_trunks_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "sip_trunks" ADD CONSTRAINT "sip_trunks_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "sip_trunks" ADD CONSTRAINT "sip_trunks_rate_deck_id_fkey" FOREIGN KEY ("rate_deck_id") REFERENCES "rate_decks"("id") ON DELETE SET NULL ON UPDATE CASCADE;
-- A trunk's customer and deck belong to the trunk's own tenant.
ALTER TABLE "sip_trunks" ADD CONSTRAINT "sip_trunks_tenant_customer_fkey" FOREIGN KEY ("tenant_id", "customer_id") REFERENCES "customers"("tenant_id", "id");
ALTER TABLE "customers" ADD CONSTRAINT "customers_tenant_rate_deck_fkey" FOREIGN KEY ("tenant_id", "rate_deck_id") REFERENCES "rate_decks"("tenant_id", "id");
ALTER TABLE "sip_trunks" ADD CONSTRAINT "sip_trunks_tenant_rate_deck_fkey" FOREIGN KEY ("tenant_id", "rate_deck_id") REFERENCES "rate_decks"("tenant_id", "id");

CREATE TABLE "deck_imports" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "deck_id" UUID NOT NULL,
    "format" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "effective_from" TIMESTAMPTZ(3) NOT NULL,
    "status" "DeckImportStatus" NOT NULL,
    "total_rows" INTEGER NOT NULL DEFAULT 0,
    "new_rows" INTEGER NOT NULL DEFAULT 0,
    "changed_rows" INTEGER NOT NULL DEFAULT 0,
    "unchanged_rows" INTEGER NOT NULL DEFAULT 0,
    "invalid_rows" INTEGER NOT NULL DEFAULT 0,
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "committed_at" TIMESTAMPTZ(3),
    CONSTRAINT "deck_imports_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "deck_imports_tenant_id_created_at_idx" ON "deck_imports"("tenant_id", "created_at");
CREATE INDEX "deck_imports_deck_id_idx" ON "deck_imports"("deck_id");
ALTER TABLE "deck_imports" ADD CONSTRAINT "deck_imports_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "deck_imports" ADD CONSTRAINT "deck_imports_deck_id_fkey" FOREIGN KEY ("deck_id") REFERENCES "rate_decks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Unlogged: staging rows are rebuilt from the uploaded file if the server crashes.
CREATE UNLOGGED TABLE "deck_import_rows" (
    "import_id" UUID NOT NULL,
    "line" INTEGER NOT NULL,
    "prefix" TEXT COLLATE "C",
    "description" TEXT,
    "category" "RateCategory",
    "rate_per_minute" BIGINT,
    "connect_fee" BIGINT,
    "initial_increment" INTEGER,
    "increment" INTEGER,
    "grace_seconds" INTEGER,
    "effective_from" TIMESTAMPTZ(3),
    "effective_to" TIMESTAMPTZ(3),
    "error" TEXT,
    CONSTRAINT "deck_import_rows_pkey" PRIMARY KEY ("import_id", "line")
);
-- No index beyond the primary key: the import's queries sort and hash the staged rows of
-- one import (found by the key's import_id prefix), and a second index would cost every
-- COPY'd row an insertion into it.
ALTER TABLE "deck_import_rows" ADD CONSTRAINT "deck_import_rows_import_id_fkey" FOREIGN KEY ("import_id") REFERENCES "deck_imports"("id") ON DELETE CASCADE ON UPDATE CASCADE;
