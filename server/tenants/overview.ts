import { db } from "@/server/db/client";

/** The admin landing page: what needs attention in this tenant. */
export async function getTenantOverview(options: { tenantId: string; now?: Date }) {
  const { tenantId } = options;
  const now = options.now ?? new Date();
  const dayAgo = new Date(now.getTime() - 24 * 60 * 60 * 1000);
  const [byStatus, byBillingType, members, openInvitations, failedJobs, recentAudit] = await Promise.all([
    db().customer.groupBy({ by: ["status"], where: { tenantId }, _count: { _all: true } }),
    db().customer.groupBy({ by: ["billingType"], where: { tenantId }, _count: { _all: true } }),
    db().membership.count({ where: { tenantId } }),
    db().invitation.count({ where: { tenantId, acceptedAt: null, revokedAt: null, expiresAt: { gt: now } } }),
    db().jobRun.count({ where: { tenantId, status: "FAILED", createdAt: { gte: dayAgo } } }),
    db().auditEvent.findMany({
      where: { tenantId },
      orderBy: { at: "desc" },
      take: 8,
      select: { id: true, at: true, action: true, actorEmail: true, targetType: true, targetId: true },
    }),
  ]);
  const customersByStatus = Object.fromEntries(byStatus.map((row) => [row.status, row._count._all])) as Partial<Record<string, number>>;
  return {
    customers: {
      total: byStatus.reduce((sum, row) => sum + row._count._all, 0),
      byStatus: customersByStatus,
      byBillingType: Object.fromEntries(byBillingType.map((row) => [row.billingType, row._count._all])) as Partial<Record<string, number>>,
    },
    members,
    openInvitations,
    failedJobsLastDay: failedJobs,
    recentAudit,
  };
}
