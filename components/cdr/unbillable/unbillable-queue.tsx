"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { DateTime } from "@/components/admin/date-time";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { QueryError } from "@/components/admin/query-error";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { AddRateDialog, type TAddRateTarget } from "@/components/cdr/unbillable/add-rate-dialog";
import { MapAccountCodeDialog } from "@/components/cdr/unbillable/map-account-dialog";
import { RerateConfirmDialog } from "@/components/cdr/unbillable/rerate-confirm";
import { useRerate } from "@/components/cdr/unbillable/use-rerate";
import { REASON_TITLES, formatCount, formatMinutes, reasonTitle, type TUnbillableDetail, type TUnbillableReason } from "@/components/cdr/unbillable/types";
import { Button, buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/input";
import { Money } from "@/components/ui/money";
import { PageHeader } from "@/components/ui/page-header";
import { Select } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Stat } from "@/components/ui/stat";
import { toast } from "@/components/ui/toast";
import { useDebounced } from "@/components/ui/use-debounced";
import { customerLabel } from "@/components/admin/format";
import { callsHref, storedPrefixFilter, type TCallsLinkFilter } from "@/components/cdr/calls/calls-href";
import { useTimeZone } from "@/components/time/time-zone-provider";
import { NO_CUSTOMER } from "@/server/cdr/search-rules";

const PREFIX_LENGTH_OPTIONS = [2, 3, 4, 5, 6].map((digits) => ({ value: String(digits), label: `First ${digits} digits` }));

/** Each detail query reads every call of its reason: it waits for a pause in the typing. */
const SEARCH_SETTLE_MS = 300;

/** What a reason's groups are, in words, and what its search box matches (server: unbillableDetail). */
const GROUP_WORDS: Record<TUnbillableDetail["kind"], { plural: string; search: string }> = {
  account: { plural: "account codes", search: "Find account code…" },
  prefix: { plural: "customer and prefix groups", search: "Number starts with…" },
  deck: { plural: "customers", search: "Find customer…" },
  other: { plural: "prefixes", search: "Number starts with…" },
};

/** Says when the table lists only the largest groups, or none match the search. */
function GroupsNote({ detail, search }: { detail: TUnbillableDetail; search: string }) {
  const words = GROUP_WORDS[detail.kind].plural;
  const matching = search ? ` matching “${search}”` : "";
  if (detail.rows.length === 0 && search) return <p className="px-4 py-3 text-sm text-slate-600">No {words} match “{search}”.</p>;
  if (detail.groups.total <= detail.rows.length) return null;
  return (
    <p className="px-4 py-2 text-xs text-slate-600" data-testid="unbillable-groups-note">
      Top {formatCount(detail.rows.length)} of {formatCount(detail.groups.total)} {words}
      {matching}, by calls. Search to find the others.
    </p>
  );
}

type TRerate = ReturnType<typeof useRerate>;

/** The reasons a fix's toast offers to re-rate; one toast each, so a newer one replaces the last. */
const RERATE_TOAST_REASONS = ["unknown account", "no rate for prefix"] as const;
function rerateToastId(reason: (typeof RERATE_TOAST_REASONS)[number]): string {
  return `rerate-offer:${reason}`;
}

function Estimated({ micros, currency }: { micros: bigint | null; currency: string }) {
  if (micros === null) return <span className="text-slate-400">n/a</span>;
  return (
    <span className="whitespace-nowrap">
      <Money micros={micros} currency={currency} toneNegative={false} /> <span className="text-xs font-normal text-slate-500">est.</span>
    </span>
  );
}

function RerateProgress({ rerate, reason }: { rerate: TRerate; reason: string | null }) {
  if (!rerate.active || rerate.active.reason !== reason) return null;
  return (
    <div className="flex min-w-48 flex-col gap-1" aria-live="polite">
      <div role="progressbar" aria-label="Re-rating" aria-valuetext={rerate.runStatus ?? "queued"} className="h-1.5 w-full overflow-hidden rounded-full bg-brand-100">
        <div className="h-full w-1/3 animate-progress rounded-full bg-brand-500 motion-reduce:animate-none" />
      </div>
      <span className="text-xs text-slate-600">
        {rerate.runStatus === "RUNNING" ? "Re-rating" : "Queued"}… {formatCount(rerate.remaining ?? 0)} of{" "}
        {formatCount(rerate.active.queued)} still unbillable
      </span>
    </div>
  );
}

