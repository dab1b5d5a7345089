import type { Metadata } from "next";
import Link from "next/link";
import { TRPCError } from "@trpc/server";
import { AcceptInvitationForm } from "@/components/auth/accept-invitation-form";
import { DateTime } from "@/components/admin/date-time";
import { usableTimeZone } from "@/components/time/format-instant";
import { serverApi } from "@/server/trpc/server";

export const metadata: Metadata = { title: "Accept invitation" };
export const dynamic = "force-dynamic";

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const api = await serverApi();
  let invitation: Awaited<ReturnType<typeof api.auth.describeInvitation>>;
  try {
    invitation = await api.auth.describeInvitation({ token });
  } catch (error) {
    const message = error instanceof TRPCError ? error.message : "This invitation link is not valid.";
    return (
      <div className="space-y-3">
        <h1 className="text-base font-semibold">Invitation unavailable</h1>
        <p className="text-sm text-slate-600">{message}</p>
        <Link href="/sign-in" className="text-sm text-brand-700 hover:underline">Go to sign in</Link>
      </div>
    );
  }
  const timeZone = usableTimeZone(invitation.tenantTimeZone);
  const where = invitation.customerName ? `${invitation.customerName} at ${invitation.tenantName}` : invitation.tenantName;
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-base font-semibold">Join {where}</h1>
        {/* Signed out: no provider, so the tenant's zone is passed in, and named since nothing else on the page does. */}
        <p className="mt-1 text-sm text-slate-600">
          You were invited to manage this account on Trunkline. The invitation expires{" "}
          <DateTime value={invitation.expiresAt} timeZone={timeZone} /> ({timeZone} time).
        </p>
      </div>
      <AcceptInvitationForm token={token} email={invitation.email} existingUser={invitation.existingUser} />
    </div>
  );
}
