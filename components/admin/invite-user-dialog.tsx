"use client";

import { useState, type FormEvent, type ReactNode } from "react";
import { formErrorsOf, isForbidden, type TFieldErrors } from "@/components/trpc/errors";
import { emailError } from "@/components/admin/validation";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select, type SelectOption } from "@/components/ui/select";

export type TInviteSubmit<TRole extends string> = (
  values: { email: string; role: TRole },
  handlers: { onSuccess: () => void; onError: (error: unknown) => void },
) => void;

/** Email + role; the invitation link is mailed by a background job. */
export function InviteUserDialog<TRole extends string>({
  open,
  onOpenChange,
  title,
  description,
  roles,
  defaultRole,
  roleHint,
  submit,
  pending,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: ReactNode;
  description?: ReactNode;
  roles: readonly (SelectOption & { value: TRole })[];
  defaultRole: TRole;
  roleHint?: ReactNode;
  submit: TInviteSubmit<TRole>;
  pending: boolean;
}) {
  const formId = "invite-user-form";
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={title}
      description={description}
      dismissible={!pending}
      footer={
        <>
          <Button onClick={() => onOpenChange(false)} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" form={formId} variant="primary" loading={pending}>
            Send invitation
          </Button>
        </>
      }
    >
      <InviteForm
        formId={formId}
        roles={roles}
        defaultRole={defaultRole}
        roleHint={roleHint}
        submit={submit}
        onDone={() => onOpenChange(false)}
      />
    </Dialog>
  );
}

function InviteForm<TRole extends string>({
  formId,
  roles,
  defaultRole,
  roleHint,
  submit,
  onDone,
}: {
  formId: string;
  roles: readonly (SelectOption & { value: TRole })[];
  defaultRole: TRole;
  roleHint: ReactNode;
  submit: TInviteSubmit<TRole>;
  onDone: () => void;
}) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<TRole>(defaultRole);
  const [errors, setErrors] = useState<TFieldErrors>({});

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const problem = emailError(email);
    if (problem) {
      setErrors({ email: [problem] });
      event.currentTarget.querySelector<HTMLElement>('[name="email"]')?.focus();
      return;
    }
    setErrors({});
    submit(
      { email: email.trim(), role },
      {
        onSuccess: onDone,
        onError: (error) => {
          setErrors(formErrorsOf(error, ["email", "role"]));
          if (isForbidden(error)) onDone();
        },
      },
    );
  };

  return (
    <form id={formId} onSubmit={onSubmit} noValidate className="flex flex-col gap-4">
      <FormField label="Email" required error={errors.email}>
        <Input
          name="email"
          type="email"
          value={email}
          onChange={(event) => {
            setEmail(event.target.value);
            if (errors.email) setErrors(({ email: _email, ...rest }) => rest);
          }}
          autoComplete="off"
          spellCheck={false}
          placeholder="name@example.com"
          data-autofocus
        />
      </FormField>
      <FormField label="Role" required error={errors.role} hint={roleHint}>
        <Select
          name="role"
          value={role}
          onChange={(event) => {
            const next = roles.find((option) => option.value === event.target.value);
            if (next) setRole(next.value);
          }}
          options={roles}
        />
      </FormField>
    </form>
  );
}
