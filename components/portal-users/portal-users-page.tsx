"use client";

import { useState } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { BehindModal } from "@/components/admin/behind-modal";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import { DateTime } from "@/components/admin/date-time";
import { InviteUserDialog, type TInviteSubmit } from "@/components/admin/invite-user-dialog";
import { roleLabel } from "@/components/admin/labels";
import { useListState } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import type { TRouterOutputs } from "@/components/admin/types";
import { errorCodeOf, isForbidden, toastError } from "@/components/trpc/errors";
import { PlusIcon, UsersIcon } from "@/components/shell/icons";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { toast } from "@/components/ui/toast";

type TAccessRow = TRouterOutputs["portal"]["users"]["list"]["rows"][number];
type TCustomerRole = TAccessRow["role"];

const ROLE_OPTIONS = [
  { value: "CUSTOMER_USER" as const, label: "Customer user" },
  { value: "CUSTOMER_ADMIN" as const, label: "Customer admin" },
];

const STATUS_LABELS: Record<TAccessRow["status"], string> = { ACTIVE: "Active", DISABLED: "Disabled", INVITED: "Invited", EXPIRED: "Expired" };

const TITLE = "Users";
const DESCRIPTION = "The people who can sign in to this portal for your company.";
const OWN_ROW_REASON = "You cannot remove your own access or change your own role";

/** What a confirm dialog is about to do to one row. */
type TPending =
  | { action: "remove"; row: TAccessRow }
  | { action: "changeRole"; row: TAccessRow; role: TCustomerRole }
  | { action: "revoke"; row: TAccessRow };

/** Shown to a customer user (the page is for customer admins), and when the server says so. */
export function PortalUsersNotAllowed() {
  return (
    <div>
      <PageHeader title={TITLE} description={DESCRIPTION} />
      <Card>
        <EmptyState
          icon={<UsersIcon />}
          title="Not allowed"
          description="Only your company's customer admins can see and manage who has access. Ask one of them to invite a colleague or change a role."
        />
      </Card>
    </div>
  );
}

/** A customer admin's list of their company's portal users and open invitations, paged in the browser. */
export function PortalUsersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useListState({ sortIds: [] });
  const [inviting, setInviting] = useState(false);
  const [pending, setPending] = useState<TPending | null>(null);

  const people = useQuery(trpc.portal.users.list.queryOptions());
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.portal.users.pathKey() });
  const closeOnForbidden = (error: unknown) => {
    toastError(error);
    if (isForbidden(error)) setPending(null);
    refresh();
  };

  const invite = useMutation(
    trpc.portal.users.invite.mutationOptions({
      onSuccess: (invitation) => {
        refresh();
        toast.success(`Invitation sent to ${invitation.email}`);
      },
    }),
  );
  const resend = useMutation(
    trpc.portal.users.resendInvitation.mutationOptions({
      onSuccess: (invitation) => {
        refresh();
        toast.success(`Invitation sent again to ${invitation.email}`);
      },
      onError: closeOnForbidden,
    }),
  );
  const done = (message: string) => () => {
    refresh();
    setPending(null);
    toast.success(message);
  };
  const revoke = useMutation(trpc.portal.users.revokeInvitation.mutationOptions({ onError: closeOnForbidden }));
  const changeRole = useMutation(trpc.portal.users.changeRole.mutationOptions({ onError: closeOnForbidden }));
  const remove = useMutation(trpc.portal.users.remove.mutationOptions({ onError: closeOnForbidden }));

  const openInvite = () => {
    invite.reset();
    setInviting(true);
  };
  const submitInvite: TInviteSubmit<TCustomerRole> = (values, handlers) => invite.mutate(values, handlers);
  const ask = (next: TPending) => {
    revoke.reset();
    changeRole.reset();
    remove.reset();
    setPending(next);
  };

  const columns: ColumnDef<TAccessRow>[] = [
    {
      id: "name",
      header: "Name",
      cell: ({ row }) => (
        <span className="flex items-center gap-2">
          <span className="font-medium text-slate-900">{row.original.name || "—"}</span>
          {row.original.isSelf ? <span className="text-xs text-slate-500">(you)</span> : null}
        </span>
      ),
    },
    { id: "email", header: "Email", cell: ({ row }) => <span className="text-slate-600">{row.original.email}</span> },
    { id: "role", header: "Role", cell: ({ row }) => roleLabel(row.original.role) },
    {
      id: "status",
      header: "Status",
      cell: ({ row }) => (
        <span className="flex items-center gap-2">
          <StatusBadge status={row.original.status} label={STATUS_LABELS[row.original.status]} tone={row.original.status === "EXPIRED" ? "warning" : undefined} />
          {row.original.status === "INVITED" ? (
            <span className="text-xs text-slate-500">
              expires <DateTime value={row.original.expiresAt} style="date" />
            </span>
          ) : null}
        </span>
      ),
    },
    {
      id: "since",
      header: "Since",
      cell: ({ row }) => <DateTime value={row.original.since} style="date" />,
    },
    {
      id: "actions",
      header: () => <span className="sr-only">Actions</span>,
      meta: { align: "right", width: "1%" },
      cell: ({ row }) => <RowActions row={row.original} ask={ask} resend={(id) => resend.mutate({ invitationId: id })} resending={resend.isPending && resend.variables?.invitationId === row.original.id} />,
    },
  ];

  if (people.isError && errorCodeOf(people.error) === "FORBIDDEN") return <PortalUsersNotAllowed />;

  const needle = list.search.toLowerCase();
  const filtered = (people.data?.rows ?? []).filter(
    (row) => !needle || row.email.toLowerCase().includes(needle) || (row.name?.toLowerCase().includes(needle) ?? false),
  );
  const lastPage = Math.max(0, Math.ceil(filtered.length / list.pageSize) - 1);
  const page = Math.min(list.page, lastPage);
  const rows = filtered.slice(page * list.pageSize, (page + 1) * list.pageSize);

  return (
    <div>
      <BehindModal hidden={inviting || pending !== null}>
        <PageHeader
          title={TITLE}
          description={DESCRIPTION}
          actions={
            <Button variant="primary" onClick={openInvite}>
              <PlusIcon />
              Invite user
            </Button>
          }
        />
        <DataTable<TAccessRow>
          label="Users"
          columns={columns}
          rows={rows}
          total={filtered.length}
          {...list.tableProps}
          page={page}
          searchPlaceholder="Search name, email…"
          loading={people.isPending}
          getRowId={(row) => `${row.kind}:${row.id}`}
          emptyState={
            people.isError ? (
              <QueryError error={people.error} what="users" onRetry={() => void people.refetch()} />
            ) : list.search ? (
              <EmptyState compact title="No matching users" description={`Nobody matches “${list.search}”.`} />
            ) : (
              <EmptyState compact icon={<UsersIcon />} title="No users yet" description="Invite a colleague to give them access." />
            )
          }
        />
      </BehindModal>

      <InviteUserDialog
        open={inviting}
        onOpenChange={setInviting}
        title="Invite a colleague"
        description="They get an email with a link to set up their access to this portal. The link works for 7 days."
        roles={ROLE_OPTIONS}
        defaultRole="CUSTOMER_USER"
        roleHint="Customer admins can also manage cards and the people who have access; customer users cannot."
        submit={submitInvite}
        pending={invite.isPending}
      />
      <PendingChangeDialog
        pending={pending}
        onClose={() => setPending(null)}
        busy={revoke.isPending || changeRole.isPending || remove.isPending}
        onConfirm={(change) => {
          const { row } = change;
          if (change.action === "revoke") revoke.mutate({ invitationId: row.id }, { onSuccess: done("Invitation revoked") });
          else if (change.action === "remove") remove.mutate({ membershipId: row.id }, { onSuccess: done(`${row.email} no longer has access`) });
          else changeRole.mutate({ membershipId: row.id, role: change.role }, { onSuccess: done(`${row.email} is now a ${roleLabel(change.role).toLowerCase()}`) });
        }}
      />
    </div>
  );
}

