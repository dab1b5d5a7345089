"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { DECK_KIND_OPTIONS, type TDeckKind } from "@/components/rating/labels";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";

export type TDeckFormInitial = {
  id: string;
  name: string;
  kind: TDeckKind;
  carrierId: string | null;
  currency: string;
  description: string | null;
};

type TValues = { name: string; kind: TDeckKind; carrierId: string; currency: string; description: string };

const FIELDS = ["name", "kind", "carrierId", "currency", "description"] as const;

function validate(values: TValues): TFieldErrors {
  const errors: TFieldErrors = {};
  const name = values.name.trim();
  if (!name) errors.name = ["Name is required"];
  else if (name.length > 120) errors.name = ["At most 120 characters"];
  if (values.kind === "BUY" && !values.carrierId) errors.carrierId = ["A BUY deck is a carrier's cost: choose the carrier"];
  const currency = values.currency.trim();
  if (currency && !/^[A-Za-z]{3}$/.test(currency)) errors.currency = ["Use a 3-letter currency code"];
  if (values.description.trim().length > 2000) errors.description = ["At most 2,000 characters"];
  return errors;
}

/**
 * Create a deck (`deck` omitted) or edit one. A deck's kind is fixed once created: SELL
 * decks price customers, BUY decks belong to a carrier.
 */
export function DeckFormDialog({
  open,
  onOpenChange,
  deck,
  defaultKind = "SELL",
  onSaved,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  deck?: TDeckFormInitial;
  defaultKind?: TDeckKind;
  onSaved?: (deck: { id: string; name: string }) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const save = useMutation(
    trpc.rating.saveDeck.mutationOptions({
      onSuccess: (saved) => {
        void queryClient.invalidateQueries({ queryKey: trpc.rating.pathKey() });
        toast.success(deck ? `Deck ${saved.name} saved` : `Deck ${saved.name} created`);
        onSaved?.(saved);
      },
    }),
  );
  const formId = deck ? "deck-edit-form" : "deck-create-form";
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={deck ? "Edit deck" : "New rate deck"}
      description={
        deck
          ? "Name, currency and description. Rates change through imports."
          : "A deck holds rates by destination prefix. Import its rates once it exists."
      }
      dismissible={!save.isPending}
      footer={
        <>
          <Button onClick={() => onOpenChange(false)} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" form={formId} variant="primary" loading={save.isPending}>
            {deck ? "Save changes" : "Create deck"}
          </Button>
        </>
      }
    >
      <DeckForm
        formId={formId}
        initial={{
          name: deck?.name ?? "",
          kind: deck?.kind ?? defaultKind,
          carrierId: deck?.carrierId ?? "",
          currency: deck?.currency ?? "",
          description: deck?.description ?? "",
        }}
        editing={deck !== undefined}
        onSubmit={(values, onError) =>
          save.mutate(
            {
              deckId: deck?.id,
              fields: {
                name: values.name.trim(),
                kind: values.kind,
                carrierId: values.kind === "BUY" ? values.carrierId || null : null,
                currency: values.currency.trim() ? values.currency.trim().toUpperCase() : undefined,
                description: values.description.trim() || null,
              },
            },
            {
              onSuccess: () => onOpenChange(false),
              onError: (error) => {
                onError(formErrorsOf(error, FIELDS));
                if (isForbidden(error)) onOpenChange(false);
              },
            },
          )
        }
      />
    </Dialog>
  );
}

function DeckForm({
  formId,
  initial,
  editing,
  onSubmit,
}: {
  formId: string;
  initial: TValues;
  editing: boolean;
  onSubmit: (values: TValues, onError: (errors: TFieldErrors) => void) => void;
}) {
  const trpc = useTRPC();
  const carriers = useQuery(trpc.rating.carriers.queryOptions());
  const me = useQuery(trpc.me.get.queryOptions());
  const [values, setValues] = useState<TValues>(initial);
  const [errors, setErrors] = useState<TFieldErrors>({});

  const set = <K extends keyof TValues>(field: K, value: TValues[K]) => {
    setValues((current) => ({ ...current, [field]: value }));
    if (errors[field]) {
      setErrors((current) => {
        const next = { ...current };
        delete next[field];
        return next;
      });
    }
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = validate(values);
    setErrors(found);
    const first = FIELDS.find((field) => found[field]);
    if (first) {
      event.currentTarget.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    onSubmit(values, setErrors);
  };

  const carrierOptions = (carriers.data ?? []).map((carrier) => ({
    value: carrier.id,
    label: carrier.status === "ACTIVE" ? carrier.name : `${carrier.name} (inactive)`,
  }));
  const noCarriers = carriers.isSuccess && carrierOptions.length === 0;

  return (
    <form id={formId} onSubmit={submit} noValidate className="flex flex-col gap-4">
      <FormField label="Name" required error={errors.name}>
        <Input
          name="name"
          value={values.name}
          onChange={(event) => set("name", event.target.value)}
          maxLength={120}
          autoComplete="off"
          placeholder="e.g. Retail USD 2026"
          data-autofocus
        />
      </FormField>
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField
          label="Kind"
          required
          error={errors.kind}
          hint={editing ? "The kind cannot change once created." : undefined}
        >
          <Select
            name="kind"
            value={values.kind}
            disabled={editing}
            onChange={(event) => set("kind", event.target.value === "BUY" ? "BUY" : "SELL")}
            options={DECK_KIND_OPTIONS}
          />
        </FormField>
        <FormField
          label="Currency"
          optional
          error={errors.currency}
          hint={editing ? undefined : `Default: ${me.data?.membership.tenantCurrency ?? "the tenant's currency"}`}
        >
          <Input
            name="currency"
            value={values.currency}
            onChange={(event) => set("currency", event.target.value.toUpperCase())}
            maxLength={3}
            autoComplete="off"
            spellCheck={false}
            placeholder={me.data?.membership.tenantCurrency ?? "USD"}
            className="font-mono uppercase"
          />
        </FormField>
      </div>
      {values.kind === "BUY" ? (
        <FormField
          label="Carrier"
          required
          error={errors.carrierId}
          hint={
            noCarriers ? (
              <>
                No carriers yet.{" "}
                <Link href="/admin/carriers" className="text-brand-700 hover:underline">
                  Add a carrier
                </Link>{" "}
                first.
              </>
            ) : (
              "The carrier whose prices this deck holds: calls rated against it give their cost."
            )
          }
        >
          <Select
            name="carrierId"
            value={values.carrierId}
            onChange={(event) => set("carrierId", event.target.value)}
            placeholder={carriers.isPending ? "Loading carriers…" : "Choose a carrier…"}
            options={carrierOptions}
          />
        </FormField>
      ) : null}
      <FormField label="Description" optional error={errors.description}>
        <Textarea
          name="description"
          value={values.description}
          onChange={(event) => set("description", event.target.value)}
          maxLength={2000}
          rows={2}
        />
      </FormField>
    </form>
  );
}
