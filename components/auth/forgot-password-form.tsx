"use client";

import { useState, type FormEvent } from "react";
import Link from "next/link";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";

export function ForgotPasswordForm() {
  const trpc = useTRPC();
  const request = useMutation(trpc.auth.requestPasswordReset.mutationOptions());
  const [email, setEmail] = useState("");

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    request.mutate({ email });
  }

  if (request.isSuccess) {
    return (
      <div className="space-y-3">
        <h1 className="text-base font-semibold">Check your email</h1>
        <p className="text-sm text-slate-600">
          If an account uses <strong>{email}</strong>, a link to choose a new password is on its way. It works once and expires in an hour.
        </p>
        <Link href="/sign-in" className="text-sm text-brand-700 hover:underline">Back to sign in</Link>
      </div>
    );
  }
  const errors = fieldErrorsOf(request.error);
  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <h1 className="text-base font-semibold">Reset your password</h1>
      <p className="text-sm text-slate-600">Enter your email and we will send you a link to choose a new password.</p>
      <FormField label="Email" required error={errors.email}>
        <Input type="email" value={email} onChange={(event) => setEmail(event.target.value)} autoComplete="username" required autoFocus />
      </FormField>
      {request.error && !errors.email ? <p role="alert" className="text-sm text-danger-700">{messageOf(request.error)}</p> : null}
      <Button type="submit" variant="primary" className="w-full" loading={request.isPending}>Send reset link</Button>
      <Link href="/sign-in" className="block text-center text-sm text-brand-700 hover:underline">Back to sign in</Link>
    </form>
  );
}
