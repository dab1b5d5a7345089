"use client";

import Link from "next/link";
import { useState } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { useTRPC } from "@/components/trpc/react";
import { BehindModal } from "@/components/admin/behind-modal";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import { DateTime } from "@/components/admin/date-time";
import { isForbidden, toastError } from "@/components/trpc/errors";
import { InviteUserDialog, type TInviteSubmit } from "@/components/admin/invite-user-dialog";
import { customerHref, roleLabel } from "@/components/admin/labels";
import { useListState } from "@/components/admin/list-state";
import { OpenInvitationsTable, useResendInvitation } from "@/components/admin/open-invitations-table";
import { QueryError } from "@/components/admin/query-error";
import type { TMemberRow } from "@/components/admin/types";
import { MailIcon, PlusIcon, UsersIcon } from "@/components/shell/icons";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { StatusBadge } from "@/components/ui/status-badge";
import { toast } from "@/components/ui/toast";
import { useInstantFormat } from "@/components/time/time-zone-provider";

const SORT_IDS = ["name", "email", "role", "createdAt"] as const;

const STAFF_ROLE_OPTIONS = [
  { value: "TENANT_SUPPORT" as const, label: "Support" },
  { value: "TENANT_ADMIN" as const, label: "Tenant admin" },
];

const OWN_ROW_REASON = "You cannot remove your own access";

type TRemoveTarget = { membershipId: string; name: string; email: string };