function RerateButton({
  rerate,
  reason,
  canEdit,
  label = "Re-rate",
  onRerate,
}: {
  rerate: TRerate;
  reason: string | null;
  canEdit: boolean;
  label?: string;
  /** Asks first: a re-rate charges wallets. */
  onRerate: (reason: string | null) => void;
}) {
  if (!canEdit) return null;
  return (
    <Button
      size="sm"
      variant={reason === null ? "primary" : "secondary"}
      loading={rerate.active !== null && rerate.active.reason === reason}
      disabled={rerate.active !== null || rerate.starting}
      onClick={() => onRerate(reason)}
    >
      {label}
    </Button>
  );
}

/**
 * A group's calls on the Calls page: the reason's unbillable calls over the days the group was
 * seen, narrowed to what the group shares. Null when nothing the page filters by names the group.
 */
function GroupCallsLink({ reason, group, filter }: { reason: string; group: { firstSeen: Date; lastSeen: Date }; filter: TCallsLinkFilter | null }) {
  const timeZone = useTimeZone();
  if (filter === null) return null;
  const href = callsHref({ first: group.firstSeen, last: group.lastSeen }, timeZone, { status: "UNBILLABLE", unbillableReason: reason, ...filter });
  return (
    <Link href={href} className="whitespace-nowrap text-sm text-brand-700 hover:underline">
      View calls
    </Link>
  );
}

/** The group's customer, or the calls of no customer when it has none. */
function withCustomer(filter: TCallsLinkFilter | null, customer: { id: string } | null): TCallsLinkFilter | null {
  return filter === null ? null : { ...filter, customerId: customer?.id ?? NO_CUSTOMER };
}

/** A called-number prefix as the Calls page's callee filter, or null when it cannot name it. */
function prefixFilter(prefix: string): TCallsLinkFilter | null {
  const callee = storedPrefixFilter(prefix);
  return callee === null ? null : { callee };
}

