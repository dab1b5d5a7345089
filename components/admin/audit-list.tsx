"use client";

import Link from "next/link";
import { useState } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { BehindModal } from "@/components/admin/behind-modal";
import { ClearFiltersButton } from "@/components/admin/clear-filters-button";
import { DateTime } from "@/components/admin/date-time";
import { shortId } from "@/components/admin/format";
import { humanise, readableValue } from "@/components/admin/audit-values";
import { JsonView, diffEntries, inlineJson, type TDiffEntry } from "@/components/admin/json-view";
import { customerHref } from "@/components/admin/labels";
import { useListState } from "@/components/admin/list-state";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { QueryError } from "@/components/admin/query-error";
import type { TAuditRow } from "@/components/admin/types";
import { AuditIcon, CloseIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Select } from "@/components/ui/select";

const SORT_IDS = ["at", "action"] as const;
const SUMMARY_ENTRIES = 3;

/** What each recorded action means, in words; codes without an entry are humanised. */
const AUDIT_ACTION_LABELS: Record<string, string> = {
  "customer.created": "Customer created",
  "customer.updated": "Customer details changed",
  "customer.status.active": "Customer reactivated",
  "customer.status.suspended": "Customer suspended",
  "customer.status.closed": "Customer closed",
  "customer.locked": "Customer locked",
  "customer.unlocked": "Customer unlocked",
  "customer.rate_deck_assigned": "Rate plan assigned",
  "invitation.created": "Invitation sent",
  "invitation.accepted": "Invitation accepted",
  "invitation.revoked": "Invitation revoked",
  "invitation.resent": "Invitation sent again",
  "member.removed": "Access removed",
  "member.role_changed": "Role changed",
  "wallet.credited": "Balance credited",
  "wallet.debited": "Balance debited",
  "wallet.limits_changed": "Balance limits changed",
  "wallet.ledger_drift": "Balance mismatch found",
  "payment.refunded": "Payment refunded",
  "payment.reconciled": "Payment reconciled",
  "payment.settled_by_hand": "Payment settled by hand",
  "recurring_fee.created": "Recurring fee added",
  "recurring_fee.updated": "Recurring fee changed",
  "recurring_fee.resumed": "Recurring fee resumed",
  "recurring_fee.stopped": "Recurring fee stopped",
  "trunk.created": "SIP trunk added",
  "trunk.updated": "SIP trunk changed",
  "trunk.disabled": "SIP trunk disabled",
  "carrier.created": "Carrier added",
  "carrier.updated": "Carrier changed",
  "rate_deck.created": "Rate deck created",
  "rate_deck.updated": "Rate deck changed",
  "rate_deck.import_discarded": "Rate import discarded",
  "cdr_source.created": "CDR source added",
  "cdr_source.updated": "CDR source changed",
  "cdr_source.enabled": "CDR polling turned on",
  "cdr_source.disabled": "CDR polling turned off",
  "cdr_source.poll_requested": "CDR poll requested",
  "cdr_source.host_key_accepted": "SFTP host key accepted",
  "cdr_source.deleted": "CDR source deleted",
  "cdr.file.upload": "CDR file uploaded",
  "cdr.file.release": "Held CDR file released",
  "cdr.file.dismiss": "CDR file dismissed",
  "cdr.file.retry": "CDR file retried",
  "cdr.rerate": "Calls re-rated",
  "cdr.account_code.mapped": "Account code mapped",
  "tenant.dialling-plan.updated": "Dialling plan changed",
  "tenant.general.updated": "Company settings changed",
  "tenant.stripe-settings.updated": "Stripe settings changed",
};

const TARGET_TYPE_LABELS: Record<string, string> = {
  customer: "Customer",
  user: "User",
  invitation: "Invitation",
  tenant: "Tenant",
  payment: "Payment",
  recurring_fee: "Recurring fee",
  carrier: "Carrier",
  rate_deck: "Rate deck",
  cdr_source: "CDR source",
  cdr_file: "CDR file",
  cdr: "Calls",
};

export function auditActionLabel(action: string): string {
  return AUDIT_ACTION_LABELS[action] ?? humanise(action);
}

function targetTypeLabel(type: string): string {
  return TARGET_TYPE_LABELS[type] ?? humanise(type);
}

/** The page of the record an event is about, for the types that have one. */
function targetHref(type: string, id: string | null): string | null {
  if (!id) return null;
  const encoded = encodeURIComponent(id);
  switch (type) {
    case "customer":
      return customerHref(id);
    case "cdr_source":
      return `/admin/cdr/sources/${encoded}`;
    case "cdr_file":
      return `/admin/cdr/files/${encoded}`;
    case "rate_deck":
      return `/admin/rates/${encoded}`;
    case "carrier":
      return "/admin/carriers";
    case "user":
    case "invitation":
      return "/admin/users";
    case "tenant":
      return "/admin/settings";
    default:
      return null;
  }
}

