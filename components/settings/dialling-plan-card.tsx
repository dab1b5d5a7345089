"use client";

import { useMemo, useState, type FormEvent } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/root";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf, inlineFieldErrors, isForbidden, messageOf, type TFieldErrors } from "@/components/trpc/errors";
import { QueriedSettingsCard } from "@/components/settings/queried-settings-card";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";
import { useDebounced } from "@/components/ui/use-debounced";

type TOutputs = inferRouterOutputs<AppRouter>;
type TDiallingPlanData = TOutputs["tenant"]["diallingPlan"];
type TPlan = TDiallingPlanData["plan"];
type TPreview = TOutputs["tenant"]["previewDiallingPlan"];

const FORM_ID = "dialling-plan-form";
const FIELDS = ["countryCode", "internationalPrefixes", "nationalNumberLength", "nationalTrunkPrefix", "techPrefixes"] as const;
type TField = (typeof FIELDS)[number];
type TValues = Record<TField, string>;

/** Same cap as the server's preview (server/tenants/dialling-plan.ts MAX_PREVIEW_NUMBERS). */
const MAX_SAMPLES = 12;
/** Long enough that typing a prefix does not ask the server at every key. */
const PREVIEW_DELAY_MS = 250;

function valuesOf(plan: TPlan): TValues {
  return {
    countryCode: plan.countryCode,
    internationalPrefixes: plan.internationalPrefixes.join(", "),
    nationalNumberLength: String(plan.nationalNumberLength),
    nationalTrunkPrefix: plan.nationalTrunkPrefix,
    techPrefixes: plan.techPrefixes.join(", "),
  };
}

