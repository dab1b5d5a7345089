"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { NewPasswordFields, passwordProblems } from "@/components/auth/new-password-fields";
import { continueSession, signOutAfterChange } from "@/components/auth/refresh-session";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { toast } from "@/components/ui/toast";

function NameForm({ initialName }: { initialName: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(initialName);
  const update = useMutation(
    trpc.me.updateProfile.mutationOptions({
      onSuccess: async () => {
        toast.success("Name saved");
        await queryClient.invalidateQueries({ queryKey: trpc.me.get.queryKey() });
      },
    }),
  );
  const errors = fieldErrorsOf(update.error);
  return (
    <form
      className="flex flex-col gap-3 sm:flex-row sm:items-end"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        update.mutate({ name });
      }}
    >
      <FormField label="Name" required error={errors.name ?? (name.trim() === "" ? "Enter your name" : undefined)} className="flex-1">
        <Input value={name} onChange={(event) => setName(event.target.value)} autoComplete="name" />
      </FormField>
      <Button type="submit" variant="primary" loading={update.isPending} disabled={name.trim() === ""}>Save name</Button>
    </form>
  );
}

function emailProblem(value: string): string | undefined {
  if (value.trim() === "") return "Enter the new email address";
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim()) ? undefined : "Enter a valid email address";
}

function EmailForm({ email, pendingEmail }: { email: string; pendingEmail: string | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [next, setNext] = useState("");
  const [current, setCurrent] = useState("");
  const [touched, setTouched] = useState(false);
  const change = useMutation(
    trpc.me.requestEmailChange.mutationOptions({
      onSuccess: async (result) => {
        toast.success(`We sent a confirmation link to ${result.pendingEmail}`);
        setNext("");
        setCurrent("");
        setTouched(false);
        await queryClient.invalidateQueries({ queryKey: trpc.me.get.queryKey() });
      },
    }),
  );
  const server = fieldErrorsOf(change.error);
  const local = touched ? { email: emailProblem(next), currentPassword: current === "" ? "Enter your current password" : undefined } : {};
  const formError = change.error && !server.email && !server.currentPassword ? messageOf(change.error) : undefined;
  return (
    <form
      className="space-y-3"
      noValidate
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        setTouched(true);
        if (emailProblem(next) || current === "") return;
        change.mutate({ email: next, currentPassword: current });
      }}
    >
      <p className="text-sm text-slate-600">
        Signed in as <strong>{email}</strong>.
        {pendingEmail ? <> Waiting for you to confirm <strong>{pendingEmail}</strong> from the link we sent there.</> : null}
      </p>
      <FormField label="New email address" required error={local.email ?? server.email}>
        <Input type="email" value={next} onChange={(event) => setNext(event.target.value)} autoComplete="email" />
      </FormField>
      <FormField label="Current password" required error={local.currentPassword ?? server.currentPassword}>
        <Input type="password" value={current} onChange={(event) => setCurrent(event.target.value)} autoComplete="current-password" />
      </FormField>
      {formError ? <p role="alert" className="text-sm text-danger-700">{formError}</p> : null}
      <Button type="submit" loading={change.isPending}>Send confirmation link</Button>
    </form>
  );
}

function PasswordForm() {
  const trpc = useTRPC();
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [touched, setTouched] = useState(false);
  const change = useMutation(
    trpc.me.changePassword.mutationOptions({
      onSuccess: async (result) => {
        // The change signed out every session, this one included, until it takes the ticket.
        if (!(await continueSession(result.sessionTicket))) {
          await signOutAfterChange("password-changed");
          return;
        }
        toast.success("Password changed. Your other sessions were signed out.");
        setCurrent("");
        setPassword("");
        setConfirmation("");
        setTouched(false);
      },
    }),
  );
  const local = touched ? passwordProblems(password, confirmation) : {};
  const server = fieldErrorsOf(change.error);
  return (
    <form
      className="space-y-3"
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        setTouched(true);
        if (Object.keys(passwordProblems(password, confirmation)).length > 0) return;
        change.mutate({ currentPassword: current, newPassword: password });
      }}
    >
      <FormField label="Current password" required error={server.currentPassword}>
        <Input type="password" value={current} onChange={(event) => setCurrent(event.target.value)} autoComplete="current-password" />
      </FormField>
      <NewPasswordFields
        password={password}
        confirmation={confirmation}
        onPassword={setPassword}
        onConfirmation={setConfirmation}
        errors={{ password: local.password ?? server.newPassword, confirmation: local.confirmation }}
      />
      <Button type="submit" variant="primary" loading={change.isPending}>Change password</Button>
    </form>
  );
}

export function ProfilePage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.me.get.queryOptions());
  return (
    <div className="max-w-2xl space-y-6">
      <PageHeader title="Profile" description={me.data ? `${me.data.membership.tenantName}` : undefined} />
      <Card>
        <CardHeader>
          <CardTitle>Your details</CardTitle>
        </CardHeader>
        <CardContent>{me.data ? <NameForm key={me.data.profile.name} initialName={me.data.profile.name} /> : <Skeleton className="h-10" />}</CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Email address</CardTitle>
          <CardDescription>
            A change takes effect once you open the link we send to the new address; your other sessions are then signed out.
          </CardDescription>
        </CardHeader>
        <CardContent>{me.data ? <EmailForm email={me.data.profile.email} pendingEmail={me.data.profile.pendingEmail} /> : <Skeleton className="h-10" />}</CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Password</CardTitle>
        </CardHeader>
        <CardContent>
          <PasswordForm />
        </CardContent>
      </Card>
    </div>
  );
}
