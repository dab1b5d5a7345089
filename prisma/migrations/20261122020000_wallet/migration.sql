-- Wallet: ledger, card payments (Stripe), saved cards, auto-recharge, recurring fees, statements.

ALTER TABLE "tenants"
    ADD COLUMN "stripe_secret_key_enc" TEXT,
    ADD COLUMN "stripe_publishable_key" TEXT,
    ADD COLUMN "stripe_webhook_secret_enc" TEXT,
    ADD COLUMN "top_up_minimum" BIGINT NOT NULL DEFAULT 5000000,
    ADD COLUMN "top_up_maximum" BIGINT NOT NULL DEFAULT 1000000000,
    ADD COLUMN "top_up_presets" BIGINT[] NOT NULL DEFAULT ARRAY[10000000, 25000000, 50000000, 100000000]::BIGINT[];

CREATE TYPE "LockSource" AS ENUM ('BALANCE', 'MANUAL');
CREATE TYPE "LedgerKind" AS ENUM ('TOPUP', 'AUTO_RECHARGE', 'CALL_CHARGES', 'SMS_CHARGES', 'RECURRING_FEE', 'ADJUSTMENT', 'REFUND', 'CHARGEBACK');
CREATE TYPE "PaymentKind" AS ENUM ('TOPUP', 'AUTO_RECHARGE');
CREATE TYPE "PaymentStatus" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'DISPUTED');

ALTER TABLE "customers"
    ADD COLUMN "balance" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "credit_limit" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "lock_threshold" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "low_balance_threshold" BIGINT NOT NULL DEFAULT 5000000,
    ADD COLUMN "low_balance_alerted" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "lock_source" "LockSource",
    ADD COLUMN "lock_reason" TEXT,
    ADD COLUMN "locked_at" TIMESTAMPTZ(3),
    ADD COLUMN "stripe_customer_id" TEXT,
    ADD CONSTRAINT "customers_credit_limit_check" CHECK ("credit_limit" >= 0);

CREATE TABLE "ledger_entries" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "kind" "LedgerKind" NOT NULL,
    "reference_type" TEXT,
    "reference_id" TEXT,
    "idempotency_key" TEXT NOT NULL,
    "balance_after" BIGINT NOT NULL,
    "actor_user_id" UUID,
    "actor_email" TEXT,
    "memo" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ledger_entries_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "ledger_entries_tenant_id_idempotency_key_key" ON "ledger_entries"("tenant_id", "idempotency_key");
CREATE INDEX "ledger_entries_tenant_id_customer_id_created_at_idx" ON "ledger_entries"("tenant_id", "customer_id", "created_at");
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_tenant_customer_fkey" FOREIGN KEY ("tenant_id", "customer_id") REFERENCES "customers"("tenant_id", "id");

CREATE TABLE "payments" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "kind" "PaymentKind" NOT NULL,
    "amount" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "status" "PaymentStatus" NOT NULL,
    "sequence" INTEGER,
    "checkout_session_id" TEXT,
    "payment_intent_id" TEXT,
    "refunded_amount" BIGINT NOT NULL DEFAULT 0,
    "failure_code" TEXT,
    "failure_message" TEXT,
    "save_card" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "payments_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "payments_amount_check" CHECK ("amount" > 0 AND "refunded_amount" >= 0 AND "refunded_amount" <= "amount")
);
CREATE UNIQUE INDEX "payments_tenant_id_checkout_session_id_key" ON "payments"("tenant_id", "checkout_session_id");
CREATE UNIQUE INDEX "payments_tenant_id_payment_intent_id_key" ON "payments"("tenant_id", "payment_intent_id");
CREATE UNIQUE INDEX "payments_customer_id_kind_sequence_key" ON "payments"("customer_id", "kind", "sequence");
CREATE INDEX "payments_tenant_id_customer_id_created_at_idx" ON "payments"("tenant_id", "customer_id", "created_at");
-- At most one auto-recharge in flight per customer: the database, not the job engine, guarantees it.
CREATE UNIQUE INDEX "payments_one_pending_auto_recharge" ON "payments"("customer_id") WHERE "kind" = 'AUTO_RECHARGE' AND "status" = 'PENDING';
ALTER TABLE "payments" ADD CONSTRAINT "payments_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "payments" ADD CONSTRAINT "payments_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "payments" ADD CONSTRAINT "payments_tenant_customer_fkey" FOREIGN KEY ("tenant_id", "customer_id") REFERENCES "customers"("tenant_id", "id");