function ReasonDetail({
  reason,
  currency,
  canEdit,
  onMap,
  onAddRate,
}: {
  reason: string;
  currency: string;
  canEdit: boolean;
  onMap: (accountCode: string) => void;
  onAddRate: (target: TAddRateTarget) => void;
}) {
  const trpc = useTRPC();
  const [prefixLength, setPrefixLength] = useState(4);
  const [typed, setTyped] = useState("");
  const search = useDebounced(typed.trim(), SEARCH_SETTLE_MS);
  const detail = useQuery({ ...trpc.cdrFiles.unbillableDetail.queryOptions({ reason, prefixLength, search }), placeholderData: keepPreviousData });
  if (detail.isError) return <QueryError error={detail.error} what="the calls of this reason" onRetry={() => void detail.refetch()} />;
  if (!detail.data) {
    return (
      <div className="flex flex-col gap-2 p-4">
        <Skeleton className="h-4 w-full" />
        <Skeleton className="h-4 w-2/3" />
      </div>
    );
  }
  const data = detail.data;
  const note = <GroupsNote detail={data} search={search} />;
  const toolbar = (
    <div className="flex flex-wrap items-center justify-end gap-2 border-b border-slate-100 px-4 py-2">
      <Input
        size="sm"
        type="search"
        aria-label={`Search ${GROUP_WORDS[data.kind].plural}`}
        placeholder={GROUP_WORDS[data.kind].search}
        value={typed}
        onChange={(event) => setTyped(event.target.value)}
        // The server's limit: a longer search would be refused, and the error would replace this box.
        maxLength={100}
        autoComplete="off"
        spellCheck={false}
        className="w-56"
      />
      {data.kind === "prefix" ? (
        <>
          <span className="text-xs text-slate-500">Group numbers by</span>
          <Select size="sm" aria-label="Prefix length" value={String(prefixLength)} onChange={(event) => setPrefixLength(Number(event.target.value))} options={PREFIX_LENGTH_OPTIONS} className="w-36" />
        </>
      ) : null}
    </div>
  );
  const measures = (row: { calls: number; billsec: bigint; valueAtRisk: bigint | null; firstSeen: Date; lastSeen: Date }) => (
    <>
      <MiniCell align="right">{formatCount(row.calls)}</MiniCell>
      <MiniCell align="right">{formatMinutes(row.billsec)}</MiniCell>
      <MiniCell align="right">
        <Estimated micros={row.valueAtRisk} currency={currency} />
      </MiniCell>
      <MiniCell>
        <DateTime value={row.firstSeen} /> – <DateTime value={row.lastSeen} />
      </MiniCell>
    </>
  );
  const measureColumns = [
    { label: "Calls", align: "right" as const },
    { label: "Minutes", align: "right" as const },
    { label: "Value at risk", align: "right" as const },
    "First – last call",
  ];

  if (data.kind === "account") {
    return (
      <div className="flex flex-col">
        {toolbar}
        {note}
        <MiniTable label={`${reasonTitle(reason)} by account code`} columns={["Account code", ...measureColumns, "Sample number", { label: "Actions", srOnly: true }]}>
          {data.rows.map((row) => (
            <MiniRow key={row.accountCode ?? "(none)"}>
              <MiniCell className="font-mono text-xs">{row.accountCode ?? <span className="text-slate-400">(no account code)</span>}</MiniCell>
              {measures(row)}
              <MiniCell className="font-mono text-xs">{row.sampleCallee ?? "—"}</MiniCell>
              <MiniCell align="right">
                <span className="flex items-center justify-end gap-3">
                  {/* Calls without a code have no filter of their own on the Calls page. */}
                  <GroupCallsLink reason={reason} group={row} filter={row.accountCode === null ? null : { accountCode: row.accountCode }} />
                  {canEdit && row.accountCode ? (
                    <Button size="sm" onClick={() => onMap(row.accountCode!)}>
                      Map account code…
                    </Button>
                  ) : row.accountCode === null ? (
                    <span className="text-xs text-slate-500">No code to map: not assignable</span>
                  ) : null}
                </span>
              </MiniCell>
            </MiniRow>
          ))}
        </MiniTable>
      </div>
    );
  }
  if (data.kind === "prefix") {
    return (
      <div className="flex flex-col">
        {toolbar}
        {note}
        <MiniTable label={`${reasonTitle(reason)} by customer and prefix`} columns={["Customer", "Deck", "Prefix", ...measureColumns, { label: "Actions", srOnly: true }]}>
          {data.rows.map((row) => (
            <MiniRow key={`${row.customer?.id ?? "-"}:${row.deck?.id ?? "-"}:${row.prefix}`}>
              <MiniCell>{row.customer ? customerLabel(row.customer) : <span className="text-slate-400">—</span>}</MiniCell>
              <MiniCell>
                {row.deck ? (
                  <Link href={`/admin/rates/${row.deck.id}`} className="text-brand-700 hover:underline">
                    {row.deck.name}
                  </Link>
                ) : (
                  <span className="text-slate-400">—</span>
                )}
              </MiniCell>
              <MiniCell className="font-mono text-xs">
                <span title={row.sampleCallee ? `e.g. ${row.sampleCallee}` : undefined}>{row.prefix}…</span>
              </MiniCell>
              {measures(row)}
              <MiniCell align="right">
                <span className="flex items-center justify-end gap-3">
                  <GroupCallsLink reason={reason} group={row} filter={withCustomer(prefixFilter(row.prefix), row.customer)} />
                  {canEdit ? (
                    <Button
                      size="sm"
                      onClick={() =>
                        onAddRate({ prefix: row.prefix, deckId: row.deck?.id ?? null, customerName: row.customer?.name ?? null, firstSeen: row.firstSeen, sampleCallee: row.sampleCallee })
                      }
                    >
                      Add rate…
                    </Button>
                  ) : null}
                </span>
              </MiniCell>
            </MiniRow>
          ))}
        </MiniTable>
      </div>
    );
  }
  if (data.kind === "deck") {
    return (
      <div className="flex flex-col">
        {toolbar}
        {note}
        <MiniTable label={`${reasonTitle(reason)} by customer`} columns={["Customer", ...measureColumns, { label: "Actions", srOnly: true }]}>
          {data.rows.map((row) => (
            <MiniRow key={row.customer?.id ?? "-"}>
              <MiniCell>{row.customer ? customerLabel(row.customer) : <span className="text-slate-400">—</span>}</MiniCell>
              {measures(row)}
              <MiniCell align="right">
                <span className="flex items-center justify-end gap-3">
                  <GroupCallsLink reason={reason} group={row} filter={withCustomer({}, row.customer)} />
                  {row.customer ? (
                    <Link href={`/admin/customers/${row.customer.id}`} className={buttonClassName("secondary", "sm")}>
                      Assign a deck…
                    </Link>
                  ) : null}
                </span>
              </MiniCell>
            </MiniRow>
          ))}
        </MiniTable>
      </div>
    );
  }
  return (
    <div className="flex flex-col">
      {toolbar}
      {note}
      <MiniTable label={`${reasonTitle(reason)} by prefix`} columns={["Prefix", ...measureColumns, { label: "Actions", srOnly: true }]}>
        {data.rows.map((row) => (
          <MiniRow key={row.prefix}>
            <MiniCell className="font-mono text-xs">{row.prefix}…</MiniCell>
            {measures(row)}
            <MiniCell align="right">
              <GroupCallsLink reason={reason} group={row} filter={prefixFilter(row.prefix)} />
            </MiniCell>
          </MiniRow>
        ))}
      </MiniTable>
    </div>
  );
}

