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

export async function listAuditEvents(options: {
  tenantId: string;
  query: TPageInput;
  filter: z.infer<typeof ZAuditFilter>;
}): Promise<TPage<Prisma.AuditEventGetPayload<object>>> {
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
  return { rows, total, page: query.page, pageSize: query.pageSize };
}
