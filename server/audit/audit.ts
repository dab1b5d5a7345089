import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import { db, type TDb } from "@/server/db/client";
import { sortOrder, type TPage, type TPageInput } from "@/server/lib/pagination";

export type TActor = { userId: string | null; email: string | null; ip: string | null };

export const SYSTEM_ACTOR: TActor = { userId: null, email: "system", ip: null };

type TJson = Prisma.InputJsonValue;

/** Record what changed; called inside the transaction that made the change. */
export async function recordAudit(
  tx: TDb,
  event: {
    tenantId: string;
    actor: TActor;
    action: string;
    targetType: string;
    targetId?: string | null;
    before?: TJson | null;
    after?: TJson | null;
  },
): Promise<void> {
  await tx.auditEvent.create({
    data: {
      tenantId: event.tenantId,
      actorUserId: event.actor.userId,
      actorEmail: event.actor.email,
      ip: event.actor.ip,
      action: event.action,
      targetType: event.targetType,
      targetId: event.targetId ?? null,
      before: event.before ?? undefined,
      after: event.after ?? undefined,
    },
  });
}

export const ZAuditFilter = z.object({
  targetType: z.string().max(64).nullable().default(null),
  targetId: z.string().max(64).nullable().default(null),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type TNameLookup = (tenantId: string, ids: string[]) => Promise<{ id: string; name: string }[]>;

/**
 * How a target of each type is named for people: one query per type per page, every one
 * filtered by the tenant, so an id from another tenant (or a deleted record) stays unnamed.
 */
const TARGET_NAMES: Partial<Record<string, TNameLookup>> = {
  customer: async (tenantId, ids) =>
    (await db().customer.findMany({ where: { tenantId, id: { in: ids } }, select: { id: true, name: true, accountNumber: true } })).map((customer) => ({
      id: customer.id,
      name: `${customer.name} (${customer.accountNumber})`,
    })),
  // Users are platform-wide: only those who belong to this tenant are named here.
  user: async (tenantId, ids) =>
    db().user.findMany({ where: { id: { in: ids }, memberships: { some: { tenantId } } }, select: { id: true, email: true } }).then((users) =>
      users.map((user) => ({ id: user.id, name: user.email })),
    ),
  invitation: async (tenantId, ids) =>
    (await db().invitation.findMany({ where: { tenantId, id: { in: ids } }, select: { id: true, email: true } })).map((invitation) => ({ id: invitation.id, name: invitation.email })),
  cdr_source: async (tenantId, ids) => db().cdrSource.findMany({ where: { tenantId, id: { in: ids } }, select: { id: true, name: true } }),
  cdr_file: async (tenantId, ids) =>
    (await db().cdrFile.findMany({ where: { tenantId, id: { in: ids } }, select: { id: true, fileName: true } })).map((file) => ({ id: file.id, name: file.fileName })),
  carrier: async (tenantId, ids) => db().carrier.findMany({ where: { tenantId, id: { in: ids } }, select: { id: true, name: true } }),
  rate_deck: async (tenantId, ids) => db().rateDeck.findMany({ where: { tenantId, id: { in: ids } }, select: { id: true, name: true } }),
  tenant: async (tenantId, ids) =>
    ids.includes(tenantId) ? db().tenant.findMany({ where: { id: tenantId }, select: { id: true, name: true } }) : Promise.resolve([]),
};

/** Names of the page's targets, keyed "type:id"; types without a lookup, and ids that are not records' ids, stay unnamed. */
export async function auditTargetNames(tenantId: string, targets: { targetType: string; targetId: string | null }[]): Promise<Map<string, string>> {
  const idsByType = new Map<string, Set<string>>();
  for (const { targetType, targetId } of targets) {
    if (!targetId || !UUID.test(targetId) || !TARGET_NAMES[targetType]) continue;
    const ids = idsByType.get(targetType) ?? new Set<string>();
    ids.add(targetId.toLowerCase());
    idsByType.set(targetType, ids);
  }
  const named = await Promise.all(
    [...idsByType].map(async ([targetType, ids]) => {
      const lookup = TARGET_NAMES[targetType]!;
      const rows = await lookup(tenantId, [...ids]);
      return rows.map((row) => [`${targetType}:${row.id}`, row.name] as const);
    }),
  );
  return new Map(named.flat());
}

export type TAuditEventRow = Prisma.AuditEventGetPayload<object> & {
  /** The target's current name (customer, user's email, source…), or null when it cannot be named. */
  targetName: string | null;
};

export async function listAuditEvents(options: {
  tenantId: string;
  query: TPageInput;
  filter: z.infer<typeof ZAuditFilter>;
}): Promise<TPage<TAuditEventRow>> {
  const { tenantId, query, filter } = options;
  const where: Prisma.AuditEventWhereInput = {
    tenantId,
    ...(filter.targetType ? { targetType: filter.targetType } : {}),
    ...(filter.targetId ? { targetId: filter.targetId } : {}),
    ...(query.search
      ? {
          OR: [
            { action: { contains: query.search, mode: "insensitive" } },
            { actorEmail: { contains: query.search, mode: "insensitive" } },
          ],
        }
      : {}),
  };
  const [rows, total] = await Promise.all([
    db().auditEvent.findMany({
      where,
      orderBy: [sortOrder(query.sort, ["at", "action"] as const, { id: "at", desc: true }), { id: "desc" }],
      skip: query.page * query.pageSize,
      take: query.pageSize,
    }),
    db().auditEvent.count({ where }),
  ]);
  const names = await auditTargetNames(tenantId, rows);
  const named = rows.map((row) => ({ ...row, targetName: row.targetId ? (names.get(`${row.targetType}:${row.targetId.toLowerCase()}`) ?? null) : null }));
  return { rows: named, total, page: query.page, pageSize: query.pageSize };
}
