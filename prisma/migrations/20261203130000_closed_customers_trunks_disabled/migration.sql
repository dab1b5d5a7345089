-- Closing a customer now disables its trunks (server/customers/customers.ts). Customers closed
-- before that still have active trunks: they are disabled here, once, each with the same audit
-- event a closing writes, so the customer's history says when and why.
WITH disabled AS (
    UPDATE "sip_trunks" t SET "status" = 'DISABLED', "updated_at" = now()
    FROM "customers" c
    WHERE c."id" = t."customer_id" AND c."tenant_id" = t."tenant_id" AND c."status" = 'CLOSED' AND t."status" = 'ACTIVE'
    RETURNING t."tenant_id", t."customer_id", t."id", t."name"
)
INSERT INTO "audit_events" ("tenant_id", "actor_email", "action", "target_type", "target_id", "before", "after")
SELECT "tenant_id", 'system', 'trunk.disabled', 'customer', "customer_id"::text,
       jsonb_build_object('trunkId', "id", 'name', "name", 'status', 'ACTIVE'),
       jsonb_build_object('trunkId', "id", 'name', "name", 'status', 'DISABLED', 'reason', 'The customer was closed before closing disabled its trunks')
FROM disabled;
