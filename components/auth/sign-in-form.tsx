"use client";

import { useState, type FormEvent } from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { signIn } from "next-auth/react";
import { Button } from "@/components/ui/button";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";

// The page's URL is anyone's to write (a link in a phishing mail): ?error= and ?notice= only
// pick one of these texts, never supply their own.
const KNOWN_ERRORS: Record<string, string> = {
  CredentialsSignin: "Invalid email or password.",
  SessionRequired: "Sign in to continue.",
};

const KNOWN_NOTICES: Record<string, string> = {
  "password-changed": "Your password was changed. Sign in with the new one.",
  "invitation-accepted": "Invitation accepted. Sign in with your existing password.",
};

/** The text for `?error=`: a known code's, else a generic one; never the parameter itself. */
export function signInErrorFromUrl(code: string | null): string | null {
  if (!code) return null;
  return Object.hasOwn(KNOWN_ERRORS, code) ? (KNOWN_ERRORS[code] ?? null) : "Sign-in failed. Try again.";
}

/** The text for `?notice=`: a known code's, else nothing. */
export function signInNoticeFromUrl(notice: string | null): string | null {
  if (!notice || !Object.hasOwn(KNOWN_NOTICES, notice)) return null;
  return KNOWN_NOTICES[notice] ?? null;
}

export function SignInForm() {
  const router = useRouter();
  const params = useSearchParams();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(signInErrorFromUrl(params.get("error")));
  const notice = signInNoticeFromUrl(params.get("notice"));

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
      // Here `error` comes from our own response (the server's message, e.g. how long to wait).
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
