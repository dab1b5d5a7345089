import type { Prisma } from "@/server/db/generated/client";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { sortOrder, type TPage, type TPageInput } from "@/server/lib/pagination";

const outboxRow = { id: true, to: true, subject: true, status: true, error: true, createdAt: true, sentAt: true } satisfies Prisma.OutboundEmailSelect;
export type TOutboxRow = Prisma.OutboundEmailGetPayload<{ select: typeof outboxRow }>;

export async function listOutbox(options: { tenantId: string; query: TPageInput }): Promise<TPage<TOutboxRow>> {
  const { tenantId, query } = options;
  const where: Prisma.OutboundEmailWhereInput = {
    tenantId,
    ...(query.search
      ? { OR: [{ to: { contains: query.search, mode: "insensitive" } }, { subject: { contains: query.search, mode: "insensitive" } }] }
      : {}),
  };
  const [rows, total] = await Promise.all([
    db().outboundEmail.findMany({
      where,
      select: outboxRow,
      orderBy: [sortOrder(query.sort, ["createdAt", "to", "subject", "status"] as const, { id: "createdAt", desc: true }), { id: "desc" }],
      skip: query.page * query.pageSize,
      take: query.pageSize,
    }),
    db().outboundEmail.count({ where }),
  ]);
  return { rows, total, page: query.page, pageSize: query.pageSize };
}

export async function getOutboxMessage(options: { tenantId: string; emailId: string }) {
  const message = await db().outboundEmail.findFirst({ where: { tenantId: options.tenantId, id: options.emailId } });
  if (!message) throw AppError.notFound("Message");
  return message;
}
