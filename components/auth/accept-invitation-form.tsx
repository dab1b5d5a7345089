"use client";

import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { NewPasswordFields, passwordProblems } from "./new-password-fields";

export function AcceptInvitationForm(props: { token: string; email: string; existingUser: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [touched, setTouched] = useState(false);
  const [signInError, setSignInError] = useState<string | null>(null);
  const accept = useMutation(
    trpc.auth.acceptInvitation.mutationOptions({
      onSuccess: async () => {
        if (props.existingUser) {
          router.replace(`/sign-in?notice=${encodeURIComponent("Invitation accepted. Sign in with your existing password.")}`);
          return;
        }
        const result = await signIn("credentials", { email: props.email, password, redirect: false });
        if (!result || result.error) {
          setSignInError(result?.error ?? "Your account is ready, but signing in failed. Sign in from the sign-in page.");
          return;
        }
        router.replace("/");
        router.refresh();
      },
    }),
  );
  const local = touched && !props.existingUser ? passwordProblems(password, confirmation) : {};
  const server = fieldErrorsOf(accept.error);
  const nameProblem = touched && !props.existingUser && name.trim() === "" ? "Enter your name" : undefined;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setTouched(true);
    if (!props.existingUser && (name.trim() === "" || Object.keys(passwordProblems(password, confirmation)).length > 0)) return;
    accept.mutate({ token: props.token, name: props.existingUser ? "-" : name, password: props.existingUser ? "" : password });
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <FormField label="Email">
        <Input value={props.email} readOnly disabled />
      </FormField>
      {props.existingUser ? (
        <p className="text-sm text-slate-600">You already have a Trunkline account with this email. Accept to add this access to it.</p>
      ) : (
        <>
          <FormField label="Your name" required error={nameProblem ?? server.name}>
            <Input value={name} onChange={(event) => setName(event.target.value)} autoComplete="name" required autoFocus />
          </FormField>
          <NewPasswordFields
            password={password}
            confirmation={confirmation}
            onPassword={setPassword}
            onConfirmation={setConfirmation}
            errors={{ password: local.password ?? server.password, confirmation: local.confirmation }}
          />
        </>
      )}
      {accept.error && !server.password && !server.name ? <p role="alert" className="text-sm text-danger-700">{messageOf(accept.error)}</p> : null}
      {signInError ? <p role="alert" className="text-sm text-danger-700">{signInError}</p> : null}
      <Button type="submit" variant="primary" className="w-full" loading={accept.isPending}>
        {props.existingUser ? "Accept invitation" : "Create account"}
      </Button>
    </form>
  );
}
