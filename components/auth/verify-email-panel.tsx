"use client";

import { useState } from "react";
import Link from "next/link";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { messageOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { continueSession } from "./refresh-session";

// Confirmation takes a click rather than happening on page load, so mail scanners that
// prefetch links cannot use up the single-use token.
export function VerifyEmailPanel({ token }: { token: string }) {
  const trpc = useTRPC();
  const [keptSession, setKeptSession] = useState(false);
  const verify = useMutation(
    trpc.auth.verifyEmail.mutationOptions({
      onSuccess: async (result) => {
        // A changed address signs the account out everywhere; the ticket keeps this browser in.
        if (result.sessionTicket) setKeptSession(await continueSession(result.sessionTicket));
      },
    }),
  );
  if (verify.isSuccess) {
    return (
      <div className="space-y-3">
        <h1 className="text-base font-semibold">Email address confirmed</h1>
        <p className="text-sm text-slate-600">Your account now uses <strong>{verify.data.email}</strong>.</p>
        {keptSession || !verify.data.addressChanged ? (
          <Link href="/" className="text-sm text-brand-700 hover:underline">Continue</Link>
        ) : (
          <>
            <p className="text-sm text-slate-600">Every session of the account was signed out: sign in with the new address.</p>
            <Link href="/sign-in" className="text-sm text-brand-700 hover:underline">Sign in</Link>
          </>
        )}
      </div>
    );
  }
  return (
    <div className="space-y-4">
      <h1 className="text-base font-semibold">Confirm your email address</h1>
      {verify.error ? <p role="alert" className="text-sm text-danger-700">{messageOf(verify.error)}</p> : null}
      <Button variant="primary" className="w-full" loading={verify.isPending} onClick={() => verify.mutate({ token })}>
        Confirm email address
      </Button>
    </div>
  );
}
