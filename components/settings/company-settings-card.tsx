"use client";

import { useMemo, useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/root";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf, inlineFieldErrors, isForbidden, messageOf, type TFieldErrors } from "@/components/trpc/errors";
import { QueriedSettingsCard } from "@/components/settings/queried-settings-card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { toast } from "@/components/ui/toast";
import { timeZoneGroups } from "@/components/settings/time-zone-options";
import { formatUtcOffset, isKnownTimeZone } from "@/components/time/format-instant";

type TOutputs = inferRouterOutputs<AppRouter>;
type TGeneralSettings = TOutputs["tenant"]["generalSettings"];

const FORM_ID = "company-settings-form";
const FIELDS = ["name", "timeZone"] as const;
type TField = (typeof FIELDS)[number];
type TValues = Record<TField, string>;

export const TIME_ZONE_NOTE =
  "Times on every page, CSV exports, the overview's days and new statements follow this zone; calls and rates keep their exact instants.";

function valuesOf(settings: TGeneralSettings): TValues {
  return { name: settings.name, timeZone: settings.timeZone };
}

/**
 * The company's name and time zone, and what cannot change (slug, currency) with the reason.
 * Support staff (`canEdit` false) see it read-only; the server refuses anyone but tenant admins.
 */
export function CompanySettingsCard({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const current = useQuery(trpc.tenant.generalSettings.queryOptions());
  return (
    <QueriedSettingsCard query={current} title="Company" titleId="company-settings-title" what="the company settings" skeletonLines={4}>
      {(data) => <CompanySettingsForm settings={data} canEdit={canEdit} />}
    </QueriedSettingsCard>
  );
}

function CompanySettingsForm({ settings, canEdit }: { settings: TGeneralSettings; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [values, setValues] = useState<TValues>(() => valuesOf(settings));
  const [errors, setErrors] = useState<TFieldErrors>({});
  // Offsets as of when the card opened: they move only at a DST change, and a list of 400
  // zones is not worth recomputing at every keystroke in the name.
  const groups = useMemo(() => timeZoneGroups(settings.timeZone, new Date()), [settings.timeZone]);

  const update = useMutation(
    trpc.tenant.updateGeneralSettings.mutationOptions({
      onSuccess: (next) => {
        const { changed, changedFields, ...saved } = next;
        queryClient.setQueryData(trpc.tenant.generalSettings.queryKey(), saved);
        setValues(valuesOf(saved));
        setErrors({});
        toast.success(changed ? "Company settings saved" : "Company settings unchanged");
        if (!changed) return;
        if (changedFields.includes("timeZone")) {
          // Every cached answer with a day, a month or a time in it was read in the old zone.
          void queryClient.invalidateQueries();
        } else {
          void queryClient.invalidateQueries({ queryKey: trpc.me.get.queryKey() });
          void queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() });
        }
        // The shell's name and the TimeZoneProvider come from the server-rendered layout.
        router.refresh();
      },
      onError: (error) => {
        const inline = inlineFieldErrors(fieldErrorsOf(error), FIELDS);
        setErrors(inline);
        if (isForbidden(error)) toast.error("Only tenant admins can change the company settings");
        else if (Object.keys(inline).length === 0) toast.error(messageOf(error));
        else toast.error("Check the highlighted fields");
      },
    }),
  );

  const initial = valuesOf(settings);
  const dirty = values.name.trim() !== initial.name || values.timeZone !== initial.timeZone;

  const setField = (field: TField, value: string) => {
    setValues((existing) => ({ ...existing, [field]: value }));
    if (errors[field]) setErrors(({ [field]: _ignored, ...rest }) => rest);
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (update.isPending || !dirty || !canEdit) return;
    update.mutate({ name: values.name, timeZone: values.timeZone });
  };

  return (
    <Card aria-labelledby="company-settings-title">
      <CardHeader actions={isKnownTimeZone(settings.timeZone) ? <Badge tone="info">{formatUtcOffset(new Date(), settings.timeZone)} now</Badge> : null}>
        <CardTitle id="company-settings-title">Company</CardTitle>
        <CardDescription>
          {settings.name}: times in {settings.timeZone}, amounts in {settings.currency}.
        </CardDescription>
      </CardHeader>
      <form id={FORM_ID} onSubmit={onSubmit} noValidate aria-label="Company settings">
        <CardContent className="flex flex-col gap-4">
          {canEdit ? null : (
            <p role="note" className="rounded-lg border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-600">
              Only a tenant admin can change the company&apos;s name or time zone.
            </p>
          )}
          <div className="grid gap-3 sm:grid-cols-2">
            <FormField label="Company name" required error={errors.name} hint="Shown to your staff and customers, and on emails and statements.">
              <Input
                name="name"
                autoComplete="organization"
                maxLength={100}
                value={values.name}
                readOnly={!canEdit}
                disabled={update.isPending}
                onChange={(event) => setField("name", event.target.value)}
              />
            </FormField>
            <FormField label="Time zone" required error={errors.timeZone} hint={TIME_ZONE_NOTE}>
              <Select
                name="timeZone"
                value={values.timeZone}
                // A select has no read-only state: support sees it disabled.
                disabled={!canEdit || update.isPending}
                onChange={(event) => setField("timeZone", event.target.value)}
              >
                {groups.map((group) => (
                  <optgroup key={group.region} label={group.region}>
                    {group.options.map((option) => (
                      <option key={option.value} value={option.value}>
                        {option.label}
                      </option>
                    ))}
                  </optgroup>
                ))}
              </Select>
            </FormField>
          </div>
          <div className="grid gap-3 sm:grid-cols-2">
            <FormField label="Slug" hint="Part of your Stripe webhook address (/api/webhooks/stripe/…), so it cannot change.">
              <Input name="slug" value={settings.slug} readOnly className="font-mono" />
            </FormField>
            <FormField label="Currency" hint="Balances, rates and payments are amounts in it, so it cannot change.">
              <Input name="currency" value={settings.currency} readOnly className="font-mono" />
            </FormField>
          </div>
        </CardContent>
        {canEdit ? (
          <CardFooter>
            <Button
              size="sm"
              aria-label="Reset company settings"
              disabled={!dirty || update.isPending}
              onClick={() => {
                setValues(initial);
                setErrors({});
              }}
            >
              Reset
            </Button>
            <Button type="submit" form={FORM_ID} variant="primary" size="sm" loading={update.isPending} disabled={!dirty}>
              Save company settings
            </Button>
          </CardFooter>
        ) : null}
      </form>
    </Card>
  );
}
