import { z } from "zod";
import type { Prisma } from "@/server/db/generated/client";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { sortOrder, type TPage, type TPageInput } from "@/server/lib/pagination";

export const ZJobRunFilter = z.object({
  status: z.enum(["QUEUED", "RUNNING", "RETRYING", "COMPLETED", "FAILED"]).nullable().default(null),
});

const runRow = {
  id: true,
  functionId: true,
  eventName: true,
  status: true,
  attempts: true,
  maxAttempts: true,
  error: true,
  nextRunAt: true,
  startedAt: true,
  finishedAt: true,
  createdAt: true,
} satisfies Prisma.JobRunSelect;
export type TJobRunRow = Prisma.JobRunGetPayload<{ select: typeof runRow }>;

export async function listJobRuns(options: {
  tenantId: string;
  query: TPageInput;
  filter: z.infer<typeof ZJobRunFilter>;
}): Promise<TPage<TJobRunRow>> {
  const { tenantId, query, filter } = options;
  const where: Prisma.JobRunWhereInput = {
    tenantId,
    ...(filter.status ? { status: filter.status } : {}),
    ...(query.search
      ? { OR: [{ functionId: { contains: query.search, mode: "insensitive" } }, { eventName: { contains: query.search, mode: "insensitive" } }] }
      : {}),
  };
  const [rows, total] = await Promise.all([
    db().jobRun.findMany({
      where,
      select: runRow,
      orderBy: [sortOrder(query.sort, ["createdAt", "functionId", "status", "attempts"] as const, { id: "createdAt", desc: true }), { id: "desc" }],
      skip: query.page * query.pageSize,
      take: query.pageSize,
    }),
    db().jobRun.count({ where }),
  ]);
  return { rows, total, page: query.page, pageSize: query.pageSize };
}

export async function getJobRun(options: { tenantId: string; runId: string }) {
  const run = await db().jobRun.findFirst({ where: { tenantId: options.tenantId, id: options.runId } });
  if (!run) throw AppError.notFound("Job run");
  return run;
}
