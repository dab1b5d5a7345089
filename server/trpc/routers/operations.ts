import { z } from "zod";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { createTRPCRouter, tenantProcedure } from "@/server/trpc/init";
import { ZPageInput } from "@/server/lib/pagination";
import { getOutboxMessage, listOutbox } from "@/server/mail/outbox";
import { ZJobRunFilter, getJobRun, listJobRuns } from "@/server/jobs/runs";
import { ZAuditFilter, listAuditEvents } from "@/server/audit/audit";

// Outbox bodies carry sign-up and reset links: only tenant admins read them.
export const outboxRouter = createTRPCRouter({
  list: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZPageInput)
    .query(({ ctx, input }) => listOutbox({ tenantId: ctx.tenantId, query: input })),
  get: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ emailId: z.uuid() }))
    .query(({ ctx, input }) => getOutboxMessage({ tenantId: ctx.tenantId, emailId: input.emailId })),
});

export const jobsRouter = createTRPCRouter({
  list: tenantProcedure()
    .input(ZPageInput.extend({ filter: ZJobRunFilter.default({ status: null }) }))
    .query(({ ctx, input }) => listJobRuns({ tenantId: ctx.tenantId, query: input, filter: input.filter })),
  get: tenantProcedure()
    .input(z.object({ runId: z.uuid() }))
    .query(({ ctx, input }) => getJobRun({ tenantId: ctx.tenantId, runId: input.runId })),
});

export const auditRouter = createTRPCRouter({
  list: tenantProcedure()
    .input(ZPageInput.extend({ filter: ZAuditFilter.default({ targetType: null, targetId: null }) }))
    .query(({ ctx, input }) => listAuditEvents({ tenantId: ctx.tenantId, query: input, filter: input.filter })),
});