CREATE TABLE "payment_methods" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "stripe_payment_method_id" TEXT NOT NULL,
    "brand" TEXT NOT NULL,
    "last4" TEXT NOT NULL,
    "exp_month" INTEGER NOT NULL,
    "exp_year" INTEGER NOT NULL,
    "is_default" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "payment_methods_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "payment_methods_tenant_id_stripe_payment_method_id_key" ON "payment_methods"("tenant_id", "stripe_payment_method_id");
CREATE INDEX "payment_methods_customer_id_idx" ON "payment_methods"("customer_id");
-- One default card per customer.
CREATE UNIQUE INDEX "payment_methods_one_default" ON "payment_methods"("customer_id") WHERE "is_default";
ALTER TABLE "payment_methods" ADD CONSTRAINT "payment_methods_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "payment_methods" ADD CONSTRAINT "payment_methods_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "stripe_events" (
    "tenant_id" UUID NOT NULL,
    "event_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),
    CONSTRAINT "stripe_events_pkey" PRIMARY KEY ("tenant_id", "event_id")
);
ALTER TABLE "stripe_events" ADD CONSTRAINT "stripe_events_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "auto_recharge_settings" (
    "customer_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "threshold" BIGINT NOT NULL DEFAULT 10000000,
    "amount" BIGINT NOT NULL DEFAULT 25000000,
    "top_up_to" BIGINT,
    "max_per_day" INTEGER NOT NULL DEFAULT 3,
    "suspended_at" TIMESTAMPTZ(3),
    "suspended_reason" TEXT,
    "last_sequence" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "auto_recharge_settings_pkey" PRIMARY KEY ("customer_id"),
    CONSTRAINT "auto_recharge_settings_amounts_check" CHECK ("amount" > 0 AND "max_per_day" >= 1 AND ("top_up_to" IS NULL OR "top_up_to" > "threshold"))
);
CREATE INDEX "auto_recharge_settings_tenant_id_idx" ON "auto_recharge_settings"("tenant_id");
ALTER TABLE "auto_recharge_settings" ADD CONSTRAINT "auto_recharge_settings_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "auto_recharge_settings" ADD CONSTRAINT "auto_recharge_settings_tenant_customer_fkey" FOREIGN KEY ("tenant_id", "customer_id") REFERENCES "customers"("tenant_id", "id");

CREATE TABLE "recurring_charges" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "description" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "starts_on" DATE NOT NULL,
    "ends_on" DATE,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "recurring_charges_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "recurring_charges_amount_check" CHECK ("amount" > 0)
);
CREATE INDEX "recurring_charges_tenant_id_customer_id_idx" ON "recurring_charges"("tenant_id", "customer_id");
ALTER TABLE "recurring_charges" ADD CONSTRAINT "recurring_charges_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "recurring_charges" ADD CONSTRAINT "recurring_charges_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "recurring_charges" ADD CONSTRAINT "recurring_charges_tenant_customer_fkey" FOREIGN KEY ("tenant_id", "customer_id") REFERENCES "customers"("tenant_id", "id");

CREATE TABLE "statements" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "period" TEXT NOT NULL,
    "opening_balance" BIGINT NOT NULL,
    "closing_balance" BIGINT NOT NULL,
    "totals" JSONB NOT NULL,
    "generated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "emailed_at" TIMESTAMPTZ(3),
    CONSTRAINT "statements_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "statements_tenant_id_customer_id_period_key" ON "statements"("tenant_id", "customer_id", "period");
ALTER TABLE "statements" ADD CONSTRAINT "statements_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "statements" ADD CONSTRAINT "statements_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