function ChangeSummary({ entries }: { entries: TDiffEntry[] }) {
  const changed = entries.filter((entry) => entry.changed);
  if (changed.length === 0) return <span className="text-slate-400">—</span>;
  const shown = changed.slice(0, SUMMARY_ENTRIES);
  // Wraps rather than cuts: a reason or an amount cut mid-word reads as something else. A
  // long token (a host key) may break anywhere, or it would widen the table past the page.
  return (
    <span className="flex max-w-[32rem] min-w-48 flex-col gap-0.5 text-xs whitespace-normal [overflow-wrap:anywhere]">
      {shown.map((entry) => (
        <span key={entry.key}>
          <span className="text-slate-500">{humanise(entry.key)}: </span>
          {entry.before !== undefined ? (
            <>
              <span className="text-danger-700 line-through decoration-danger-300">{readableValue(entry.before, entry.key)}</span>
              <span className="text-slate-400"> → </span>
            </>
          ) : null}
          <span className="text-success-800">{readableValue(entry.after, entry.key)}</span>
        </span>
      ))}
      {changed.length > shown.length ? <span className="text-slate-500">+{changed.length - shown.length} more (open the event)</span> : null}
    </span>
  );
}

export function AuditList() {
  const trpc = useTRPC();
  const list = useListState({ sortIds: SORT_IDS, filterKeys: ["targetType", "targetId"] as const });
  const targetType = list.filters.targetType?.slice(0, 64) || null;
  const targetId = list.filters.targetId?.slice(0, 64) || null;
  const [openId, setOpenId] = useState<string | null>(null);

  const events = useQuery({
    ...trpc.audit.list.queryOptions({ ...list.pageInput, filter: { targetType, targetId } }),
    placeholderData: keepPreviousData,
  });
  const rows = events.data?.rows ?? [];
  const open = openId ? rows.find((row) => row.id === openId) : undefined;

  const filterByTarget = (type: string, id: string | null) => list.update({ targetType: type, targetId: id });

  const targetTypeOptions = [...new Set([...Object.keys(TARGET_TYPE_LABELS), ...(targetType ? [targetType] : [])])].map((value) => ({
    value,
    label: targetTypeLabel(value),
  }));

  const columns: ColumnDef<TAuditRow>[] = [
    {
      id: "at",
      header: "When · who",
      enableSorting: true,
      meta: { width: "1%" },
      // Who and from where under when: four columns leave Changes the room it needs at 1366 px.
      cell: ({ row }) => (
        <span className="flex flex-col whitespace-nowrap">
          <DateTime value={row.original.at} style="precise" />
          <span className="text-xs text-slate-600">{row.original.actorEmail ?? "system"}</span>
          {row.original.ip ? <span className="font-mono text-[11px] leading-4 text-slate-500">{row.original.ip}</span> : null}
        </span>
      ),
    },
    {
      id: "action",
      header: "Action",
      enableSorting: true,
      // The code stays visible, small: it is what the search box matches and what support quotes.
      cell: ({ row }) => (
        <span className="flex flex-col">
          <span className="font-medium text-slate-900">{auditActionLabel(row.original.action)}</span>
          <span className="font-mono text-[11px] leading-4 text-slate-400">{row.original.action}</span>
        </span>
      ),
    },
    {
      id: "target",
      header: "Target",
      cell: ({ row }) => {
        const { targetType: type, targetId: id, targetName: name } = row.original;
        const href = targetHref(type, id);
        const label = name ?? (id ? shortId(id) : null);
        return (
          <span className="flex flex-col items-start">
            <span className="text-xs text-slate-500">{targetTypeLabel(type)}</span>
            <span className="flex items-center gap-1.5">
              {label && href ? (
                <Link
                  href={href}
                  onClick={(event) => event.stopPropagation()}
                  className={name ? "text-brand-700 hover:underline" : "font-mono text-xs text-brand-700 hover:underline"}
                  title={id ?? undefined}
                >
                  {label}
                </Link>
              ) : label ? (
                <span className={name ? "text-slate-700" : "font-mono text-xs text-slate-500"} title={id ?? undefined}>
                  {label}
                </span>
              ) : null}
              <button
                type="button"
                onClick={(event) => {
                  event.stopPropagation();
                  filterByTarget(type, id);
                }}
                title={id ? `Only events of this ${targetTypeLabel(type).toLowerCase()}` : `Only ${targetTypeLabel(type).toLowerCase()} events`}
                aria-label={id ? `Only events of ${name ?? id}` : `Only ${targetTypeLabel(type).toLowerCase()} events`}
                className="rounded px-1 text-xs text-slate-400 hover:bg-slate-100 hover:text-slate-700"
              >
                Filter
              </button>
            </span>
          </span>
        );
      },
    },
    {
      id: "changes",
      header: "Changes",
      meta: { wrap: true },
      cell: ({ row }) => <ChangeSummary entries={diffEntries(row.original.before, row.original.after)} />,
    },
  ];

  return (
    <div>
      <BehindModal hidden={open !== undefined}>
        <PageHeader
          title="Audit log"
          description="Who changed what, when and from where. Click an event to see its full before and after."
        />

        {targetId ? (
          <div className="mb-3 flex flex-wrap items-center gap-2 text-sm text-slate-600">
            <span>Showing events of</span>
            <Badge tone="brand">
              {targetTypeLabel(targetType ?? "target")} {rows.find((row) => row.targetId === targetId)?.targetName ?? targetId}
            </Badge>
            {targetType && targetHref(targetType, targetId) ? (
              <Link href={targetHref(targetType, targetId)!} className="text-brand-700 hover:underline">
                Open {targetTypeLabel(targetType).toLowerCase()}
              </Link>
            ) : null}
            <Button size="sm" variant="ghost" onClick={() => list.update({ targetId: null })}>
              <CloseIcon />
              Clear target
            </Button>
          </div>
        ) : null}

        <DataTable<TAuditRow>
          label="Audit events"
          columns={columns}
          rows={rows}
          total={events.data?.total ?? 0}
          {...list.tableProps}
          searchPlaceholder="Search action or actor email…"
          loading={events.isFetching}
          getRowId={(row) => row.id}
          onRowClick={(row) => setOpenId(row.id)}
          toolbar={
            <>
              <Select
                size="sm"
                aria-label="Target type filter"
                value={targetType ?? ""}
                onChange={(event) => list.update({ targetType: event.target.value || null, targetId: null })}
                placeholder="All targets"
                options={targetTypeOptions}
                className="w-36"
              />
              <ClearFiltersButton shown={list.hasFilters} onClear={list.clearFilters} />
            </>
          }
          emptyState={
            events.isError ? (
              <QueryError error={events.error} what="the audit log" onRetry={() => void events.refetch()} />
            ) : list.hasFilters ? (
              <EmptyState compact title="No matching events" description="Try another search or clear the filters." />
            ) : (
              <EmptyState compact icon={<AuditIcon />} title="No events yet" description="Changes to accounts and users are recorded here." />
            )
          }
        />
      </BehindModal>

      <Dialog
        open={open !== undefined}
        onOpenChange={(next) => {
          if (!next) setOpenId(null);
        }}
        title={open ? auditActionLabel(open.action) : "Event"}
        description={open ? `${open.actorEmail ?? "system"}${open.ip ? ` from ${open.ip}` : ""}` : undefined}
        size="lg"
      >
        {open ? <EventDetails event={open} /> : null}
      </Dialog>
    </div>
  );
}

