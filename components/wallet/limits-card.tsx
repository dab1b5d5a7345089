"use client";

import { useState, type FormEvent } from "react";
import { formErrorsOf, type TFieldErrors } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { formatMicros } from "@/components/ui/money-format";
import { normaliseAmount } from "@/components/wallet/labels";

const FIELDS = ["creditLimit", "lockThreshold", "lowBalanceThreshold"] as const;
type TField = (typeof FIELDS)[number];
type TLimits = Record<TField, bigint>;
export type TLimitsSubmit = (values: Record<TField, string>, handlers: { onSuccess: () => void; onError: (error: unknown) => void }) => void;

function toInput(micros: bigint, currency: string): string {
  return formatMicros(micros, currency, { currencyDisplay: "none", grouping: false, precision: 6, minPrecision: 2 });
}

/** Credit limit, lock threshold and low-balance threshold. Remount (key) with new values after a save. */
export function LimitsCard({
  limits,
  billingType,
  currency,
  canEdit,
  submit,
  pending,
}: {
  limits: TLimits;
  billingType: "PREPAID" | "POSTPAID";
  currency: string;
  canEdit: boolean;
  submit: TLimitsSubmit;
  pending: boolean;
}) {
  const initial = {
    creditLimit: toInput(limits.creditLimit, currency),
    lockThreshold: toInput(limits.lockThreshold, currency),
    lowBalanceThreshold: toInput(limits.lowBalanceThreshold, currency),
  };
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<TFieldErrors>({});
  const dirty = FIELDS.some((field) => values[field].trim() !== initial[field]);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const next: TFieldErrors = {};
    const normalised = {} as Record<TField, string>;
    for (const field of FIELDS) {
      const value = normaliseAmount(values[field], { allowNegative: field !== "creditLimit" });
      if (value === null) next[field] = [field === "creditLimit" ? "Enter an amount like 100.00 (not negative)" : "Enter an amount like 5.00 or -10.00"];
      // The server's rule too (server/wallet/wallet.ts): a postpaid account with no credit could carry no call.
      else if (field === "creditLimit" && billingType === "POSTPAID" && /^0*(\.0*)?$/.test(value)) next[field] = ["A postpaid account needs a credit limit above zero"];
      else normalised[field] = value;
    }
    setErrors(next);
    if (Object.keys(next).length > 0) return;
    submit(normalised, { onSuccess: () => undefined, onError: (error) => setErrors(formErrorsOf(error, FIELDS)) });
  };

  const field = (name: TField, label: string, hint: string, relevant: boolean) => (
    <FormField label={label} error={errors[name]} hint={relevant ? hint : `${hint} Not used for ${billingType === "PREPAID" ? "prepaid" : "postpaid"} accounts.`}>
      <Input
        name={name}
        inputMode="decimal"
        autoComplete="off"
        value={values[name]}
        disabled={!canEdit}
        onChange={(event) => {
          const value = event.target.value;
          setValues((current) => ({ ...current, [name]: value }));
        }}
      />
    </FormField>
  );

  return (
    <Card aria-labelledby="wallet-limits-title">
      <CardHeader>
        <CardTitle id="wallet-limits-title">Limits</CardTitle>
        <CardDescription>In {currency}. Changes are kept in the audit log.</CardDescription>
      </CardHeader>
      <form onSubmit={onSubmit} noValidate>
        <CardContent className="flex flex-col gap-3">
          {field("creditLimit", "Credit limit", "How far below zero a postpaid balance may go.", billingType === "POSTPAID")}
          {field("lockThreshold", "Lock threshold", "A prepaid account locks at or below this balance.", billingType === "PREPAID")}
          {field(
            "lowBalanceThreshold",
            "Low-balance threshold",
            billingType === "POSTPAID"
              ? "When the credit still available (limit plus balance) falls below this, the customer is emailed, once per crossing."
              : "Below this the customer is emailed, once per crossing.",
            true,
          )}
        </CardContent>
        {canEdit ? (
          <CardFooter>
            <Button
              onClick={() => {
                setValues(initial);
                setErrors({});
              }}
              disabled={!dirty || pending}
              size="sm"
            >
              Reset
            </Button>
            <Button type="submit" variant="primary" size="sm" loading={pending} disabled={!dirty}>
              Save limits
            </Button>
          </CardFooter>
        ) : null}
      </form>
    </Card>
  );
}
