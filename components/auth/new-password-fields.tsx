"use client";

import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";

export const MIN_PASSWORD_LENGTH = 10;

/** Password + confirmation with inline checks; the server checks again. */
export function passwordProblems(password: string, confirmation: string): { password?: string; confirmation?: string } {
  const problems: { password?: string; confirmation?: string } = {};
  if (password.length < MIN_PASSWORD_LENGTH) problems.password = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (confirmation !== password) problems.confirmation = "The passwords do not match.";
  return problems;
}

export function NewPasswordFields(props: {
  password: string;
  confirmation: string;
  onPassword: (value: string) => void;
  onConfirmation: (value: string) => void;
  errors: { password?: string | string[]; confirmation?: string };
}) {
  return (
    <>
      <FormField label="New password" required error={props.errors.password} hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}>
        <Input type="password" autoComplete="new-password" value={props.password} onChange={(event) => props.onPassword(event.target.value)} required />
      </FormField>
      <FormField label="Confirm password" required error={props.errors.confirmation}>
        <Input type="password" autoComplete="new-password" value={props.confirmation} onChange={(event) => props.onConfirmation(event.target.value)} required />
      </FormField>
    </>
  );
}
