import { z } from "zod";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { createTRPCRouter, tenantProcedure } from "@/server/trpc/init";
import {
  ZAcceptHostKey,
  ZCdrSourceFields,
  ZCdrSourceListInput,
  acceptServerHostKey,
  createCdrSource,
  deleteCdrSource,
  getCdrSource,
  listCdrSources,
  setCdrSourceEnabled,
  updateCdrSource,
} from "@/server/cdr/sources";
import { requestPoll, testSourceConnection } from "@/server/cdr/polling";
import { ZAvailabilityInput, sourceAvailability } from "@/server/cdr/availability";

const ZSourceId = z.object({ sourceId: z.uuid() });

// Sources hold carrier credentials and decide what gets billed: writes need TENANT_ADMIN;
// support reads status and availability. Connection tests reach out with stored secrets: admin too.
export const cdrSourcesRouter = createTRPCRouter({
  list: tenantProcedure()
    .input(ZCdrSourceListInput)
    .query(({ ctx, input }) => listCdrSources({ tenantId: ctx.tenantId, query: input })),
  get: tenantProcedure()
    .input(ZSourceId)
    .query(({ ctx, input }) => getCdrSource({ tenantId: ctx.tenantId, sourceId: input.sourceId })),
  create: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ fields: ZCdrSourceFields }))
    .mutation(({ ctx, input }) => createCdrSource({ tenantId: ctx.tenantId, actor: ctx.actor, fields: input.fields })),
  update: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZSourceId.extend({ fields: ZCdrSourceFields }))
    .mutation(({ ctx, input }) => updateCdrSource({ tenantId: ctx.tenantId, actor: ctx.actor, sourceId: input.sourceId, fields: input.fields })),
  acceptHostKey: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZAcceptHostKey)
    .mutation(({ ctx, input }) => acceptServerHostKey({ tenantId: ctx.tenantId, actor: ctx.actor, input })),
  setEnabled: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZSourceId.extend({ enabled: z.boolean() }))
    .mutation(({ ctx, input }) => setCdrSourceEnabled({ tenantId: ctx.tenantId, actor: ctx.actor, sourceId: input.sourceId, enabled: input.enabled })),
  delete: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZSourceId)
    .mutation(({ ctx, input }) => deleteCdrSource({ tenantId: ctx.tenantId, actor: ctx.actor, sourceId: input.sourceId })),
  testConnection: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ sourceId: z.uuid().nullable().default(null), fields: ZCdrSourceFields.nullable().default(null) }))
    .mutation(({ ctx, input }) => testSourceConnection({ tenantId: ctx.tenantId, sourceId: input.sourceId, fields: input.fields })),
  pollNow: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZSourceId)
    .mutation(({ ctx, input }) => requestPoll({ tenantId: ctx.tenantId, actor: ctx.actor, sourceId: input.sourceId })),
  availability: tenantProcedure()
    .input(ZAvailabilityInput)
    .query(({ ctx, input }) => sourceAvailability({ tenantId: ctx.tenantId, sourceId: input.sourceId, from: input.from, to: input.to })),
});
