import { db } from "@/server/db/client";
import { sendMail } from "@/server/mail/mailer";
import { formatMicros } from "@/server/rating/money";
import { findLedgerDrift } from "./ledger";

/**
 * The nightly proof of `balance == SUM(ledger)`. Drift means a bug or a hand edit of the
 * database: each affected tenant's admins are emailed and an audit event records it. Nothing
 * is "corrected" automatically — which side is wrong needs a person.
 */
export async function checkLedgerInvariant() {
  const drift = await findLedgerDrift();
  const byTenant = new Map<string, typeof drift>();
  for (const row of drift) byTenant.set(row.tenant_id, [...(byTenant.get(row.tenant_id) ?? []), row]);
  for (const [tenantId, rows] of byTenant) {
    const lines = rows.map((row) => `customer ${row.customer_id}: balance ${formatMicros(row.balance)} but ledger sums to ${formatMicros(row.ledger_sum)}`);
    await db().auditEvent.create({
      data: { tenantId, actorEmail: "system", action: "wallet.ledger_drift", targetType: "tenant", targetId: tenantId, after: { customers: rows.map((row) => row.customer_id) } },
    });
    const admins = await db().membership.findMany({ where: { tenantId, role: { in: ["TENANT_ADMIN", "PLATFORM_ADMIN"] } }, select: { user: { select: { email: true } } } });
    for (const admin of admins) {
      await sendMail({
        tenantId,
        to: admin.user.email,
        subject: "Trunkline: balances do not match the ledger",
        text: `The nightly check found ${rows.length} account(s) whose balance differs from the sum of their ledger:\n\n${lines.join("\n")}\n\nNo money was moved. Investigate before correcting anything.`,
      });
    }
  }
  return { customersWithDrift: drift.length };
}
