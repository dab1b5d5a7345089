"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { DateTime } from "@/components/admin/date-time";
import { useListState } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import { deckHref } from "@/components/rating/labels";
import type { TCarrierRow } from "@/components/rating/types";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { CarriersIcon, PlusIcon } from "@/components/shell/icons";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { FormDialog } from "@/components/ui/form-dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { PageHeader } from "@/components/ui/page-header";
import { Select } from "@/components/ui/select";
import { StatusBadge } from "@/components/ui/status-badge";
import { Textarea } from "@/components/ui/textarea";
import { toast } from "@/components/ui/toast";

const STATUS_OPTIONS = [
  { value: "ACTIVE", label: "Active" },
  { value: "INACTIVE", label: "Inactive" },
];

function carrierColumns(canEdit: boolean, onEdit: (carrier: TCarrierRow) => void): ColumnDef<TCarrierRow>[] {
  const columns: ColumnDef<TCarrierRow>[] = [
    {
      id: "name",
      header: "Name",
      cell: ({ row }) => <span className="font-medium text-slate-900">{row.original.name}</span>,
    },
    {
      id: "status",
      header: "Status",
      meta: { width: "1%" },
      cell: ({ row }) => (
        <StatusBadge status={row.original.status} tone={row.original.status === "ACTIVE" ? "success" : "neutral"} />
      ),
    },
    {
      id: "decks",
      header: "Buy decks",
      cell: ({ row }) =>
        row.original.decks.length === 0 ? (
          <span className="text-slate-500">None yet</span>
        ) : (
          <span className="flex flex-wrap gap-x-2 gap-y-0.5">
            {row.original.decks.map((deck, index) => (
              <span key={deck.id}>
                <Link href={deckHref(deck.id)} className="text-brand-700 hover:underline">
                  {deck.name}
                </Link>
                {index < row.original.decks.length - 1 ? <span className="text-slate-400">,</span> : null}
              </span>
            ))}
          </span>
        ),
    },
    {
      id: "notes",
      header: "Notes",
      cell: ({ row }) =>
        row.original.notes ? (
          <span className="block max-w-sm truncate text-slate-600" title={row.original.notes}>
            {row.original.notes}
          </span>
        ) : (
          <span className="text-slate-400">—</span>
        ),
    },
    {
      id: "createdAt",
      header: "Added",
      meta: { align: "right" },
      cell: ({ row }) => <DateTime value={row.original.createdAt} style="date" />,
    },
  ];
  if (canEdit) {
    columns.push({
      id: "actions",
      header: () => <span className="sr-only">Actions</span>,
      meta: { align: "right", width: "1%" },
      cell: ({ row }) => (
        <Button size="sm" variant="ghost" onClick={() => onEdit(row.original)} aria-label={`Edit ${row.original.name}`}>
          Edit
        </Button>
      ),
    });
  }
  return columns;
}

/** The carriers whose BUY decks give the cost of calls. */
export function CarriersAdmin() {
  const trpc = useTRPC();
  const access = useStaffAccess();
  const list = useListState({ sortIds: [] });
  const carriers = useQuery(trpc.rating.carriers.queryOptions());
  const [editing, setEditing] = useState<TCarrierRow | "new" | null>(null);

  const needle = list.search.toLowerCase();
  const filtered = (carriers.data ?? []).filter(
    (carrier) =>
      !needle ||
      carrier.name.toLowerCase().includes(needle) ||
      (carrier.notes?.toLowerCase().includes(needle) ?? false) ||
      carrier.decks.some((deck) => deck.name.toLowerCase().includes(needle)),
  );
  const lastPage = Math.max(0, Math.ceil(filtered.length / list.pageSize) - 1);
  const page = Math.min(list.page, lastPage);
  const rows = filtered.slice(page * list.pageSize, (page + 1) * list.pageSize);

  return (
    <div>
      <PageHeader
        title="Carriers"
        description="The carriers you buy termination from. Each carrier's buy decks give the cost of calls, and so your margin."
        actions={
          access.canEdit ? (
            <Button variant="primary" onClick={() => setEditing("new")}>
              <PlusIcon />
              New carrier
            </Button>
          ) : undefined
        }
      />

      <DataTable<TCarrierRow>
        label="Carriers"
        columns={carrierColumns(access.canEdit, setEditing)}
        rows={rows}
        total={filtered.length}
        {...list.tableProps}
        page={page}
        searchPlaceholder="Search name, notes, deck…"
        loading={carriers.isPending}
        getRowId={(row) => row.id}
        emptyState={
          carriers.isError ? (
            <QueryError error={carriers.error} what="carriers" onRetry={() => void carriers.refetch()} />
          ) : list.search ? (
            <EmptyState compact title="No matching carriers" description={`Nothing matches “${list.search}”.`} />
          ) : (
            <EmptyState
              compact
              icon={<CarriersIcon />}
              title="No carriers yet"
              description={
                access.canEdit
                  ? "Add the carriers you send calls to; then create a buy deck for each with its prices."
                  : "A tenant admin adds carriers."
              }
            />
          )
        }
      />

      <CarrierFormDialog
        open={editing !== null}
        onOpenChange={(open) => {
          if (!open) setEditing(null);
        }}
        carrier={editing === "new" || editing === null ? undefined : editing}
      />
    </div>
  );
}

