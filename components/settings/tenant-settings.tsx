"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { errorCodeOf } from "@/components/trpc/errors";
import { QueryError } from "@/components/admin/query-error";
import { SettingsIcon } from "@/components/shell/icons";
import { Card, CardContent } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { SkeletonText } from "@/components/ui/skeleton";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { StripeSettingsCard } from "@/components/settings/stripe-settings-card";
import { DiallingPlanCard } from "@/components/settings/dialling-plan-card";
import { CompanySettingsCard } from "@/components/settings/company-settings-card";

/**
 * Tenant-wide settings. Tenant admins change them; support staff see the company's settings and
 * the dialling plan read-only (and try numbers against the plan). The server refuses everyone
 * else (FORBIDDEN).
 */
export function TenantSettings() {
  const trpc = useTRPC();
  const me = useQuery(trpc.me.get.queryOptions());
  const role = me.data?.membership.role ?? null;
  const isAdmin = role !== null && (TENANT_ADMIN_ROLES as readonly string[]).includes(role);
  const isSupport = role === "TENANT_SUPPORT";
  const settings = useQuery({ ...trpc.payments.stripeSettings.queryOptions(), enabled: isAdmin });
  const forbidden = (me.data !== undefined && !isAdmin && !isSupport) || errorCodeOf(settings.error) === "FORBIDDEN";

  return (
    <div>
      <PageHeader
        title="Settings"
        description={me.data ? `Settings for ${me.data.membership.tenantName}. Changes are kept in the audit log.` : "Settings for your tenant."}
      />
      {forbidden ? (
        <Card>
          <EmptyState
            icon={<SettingsIcon />}
            title="Only tenant admins can change settings"
            description="Your role can use the rest of the admin area. Ask a tenant admin to change payment settings."
          />
        </Card>
      ) : me.isError ? (
        <Card>
          <QueryError error={me.error} what="your profile" onRetry={() => void me.refetch()} />
        </Card>
      ) : me.data ? (
        // Each card loads (and fails) on its own: Stripe being unreachable must not keep an
        // admin from the dialling plan, which has nothing to do with it.
        <div className="flex max-w-3xl flex-col gap-4">
          <CompanySettingsCard canEdit={isAdmin} />
          {!isAdmin ? null : settings.isError ? (
            <Card>
              <QueryError error={settings.error} what="the payment settings" onRetry={() => void settings.refetch()} />
            </Card>
          ) : settings.data ? (
            <StripeSettingsCard settings={settings.data} />
          ) : (
            <SettingsSkeleton label="Loading payment settings" />
          )}
          <DiallingPlanCard canEdit={isAdmin} />
        </div>
      ) : (
        <SettingsSkeleton label="Loading settings" />
      )}
    </div>
  );
}

function SettingsSkeleton({ label }: { label: string }) {
  return (
    <Card className="max-w-3xl" aria-busy="true">
      <span className="sr-only" role="status">
        {label}
      </span>
      <CardContent>
        <SkeletonText lines={8} />
      </CardContent>
    </Card>
  );
}
