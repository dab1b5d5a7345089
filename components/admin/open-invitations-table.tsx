"use client";

import Link from "next/link";
import { useMutation } from "@tanstack/react-query";
import { DateTime } from "@/components/admin/date-time";
import { customerHref, roleLabel } from "@/components/admin/labels";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { toastError } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/react";

/** Staff's Resend: mails an invitation again with a fresh link, then `onSent` (a refresh). */
export function useResendInvitation(onSent: () => void) {
  const trpc = useTRPC();
  return useMutation(
    trpc.users.resendInvitation.mutationOptions({
      onSuccess: (invitation) => {
        onSent();
        toast.success(`Invitation sent again to ${invitation.email}`);
      },
      onError: toastError,
    }),
  );
}

export type TOpenInvitation = {
  id: string;
  email: string;
  role: string;
  createdAt: Date;
  expiresAt: Date;
  customer?: { id: string; name: string } | null;
};

/**
 * Invitations sent and not yet accepted, with their expiry and a Revoke action for those
 * who may (the caller confirms and revokes). `asOf` is when the list was fetched: an
 * invitation is shown expired by that clock, not the browser's.
 */
export function OpenInvitationsTable({
  invitations,
  asOf,
  showCustomer = false,
  onRevoke,
  onResend = null,
}: {
  invitations: readonly TOpenInvitation[];
  asOf: number;
  /** A Customer column (a tenant-wide list); a customer's own page leaves it out. */
  showCustomer?: boolean;
  /** Null hides the action (a role that may only read). */
  onRevoke: ((invitation: TOpenInvitation) => void) | null;
  /** Mails the invitation again with a fresh link; left out, no Resend action. */
  onResend?: ((invitation: TOpenInvitation) => void) | null;
}) {
  const columns = ["Email", "Role", ...(showCustomer ? ["Customer"] : []), "Sent", "Expires", { label: "Actions", align: "right" as const, srOnly: true }];
  return (
    <MiniTable label="Open invitations" columns={columns}>
      {invitations.map((invitation) => (
        <MiniRow key={invitation.id}>
          <MiniCell className="text-slate-900">{invitation.email}</MiniCell>
          <MiniCell>{roleLabel(invitation.role)}</MiniCell>
          {showCustomer ? (
            <MiniCell>
              {invitation.customer ? (
                <Link href={customerHref(invitation.customer.id)} className="text-brand-700 hover:underline">
                  {invitation.customer.name}
                </Link>
              ) : (
                <span className="text-slate-400">Tenant staff</span>
              )}
            </MiniCell>
          ) : null}
          <MiniCell>
            <DateTime value={invitation.createdAt} style="date" />
          </MiniCell>
          <MiniCell>
            {invitation.expiresAt.getTime() <= asOf ? <Badge tone="warning">Expired</Badge> : <DateTime value={invitation.expiresAt} style="date" />}
          </MiniCell>
          <MiniCell align="right">
            {onResend ? (
              <Button size="sm" variant="ghost" aria-label={`Resend invitation to ${invitation.email}`} onClick={() => onResend(invitation)}>
                Resend
              </Button>
            ) : null}
            {onRevoke ? (
              <Button size="sm" variant="ghost" aria-label={`Revoke invitation for ${invitation.email}`} onClick={() => onRevoke(invitation)}>
                Revoke
              </Button>
            ) : null}
          </MiniCell>
        </MiniRow>
      ))}
    </MiniTable>
  );
}
