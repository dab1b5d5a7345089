"use client";

import { useState, type FormEvent } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { formErrorsOf, type TFieldErrors } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";

const FIELDS = ["accountCode", "customerId"] as const;

/** Maps an unknown account code to a customer: its calls (and future ones) become that customer's. */
export function MapAccountCodeDialog({
  accountCode,
  onClose,
  onMapped,
}: {
  /** The code to map; null = closed. */
  accountCode: string | null;
  onClose: () => void;
  onMapped: (accountCode: string, customerName: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const open = accountCode !== null;
  const [search, setSearch] = useState("");
  const [customerId, setCustomerId] = useState("");
  const [errors, setErrors] = useState<TFieldErrors>({});

  const [openedFor, setOpenedFor] = useState(accountCode);
  if (accountCode !== openedFor) {
    setOpenedFor(accountCode);
    setSearch("");
    setCustomerId("");
    setErrors({});
  }

  const customers = useQuery({
    ...trpc.customers.list.queryOptions({ page: 0, pageSize: 50, search, sort: { id: "name", desc: false }, filter: { status: null, billingType: null } }),
    enabled: open,
    placeholderData: keepPreviousData,
  });
  const options = (customers.data?.rows ?? []).map((customer) => ({ value: customer.id, label: `${customer.name} (${customer.accountNumber})` }));
  const chosen = customers.data?.rows.find((customer) => customer.id === customerId);

  const map = useMutation(
    trpc.cdrFiles.mapAccountCode.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.unbillableDetail.queryKey() });
        onMapped(accountCode ?? "", chosen?.name ?? "the customer");
      },
      onError: (error) => setErrors(formErrorsOf(error, FIELDS)),
    }),
  );

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!customerId) {
      setErrors({ customerId: ["Choose the customer these calls belong to"] });
      return;
    }
    if (accountCode !== null) map.mutate({ accountCode, customerId });
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => !next && !map.isPending && onClose()}
      title="Map account code"
      description="Calls carrying this account code belong to the customer you choose, from now on and when you re-rate."
      dismissible={!map.isPending}
      size="md"
      footer={
        <>
          <Button onClick={onClose} disabled={map.isPending}>
            Cancel
          </Button>
          <Button type="submit" form="map-account-form" variant="primary" loading={map.isPending}>
            Map account code
          </Button>
        </>
      }
    >
      <form id="map-account-form" noValidate onSubmit={submit} className="flex flex-col gap-4">
        <FormField label="Account code" error={errors.accountCode}>
          <Input name="accountCode" value={accountCode ?? ""} readOnly className="font-mono" />
        </FormField>
        <FormField label="Find customer" hint="Name, account number or email.">
          <Input
            name="customerSearch"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            placeholder="Type to search…"
            autoComplete="off"
            data-autofocus
          />
        </FormField>
        <FormField label="Customer" required error={errors.customerId}>
          <Select
            name="customerId"
            value={customerId}
            onChange={(event) => {
              setCustomerId(event.target.value);
              setErrors({});
            }}
            placeholder={customers.isPending ? "Loading customers…" : options.length === 0 ? "No customer matches" : "Choose a customer"}
            options={options}
          />
        </FormField>
      </form>
    </Dialog>
  );
}