export function UsersAdmin() {
  const trpc = useTRPC();
  const access = useStaffAccess();
  const queryClient = useQueryClient();
  const list = useListState({ sortIds: SORT_IDS });
  const instantFormat = useInstantFormat();
  const [inviting, setInviting] = useState(false);
  const [removing, setRemoving] = useState<TRemoveTarget | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; email: string } | null>(null);

  const members = useQuery({ ...trpc.users.list.queryOptions(list.pageInput), placeholderData: keepPreviousData });
  const myUserId = useQuery(trpc.me.get.queryOptions()).data?.profile.id ?? null;
  const invitations = useQuery(trpc.users.invitations.queryOptions());

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.customers.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() });
  };

  const invite = useMutation(
    trpc.users.invite.mutationOptions({
      onSuccess: (invitation) => {
        refresh();
        toast.success(`Invitation sent to ${invitation.email}`);
      },
    }),
  );
  const remove = useMutation(
    trpc.users.remove.mutationOptions({
      onSuccess: refresh,
      onError: (error) => {
        toastError(error);
        if (isForbidden(error)) setRemoving(null);
      },
    }),
  );
  const revoke = useMutation(
    trpc.customers.revokeInvitation.mutationOptions({
      onSuccess: () => {
        refresh();
        setRevoking(null);
        toast.success("Invitation revoked");
      },
      onError: (error) => {
        toastError(error);
        if (isForbidden(error)) setRevoking(null);
      },
    }),
  );

  const resend = useResendInvitation(refresh);

  const submitInvite: TInviteSubmit<"TENANT_ADMIN" | "TENANT_SUPPORT"> = (values, handlers) => invite.mutate(values, handlers);

  const columns: ColumnDef<TMemberRow>[] = [
    {
      id: "name",
      header: "Name",
      enableSorting: true,
      cell: ({ row }) => (
        <span className="flex items-center gap-2">
          <span className="font-medium text-slate-900">{row.original.user.name || "—"}</span>
          {row.original.user.status !== "ACTIVE" ? <StatusBadge status={row.original.user.status} /> : null}
        </span>
      ),
    },
    {
      id: "email",
      header: "Email",
      enableSorting: true,
      cell: ({ row }) => <span className="text-slate-600">{row.original.user.email}</span>,
    },
    {
      id: "role",
      header: "Role",
      enableSorting: true,
      cell: ({ row }) => roleLabel(row.original.role),
    },
    {
      id: "customer",
      header: "Customer",
      cell: ({ row }) => {
        const customer = row.original.customer;
        if (!customer) return <span className="text-slate-500">Tenant staff</span>;
        return (
          <Link href={customerHref(customer.id)} className="text-brand-700 hover:underline">
            {customer.name} <span className="font-mono text-xs text-slate-500">{customer.accountNumber}</span>
          </Link>
        );
      },
    },
    {
      id: "verified",
      header: "Verified",
      cell: ({ row }) =>
        row.original.user.emailVerifiedAt ? (
          <Badge tone="success" title={`Verified ${instantFormat.full(row.original.user.emailVerifiedAt)}`}>
            Verified
          </Badge>
        ) : (
          <Badge tone="warning">Not verified</Badge>
        ),
    },
    {
      id: "createdAt",
      header: "Joined",
      enableSorting: true,
      cell: ({ row }) => <DateTime value={row.original.createdAt} style="date" />,
    },
    {
      id: "actions",
      header: () => <span className="sr-only">Actions</span>,
      meta: { align: "right", width: "1%" },
      cell: ({ row }) =>
        !access.canEdit ? null : row.original.user.id === myUserId ? (
          // The server refuses it too (removeMember); a disabled button says why on hover.
          <span title={OWN_ROW_REASON} className="inline-flex">
            <Button size="sm" variant="ghost" disabled aria-label={`Remove ${row.original.user.email}: ${OWN_ROW_REASON}`}>
              Remove
            </Button>
          </span>
        ) : (
          <Button
            size="sm"
            variant="ghost"
            className="text-danger-700"
            aria-label={`Remove ${row.original.user.email}`}
            onClick={() => {
              remove.reset();
              setRemoving({
                membershipId: row.original.id,
                name: row.original.user.name,
                email: row.original.user.email,
              });
            }}
          >
            Remove
          </Button>
        ),
    },
  ];

  const openInvitations = invitations.data ?? [];

  return (
    <div>
      <BehindModal hidden={inviting || removing !== null || revoking !== null}>
        <PageHeader
          title="Users"
          description="Everyone with access to your tenant: your staff and your customers' portal users."
          actions={
            access.canEdit ? (
              <Button
                variant="primary"
                onClick={() => {
                  invite.reset();
                  setInviting(true);
                }}
              >
                <PlusIcon />
                Invite user
              </Button>
            ) : null
          }
        />

        <DataTable<TMemberRow>
          label="Members"
          columns={columns}
          rows={members.data?.rows ?? []}
          total={members.data?.total ?? 0}
          {...list.tableProps}
          // server/users/users.ts lists the oldest members first unless asked otherwise.
          defaultSort={{ id: "createdAt", desc: false }}
          searchPlaceholder="Search name, email, customer…"
          loading={members.isFetching}
          getRowId={(row) => row.id}
          emptyState={
            members.isError ? (
              <QueryError error={members.error} what="members" onRetry={() => void members.refetch()} />
            ) : list.search ? (
              <EmptyState compact title="No matching members" description={`Nobody matches “${list.search}”.`} />
            ) : (
              <EmptyState compact icon={<UsersIcon />} title="No members yet" />
            )
          }
        />

        <Card className="mt-5" aria-labelledby="open-invitations-title">
          <CardHeader>
            <CardTitle id="open-invitations-title">Open invitations</CardTitle>
            <CardDescription>Sent but not yet accepted. Revoking makes the emailed link stop working.</CardDescription>
          </CardHeader>
          <CardContent flush>
            {invitations.isPending ? (
              <div className="flex flex-col gap-3 p-4" aria-busy="true">
                <Skeleton className="h-4 w-full" />
                <Skeleton className="h-4 w-2/3" />
              </div>
            ) : invitations.isError ? (
              <QueryError error={invitations.error} what="invitations" onRetry={() => void invitations.refetch()} />
            ) : openInvitations.length === 0 ? (
              <EmptyState compact icon={<MailIcon />} title="No open invitations" />
            ) : (
              <OpenInvitationsTable
                invitations={openInvitations}
                asOf={invitations.dataUpdatedAt}
                showCustomer
                onRevoke={
                  access.canEdit
                    ? (invitation) => {
                        revoke.reset();
                        setRevoking({ id: invitation.id, email: invitation.email });
                      }
                    : null
                }
                onResend={access.canEdit ? (invitation) => resend.mutate({ invitationId: invitation.id }) : null}
              />
            )}
          </CardContent>
        </Card>
      </BehindModal>

      <InviteUserDialog
        open={inviting}
        onOpenChange={setInviting}
        title="Invite tenant staff"
        description="Staff sign in to this admin area. To give a customer's people portal access, invite them from the customer's page."
        roles={STAFF_ROLE_OPTIONS}
        defaultRole="TENANT_SUPPORT"
        roleHint="Support can see everything but cannot change accounts or money; tenant admins can."
        submit={submitInvite}
        pending={invite.isPending}
      />
      <ConfirmDialog
        open={removing !== null}
        onOpenChange={(open) => {
          if (!open) setRemoving(null);
        }}
        title="Remove access?"
        description={
          removing
            ? `${removing.name || removing.email} (${removing.email}) will no longer be able to sign in to this tenant. Their account itself is kept.`
            : undefined
        }
        confirmLabel="Remove access"
        pending={remove.isPending}
        onConfirm={() => {
          if (!removing) return;
          const { membershipId, email } = removing;
          remove.mutate(
            { membershipId },
            {
              onSuccess: () => {
                setRemoving(null);
                toast.success(`${email} no longer has access`);
              },
            },
          );
        }}
      />
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(open) => {
          if (!open) setRevoking(null);
        }}
        title="Revoke invitation?"
        description={revoking ? `The link sent to ${revoking.email} stops working.` : undefined}
        confirmLabel="Revoke invitation"
        pending={revoke.isPending}
        onConfirm={() => {
          if (revoking) revoke.mutate({ invitationId: revoking.id });
        }}
      />
    </div>
  );
}