type TValues = { name: string; status: "ACTIVE" | "INACTIVE"; notes: string };
const FIELDS = ["name", "status", "notes"] as const;

export function CarrierFormDialog({
  open,
  onOpenChange,
  carrier,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  carrier?: TCarrierRow;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const save = useMutation(
    trpc.rating.saveCarrier.mutationOptions({
      onSuccess: (saved) => {
        void queryClient.invalidateQueries({ queryKey: trpc.rating.pathKey() });
        toast.success(carrier ? `Carrier ${saved.name} saved` : `Carrier ${saved.name} added`);
      },
    }),
  );
  const formId = carrier ? "carrier-edit-form" : "carrier-create-form";

  return (
    <FormDialog
      open={open}
      onOpenChange={onOpenChange}
      title={carrier ? "Edit carrier" : "New carrier"}
      description={carrier ? "Changes are recorded in the audit log." : "A carrier you buy termination from."}
      formId={formId}
      submitLabel={carrier ? "Save changes" : "Create carrier"}
      pending={save.isPending}
    >
      <CarrierForm
        key={carrier?.id ?? "new"}
        formId={formId}
        initial={{ name: carrier?.name ?? "", status: carrier?.status ?? "ACTIVE", notes: carrier?.notes ?? "" }}
        onSubmit={(values, onError) =>
          save.mutate(
            {
              carrierId: carrier?.id,
              fields: { name: values.name.trim(), status: values.status, notes: values.notes.trim() || null },
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
    </FormDialog>
  );
}

function CarrierForm({
  formId,
  initial,
  onSubmit,
}: {
  formId: string;
  initial: TValues;
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
    const found: TFieldErrors = {};
    const name = values.name.trim();
    if (!name) found.name = ["Name is required"];
    else if (name.length > 120) found.name = ["At most 120 characters"];
    if (values.notes.trim().length > 2000) found.notes = ["At most 2,000 characters"];
    setErrors(found);
    const first = FIELDS.find((field) => found[field]);
    if (first) {
      event.currentTarget.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    onSubmit(values, setErrors);
  };

  return (
    <form id={formId} onSubmit={submit} noValidate className="flex flex-col gap-4">
      <div className="grid gap-4 sm:grid-cols-[1fr_10rem]">
        <FormField label="Name" required error={errors.name}>
          <Input
            name="name"
            value={values.name}
            onChange={(event) => set("name", event.target.value)}
            maxLength={120}
            autoComplete="off"
            placeholder="e.g. Lumen Wholesale"
            data-autofocus
          />
        </FormField>
        <FormField label="Status" required error={errors.status}>
          <Select
            name="status"
            value={values.status}
            onChange={(event) => set("status", event.target.value === "INACTIVE" ? "INACTIVE" : "ACTIVE")}
            options={STATUS_OPTIONS}
          />
        </FormField>
      </div>
      <FormField label="Notes" optional error={errors.notes} hint="Account manager, NOC contact, interconnect details…">
        <Textarea name="notes" value={values.notes} onChange={(event) => set("notes", event.target.value)} maxLength={2000} rows={3} />
      </FormField>
    </form>
  );
}
