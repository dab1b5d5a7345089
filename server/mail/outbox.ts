import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { sortOrder, type TPage, type TPageInput } from "@/server/lib/pagination";

const outboxRow = { id: true, to: true, subject: true, status: true, error: true, createdAt: true, sentAt: true } satisfies Prisma.OutboundEmailSelect;
export type TOutboxRow = Prisma.OutboundEmailGetPayload<{ select: typeof outboxRow }>;

/**
 * `tenant`: mail sent on the tenant's behalf (invitations, alerts, statements). `account`:
 * mail whose link acts for one person (password resets, email confirmations), filed under no
 * tenant (see sendAccountMail) and shown only to platform admins, who run the platform.
 */
export const ZOutboxScope = z.enum(["tenant", "account"]);
export type TOutboxScope = z.infer<typeof ZOutboxScope>;

export type TOutboxViewer = { tenantId: string; platformAdmin: boolean };

function scopeFilter(viewer: TOutboxViewer, scope: TOutboxScope): Prisma.OutboundEmailWhereInput {
  if (scope === "tenant") return { tenantId: viewer.tenantId };
  if (!viewer.platformAdmin) throw new AppError("FORBIDDEN", "Only platform admins read account mail");
  return { tenantId: null };
}

export async function listOutbox(options: { viewer: TOutboxViewer; scope?: TOutboxScope; query: TPageInput }): Promise<TPage<TOutboxRow>> {
  const { query } = options;
  const where: Prisma.OutboundEmailWhereInput = {
    ...scopeFilter(options.viewer, options.scope ?? "tenant"),
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

export async function getOutboxMessage(options: { viewer: TOutboxViewer; emailId: string }) {
  const { viewer } = options;
  const message = await db().outboundEmail.findFirst({
    where: {
      id: options.emailId,
      OR: viewer.platformAdmin ? [{ tenantId: viewer.tenantId }, { tenantId: null }] : [{ tenantId: viewer.tenantId }],
    },
  });
  if (!message) throw AppError.notFound("Message");
  return message;
}