function ReasonCard({
  group,
  currency,
  canEdit,
  rerate,
  onRerate,
  onMap,
  onAddRate,
}: {
  group: TUnbillableReason;
  currency: string;
  canEdit: boolean;
  rerate: TRerate;
  onRerate: (reason: string | null) => void;
  onMap: (accountCode: string) => void;
  onAddRate: (target: TAddRateTarget) => void;
}) {
  return (
    <Card aria-label={reasonTitle(group.reason)}>
      <CardHeader
        actions={
          <div className="flex items-center gap-3">
            <RerateProgress rerate={rerate} reason={group.reason} />
            <RerateButton rerate={rerate} reason={group.reason} canEdit={canEdit} onRerate={onRerate} />
          </div>
        }
      >
        <CardTitle>
          {reasonTitle(group.reason)}{" "}
          <span className="font-normal text-slate-500">
            · {formatCount(group.calls)} call{group.calls === 1 ? "" : "s"} · {formatMinutes(group.billsec)} min ·{" "}
          </span>
          <Estimated micros={group.valueAtRisk} currency={currency} />
        </CardTitle>
        <CardDescription>{REASON_TITLES[group.reason]?.fix ?? "Calls the rating engine could not price."}</CardDescription>
      </CardHeader>
      <CardContent flush>
        <ReasonDetail reason={group.reason} currency={currency} canEdit={canEdit} onMap={onMap} onAddRate={onAddRate} />
      </CardContent>
    </Card>
  );
}

