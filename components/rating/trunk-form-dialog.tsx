"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import type { TDeckRow, TTrunkRow } from "@/components/rating/types";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";

type TValues = {
  name: string;
  accountCode: string;
  status: "ACTIVE" | "DISABLED";
  rateDeckId: string;
  techPrefix: string;
  channelLimit: string;
  cpsLimit: string;
  ipAcl: string;
};

const FIELDS = ["name", "accountCode", "status", "rateDeckId", "techPrefix", "channelLimit", "cpsLimit", "ipAcl"] as const;

const STATUS_OPTIONS = [
  { value: "ACTIVE", label: "Active" },
  { value: "DISABLED", label: "Disabled" },
];

const ACCOUNT_CODE = /^[A-Za-z0-9._-]+$/;
const TECH_PREFIX = /^[0-9#*]*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// Loose on purpose: the server checks IPv6 exactly; this catches typos like "203.0.113" or "10.0.0.1/33".
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** The ACL textarea as entries: one per line; blank lines and surrounding spaces ignored. */
export function aclEntries(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

function aclEntryError(entry: string): string | null {
  const [address = "", bits, extra] = entry.split("/");
  if (extra !== undefined) return "has more than one “/”";
  const v4 = IPV4.test(address);
  const v6 = !v4 && address.includes(":") && IPV6.test(address);
  if (!v4 && !v6) return "is not an IP address";
  if (bits !== undefined) {
    const max = v4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `needs a prefix length from 0 to ${max}`;
  }
  return null;
}

function integerError(value: string, min: number, max: number): string | null {
  if (!/^\d+$/.test(value.trim())) return "Enter a whole number";
  const number = Number(value.trim());
  if (number < min || number > max) return `From ${min.toLocaleString("en-US")} to ${max.toLocaleString("en-US")}`;
  return null;
}

function validate(values: TValues): TFieldErrors {
  const errors: TFieldErrors = {};
  const name = values.name.trim();
  if (!name) errors.name = ["Name is required"];
  else if (name.length > 120) errors.name = ["At most 120 characters"];
  const accountCode = values.accountCode.trim();
  if (!accountCode) errors.accountCode = ["Account code is required"];
  else if (accountCode.length > 64) errors.accountCode = ["At most 64 characters"];
  else if (!ACCOUNT_CODE.test(accountCode)) errors.accountCode = ["Use letters, digits, dot, dash or underscore"];
  const techPrefix = values.techPrefix.trim();
  if (techPrefix.length > 16) errors.techPrefix = ["At most 16 characters"];
  else if (!TECH_PREFIX.test(techPrefix)) errors.techPrefix = ["Use digits, # or *"];
  const channels = integerError(values.channelLimit, 1, 100_000);
  if (channels) errors.channelLimit = [channels];
  const cps = integerError(values.cpsLimit, 1, 10_000);
  if (cps) errors.cpsLimit = [cps];
  const entries = aclEntries(values.ipAcl);
  const aclErrors: string[] = [];
  if (entries.length > 64) aclErrors.push("At most 64 entries");
  values.ipAcl
    .split(/\r?\n/)
    .map((line, index) => ({ entry: line.trim(), line: index + 1 }))
    .filter((item) => item.entry)
    .forEach((item) => {
      const problem = aclEntryError(item.entry);
      if (problem) aclErrors.push(`Line ${item.line}: ${item.entry} ${problem}`);
    });
  if (aclErrors.length > 0) errors.ipAcl = aclErrors.slice(0, 5);
  return errors;
}

/** Create or edit one SIP trunk of a customer. */
export function TrunkFormDialog({
  open,
  onOpenChange,
  customerId,
  trunk,
  sellDecks,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  customerId: string;
  trunk?: TTrunkRow;
  sellDecks: readonly TDeckRow[];
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const save = useMutation(
    trpc.rating.saveTrunk.mutationOptions({
      onSuccess: (saved) => {
        void queryClient.invalidateQueries({ queryKey: trpc.rating.trunks.queryKey({ customerId }) });
        void queryClient.invalidateQueries({ queryKey: trpc.rating.decks.queryKey() });
        toast.success(trunk ? `Trunk ${saved.name} saved` : `Trunk ${saved.name} added`);
      },
    }),
  );
  const formId = trunk ? "trunk-edit-form" : "trunk-create-form";

  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={trunk ? `Edit trunk ${trunk.name}` : "New SIP trunk"}
      description="Calls are matched to the trunk by its account code; its limits and ACL go to the switch."
      size="lg"
      dismissible={!save.isPending}
      footer={
        <>
          <Button onClick={() => onOpenChange(false)} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" form={formId} variant="primary" loading={save.isPending}>
            {trunk ? "Save changes" : "Create trunk"}
          </Button>
        </>
      }
    >
      <TrunkForm
        formId={formId}
        sellDecks={sellDecks}
        initial={{
          name: trunk?.name ?? "",
          accountCode: trunk?.accountCode ?? "",
          status: trunk?.status ?? "ACTIVE",
          rateDeckId: trunk?.rateDeckId ?? "",
          techPrefix: trunk?.techPrefix ?? "",
          channelLimit: String(trunk?.channelLimit ?? 10),
          cpsLimit: String(trunk?.cpsLimit ?? 5),
          ipAcl: (trunk?.ipAcl ?? []).join("\n"),
        }}
        onSubmit={(values, onError) =>
          save.mutate(
            {
              trunkId: trunk?.id,
              fields: {
                customerId,
                name: values.name.trim(),
                accountCode: values.accountCode.trim(),
                status: values.status,
                rateDeckId: values.rateDeckId || null,
                techPrefix: values.techPrefix.trim() || null,
                channelLimit: Number(values.channelLimit.trim()),
                cpsLimit: Number(values.cpsLimit.trim()),
                ipAcl: aclEntries(values.ipAcl),
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

function TrunkForm({
  formId,
  initial,
  sellDecks,
  onSubmit,
}: {
  formId: string;
  initial: TValues;
  sellDecks: readonly TDeckRow[];
  onSubmit: (values: TValues, onError: (errors: TFieldErrors) => void) => void;
}) {
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

  const entries = aclEntries(values.ipAcl).length;

  return (
    <form id={formId} onSubmit={submit} noValidate className="flex flex-col gap-4">
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField label="Trunk name" required error={errors.name}>
          <Input
            name="name"
            value={values.name}
            onChange={(event) => set("name", event.target.value)}
            maxLength={120}
            autoComplete="off"
            placeholder="e.g. Main PBX"
            data-autofocus
          />
        </FormField>
        <FormField label="Account code" required error={errors.accountCode} hint="Unique in your tenant; CDRs carry it.">
          <Input
            name="accountCode"
            value={values.accountCode}
            onChange={(event) => set("accountCode", event.target.value)}
            maxLength={64}
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
          />
        </FormField>
        <FormField label="Status" required error={errors.status}>
          <Select
            name="status"
            value={values.status}
            onChange={(event) => set("status", event.target.value === "DISABLED" ? "DISABLED" : "ACTIVE")}
            options={STATUS_OPTIONS}
          />
        </FormField>
        <FormField label="Rate deck override" optional error={errors.rateDeckId} hint="Prices this trunk's calls instead of the customer's deck.">
          <Select
            name="rateDeckId"
            value={values.rateDeckId}
            onChange={(event) => set("rateDeckId", event.target.value)}
            placeholder="Customer's deck"
            options={sellDecks.map((deck) => ({ value: deck.id, label: `${deck.name} (${deck.currency})` }))}
          />
        </FormField>
        <FormField label="Tech prefix" optional error={errors.techPrefix} hint="Digits, # or *; stripped before rating.">
          <Input
            name="techPrefix"
            value={values.techPrefix}
            onChange={(event) => set("techPrefix", event.target.value)}
            maxLength={16}
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
            placeholder="e.g. 5501#"
          />
        </FormField>
        <div className="grid grid-cols-2 gap-3">
          <FormField label="Channel limit" required error={errors.channelLimit} hint="Concurrent calls">
            <Input
              name="channelLimit"
              type="number"
              min={1}
              max={100_000}
              step={1}
              value={values.channelLimit}
              onChange={(event) => set("channelLimit", event.target.value)}
            />
          </FormField>
          <FormField label="CPS limit" required error={errors.cpsLimit} hint="Calls per second">
            <Input
              name="cpsLimit"
              type="number"
              min={1}
              max={10_000}
              step={1}
              value={values.cpsLimit}
              onChange={(event) => set("cpsLimit", event.target.value)}
            />
          </FormField>
        </div>
      </div>
      <FormField
        label="IP ACL"
        optional
        error={errors.ipAcl}
        hint={`One IP address or CIDR block per line, IPv4 or IPv6 (e.g. 203.0.113.10/32). ${entries} ${entries === 1 ? "entry" : "entries"}.`}
      >
        <Textarea
          name="ipAcl"
          value={values.ipAcl}
          onChange={(event) => set("ipAcl", event.target.value)}
          rows={4}
          spellCheck={false}
          className="font-mono text-xs"
          placeholder={"203.0.113.10\n198.51.100.0/24"}
        />
      </FormField>
    </form>
  );
}
