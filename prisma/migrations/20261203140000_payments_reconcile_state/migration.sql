-- Reconciliation's memory of each PENDING card payment (server/payments/reconcile.ts): when it
-- last asked Stripe about it and what it found. Runs take the least recently checked first, so
-- payments that stay unresolved or waiting cannot fill every batch and starve newer ones; and
-- the run alarms only when a payment's finding is new, not on every run while one stays stuck.
ALTER TABLE "payments" ADD COLUMN "reconcile_checked_at" TIMESTAMPTZ(3), ADD COLUMN "reconcile_note" TEXT;

-- PENDING payments are few among all payments ever made: finding the tenants with stale ones
-- (every 10 minutes) and a tenant's batch reads only them instead of scanning the whole table.
CREATE INDEX "payments_pending_by_tenant" ON "payments" ("tenant_id", "created_at") WHERE "status" = 'PENDING';
