"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { ClearFiltersButton } from "@/components/admin/clear-filters-button";
import { DateTime } from "@/components/admin/date-time";
import { useListState } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import { ServerStatusBadge } from "@/components/cdr/sources/server-status-badge";
import { cdrFormatName, sourceHref, type TCdrSourceRow } from "@/components/cdr/sources/types";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { CarriersIcon, PlusIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { buttonClassName } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { ListFilterSelect } from "@/components/admin/list-filter-select";

const SORT_IDS = ["name", "format", "enabled", "lastPolledAt", "createdAt"] as const;
const ENABLED_OPTIONS = [
  { value: "on", label: "Polling on" },
  { value: "off", label: "Polling off" },
];

const columns: ColumnDef<TCdrSourceRow>[] = [
  {
    id: "name",
    accessorKey: "name",
    header: "Name",
    enableSorting: true,
    cell: ({ row }) => (
      <Link href={sourceHref(row.original.id)} className="font-medium text-brand-700 hover:underline">
        {row.original.name}
      </Link>
    ),
  },
  {
    id: "format",
    accessorKey: "format",
    header: "Format",
    enableSorting: true,
    meta: { width: "1%" },
    cell: ({ row }) => <span className="whitespace-nowrap">{cdrFormatName(row.original.format)}</span>,
  },
  {
    id: "servers",
    header: "Servers",
    cell: ({ row }) =>
      row.original.servers.length === 0 ? (
        <span className="text-slate-500">Uploads only</span>
      ) : (
        <span className="flex flex-wrap gap-1">
          {row.original.servers.map((server) => (
            <ServerStatusBadge key={server.id} server={server} />
          ))}
        </span>
      ),
  },
  {
    id: "enabled",
    accessorKey: "enabled",
    header: "Polling",
    enableSorting: true,
    meta: { width: "1%" },
    cell: ({ row }) =>
      row.original.polling ? (
        <Badge tone="info" dot>
          Polling now
        </Badge>
      ) : row.original.enabled ? (
        <Badge tone="success" dot title={`Every ${row.original.pollIntervalMinutes} min`}>
          Every {row.original.pollIntervalMinutes} min
        </Badge>
      ) : (
        <Badge tone="neutral">Off</Badge>
      ),
  },
  {
    id: "lastPolledAt",
    accessorKey: "lastPolledAt",
    header: "Last poll",
    enableSorting: true,
    meta: { align: "right", width: "1%" },
    cell: ({ row }) => <DateTime value={row.original.lastPolledAt} fallback="Never" />,
  },
  {
    id: "lastPollError",
    header: "Last error",
    cell: ({ row }) =>
      row.original.lastPollError ? (
        <span className="block max-w-sm truncate text-xs text-danger-700" title={row.original.lastPollError}>
          {row.original.lastPollError}
        </span>
      ) : (
        <span className="text-slate-400">—</span>
      ),
  },
];

/** The tenant's CDR sources with the state of each SFTP server. */
export function SourcesList() {
  const trpc = useTRPC();
  const router = useRouter();
  const access = useStaffAccess();
  const list = useListState({ sortIds: SORT_IDS, filterKeys: ["polling"] as const });
  const enabled = list.filters.polling === "on" ? true : list.filters.polling === "off" ? false : null;

  const sources = useQuery({
    ...trpc.cdrSources.list.queryOptions({ ...list.pageInput, enabled }),
    placeholderData: keepPreviousData,
    // Server states change with every poll.
    refetchInterval: 30_000,
  });

  return (
    <div>
      <PageHeader
        title="CDR sources"
        description="Where your CDR files come from: SFTP servers polled in order (the next one takes over when one is down), or uploads only."
        actions={
          access.canEdit ? (
            <Link href={sourceHref("new")} className={buttonClassName("primary")}>
              <PlusIcon />
              New source
            </Link>
          ) : null
        }
      />
      <DataTable<TCdrSourceRow>
        label="CDR sources"
        columns={columns}
        rows={sources.data?.rows ?? []}
        total={sources.data?.total ?? 0}
        {...list.tableProps}
        // server/cdr/sources.ts lists sources by name unless asked otherwise.
        defaultSort={{ id: "name", desc: false }}
        searchPlaceholder="Search name or host…"
        loading={sources.isFetching && !sources.data}
        getRowId={(row) => row.id}
        onRowClick={(row) => router.push(sourceHref(row.id))}
        toolbar={
          <>
            <ListFilterSelect list={list} name="polling" label="Polling filter" placeholder="All sources" options={ENABLED_OPTIONS} className="w-36" />
            <ClearFiltersButton shown={list.hasFilters} onClear={list.clearFilters} />
          </>
        }
        emptyState={
          sources.isError ? (
            <QueryError error={sources.error} what="CDR sources" onRetry={() => void sources.refetch()} />
          ) : list.hasFilters ? (
            <EmptyState compact title="No matching sources" description="Try another search or clear the filters." />
          ) : (
            <EmptyState
              compact
              icon={<CarriersIcon />}
              title="No CDR sources yet"
              description={
                access.canEdit
                  ? "Add your switch's or carrier's SFTP servers, test the connection, then turn polling on."
                  : "A tenant admin sets up CDR sources."
              }
              action={
                access.canEdit ? (
                  <Link href={sourceHref("new")} className={buttonClassName("primary", "sm")}>
                    <PlusIcon />
                    Add your first source
                  </Link>
                ) : undefined
              }
            />
          )
        }
      />
    </div>
  );
}
