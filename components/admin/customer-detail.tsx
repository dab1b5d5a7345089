"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { BehindModal } from "@/components/admin/behind-modal";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import { CustomerFormDialog, type TCustomerFormSubmit } from "@/components/admin/customer-form-dialog";
import { DateTime } from "@/components/admin/date-time";
import { isForbidden, toastError } from "@/components/trpc/errors";
import { isUuid } from "@/components/admin/format";
import { InviteUserDialog, type TInviteSubmit } from "@/components/admin/invite-user-dialog";
import { auditHref, billingTypeLabel, roleLabel } from "@/components/admin/labels";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { OpenInvitationsTable, useResendInvitation } from "@/components/admin/open-invitations-table";
import {
  STATUS_ACTIONS,
  StatusChangeDialog,
  type TStatusSubmit,
  type TStatusTarget,
} from "@/components/admin/status-change-dialog";
import type { TCustomerDetail } from "@/components/admin/types";
import { AuditIcon, CustomersIcon, PlusIcon, UsersIcon, WalletIcon } from "@/components/shell/icons";
import { Button, buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { CustomerRatingCard } from "@/components/rating/customer-rating-card";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { EmptyState } from "@/components/ui/empty-state";
import { Money } from "@/components/ui/money";
import { formatMicros } from "@/components/ui/money-format";
import { Stat } from "@/components/ui/stat";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton, SkeletonText } from "@/components/ui/skeleton";
import { StatusBadge } from "@/components/ui/status-badge";
import { toast } from "@/components/ui/toast";
import { RecordUnavailable } from "@/components/admin/record-unavailable";

const CUSTOMER_ROLE_OPTIONS = [
  { value: "CUSTOMER_ADMIN" as const, label: "Customer admin" },
  { value: "CUSTOMER_USER" as const, label: "Customer user" },
];

const STATUS_DONE: Record<TStatusTarget, string> = {
  SUSPENDED: "Account suspended",
  ACTIVE: "Account reactivated",
  CLOSED: "Account closed; its trunks are disabled",
};

/** Which manual status changes make sense from a status. LOCKED is lifted by the wallet after payment. */
function statusTargets(status: TCustomerDetail["status"]): TStatusTarget[] {
  switch (status) {
    case "ACTIVE":
      return ["SUSPENDED", "CLOSED"];
    case "SUSPENDED":
      return ["ACTIVE", "CLOSED"];
    case "LOCKED":
      return ["SUSPENDED", "CLOSED"];
    default:
      return [];
  }
}

/** Micro-units as the amount inputs take them ("500.00"), as the wallet's limits card fills its fields. */
function amountInput(micros: bigint, currency: string): string {
  return formatMicros(micros, currency, { currencyDisplay: "none", grouping: false, precision: 6, minPrecision: 2 });
}

const BREADCRUMB_ROOT = { label: "Customers", href: "/admin/customers" };