/** "00, 011" → ["00", "011"]; a tech prefix may hold "#" but never a space, so spaces split too. */
function splitList(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * The plan the form describes, or the one problem that keeps it from being sent (a length
 * that is not a number). Every other rule is the server's: its preview answers with the
 * normaliser's own messages while the admin types.
 */
function planOf(values: TValues): { plan: TPlan; errors: TFieldErrors } {
  const lengthText = values.nationalNumberLength.trim();
  const errors: TFieldErrors = /^\d{1,2}$/.test(lengthText) ? {} : { nationalNumberLength: ["Enter the national number length as a whole number, e.g. 10"] };
  return {
    plan: {
      countryCode: values.countryCode.trim(),
      internationalPrefixes: splitList(values.internationalPrefixes),
      nationalNumberLength: Number(lengthText),
      nationalTrunkPrefix: values.nationalTrunkPrefix.trim(),
      techPrefixes: splitList(values.techPrefixes),
    },
    errors,
  };
}

function samplesOf(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .slice(0, MAX_SAMPLES);
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/**
 * What the preview tells the admin: its field errors (the plan's, and the sample numbers'),
 * whether the plan is refused, and one line for screen readers. `data` may be the answer for
 * an earlier draft (kept while the next is on its way); after a failed request it is dropped,
 * because its errors may no longer be true and nothing would replace them.
 */
export function previewFeedback(preview: { data: TPreview | undefined; isError: boolean; error: unknown }, draftSendable: boolean) {
  const data = preview.isError ? undefined : preview.data;
  const raw = data?.fieldErrors ?? {};
  const errors = inlineFieldErrors(raw, FIELDS);
  if (raw.sampleNumbers) errors.sampleNumbers = raw.sampleNumbers;
  const planInvalid = !draftSendable || Boolean(data?.fieldErrors);
  const rows = data?.rows ?? [];
  const count = (outcome: TPreview["rows"][number]["outcome"]) => rows.filter((row) => row.outcome === outcome).length;
  const summary = planInvalid
    ? "Fix the highlighted fields to see how numbers are read."
    : preview.isError
      ? `Preview failed: ${messageOf(preview.error)}`
      : !data
        ? ""
        : rows.length === 0
          ? "Enter a number to see how it is read."
          : `${plural(rows.length, "sample number", "sample numbers")}: ${count("E164")} read as E.164, ${plural(count("SHORT_CODE"), "short code", "short codes")}, ${count("INVALID")} rejected.`;
  return { errors, planInvalid, summary };
}

/**
 * The tenant's dialling plan: how numbers in its CDRs are read as E.164 before rating. Support
 * staff (`canEdit` false) read it and try numbers against it, to explain a bill; only tenant
 * admins change it (the server refuses anyone else).
 */
export function DiallingPlanCard({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const current = useQuery(trpc.tenant.diallingPlan.queryOptions());
  return (
    <QueriedSettingsCard query={current} title="Dialling plan" titleId="dialling-plan-title" what="the dialling plan" skeletonLines={5}>
      {(data) => <DiallingPlanForm data={data} canEdit={canEdit} />}
    </QueriedSettingsCard>
  );
}

function DiallingPlanForm({ data, canEdit }: { data: TDiallingPlanData; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<TValues>(() => valuesOf(data.plan));
  const [samplesText, setSamplesText] = useState(() => data.sampleNumbers.join("\n"));
  // Errors the last save came back with; the preview's replace them as soon as it answers.
  const [saveErrors, setSaveErrors] = useState<TFieldErrors>({});

  const draft = planOf(values);
  const draftSendable = Object.keys(draft.errors).length === 0;
  // The preview asks once typing pauses; a string key compares drafts by value.
  const draftKey = JSON.stringify({ plan: draft.plan, numbers: samplesOf(samplesText), sendable: draftSendable });
  const settledKey = useDebounced(draftKey, PREVIEW_DELAY_MS);
  const settled = useMemo(() => JSON.parse(settledKey) as { plan: TPlan; numbers: string[]; sendable: boolean }, [settledKey]);
  const preview = useQuery({
    ...trpc.tenant.previewDiallingPlan.queryOptions({ plan: settled.plan, numbers: settled.numbers }),
    enabled: settled.sendable,
    placeholderData: keepPreviousData,
  });
  // The answer for exactly what the form shows now, not for an earlier draft.
  const previewCurrent = settledKey === draftKey && preview.data !== undefined && !preview.isPlaceholderData;
  // Kept while the next answer is on its way, so a message does not blink at every key.
  const feedback = previewFeedback(preview, draftSendable);
  const previewErrors = feedback.errors;

  const errors: TFieldErrors = { ...saveErrors, ...previewErrors, ...draft.errors };

  const update = useMutation(
    trpc.tenant.updateDiallingPlan.mutationOptions({
      onSuccess: (next) => {
        queryClient.setQueryData(trpc.tenant.diallingPlan.queryKey(), { plan: next.plan, sampleNumbers: next.sampleNumbers });
        void queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() });
        setValues(valuesOf(next.plan));
        setSaveErrors({});
        toast.success(next.changed ? "Dialling plan saved" : "Dialling plan unchanged");
      },
      onError: (error) => {
        const inline = inlineFieldErrors(fieldErrorsOf(error), FIELDS);
        setSaveErrors(inline);
        if (isForbidden(error)) toast.error("Only tenant admins can change the dialling plan");
        else if (Object.keys(inline).length === 0) toast.error(messageOf(error));
        else toast.error("Check the highlighted fields");
      },
    }),
  );

  const initial = valuesOf(data.plan);
  const dirty = FIELDS.some((field) => values[field].trim() !== initial[field]);

  const setField = (field: TField, value: string) => {
    setValues((existing) => ({ ...existing, [field]: value }));
    if (saveErrors[field]) setSaveErrors(({ [field]: _ignored, ...rest }) => rest);
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (update.isPending) return;
    // Known problems are shown already; the server would refuse the same plan.
    const firstInvalid = FIELDS.find((field) => draft.errors[field] || (previewCurrent && previewErrors[field]));
    if (firstInvalid) {
      event.currentTarget.querySelector<HTMLElement>(`[name="${firstInvalid}"]`)?.focus();
      toast.error("Check the highlighted fields");
      return;
    }
    update.mutate(draft.plan);
  };

  const field = (name: TField, label: string, hint: string, options: { placeholder?: string; required?: boolean; inputMode?: "numeric" | "text" } = {}) => (
    <FormField label={label} required={options.required} optional={!options.required} error={errors[name]} hint={hint}>
      <Input
        name={name}
        autoComplete="off"
        spellCheck={false}
        inputMode={options.inputMode ?? "numeric"}
        placeholder={options.placeholder}
        value={values[name]}
        readOnly={!canEdit}
        disabled={update.isPending}
        onChange={(event) => setField(name, event.target.value)}
        className="font-mono"
      />
    </FormField>
  );

  const rows = preview.isError ? [] : (preview.data?.rows ?? []);
  const planInvalid = feedback.planInvalid;

  return (
    <Card aria-labelledby="dialling-plan-title">
      <CardHeader actions={data.plan.nationalTrunkPrefix ? <Badge tone="info">Trunk prefix {data.plan.nationalTrunkPrefix}</Badge> : null}>
        <CardTitle id="dialling-plan-title">Dialling plan</CardTitle>
        <CardDescription>
          How the numbers in your CDRs are read as E.164 before a rate is looked up: +{data.plan.countryCode}, {data.plan.nationalNumberLength}-digit national numbers.
        </CardDescription>
      </CardHeader>
      <form id={FORM_ID} onSubmit={onSubmit} noValidate aria-label="Dialling plan">
        <CardContent className="flex flex-col gap-4">
          <p role="note" className="rounded-lg border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-600">
            Applies to calls rated from now on, including re-rates of unbillable calls and Price a call. A stored call keeps the number it was read as: a re-rate
            reads again only short codes and local numbers.
            {canEdit ? null : " Only a tenant admin can change the plan; try numbers against it in the preview."}
          </p>
          <div className="grid gap-3 sm:grid-cols-3">
            {field("countryCode", "Country code", "Without +: 1 for NANP, 44 for the UK.", { required: true, placeholder: "1" })}
            {field("nationalNumberLength", "National number length", "Digits after the country code: 10 in NANP and the UK.", { required: true, placeholder: "10" })}
            {field("nationalTrunkPrefix", "National trunk prefix", "Dialled before a national number: 0 in the UK. Blank for none.", { placeholder: "none" })}
          </div>
          <div className="grid gap-3 sm:grid-cols-2">
            {field("internationalPrefixes", "International prefixes", "Comma-separated: 011 in NANP, 00 in most countries.", { placeholder: "00", inputMode: "text" })}
            {field("techPrefixes", "Tech prefixes", "Comma-separated routing prefixes your switch puts before numbers, e.g. 99#.", { placeholder: "99#", inputMode: "text" })}
          </div>

          <fieldset className="flex flex-col gap-2">
            <legend className="mb-1 text-sm font-semibold text-slate-900">Preview</legend>
            {/* One line, not the table: a live table re-reads every row at each change. */}
            <p className="sr-only" role="status" aria-live="polite">
              {feedback.summary}
            </p>
            <div className="grid gap-3 sm:grid-cols-[minmax(0,14rem)_minmax(0,1fr)]">
              <FormField label="Sample numbers" hint={`One per line, as your switch writes them (up to ${MAX_SAMPLES}).`} error={errors.sampleNumbers}>
                <Textarea
                  name="sampleNumbers"
                  rows={6}
                  spellCheck={false}
                  value={samplesText}
                  onChange={(event) => setSamplesText(event.target.value)}
                  className="font-mono"
                />
              </FormField>
              <div className="min-w-0 overflow-hidden rounded-md border border-slate-200" aria-busy={preview.isFetching || settledKey !== draftKey}>
                {planInvalid ? (
                  <p className="px-3 py-2 text-sm text-slate-500">Fix the highlighted fields to see how numbers are read.</p>
                ) : preview.isError ? (
                  <p className="px-3 py-2 text-sm text-danger-700">Preview failed: {messageOf(preview.error)}</p>
                ) : !preview.data ? (
                  <p className="flex items-center gap-2 px-3 py-2 text-sm text-slate-500">
                    <Spinner /> Reading the numbers…
                  </p>
                ) : rows.length === 0 ? (
                  <p className="px-3 py-2 text-sm text-slate-500">Enter a number to see how it is read.</p>
                ) : (
                  <MiniTable label="How the plan reads the sample numbers" columns={["Dialled", "Read as"]} className={preview.isPlaceholderData ? "opacity-60" : undefined}>
                    {rows.map((row, index) => (
                      <MiniRow key={`${index}:${row.number}`}>
                        <MiniCell className="font-mono text-xs">{row.number}</MiniCell>
                        <MiniCell wrap>
                          {row.outcome === "E164" ? (
                            <span className="font-mono text-xs text-slate-900">+{row.digits}</span>
                          ) : row.outcome === "SHORT_CODE" ? (
                            <span className="flex flex-wrap items-center gap-x-2 gap-y-0.5">
                              <Badge tone="info">Short code</Badge>
                              <span className="font-mono text-xs">{row.digits}</span>
                              <span className="text-xs text-slate-500">priced only by a rate for the whole number</span>
                            </span>
                          ) : (
                            <span className="flex flex-wrap items-center gap-x-2 gap-y-0.5">
                              <Badge tone="danger">Rejected</Badge>
                              <span className="text-xs text-danger-700">{row.reason}</span>
                            </span>
                          )}
                        </MiniCell>
                      </MiniRow>
                    ))}
                  </MiniTable>
                )}
              </div>
            </div>
          </fieldset>
        </CardContent>
        {canEdit ? (
        <CardFooter>
          <Button
            size="sm"
            aria-label="Reset dialling plan"
            disabled={!dirty || update.isPending}
            onClick={() => {
              setValues(initial);
              setSaveErrors({});
            }}
          >
            Reset
          </Button>
          <Button type="submit" form={FORM_ID} variant="primary" size="sm" loading={update.isPending} disabled={!dirty}>
            Save dialling plan
          </Button>
        </CardFooter>
        ) : null}
      </form>
    </Card>
  );
}