function RowActions({
  row,
  ask,
  resend,
  resending,
}: {
  row: TAccessRow;
  ask: (pending: TPending) => void;
  resend: (invitationId: string) => void;
  resending: boolean;
}) {
  if (row.kind === "invitation") {
    return (
      <span className="inline-flex gap-1">
        <Button size="sm" variant="ghost" loading={resending} aria-label={`Resend invitation to ${row.email}`} onClick={() => resend(row.id)}>
          Resend
        </Button>
        <Button size="sm" variant="ghost" aria-label={`Revoke invitation for ${row.email}`} onClick={() => ask({ action: "revoke", row })}>
          Revoke
        </Button>
      </span>
    );
  }
  if (row.isSelf) {
    // The server refuses it too (server/users/customer-users.ts); a disabled button says why on hover.
    return (
      <span title={OWN_ROW_REASON} className="inline-flex">
        <Button size="sm" variant="ghost" disabled aria-label={`Remove ${row.email}: ${OWN_ROW_REASON}`}>
          Remove
        </Button>
      </span>
    );
  }
  const nextRole: TCustomerRole = row.role === "CUSTOMER_ADMIN" ? "CUSTOMER_USER" : "CUSTOMER_ADMIN";
  return (
    <span className="inline-flex gap-1">
      <Button size="sm" variant="ghost" aria-label={`Make ${row.email} a ${roleLabel(nextRole).toLowerCase()}`} onClick={() => ask({ action: "changeRole", row, role: nextRole })}>
        {nextRole === "CUSTOMER_ADMIN" ? "Make admin" : "Make user"}
      </Button>
      <Button size="sm" variant="ghost" className="text-danger-700" aria-label={`Remove ${row.email}`} onClick={() => ask({ action: "remove", row })}>
        Remove
      </Button>
    </span>
  );
}

/** One confirm dialog for the three changes that need a second thought. */
function PendingChangeDialog({
  pending,
  onClose,
  busy,
  onConfirm,
}: {
  pending: TPending | null;
  onClose: () => void;
  busy: boolean;
  onConfirm: (pending: TPending) => void;
}) {
  const who = pending ? (pending.row.name ? `${pending.row.name} (${pending.row.email})` : pending.row.email) : "";
  const text =
    pending?.action === "revoke"
      ? { title: "Revoke invitation?", description: `The link sent to ${pending.row.email} stops working.`, confirm: "Revoke invitation", destructive: true }
      : pending?.action === "remove"
        ? { title: "Remove access?", description: `${who} will no longer be able to sign in to this portal. Their sessions here end at once.`, confirm: "Remove access", destructive: true }
        : pending?.action === "changeRole" && pending.role === "CUSTOMER_ADMIN"
          ? { title: "Make customer admin?", description: `${who} will be able to manage cards and who has access.`, confirm: "Make customer admin", destructive: false }
          : { title: "Make customer user?", description: `${who} will no longer be able to manage cards or who has access.`, confirm: "Make customer user", destructive: false };
  return (
    <ConfirmDialog
      open={pending !== null}
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
      title={text.title}
      description={pending ? text.description : undefined}
      confirmLabel={text.confirm}
      destructive={text.destructive}
      pending={busy}
      onConfirm={() => {
        if (pending) onConfirm(pending);
      }}
    />
  );
}
