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
import { useDebounced } from "@/components/ui/use-debounced";
import { customerLabel } from "@/components/admin/format";
import { withSelected } from "@/components/ui/with-selected";

const FIELDS = ["accountCode", "customerId"] as const;

type TCustomerChoice = { id: string; name: string; accountNumber: string };

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
  // One query once typing pauses, not one per keystroke.
  const settledSearch = useDebounced(search, 300);
  // The chosen customer itself, not only its id: another search may not list it, and the
  // select must go on showing what the form submits.
  const [chosen, setChosen] = useState<TCustomerChoice | null>(null);
  const [errors, setErrors] = useState<TFieldErrors>({});

  const [openedFor, setOpenedFor] = useState(accountCode);
  if (accountCode !== openedFor) {
    setOpenedFor(accountCode);
    setSearch("");
    setChosen(null);
    setErrors({});
  }

  // Closed customers are not offered: mapping a code to one is refused.
  const customers = useQuery({
    ...trpc.cdrFiles.mappableCustomers.queryOptions({ search: settledSearch }),
    enabled: open,
    placeholderData: keepPreviousData,
  });
  const found = customers.data?.rows ?? [];
  const listed = withSelected(found, chosen, (customer) => customer.id);
  const options = listed.map((customer) => ({ value: customer.id, label: customerLabel(customer) }));

  const map = useMutation(
    trpc.cdrFiles.mapAccountCode.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.unbillableDetail.queryKey() }),
      onError: (error) => setErrors(formErrorsOf(error, FIELDS)),
    }),
  );

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!chosen) {
      setErrors({ customerId: ["Choose the customer these calls belong to"] });
      return;
    }
    if (accountCode !== null) map.mutate({ accountCode, customerId: chosen.id }, { onSuccess: () => onMapped(accountCode, chosen.name) });
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
        <FormField
          label="Find customer"
          hint={customers.data?.more ? "Name, account number or email. Only the first 50 matches are listed: type more to narrow them." : "Name, account number or email."}
        >
          <Input
            name="customerSearch"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            maxLength={200}
            placeholder="Type to search…"
            autoComplete="off"
            data-autofocus
          />
        </FormField>
        <FormField label="Customer" required error={errors.customerId}>
          <Select
            name="customerId"
            value={chosen?.id ?? ""}
            onChange={(event) => {
              setChosen(listed.find((customer) => customer.id === event.target.value) ?? null);
              setErrors({});
            }}
            placeholder={customers.isPending ? "Loading customers…" : options.length === 0 ? "No open customer matches" : "Choose a customer"}
            options={options}
          />
        </FormField>
      </form>
    </Dialog>
  );
}
