import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { createTRPCRouter, tenantProcedure } from "@/server/trpc/init";
import { getTenantOverview } from "@/server/tenants/overview";
import { getDashboardFigures } from "@/server/dashboard/overview";
import { ZDiallingPlanInput, ZDiallingPlanPreviewInput, getDiallingPlan, previewDiallingPlan, updateDiallingPlan } from "@/server/tenants/dialling-plan";
import { ZGeneralSettingsInput, getGeneralSettings, updateGeneralSettings } from "@/server/tenants/general-settings";

export const tenantRouter = createTRPCRouter({
  // The landing page's counts, and its money and traffic figures (revenue, margin, calls,
  // what is stuck), in one round trip: the page shows them together.
  overview: tenantProcedure().query(async ({ ctx }) => {
    const [overview, figures] = await Promise.all([getTenantOverview({ tenantId: ctx.tenantId }), getDashboardFigures({ tenantId: ctx.tenantId })]);
    return { ...overview, figures };
  }),
  // The company's name and time zone: staff read them (support sees what the zone is), only
  // tenant admins change them.
  generalSettings: tenantProcedure().query(({ ctx }) => getGeneralSettings({ tenantId: ctx.tenantId })),
  updateGeneralSettings: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZGeneralSettingsInput)
    .mutation(({ ctx, input }) => updateGeneralSettings({ tenantId: ctx.tenantId, actor: ctx.actor, input })),
  // Staff may read the plan and try numbers against a draft (support explains bills with it);
  // only tenant admins change how the tenant's calls are read.
  diallingPlan: tenantProcedure().query(({ ctx }) => getDiallingPlan({ tenantId: ctx.tenantId })),
  previewDiallingPlan: tenantProcedure()
    .input(ZDiallingPlanPreviewInput)
    .query(({ input }) => previewDiallingPlan(input)),
  updateDiallingPlan: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZDiallingPlanInput)
    .mutation(({ ctx, input }) => updateDiallingPlan({ tenantId: ctx.tenantId, actor: ctx.actor, input })),
});
