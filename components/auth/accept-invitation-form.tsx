"use client";

import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useMutation, useQuery } from "@tanstack/react-query";
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
  // An existing account joins only when its owner proves it (server/users/invitations.ts):
  // signed in as it, or with its password.
  const described = useQuery({ ...trpc.auth.describeInvitation.queryOptions({ token: props.token }), enabled: props.existingUser });
  const signedInAsInvitee = described.data?.signedInAsInvitee === true;
  const accept = useMutation(
    trpc.auth.acceptInvitation.mutationOptions({
      onSuccess: async () => {
        if (props.existingUser && signedInAsInvitee) {
          router.replace("/");
          router.refresh();
          return;
        }
        if (props.existingUser) {
          const result = await signIn("credentials", { email: props.email, password, redirect: false });
          if (!result || result.error) {
            router.replace("/sign-in?notice=invitation-accepted");
            return;
          }
          router.replace("/");
          router.refresh();
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
  const needsPassword = props.existingUser && !signedInAsInvitee;
  const existingPasswordProblem = touched && needsPassword && password === "" ? "Enter your password" : undefined;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setTouched(true);
    if (props.existingUser) {
      if (needsPassword && password === "") return;
      accept.mutate({ token: props.token, name: "-", password: needsPassword ? password : "" });
      return;
    }
    if (name.trim() === "" || Object.keys(passwordProblems(password, confirmation)).length > 0) return;
    accept.mutate({ token: props.token, name, password });
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <FormField label="Email">
        <Input value={props.email} readOnly disabled />
      </FormField>
      {props.existingUser && !needsPassword ? (
        <p className="text-sm text-slate-600">You are signed in to the Trunkline account with this email. Accept to add this access to it.</p>
      ) : props.existingUser ? (
        <>
          <p className="text-sm text-slate-600">
            A Trunkline account already uses this email. Enter its password (or sign in as it first) to add this access to it.
          </p>
          <FormField label="Password" required error={existingPasswordProblem ?? server.password}>
            <Input type="password" value={password} onChange={(event) => setPassword(event.target.value)} autoComplete="current-password" autoFocus />
          </FormField>
        </>
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
