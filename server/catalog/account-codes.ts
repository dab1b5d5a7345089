import type { TTransaction } from "@/server/db/client";

/**
 * An account code names one customer, whether a trunk carries it or a mapping does, and
 * whatever its case: switches are not consistent about case, and rating matches codes
 * case-insensitively (see call-rating.ts). The unique indexes on lower(account_code) hold
 * that within each table; across the two tables only the writers can, so saveTrunk and
 * mapAccountCode both check the other table under this lock.
 */

/**
 * Serialises the writers of one code (in any case) in a tenant until the transaction ends:
 * without it a trunk and a mapping of the same code, saved at once, each see no other and
 * both commit.
 */
export async function lockAccountCode(tx: TTransaction, tenantId: string, accountCode: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`account-code:${tenantId}:${accountCode.toLowerCase()}`}, 0))`;
}

export type TCodeTrunk = { id: string; name: string; accountCode: string; customerId: string; customerName: string };
export type TCodeMapping = { id: string; accountCode: string; customerId: string; customerName: string };

/** The trunk carrying this code in any case, if any (raw SQL: Prisma's insensitive equals is an ILIKE, and codes may hold `_`). */
export async function trunkWithCode(tx: TTransaction, tenantId: string, accountCode: string): Promise<TCodeTrunk | null> {
  const rows = await tx.$queryRaw<TCodeTrunk[]>`
    SELECT t.id::text AS id, t.name, t.account_code AS "accountCode", t.customer_id::text AS "customerId", c.name AS "customerName"
    FROM sip_trunks t JOIN customers c ON c.tenant_id = t.tenant_id AND c.id = t.customer_id
    WHERE t.tenant_id = ${tenantId}::uuid AND lower(t.account_code) = lower(${accountCode})
    ORDER BY (t.account_code = ${accountCode}) DESC
    LIMIT 1`;
  return rows[0] ?? null;
}

/** The mapping of this code in any case, if any. */
export async function mappingOfCode(tx: TTransaction, tenantId: string, accountCode: string): Promise<TCodeMapping | null> {
  const rows = await tx.$queryRaw<TCodeMapping[]>`
    SELECT m.id::text AS id, m.account_code AS "accountCode", m.customer_id::text AS "customerId", c.name AS "customerName"
    FROM account_code_mappings m JOIN customers c ON c.tenant_id = m.tenant_id AND c.id = m.customer_id
    WHERE m.tenant_id = ${tenantId}::uuid AND lower(m.account_code) = lower(${accountCode})
    ORDER BY (m.account_code = ${accountCode}) DESC
    LIMIT 1`;
  return rows[0] ?? null;
}

/** How a code found under another case reads in a message: "ACCT-1 (as acct-1)". */
export function codeAsFound(typed: string, found: string): string {
  return typed === found ? typed : `${typed} (as ${found})`;
}
