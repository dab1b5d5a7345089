import { z } from "zod";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { ZPageInput } from "@/server/lib/pagination";
import { createTRPCRouter, tenantProcedure } from "@/server/trpc/init";
import { dismissFile, releaseHeldFile, retryFailedFile } from "@/server/cdr/files";
import { ZCdrFileFilter, ZRejectsQuery, filesNeedingAttention, getCdrFile, listCdrFiles, listCdrRejects } from "@/server/cdr/file-queries";
import { requestRerate, ZRerateRequest } from "@/server/cdr/rerate";
import {
  ZAddRate,
  ZMapAccountCode,
  ZMappableCustomersInput,
  ZRerateImpactInput,
  ZRerateStatusInput,
  ZUnbillableDetailInput,
  addRateForPrefix,
  mapAccountCode,
  mappableCustomers,
  rerateImpact,
  rerateStatus,
  unbillableDetail,
  unbillableSummary,
} from "@/server/cdr/unbillable";

const ZFileId = z.object({ fileId: z.uuid() });

// Support reads files and the queue; releasing, dismissing, retrying, fixing and re-rating
// move money, so they need TENANT_ADMIN.
const admin = () => tenantProcedure(TENANT_ADMIN_ROLES);

export const cdrFilesRouter = createTRPCRouter({
  list: tenantProcedure()
    .input(ZPageInput.extend({ filter: ZCdrFileFilter.default({ status: null, sourceId: null }) }))
    .query(({ ctx, input }) => {
      const { filter, ...query } = input;
      return listCdrFiles({ tenantId: ctx.tenantId, query, filter });
    }),
  /** Held and failed files, for the menu's badge on every admin page: one count on a small partial index. */
  needingAttention: tenantProcedure().query(({ ctx }) => filesNeedingAttention({ tenantId: ctx.tenantId })),
  get: tenantProcedure()
    .input(ZFileId)
    .query(({ ctx, input }) => getCdrFile({ tenantId: ctx.tenantId, fileId: input.fileId })),
  rejects: tenantProcedure()
    .input(ZRejectsQuery)
    .query(({ ctx, input }) => listCdrRejects({ tenantId: ctx.tenantId, ...input })),
  release: admin()
    .input(ZFileId)
    .mutation(({ ctx, input }) => releaseHeldFile({ tenantId: ctx.tenantId, actor: ctx.actor, fileId: input.fileId })),
  dismiss: admin()
    .input(ZFileId.extend({ reason: z.string().max(500) }))
    .mutation(({ ctx, input }) => dismissFile({ tenantId: ctx.tenantId, actor: ctx.actor, fileId: input.fileId, reason: input.reason })),
  retry: admin()
    .input(ZFileId)
    .mutation(({ ctx, input }) => retryFailedFile({ tenantId: ctx.tenantId, actor: ctx.actor, fileId: input.fileId })),
  unbillableSummary: tenantProcedure().query(({ ctx }) => unbillableSummary({ tenantId: ctx.tenantId })),
  unbillableDetail: tenantProcedure()
    .input(ZUnbillableDetailInput)
    .query(({ ctx, input }) => unbillableDetail({ tenantId: ctx.tenantId, input })),
  mappableCustomers: admin()
    .input(ZMappableCustomersInput)
    .query(({ ctx, input }) => mappableCustomers({ tenantId: ctx.tenantId, input })),
  mapAccountCode: admin()
    .input(ZMapAccountCode)
    .mutation(({ ctx, input }) => mapAccountCode({ tenantId: ctx.tenantId, actor: ctx.actor, input })),
  addRate: admin()
    .input(ZAddRate)
    .mutation(({ ctx, input }) => addRateForPrefix({ tenantId: ctx.tenantId, actor: ctx.actor, input })),
  rerate: admin()
    .input(ZRerateRequest)
    .mutation(({ ctx, input }) => requestRerate({ tenantId: ctx.tenantId, actor: ctx.actor, request: input })),
  rerateImpact: tenantProcedure()
    .input(ZRerateImpactInput)
    .query(({ ctx, input }) => rerateImpact({ tenantId: ctx.tenantId, input })),
  rerateStatus: tenantProcedure()
    .input(ZRerateStatusInput)
    .query(({ ctx, input }) => rerateStatus({ tenantId: ctx.tenantId, input })),
});
