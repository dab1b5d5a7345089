"use client";

import { useState, type FormEvent } from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { signIn } from "next-auth/react";
import { Button } from "@/components/ui/button";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";

const KNOWN_ERRORS: Record<string, string> = {
  CredentialsSignin: "Invalid email or password.",
  SessionRequired: "Sign in to continue.",
};

export function SignInForm() {
  const router = useRouter();
  const params = useSearchParams();
  const [pending, setPending] = useState(false);
  const initialError = params.get("error");
  const [error, setError] = useState<string | null>(initialError ? (KNOWN_ERRORS[initialError] ?? initialError) : null);
  const notice = params.get("notice");

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setPending(false);
    if (!result || result.error) {
      setError(result?.error ? (KNOWN_ERRORS[result.error] ?? result.error) : "Sign-in failed. Try again.");
      return;
    }
    // The home page sends tenant staff to /admin and customer users to /portal.
    router.replace("/");
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <h1 className="text-base font-semibold">Sign in</h1>
      {notice ? <p className="rounded-md bg-success-50 px-3 py-2 text-sm text-success-800">{notice}</p> : null}
      {error ? (
        <p role="alert" className="rounded-md bg-danger-50 px-3 py-2 text-sm text-danger-800">
          {error}
        </p>
      ) : null}
      <FormField label="Email" required>
        <Input name="email" type="email" autoComplete="username" required autoFocus />
      </FormField>
      <FormField label="Password" required labelAside={<Link className="text-xs text-brand-700 hover:underline" href="/forgot-password">Forgot password?</Link>}>
        <Input name="password" type="password" autoComplete="current-password" required />
      </FormField>
      <Button type="submit" variant="primary" className="w-full" loading={pending}>
        Sign in
      </Button>
    </form>
  );
}