function EventDetails({ event }: { event: TAuditRow }) {
  const entries = diffEntries(event.before, event.after);
  return (
    <div className="flex flex-col gap-4">
      <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1.5 text-sm">
        <dt className="text-slate-500">When</dt>
        <dd>
          <DateTime value={event.at} style="precise" />
        </dd>
        <dt className="text-slate-500">Action</dt>
        <dd className="font-mono text-xs text-slate-600">{event.action}</dd>
        <dt className="text-slate-500">Target</dt>
        <dd className="break-all">
          {targetTypeLabel(event.targetType)} {event.targetName ? <span className="font-medium">{event.targetName}</span> : null}{" "}
          <span className="font-mono text-xs text-slate-600">{event.targetId ?? ""}</span>
        </dd>
      </dl>
      {entries.length === 0 ? (
        <p className="text-sm text-slate-500">No data was recorded with this event.</p>
      ) : (
        <div className="overflow-hidden rounded-md border border-slate-200">
          <MiniTable label="Changes" columns={["Field", "Before", "After"]}>
            {entries.map((entry) => (
              <MiniRow key={entry.key}>
                <MiniCell className="text-xs text-slate-600">
                  <span title={entry.key}>{humanise(entry.key)}</span>
                </MiniCell>
                <MiniCell className={entry.changed ? "bg-danger-50/50 whitespace-pre-wrap break-all" : "whitespace-pre-wrap break-all"}>
                  <DiffValue value={entry.before} />
                </MiniCell>
                <MiniCell className={entry.changed ? "bg-success-50/50 whitespace-pre-wrap break-all" : "whitespace-pre-wrap break-all"}>
                  <DiffValue value={entry.after} />
                </MiniCell>
              </MiniRow>
            ))}
          </MiniTable>
        </div>
      )}
      <details className="text-sm">
        <summary className="cursor-pointer text-slate-600 hover:text-slate-900">Raw JSON</summary>
        <div className="mt-2 grid gap-3 sm:grid-cols-2">
          <div>
            <p className="mb-1 text-xs font-medium text-slate-500">Before</p>
            <JsonView value={event.before} label="Before" />
          </div>
          <div>
            <p className="mb-1 text-xs font-medium text-slate-500">After</p>
            <JsonView value={event.after} label="After" />
          </div>
        </div>
      </details>
    </div>
  );
}

function DiffValue({ value }: { value: unknown }) {
  if (value === undefined) return <span className="text-slate-400">—</span>;
  // The event's own view keeps lists and objects whole; the list's column summarises them.
  const text = typeof value === "object" && value !== null ? inlineJson(value) : readableValue(value);
  return <span className="text-xs" title={typeof value === "string" ? value : undefined}>{text}</span>;
}
