"use client";

import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { NewPasswordFields, passwordProblems } from "./new-password-fields";

export function ResetPasswordForm({ token }: { token: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [touched, setTouched] = useState(false);
  const reset = useMutation(
    trpc.auth.resetPassword.mutationOptions({
      onSuccess: () => router.replace("/sign-in?notice=password-changed"),
    }),
  );
  const local = touched ? passwordProblems(password, confirmation) : {};
  const server = fieldErrorsOf(reset.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setTouched(true);
    if (Object.keys(passwordProblems(password, confirmation)).length > 0) return;
    reset.mutate({ token, password });
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <h1 className="text-base font-semibold">Choose a new password</h1>
      <NewPasswordFields
        password={password}
        confirmation={confirmation}
        onPassword={setPassword}
        onConfirmation={setConfirmation}
        errors={{ password: local.password ?? server.password, confirmation: local.confirmation }}
      />
      {reset.error && !server.password ? <p role="alert" className="text-sm text-danger-700">{messageOf(reset.error)}</p> : null}
      <Button type="submit" variant="primary" className="w-full" loading={reset.isPending}>Set new password</Button>
    </form>
  );
}