/** Calls that could not be billed, grouped by what fixes them, with their value and the fixes. */
export function UnbillableQueue() {
  const trpc = useTRPC();
  const access = useStaffAccess();
  const currency = access.tenantCurrency ?? "USD";
  const summary = useQuery(trpc.cdrFiles.unbillableSummary.queryOptions());
  const rerate = useRerate(currency);
  const [mapping, setMapping] = useState<string | null>(null);
  const [addingRate, setAddingRate] = useState<TAddRateTarget | null>(null);
  // undefined: no question open; null: all reasons.
  const [confirmingRerate, setConfirmingRerate] = useState<string | null | undefined>(undefined);
  const data = summary.data;
  const openReasons = data?.reasons.map((group) => group.reason).join("\n") ?? null;

  // A "Re-rate…" toast offers to re-rate one reason's calls; once none are left (re-rated,
  // or the queue emptied), its offer is stale and it goes.
  useEffect(() => {
    if (openReasons === null) return;
    const open = new Set(openReasons.split("\n"));
    for (const reason of RERATE_TOAST_REASONS) if (!open.has(reason)) toast.dismiss(rerateToastId(reason));
  }, [openReasons]);

  return (
    <div className="flex flex-col gap-4">
      <PageHeader
        title="Unbillable calls"
        description="Answered calls that could not be priced: nobody owns their account code, or no rate covers their number. Fix the cause, then re-rate: each call is billed once."
        actions={
          data && data.reasons.length > 0 ? (
            <div className="flex items-center gap-3">
              <RerateProgress rerate={rerate} reason={null} />
              <RerateButton rerate={rerate} reason={null} canEdit={access.canEdit} label="Re-rate all" onRerate={setConfirmingRerate} />
            </div>
          ) : null
        }
      />
      {summary.isError ? (
        <Card>
          <QueryError error={summary.error} what="the unbillable calls" onRetry={() => void summary.refetch()} />
        </Card>
      ) : !data ? (
        <div className="grid gap-3 md:grid-cols-3">
          <Stat label="Unbillable calls" value="" loading />
          <Stat label="Minutes" value="" loading />
          <Stat label="Value at risk" value="" loading />
        </div>
      ) : data.reasons.length === 0 ? (
        <Card>
          <EmptyState title="Nothing unbillable" description="Every answered call so far found its customer and a rate." />
        </Card>
      ) : (
        <>
          <div className="grid gap-3 md:grid-cols-3">
            <Stat label="Unbillable calls" value={formatCount(data.totals.calls)} tone="warning" />
            <Stat label="Minutes" value={formatMinutes(data.totals.billsec)} />
            <Stat
              label="Value at risk (est.)"
              value={<Estimated micros={data.totals.valueAtRisk} currency={currency} />}
              tone="danger"
              hint={
                data.estimate.pricePerMinute !== null ? (
                  <span title={data.estimate.description}>
                    at an average <Money micros={data.estimate.pricePerMinute} currency={currency} precision={4} />/min
                  </span>
                ) : undefined
              }
            />
          </div>
          <p className="text-xs text-slate-500" data-testid="value-at-risk-basis">
            {data.estimate.description} The real value depends on the rates you add and the customers you map.
          </p>
          {data.reasons.map((group) => (
            <ReasonCard
              key={group.reason}
              group={group}
              currency={currency}
              canEdit={access.canEdit}
              rerate={rerate}
              onRerate={setConfirmingRerate}
              onMap={setMapping}
              onAddRate={setAddingRate}
            />
          ))}
        </>
      )}
      <RerateConfirmDialog
        reason={confirmingRerate}
        currency={currency}
        pending={rerate.starting}
        onCancel={() => setConfirmingRerate(undefined)}
        onConfirm={(reason) =>
          rerate.start(reason, {
            onStarted: () => {
              setConfirmingRerate(undefined);
              // The re-rate asked for is under way: its offer has been taken up.
              for (const offered of RERATE_TOAST_REASONS) if (reason === null || reason === offered) toast.dismiss(rerateToastId(offered));
            },
          })
        }
      />
      <MapAccountCodeDialog
        accountCode={mapping}
        onClose={() => setMapping(null)}
        onMapped={(accountCode, customerName) => {
          setMapping(null);
          toast.success(`${accountCode} now belongs to ${customerName}. Re-rate to bill its calls.`, {
            id: rerateToastId("unknown account"),
            action: { label: "Re-rate…", onClick: () => setConfirmingRerate("unknown account") },
          });
        }}
      />
      <AddRateDialog
        target={addingRate}
        onClose={() => setAddingRate(null)}
        onAdded={({ prefix, deckName }) => {
          setAddingRate(null);
          toast.success(`Rate for ${prefix} added to ${deckName}. Re-rate to bill the calls.`, {
            id: rerateToastId("no rate for prefix"),
            action: { label: "Re-rate…", onClick: () => setConfirmingRerate("no rate for prefix") },
          });
        }}
      />
    </div>
  );
}
