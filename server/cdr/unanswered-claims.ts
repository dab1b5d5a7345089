/**
 * Unanswered calls cost nothing, but they belong to a customer all the same: they are in the
 * customer's call list and answer rate. Ingest stores them without a customer when their
 * account code is unknown. Whoever names the code's owner — a mapping, a trunk, a re-rate
 * that finds either — gives them that owner with this one indexed UPDATE (the partial index
 * cdrs_ownerless_unanswered holds only these calls). No money moves, so no ledger entry; a
 * call that already has a customer is left alone. Codes match regardless of case, as in rating
 * (a switch may write "ACCT-1" for the "acct-1" an admin mapped); the index is on the code as
 * written, so the case-folded match filters the tenant's ownerless unanswered calls in the
 * index, which holds only those. The traffic totals (traffic-totals.ts) count no customer, so
 * a claim leaves them as they are.
 */
export const CLAIM_UNANSWERED_SQL = `UPDATE cdrs SET customer_id = $3::uuid, trunk_id = $4::uuid
  WHERE tenant_id = $1::uuid AND status = 'UNANSWERED' AND customer_id IS NULL AND lower(account_code) = lower($2)`;

export type TUnansweredClaim = { tenantId: string; accountCode: string; customerId: string; trunkId: string | null };

/** The parameters of {@link CLAIM_UNANSWERED_SQL}, in order. */
export function claimParameters(claim: TUnansweredClaim): [string, string, string, string | null] {
  return [claim.tenantId, claim.accountCode, claim.customerId, claim.trunkId];
}
