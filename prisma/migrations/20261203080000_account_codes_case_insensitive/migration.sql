-- Account codes name one customer whatever their case: switches are not consistent about
-- case, and rating matches a code case-insensitively once the exact match misses. Two codes
-- differing only in case would leave a call's owner to chance, so each table refuses them.
-- The case-sensitive unique indexes stay (Prisma's @@unique names them).

-- Codes that already collide cannot be merged by a migration: which customer keeps one is a
-- business decision. Stop, naming them, so an admin renames or removes one of each first.
DO $$
DECLARE
  collisions text;
BEGIN
  SELECT string_agg(format('tenant %s (%s), %s: %s', t.name, d.tenant_id, d.tbl, d.codes), '; ' ORDER BY t.name, d.tbl, d.codes)
  INTO collisions
  FROM (
    SELECT 'sip_trunks' AS tbl, tenant_id, string_agg(account_code, ', ' ORDER BY account_code) AS codes
    FROM sip_trunks GROUP BY tenant_id, lower(account_code) HAVING count(*) > 1
    UNION ALL
    SELECT 'account_code_mappings', tenant_id, string_agg(account_code, ', ' ORDER BY account_code)
    FROM account_code_mappings GROUP BY tenant_id, lower(account_code) HAVING count(*) > 1
  ) d
  JOIN tenants t ON t.id = d.tenant_id;
  IF collisions IS NOT NULL THEN
    RAISE EXCEPTION 'Account codes differing only in case must be made distinct before this migration (rename or remove one of each): %', collisions;
  END IF;
END
$$;

CREATE UNIQUE INDEX "sip_trunks_tenant_id_lower_account_code_key" ON "sip_trunks" ("tenant_id", lower("account_code"));
CREATE UNIQUE INDEX "account_code_mappings_tenant_id_lower_account_code_key" ON "account_code_mappings" ("tenant_id", lower("account_code"));
