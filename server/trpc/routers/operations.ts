import { z } from "zod";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { createTRPCRouter, tenantProcedure } from "@/server/trpc/init";
import { ZPageInput } from "@/server/lib/pagination";
import { ZOutboxScope, getOutboxMessage, listOutbox } from "@/server/mail/outbox";
import { ZJobRunFilter, getJobRun, listJobRuns } from "@/server/jobs/runs";
import { ZAuditFilter, listAuditEvents } from "@/server/audit/audit";

// Outbox bodies carry invitation links: only tenant admins read them. Reset and email
// confirmation links are account mail, which only platform admins read (server/mail/outbox.ts).
export const outboxRouter = createTRPCRouter({
  list: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZPageInput.extend({ scope: ZOutboxScope.default("tenant") }))
    .query(({ ctx, input }) =>
      listOutbox({ viewer: { tenantId: ctx.tenantId, platformAdmin: ctx.auth.role === "PLATFORM_ADMIN" }, scope: input.scope, query: input }),
    ),
  get: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ emailId: z.uuid() }))
    .query(({ ctx, input }) =>
      getOutboxMessage({ viewer: { tenantId: ctx.tenantId, platformAdmin: ctx.auth.role === "PLATFORM_ADMIN" }, emailId: input.emailId }),
    ),
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
