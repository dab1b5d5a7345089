"use client";

import { useState, type FormEvent } from "react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { PlusIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { FormDialog } from "@/components/ui/form-dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Money } from "@/components/ui/money";
import { normaliseAmount, type TRecurringCharge } from "@/components/wallet/labels";
import { formatCalendarDate } from "@/components/time/format-instant";
import { useTimeZone } from "@/components/time/time-zone-provider";
import { calendarDateFromInput, dayOf } from "@/components/time/wall-time";

export type TFeeSubmit = (
  values: { description: string; amount: string; startsOn: Date; endsOn: Date | null },
  handlers: { onSuccess: () => void; onError: (error: unknown) => void },
) => void;

// Fee start and end days are calendar dates (a DATE column): shown and sent as the day itself
// (formatCalendarDate, calendarDateFromInput), so they never shift by a day in any zone.
const FORM_ID = "recurring-fee-form";

/** Monthly fees on the account: list, add, stop and resume. */
export function RecurringFeesCard({
  charges,
  currency,
  canEdit,
  onAdd,
  onToggle,
  togglingId,
}: {
  charges: readonly TRecurringCharge[];
  currency: string;
  canEdit: boolean;
  onAdd: () => void;
  onToggle: (charge: TRecurringCharge) => void;
  togglingId: string | null;
}) {
  return (
    <Card aria-labelledby="wallet-fees-title">
      <CardHeader
        actions={
          canEdit ? (
            <Button size="sm" onClick={onAdd}>
              <PlusIcon />
              Add recurring fee
            </Button>
          ) : null
        }
      >
        <CardTitle id="wallet-fees-title">Recurring fees</CardTitle>
        <CardDescription>Charged once per month while active, e.g. a DID or channel fee.</CardDescription>
      </CardHeader>
      <CardContent flush>
        {charges.length === 0 ? (
          <EmptyState compact title="No recurring fees" description={canEdit ? "Add one with “Add recurring fee”." : undefined} />
        ) : (
          <MiniTable
            label="Recurring fees"
            columns={["Description", { label: "Monthly", align: "right" }, "From", "Until", "Status", { label: "Actions", align: "right", srOnly: true }]}
          >
            {charges.map((charge) => (
              <MiniRow key={charge.id}>
                <MiniCell className="font-medium text-slate-900">{charge.description}</MiniCell>
                <MiniCell align="right">
                  <Money micros={charge.amount} currency={currency} precision={6} minPrecision={2} />
                </MiniCell>
                <MiniCell>{formatCalendarDate(charge.startsOn)}</MiniCell>
                <MiniCell>{charge.endsOn ? formatCalendarDate(charge.endsOn) : "—"}</MiniCell>
                <MiniCell>{charge.active ? <Badge tone="success">Active</Badge> : <Badge>Stopped</Badge>}</MiniCell>
                <MiniCell align="right">
                  {canEdit ? (
                    <Button
                      size="sm"
                      variant="ghost"
                      loading={togglingId === charge.id}
                      aria-label={`${charge.active ? "Stop" : "Resume"} ${charge.description}`}
                      onClick={() => onToggle(charge)}
                    >
                      {charge.active ? "Stop" : "Resume"}
                    </Button>
                  ) : null}
                </MiniCell>
              </MiniRow>
            ))}
          </MiniTable>
        )}
      </CardContent>
    </Card>
  );
}

/** The "Add recurring fee" dialog; render it outside the page content hidden behind modals. */
export function RecurringFeeDialog({
  open,
  onOpenChange,
  currency,
  submit,
  pending,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  currency: string;
  submit: TFeeSubmit;
  pending: boolean;
}) {
  return (
    <FormDialog
      open={open}
      onOpenChange={onOpenChange}
      title="Add recurring fee"
      description="The first charge is posted in the hour after the fee starts, then once every month."
      formId={FORM_ID}
      submitLabel="Add fee"
      pending={pending}
    >
      <FeeForm currency={currency} submit={submit} pending={pending} onDone={() => onOpenChange(false)} />
    </FormDialog>
  );
}

function FeeForm({ currency, submit, pending, onDone }: { currency: string; submit: TFeeSubmit; pending: boolean; onDone: () => void }) {
  const timeZone = useTimeZone();
  // "Today" is the tenant's: the day the fee's first charge is posted for, whatever the browser's clock says.
  const [values, setValues] = useState(() => ({ description: "", amount: "", startsOn: dayOf(new Date(), timeZone), endsOn: "" }));
  const [errors, setErrors] = useState<TFieldErrors>({});
  const set = (name: keyof typeof values, value: string) => setValues((current) => ({ ...current, [name]: value }));

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    const next: TFieldErrors = {};
    const description = values.description.trim();
    if (!description) next.description = ["Describe the fee"];
    const amount = normaliseAmount(values.amount, { allowNegative: false });
    if (!amount || /^0+(\.0+)?$/.test(amount)) next.amount = ["Enter an amount like 2.50"];
    const startsOn = calendarDateFromInput(values.startsOn);
    if (!startsOn) next.startsOn = ["Choose a start date"];
    const endsOn = values.endsOn ? calendarDateFromInput(values.endsOn) : null;
    if (values.endsOn && !endsOn) next.endsOn = ["Choose a valid date"];
    if (startsOn && endsOn && endsOn < startsOn) next.endsOn = ["The end comes before the start"];
    setErrors(next);
    if (Object.keys(next).length > 0 || !amount || !startsOn) return;
    submit(
      { description, amount, startsOn, endsOn },
      {
        onSuccess: onDone,
        onError: (error) => {
          setErrors(formErrorsOf(error, ["description", "amount", "startsOn", "endsOn"]));
          if (isForbidden(error)) onDone();
        },
      },
    );
  };

  return (
    <form id={FORM_ID} onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
      <FormField label="Description" required error={errors.description}>
        <Input name="description" value={values.description} maxLength={200} onChange={(event) => set("description", event.target.value)} data-autofocus />
      </FormField>
      <FormField label="Monthly amount" required error={errors.amount} hint={`In ${currency}.`}>
        <Input name="amount" inputMode="decimal" autoComplete="off" placeholder="2.00" value={values.amount} onChange={(event) => set("amount", event.target.value)} />
      </FormField>
      <div className="grid grid-cols-2 gap-3">
        <FormField label="Starts on" required error={errors.startsOn} hint={`Days in ${timeZone}.`}>
          <Input type="date" name="startsOn" value={values.startsOn} onChange={(event) => set("startsOn", event.target.value)} />
        </FormField>
        <FormField label="Ends on" optional error={errors.endsOn}>
          <Input type="date" name="endsOn" value={values.endsOn} min={values.startsOn} onChange={(event) => set("endsOn", event.target.value)} />
        </FormField>
      </div>
    </form>
  );
}
