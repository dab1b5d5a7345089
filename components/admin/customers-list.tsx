"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { useTRPC } from "@/components/trpc/react";
import { BehindModal } from "@/components/admin/behind-modal";
import { ClearFiltersButton } from "@/components/admin/clear-filters-button";
import { DateTime } from "@/components/admin/date-time";
import { CustomerFormDialog, type TCustomerFormSubmit } from "@/components/admin/customer-form-dialog";
import {
  BILLING_TYPES,
  BILLING_TYPE_OPTIONS,
  CUSTOMER_STATUSES,
  billingTypeLabel,
  customerHref,
  oneOf,
} from "@/components/admin/labels";
import { useListState } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import type { TCustomerRow } from "@/components/admin/types";
import { CustomersIcon, PlusIcon } from "@/components/shell/icons";
import { Button } from "@/components/ui/button";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge, statusLabel } from "@/components/ui/status-badge";
import { toast } from "@/components/ui/toast";
import { ListFilterSelect } from "@/components/admin/list-filter-select";

const SORT_IDS = ["accountNumber", "name", "billingType", "status", "balance", "createdAt"] as const;

const STATUS_OPTIONS = CUSTOMER_STATUSES.map((value) => ({ value, label: statusLabel(value) }));

/** Balances are in the tenant's currency, which the list reports with its rows. */
function customerColumns(currency: string | undefined): ColumnDef<TCustomerRow>[] {
  return [
    {
      id: "accountNumber",
      accessorKey: "accountNumber",
      header: "Account number",
      enableSorting: true,
      meta: { width: "1%" },
      cell: ({ row }) => (
        <Link href={customerHref(row.original.id)} className="font-mono text-xs font-medium text-brand-700 hover:underline">
          {row.original.accountNumber}
        </Link>
      ),
    },
    {
      id: "name",
      accessorKey: "name",
      header: "Name",
      enableSorting: true,
      cell: ({ row }) => <span className="font-medium text-slate-900">{row.original.name}</span>,
    },
    {
      id: "billingType",
      accessorKey: "billingType",
      header: "Billing type",
      enableSorting: true,
      cell: ({ row }) => billingTypeLabel(row.original.billingType),
    },
    {
      id: "status",
      accessorKey: "status",
      header: "Status",
      enableSorting: true,
      cell: ({ row }) => <StatusBadge status={row.original.status} />,
    },
    {
      id: "balance",
      accessorKey: "balance",
      header: "Balance",
      enableSorting: true,
      meta: { align: "right" },
      cell: ({ row }) => (currency ? <Money micros={row.original.balance} currency={currency} /> : null),
    },
    {
      id: "contactEmail",
      accessorKey: "contactEmail",
      header: "Contact email",
      cell: ({ row }) => <span className="text-slate-600">{row.original.contactEmail}</span>,
    },
    {
      id: "createdAt",
      accessorKey: "createdAt",
      header: "Created",
      enableSorting: true,
      meta: { align: "right" },
      cell: ({ row }) => <DateTime value={row.original.createdAt} style="date" />,
    },
  ];
}

export function CustomersList() {
  const trpc = useTRPC();
  const access = useStaffAccess();
  const router = useRouter();
  const queryClient = useQueryClient();
  const list = useListState({ sortIds: SORT_IDS, filterKeys: ["status", "billing"] as const });
  const status = oneOf(list.filters.status, CUSTOMER_STATUSES);
  const billingType = oneOf(list.filters.billing, BILLING_TYPES);
  const [creating, setCreating] = useState(false);

  const customers = useQuery({
    ...trpc.customers.list.queryOptions({ ...list.pageInput, filter: { status, billingType } }),
    placeholderData: keepPreviousData,
  });

  const create = useMutation(
    trpc.customers.create.mutationOptions({
      onSuccess: (customer) => {
        void queryClient.invalidateQueries({ queryKey: trpc.customers.list.queryKey() });
        toast.success(`Customer ${customer.accountNumber} created`, {
          action: { label: "Open", onClick: () => router.push(customerHref(customer.id)) },
        });
      },
    }),
  );
  const submitCreate: TCustomerFormSubmit = (values, handlers) => create.mutate(values, handlers);

  const currency = customers.data?.currency;
  const columns = useMemo(() => customerColumns(currency), [currency]);

  const filtered = list.hasFilters;
  const rows = customers.data?.rows ?? [];

  return (
    <div>
      <BehindModal hidden={creating}>
        <PageHeader
          title="Customers"
          description="Accounts billed by your tenant: prepaid accounts draw down a balance, postpaid accounts are invoiced."
          actions={
            access.canEdit ? (
              <Button
                variant="primary"
                onClick={() => {
                  create.reset();
                  setCreating(true);
                }}
              >
                <PlusIcon />
                New customer
              </Button>
            ) : null
          }
        />

        <DataTable<TCustomerRow>
          label="Customers"
          columns={columns}
          rows={rows}
          total={customers.data?.total ?? 0}
          {...list.tableProps}
          searchPlaceholder="Search name, account no., email…"
          loading={customers.isFetching}
          getRowId={(row) => row.id}
          onRowClick={(row) => router.push(customerHref(row.id))}
          toolbar={
            <>
              <ListFilterSelect list={list} name="status" label="Status filter" placeholder="All statuses" options={STATUS_OPTIONS} className="w-36" />
              <ListFilterSelect list={list} name="billing" label="Billing filter" placeholder="All billing types" options={BILLING_TYPE_OPTIONS} className="w-40" />
              <ClearFiltersButton shown={filtered} onClear={list.clearFilters} />
            </>
          }
          emptyState={
            customers.isError ? (
              <QueryError error={customers.error} what="customers" onRetry={() => void customers.refetch()} />
            ) : filtered ? (
              <EmptyState compact title="No matching customers" description="Try another search or clear the filters." />
            ) : (
              <EmptyState
                compact
                icon={<CustomersIcon />}
                title="No customers yet"
                description="Add your first account with “New customer”."
              />
            )
          }
        />
      </BehindModal>

      <CustomerFormDialog
        open={creating}
        onOpenChange={setCreating}
        mode="create"
        submit={submitCreate}
        pending={create.isPending}
      />
    </div>
  );
}