export function CustomerDetail({ customerId }: { customerId: string }) {
  const trpc = useTRPC();
  const access = useStaffAccess();
  const queryClient = useQueryClient();
  const valid = isUuid(customerId);
  const customer = useQuery({ ...trpc.customers.get.queryOptions({ customerId }), enabled: valid });

  const [editing, setEditing] = useState(false);
  const [statusTarget, setStatusTarget] = useState<TStatusTarget | null>(null);
  const [inviting, setInviting] = useState(false);
  const [revoking, setRevoking] = useState<{ id: string; email: string } | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.customers.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() });
  };

  const update = useMutation(
    trpc.customers.update.mutationOptions({
      onSuccess: () => {
        refresh();
        toast.success("Customer updated");
      },
    }),
  );
  const changeStatus = useMutation(
    trpc.customers.changeStatus.mutationOptions({
      onSuccess: (_data, variables) => {
        refresh();
        toast.success(STATUS_DONE[variables.status]);
      },
    }),
  );
  const invite = useMutation(
    trpc.customers.inviteUser.mutationOptions({
      onSuccess: (invitation) => {
        refresh();
        toast.success(`Invitation sent to ${invitation.email}`);
      },
    }),
  );
  const resend = useResendInvitation(refresh);
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

  if (!valid || customer.isError) {
    return (
      <RecordUnavailable
        title="Customer"
        parent={BREADCRUMB_ROOT}
        error={customer.error}
        invalidId={!valid}
        what="this customer"
        onRetry={() => void customer.refetch()}
        notFound={{ icon: <CustomersIcon />, title: "This customer does not exist", backLabel: "Back to customers" }}
      />
    );
  }

  if (customer.isPending) return <CustomerDetailSkeleton />;

  const data = customer.data;
  const closed = data.status === "CLOSED";
  const submitUpdate: TCustomerFormSubmit = (fields, handlers) => update.mutate({ customerId: data.id, fields }, handlers);
  const submitStatus: TStatusSubmit = (values, handlers) =>
    changeStatus.mutate({ customerId: data.id, status: values.status, reason: values.reason, acknowledgedBalance: values.acknowledgedBalance }, handlers);
  const submitInvite: TInviteSubmit<"CUSTOMER_ADMIN" | "CUSTOMER_USER"> = (values, handlers) =>
    invite.mutate({ customerId: data.id, email: values.email, role: values.role }, handlers);

  return (
    <div>
      <BehindModal hidden={editing || statusTarget !== null || inviting || revoking !== null}>
        <PageHeader
          breadcrumbs={[BREADCRUMB_ROOT, { label: data.name }]}
          title={data.name}
          meta={<StatusBadge status={data.status} />}
          description={
            <>
              Account <span className="font-mono text-slate-700">{data.accountNumber}</span> ·{" "}
              {billingTypeLabel(data.billingType)}
            </>
          }
          actions={
            <>
              <Link href={auditHref("customer", data.id)} className={buttonClassName("ghost")}>
                <AuditIcon />
                Audit log
              </Link>
              <Link href={`/admin/customers/${data.id}/wallet`} className={buttonClassName("secondary")}>
                <WalletIcon />
                Wallet
              </Link>
              {(access.canEdit ? statusTargets(data.status) : []).map((target) => (
                <Button
                  key={target}
                  variant={target === "ACTIVE" ? "primary" : "secondary"}
                  className={target === "CLOSED" ? "text-danger-700!" : undefined}
                  onClick={() => {
                    changeStatus.reset();
                    setStatusTarget(target);
                  }}
                >
                  {STATUS_ACTIONS[target].label}
                </Button>
              ))}
            </>
          }
        />

        <BalanceTiles customer={data} />

        {data.status === "LOCKED" ? (
          <Notice>
            {data.lockSource === "MANUAL" ? (
              <>
                This account was locked by hand
                {data.lockedAt ? (
                  <>
                    {" "}on <DateTime value={data.lockedAt} />
                  </>
                ) : null}
                {data.lockReason ? <>: “{data.lockReason}”</> : null}. Unlock it from its wallet. Suspending it keeps the lock.
              </>
            ) : (
              <>
                This account is locked because its balance of <Money micros={data.balance} currency={data.tenant.currency} />{" "}
                {data.billingType === "PREPAID" ? (
                  <>
                    reached its lock threshold of <Money micros={data.lockThreshold} currency={data.tenant.currency} />
                  </>
                ) : (
                  <>
                    went past its credit limit of <Money micros={data.creditLimit} currency={data.tenant.currency} />
                  </>
                )}
                {data.lockedAt ? (
                  <>
                    {" "}(locked <DateTime value={data.lockedAt} />)
                  </>
                ) : null}
                . It unlocks by itself once a payment brings the balance
                back, or by hand from its wallet. Suspending it keeps the lock.
              </>
            )}
          </Notice>
        ) : null}
        {closed ? <Notice>This account is closed. Its trunks are disabled, its status can no longer be changed and no one can be invited.</Notice> : null}

        <div className="grid gap-5 xl:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
          <Card aria-labelledby="customer-details-title" className="self-start">
            <CardHeader
              actions={
                access.canEdit ? (
                  <Button
                    size="sm"
                    onClick={() => {
                      update.reset();
                      setEditing(true);
                    }}
                  >
                    Edit details
                  </Button>
                ) : null
              }
            >
              <CardTitle id="customer-details-title">Details</CardTitle>
            </CardHeader>
            <CardContent>
              <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-6 gap-y-2.5 text-sm">
                <DetailRow label="Account number">
                  <span className="font-mono">{data.accountNumber}</span>
                </DetailRow>
                <DetailRow label="Name">{data.name}</DetailRow>
                <DetailRow label="Billing type">{billingTypeLabel(data.billingType)}</DetailRow>
                <DetailRow label="Contact email">
                  <a href={`mailto:${data.contactEmail}`} className="text-brand-700 hover:underline">
                    {data.contactEmail}
                  </a>
                </DetailRow>
                <DetailRow label="Status">
                  <StatusBadge status={data.status} />
                </DetailRow>
                <DetailRow label="Created">
                  <DateTime value={data.createdAt} />
                </DetailRow>
                <DetailRow label="Last changed">
                  <DateTime value={data.updatedAt} />
                </DetailRow>
              </dl>
            </CardContent>
          </Card>

          <Card aria-labelledby="customer-users-title">
            <CardHeader
              actions={
                access.canEdit ? (
                  <Button
                    size="sm"
                    variant="primary"
                    disabled={closed}
                    title={closed ? "The account is closed" : undefined}
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
            >
              <CardTitle id="customer-users-title">Users</CardTitle>
              <CardDescription>People who sign in to the customer portal for this account.</CardDescription>
            </CardHeader>
            <CardContent flush>
              {data.memberships.length === 0 ? (
                <EmptyState
                  compact
                  icon={<UsersIcon />}
                  title="No users yet"
                  description={closed ? "The account is closed." : "Invite someone to give them access to the portal."}
                />
              ) : (
                <MiniTable label="Users" columns={["Name", "Email", "Role", "Status", { label: "Added", align: "right" }]}>
                  {data.memberships.map((membership) => (
                    <MiniRow key={membership.id}>
                      <MiniCell className="font-medium text-slate-900">{membership.user.name || "—"}</MiniCell>
                      <MiniCell className="text-slate-600">{membership.user.email}</MiniCell>
                      <MiniCell>{roleLabel(membership.role)}</MiniCell>
                      <MiniCell>
                        <StatusBadge status={membership.user.status} />
                      </MiniCell>
                      <MiniCell align="right">
                        <DateTime value={membership.createdAt} style="date" />
                      </MiniCell>
                    </MiniRow>
                  ))}
                </MiniTable>
              )}
            </CardContent>
            {data.invitations.length > 0 ? (
              <div className="border-t border-slate-200">
                <h3 className="px-4 pt-3 pb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase">
                  Open invitations
                </h3>
                <OpenInvitationsTable
                  invitations={data.invitations}
                  asOf={customer.dataUpdatedAt}
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
              </div>
            ) : null}
          </Card>
        </div>
        <div className="mt-5">
          <CustomerRatingCard customerId={data.id} currentDeckId={data.rateDeckId} canEdit={access.canEdit} />
        </div>
      </BehindModal>

      <CustomerFormDialog
        open={editing}
        onOpenChange={setEditing}
        mode="edit"
        initial={{
          accountNumber: data.accountNumber,
          name: data.name,
          billingType: data.billingType,
          contactEmail: data.contactEmail,
          // A postpaid account without a limit (made before one was required) shows an empty field to fill in.
          creditLimit: data.billingType === "POSTPAID" && data.creditLimit > 0n ? amountInput(data.creditLimit, data.tenant.currency) : "",
        }}
        submit={submitUpdate}
        pending={update.isPending}
      />
      <StatusChangeDialog
        target={statusTarget}
        customerName={data.name}
        balance={data.balance}
        currency={data.tenant.currency}
        onClose={() => setStatusTarget(null)}
        onBalanceStale={refresh}
        submit={submitStatus}
        pending={changeStatus.isPending}
      />
      <InviteUserDialog
        open={inviting}
        onOpenChange={setInviting}
        title={`Invite a user to ${data.name}`}
        description="They get an email with a link to set up their account. The link is valid for 7 days."
        roles={CUSTOMER_ROLE_OPTIONS}
        defaultRole="CUSTOMER_USER"
        roleHint="Customer admins manage the account in the portal; customer users can view it."
        submit={submitInvite}
        pending={invite.isPending}
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

function DetailRow({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className="min-w-0 truncate text-slate-900">{children}</dd>
    </>
  );
}

/**
 * The money state of the account at a glance. Prepaid accounts lock at their lock threshold,
 * postpaid ones past their credit limit: the tile shows the one that applies, and how much
 * room is left before it, or, once there is none, how much it takes to carry calls again (a
 * negative "left before lock" reads as nonsense to whoever has to ask the customer for it).
 */
function BalanceTiles({ customer }: { customer: TCustomerDetail }) {
  const currency = customer.tenant.currency;
  const prepaid = customer.billingType === "PREPAID";
  const lockAt = prepaid ? customer.lockThreshold : -customer.creditLimit;
  const headroom = customer.balance - lockAt;
  const exhausted = customer.balanceExhausted;
  const low = customer.belowLowBalance;
  const room = exhausted
    ? {
        label: customer.status === "LOCKED" ? "Needed to unlock" : "Needed to carry calls",
        micros: -headroom,
        hint: prepaid ? "A payment of more than this brings the balance above the lock threshold" : "A payment of this much brings the balance back within the credit limit",
      }
    : { label: prepaid ? "Left before lock" : "Credit available", micros: headroom, hint: prepaid ? undefined : "The credit limit less what is owed" };
  return (
    <section aria-label="Balance" className="mb-5 grid grid-cols-2 gap-3 lg:grid-cols-4">
      <Stat
        label="Balance"
        value={<Money micros={customer.balance} currency={currency} />}
        tone={customer.balance < 0n ? "danger" : low ? "warning" : "neutral"}
        hint={
          <Link href={`/admin/customers/${customer.id}/wallet`} className="text-brand-700 hover:underline">
            Ledger and payments
          </Link>
        }
      />
      {prepaid ? (
        <Stat label="Lock threshold" value={<Money micros={customer.lockThreshold} currency={currency} toneNegative={false} />} hint="Service locks at or below this balance" />
      ) : (
        <Stat label="Credit limit" value={<Money micros={customer.creditLimit} currency={currency} toneNegative={false} />} hint="How far below zero the balance may go" />
      )}
      <Stat label={room.label} value={<Money micros={room.micros} currency={currency} toneNegative={false} />} tone={exhausted ? "danger" : "neutral"} hint={room.hint} />
      <Stat
        label="Low-balance alert"
        value={<Money micros={customer.lowBalanceThreshold} currency={currency} toneNegative={false} />}
        tone={low ? "warning" : "neutral"}
        hint={
          low
            ? prepaid
              ? "The balance is below it"
              : "The credit available is below it"
            : prepaid
              ? "The customer is emailed below this"
              : "The customer is emailed when the credit available falls below this"
        }
      />
    </section>
  );
}

function Notice({ children }: { children: ReactNode }) {
  return (
    <div role="note" className="mb-5 rounded-lg border border-warning-600/30 bg-warning-50 px-4 py-2.5 text-sm text-warning-800">
      {children}
    </div>
  );
}

function CustomerDetailSkeleton() {
  return (
    <div aria-busy="true">
      <span className="sr-only" role="status">
        Loading customer
      </span>
      <div className="mb-5 flex flex-col gap-2">
        <Skeleton className="h-3 w-32" />
        <Skeleton className="h-6 w-64" />
        <Skeleton className="h-4 w-48" />
      </div>
      <div className="grid gap-5 xl:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <Card>
          <CardContent>
            <SkeletonText lines={6} />
          </CardContent>
        </Card>
        <Card>
          <CardContent>
            <SkeletonText lines={4} />
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
