"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { messageOf, errorCodeOf, isForbidden } from "@/components/trpc/errors";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import { DateTime } from "@/components/admin/date-time";
import { useListState } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import { DECK_FORMAT_OPTIONS, categoryLabel, deckHref, formatCount, formatRate, plural } from "@/components/rating/labels";
import type { TCommitResult, TDeckImport, TImportErrorRow } from "@/components/rating/types";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { EffectiveDateTime } from "@/components/time/effective-date-time";
import { RatesIcon } from "@/components/shell/icons";
import { Button, buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { Stat } from "@/components/ui/stat";
import { StatusBadge } from "@/components/ui/status-badge";
import { Badge } from "@/components/ui/badge";
import { Select } from "@/components/ui/select";
import { toast } from "@/components/ui/toast";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/root";
import { RecordUnavailable } from "@/components/admin/record-unavailable";

const errorColumns: ColumnDef<TImportErrorRow>[] = [
  {
    id: "line",
    header: "Line",
    meta: { align: "right", width: "5rem" },
    cell: ({ row }) => <span className="font-mono text-xs">{formatCount(row.original.line)}</span>,
  },
  {
    id: "error",
    header: "Problem",
    meta: { wrap: true },
    cell: ({ row }) => <span className="text-danger-700">{row.original.error}</span>,
  },
];

type TImportChange = inferRouterOutputs<AppRouter>["rating"]["importChanges"]["rows"][number];
type TChangeKind = "ALL" | "NEW" | "CHANGED" | "INCREASED";

/** A change of the per-minute price above this share is flagged for a second look. */
const BIG_CHANGE_BASIS_POINTS = 2_000n;

/** The change of a price in basis points (1/100 of a percent), in bigint: no float touches money. */
function changeBasisPoints(previous: bigint, next: bigint): bigint | null {
  if (previous === 0n) return null;
  return ((next - previous) * 10_000n) / previous;
}

function formatPercent(basisPoints: bigint): string {
  const sign = basisPoints > 0n ? "+" : basisPoints < 0n ? "−" : "";
  const magnitude = basisPoints < 0n ? -basisPoints : basisPoints;
  return `${sign}${magnitude / 100n}.${String(magnitude % 100n).padStart(2, "0").slice(0, 1)} %`;
}

const KIND_OPTIONS: { value: TChangeKind; label: string }[] = [
  { value: "ALL", label: "New and changed" },
  { value: "NEW", label: "New only" },
  { value: "CHANGED", label: "Changed only" },
  { value: "INCREASED", label: "Price rises only" },
];

function changeColumns(currency: string): ColumnDef<TImportChange>[] {
  return [
    {
      id: "line",
      header: "Line",
      meta: { align: "right", width: "4.5rem" },
      cell: ({ row }) => <span className="font-mono text-xs text-slate-500">{formatCount(row.original.line)}</span>,
    },
    {
      id: "kind",
      header: "Change",
      meta: { width: "6.5rem" },
      cell: ({ row }) => (row.original.previous ? <Badge tone="info">Changed</Badge> : <Badge tone="success">New</Badge>),
    },
    { id: "prefix", header: "Prefix", cell: ({ row }) => <span className="font-mono">{row.original.prefix}</span> },
    {
      id: "destination",
      header: "Destination",
      meta: { wrap: true },
      cell: ({ row }) => {
        const { description, previous, category } = row.original;
        return (
          <span>
            {description}
            {previous && previous.description !== description ? <span className="block text-xs text-slate-500">was {previous.description}</span> : null}
            <span className="block text-xs text-slate-500">{categoryLabel(category)}</span>
          </span>
        );
      },
    },
    {
      id: "rate",
      header: "Rate / min",
      meta: { align: "right" },
      cell: ({ row }) => {
        const { previous, ratePerMinuteMicros, connectFeeMicros } = row.original;
        return (
          <span className="numeric whitespace-nowrap">
            {previous ? (
              <>
                <span className="text-slate-500">{formatRate(previous.ratePerMinuteMicros, currency)}</span>
                <span aria-label=" becomes "> → </span>
              </>
            ) : null}
            <span className="font-medium text-slate-900">{formatRate(ratePerMinuteMicros, currency)}</span>
            {connectFeeMicros !== (previous?.connectFeeMicros ?? 0n) ? (
              <span className="block text-xs text-slate-500">
                connect fee {previous ? `${formatRate(previous.connectFeeMicros, currency)} → ` : ""}
                {formatRate(connectFeeMicros, currency)}
              </span>
            ) : null}
          </span>
        );
      },
    },
    {
      id: "change",
      header: "Change",
      meta: { align: "right" },
      cell: ({ row }) => {
        const { previous, ratePerMinuteMicros } = row.original;
        if (!previous) return <span className="text-slate-400">—</span>;
        const change = changeBasisPoints(previous.ratePerMinuteMicros, ratePerMinuteMicros);
        if (change === null) return <span className="font-medium text-warning-800">from free</span>;
        const rise = change > 0n;
        const big = change > BIG_CHANGE_BASIS_POINTS || change < -BIG_CHANGE_BASIS_POINTS;
        return (
          <span className="inline-flex items-center justify-end gap-1.5 whitespace-nowrap">
            <span className={rise ? "font-medium text-danger-700" : change < 0n ? "text-success-700" : "text-slate-500"}>{formatPercent(change)}</span>
            {big ? (
              <Badge tone={rise ? "danger" : "warning"} title={`The price per minute changes by more than ${BIG_CHANGE_BASIS_POINTS / 100n} %`}>
                {rise ? "Big rise" : "Big drop"}
              </Badge>
            ) : rise ? (
              <Badge tone="warning">Rise</Badge>
            ) : null}
          </span>
        );
      },
    },
    {
      id: "effective",
      header: "Effective",
      cell: ({ row }) => (
        <span className="whitespace-nowrap">
          <EffectiveDateTime value={row.original.effectiveFrom} />
          {row.original.effectiveTo ? (
            <span className="block text-xs text-slate-500">
              until <EffectiveDateTime value={row.original.effectiveTo} inline />
            </span>
          ) : null}
        </span>
      ),
    },
  ];
}

/** The rates a commit would add or change, by page from the server: a deck can have hundreds of thousands. */
function ImportChanges({ importId, currency, newRows, changedRows }: { importId: string; currency: string; newRows: number; changedRows: number }) {
  const trpc = useTRPC();
  const [kind, setKind] = useState<TChangeKind>("ALL");
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(50);
  const changes = useQuery({
    ...trpc.rating.importChanges.queryOptions({ importId, kind, page, pageSize }),
    placeholderData: keepPreviousData,
  });
  const columns = changeColumns(currency);
  const fallbackTotal = kind === "NEW" ? newRows : kind === "CHANGED" ? changedRows : kind === "ALL" ? newRows + changedRows : null;
  return (
    <div className="mt-4">
      <DataTable<TImportChange>
        label="Rates this import adds or changes"
        columns={columns}
        rows={changes.data?.rows ?? []}
        total={changes.data?.total ?? fallbackTotal}
        page={page}
        pageSize={pageSize}
        onPageChange={setPage}
        onPageSizeChange={(next) => {
          setPageSize(next);
          setPage(0);
        }}
        loading={changes.isFetching}
        getRowId={(row) => String(row.line)}
        toolbar={
          <div className="flex flex-wrap items-center gap-3">
            <h2 className="text-sm font-semibold text-slate-900">Rates to review</h2>
            <Select
              size="sm"
              aria-label="Show"
              value={kind}
              onChange={(event) => {
                setKind((KIND_OPTIONS.find((option) => option.value === event.target.value)?.value ?? "ALL") as TChangeKind);
                setPage(0);
              }}
              options={KIND_OPTIONS}
              className="w-44"
            />
            <span className="text-xs text-slate-500">
              Rises are marked; “Big” means the price per minute moves by more than {BIG_CHANGE_BASIS_POINTS / 100n} %.
            </span>
          </div>
        }
        emptyState={
          changes.isError ? (
            <QueryError error={changes.error} what="the rates of this import" onRetry={() => void changes.refetch()} />
          ) : (
            <EmptyState compact title={kind === "INCREASED" ? "No price rises" : "Nothing of this kind"} description="This import has no such rates." />
          )
        }
      />
    </div>
  );
}

const STATUS_LABELS: Record<string, { label: string; tone: "info" | "success" | "neutral" }> = {
  PREVIEWED: { label: "Awaiting review", tone: "info" },
  COMMITTED: { label: "Committed", tone: "success" },
  DISCARDED: { label: "Discarded", tone: "neutral" },
};

function formatLabel(format: string): string {
  return DECK_FORMAT_OPTIONS.find((option) => option.value === format)?.label ?? format;
}

/** The preview of an uploaded deck file: what a commit would change, every invalid line, commit or discard. */
export function ImportPreview({ deckId, importId }: { deckId: string; importId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const access = useStaffAccess();
  const list = useListState({ sortIds: [], defaultPageSize: 50 });
  const [confirming, setConfirming] = useState<"commit" | "discard" | null>(null);
  const [result, setResult] = useState<TCommitResult | null>(null);

  const deckImport = useQuery(trpc.rating.import.queryOptions({ importId }));
  const data = deckImport.data;
  const showErrors = data !== undefined && data.status === "PREVIEWED" && data.invalidRows > 0;
  const errors = useQuery({
    ...trpc.rating.importErrors.queryOptions({ importId, page: list.page, pageSize: list.pageSize }),
    enabled: showErrors,
    placeholderData: keepPreviousData,
  });

  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.rating.pathKey() });

  const commit = useMutation(
    trpc.rating.commitImport.mutationOptions({
      onSuccess: (committed) => {
        setResult(committed);
        setConfirming(null);
        refresh();
        toast.success(`Import committed: ${plural(committed.inserted, "rate")} added, ${plural(committed.replaced, "rate")} replaced`);
      },
      onError: (error) => {
        toast.error(messageOf(error));
        const code = errorCodeOf(error);
        if (isForbidden(error) || code === "CONFLICT" || code === "PRECONDITION_FAILED") {
          setConfirming(null);
          refresh();
        }
      },
    }),
  );
  const discard = useMutation(
    trpc.rating.discardImport.mutationOptions({
      onSuccess: () => {
        refresh();
        toast.success("Import discarded; the deck is unchanged");
        router.push(deckHref(data?.deck.id ?? deckId));
      },
      onError: (error) => {
        toast.error(messageOf(error));
        const code = errorCodeOf(error);
        if (isForbidden(error) || code === "CONFLICT") {
          setConfirming(null);
          refresh();
        }
      },
    }),
  );

  if (deckImport.isPending) {
    return (
      <div aria-busy="true">
        <PageHeader title="Import preview" breadcrumbs={[{ label: "Rate decks", href: "/admin/rates" }, { label: "Import" }]} />
        <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
          {["New rates", "Changed rates", "Unchanged", "Invalid lines"].map((label) => (
            <Stat key={label} label={label} value={null} loading />
          ))}
        </div>
        <Skeleton className="mt-4 h-40 w-full" />
        <span className="sr-only" role="status">
          Loading import…
        </span>
      </div>
    );
  }

  if (deckImport.isError || !data) {
    return (
      <RecordUnavailable
        title="Import preview"
        parent={{ label: "Rate decks", href: "/admin/rates" }}
        error={deckImport.error}
        what="the import"
        onRetry={() => void deckImport.refetch()}
        notFound={{ icon: <RatesIcon />, title: "This import does not exist", backLabel: "Back to the deck", backHref: deckHref(deckId) }}
      />
    );
  }

  const status = STATUS_LABELS[data.status] ?? { label: data.status, tone: "neutral" as const };
  const pending = data.status === "PREVIEWED" && result === null;
  const invalid = data.invalidRows > 0;
  const changes = data.newRows + data.changedRows;

  return (
    <div>
      <PageHeader
        title="Import preview"
        meta={<StatusBadge status={data.status} label={status.label} tone={status.tone} />}
        breadcrumbs={[
          { label: "Rate decks", href: "/admin/rates" },
          { label: data.deck.name, href: deckHref(data.deck.id) },
          { label: data.fileName },
        ]}
        description={
          <>
            <span className="font-medium text-slate-700">{data.fileName}</span> · {formatLabel(data.format)} ·{" "}
            {plural(data.totalRows, "row")} · rows without a date apply from <DateTime value={data.effectiveFrom} /> · uploaded{" "}
            <DateTime value={data.createdAt} />
          </>
        }
        actions={
          pending && access.canEdit ? (
            <>
              <Button onClick={() => setConfirming("discard")} disabled={commit.isPending}>
                Discard
              </Button>
              <Button
                variant="primary"
                onClick={() => setConfirming("commit")}
                disabled={invalid || discard.isPending}
                aria-describedby={invalid ? "import-invalid-note" : undefined}
              >
                Commit import
              </Button>
            </>
          ) : undefined
        }
      />

      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="New rates" value={formatCount(data.newRows)} tone={data.newRows > 0 ? "success" : "neutral"} hint="Prefixes the deck does not price yet" />
        <Stat
          label="Changed rates"
          value={formatCount(data.changedRows)}
          tone={data.changedRows > 0 ? "info" : "neutral"}
          hint="The old versions get closed"
        />
        <Stat label="Unchanged" value={formatCount(data.unchangedRows)} hint="Already in force with the same terms" />
        <Stat
          label="Invalid lines"
          value={formatCount(data.invalidRows)}
          tone={invalid ? "danger" : "neutral"}
          hint={invalid ? "Listed below with their reason" : "Every line is valid"}
        />
      </div>

      {pending && invalid ? (
        <div
          id="import-invalid-note"
          role="alert"
          className="mt-4 rounded-lg border border-danger-600/20 bg-danger-50 px-4 py-3 text-sm text-danger-800"
        >
          <p className="font-medium">
            Fix the {plural(data.invalidRows, "invalid line")} and upload again; nothing is imported until the whole file is valid.
          </p>
          <p className="mt-0.5 text-xs text-danger-700">
            Correct the file at the line numbers below (line 1 is the header), then use “Import rates” on the deck again and
            discard this preview.
          </p>
        </div>
      ) : null}

      {pending && !invalid && access.known && !access.canEdit ? (
        <p className="mt-4 text-sm text-slate-600">A tenant admin can commit or discard this import.</p>
      ) : null}

      {pending && !invalid && changes === 0 ? (
        <p className="mt-4 rounded-lg border border-slate-200 bg-slate-50 px-4 py-3 text-sm text-slate-700">
          Every rate in this file is already in force with the same terms: committing changes nothing.
        </p>
      ) : null}

      {pending && !invalid && changes > 0 ? (
        <ImportChanges importId={importId} currency={data.deck.currency} newRows={data.newRows} changedRows={data.changedRows} />
      ) : null}

      {result ? <CommitResult result={result} deckId={data.deck.id} deckName={data.deck.name} /> : null}
      {!result && data.status !== "PREVIEWED" ? <Settled deckImport={data} /> : null}

      {showErrors ? (
        <div className="mt-4">
          <h2 className="mb-2 text-sm font-semibold text-slate-900">Invalid lines</h2>
          <DataTable<TImportErrorRow>
            label="Invalid lines"
            columns={errorColumns}
            rows={errors.data?.rows ?? []}
            total={errors.data?.total ?? data.invalidRows}
            {...list.pagingProps}
            loading={errors.isFetching}
            getRowId={(row) => String(row.line)}
            emptyState={
              errors.isError ? (
                <QueryError error={errors.error} what="the invalid lines" onRetry={() => void errors.refetch()} />
              ) : undefined
            }
          />
        </div>
      ) : null}

      <ConfirmDialog
        open={confirming === "commit"}
        onOpenChange={(open) => setConfirming(open ? "commit" : null)}
        title="Commit this import?"
        description={`${data.deck.name} gets ${plural(data.newRows, "new rate")} and ${plural(data.changedRows, "changed rate")}.`}
        confirmLabel="Yes, commit"
        destructive={false}
        pending={commit.isPending}
        onConfirm={() => commit.mutate({ importId })}
      >
        <p className="text-sm text-slate-600">
          A changed rate does not overwrite the old one: the old version is closed where the new one starts, so calls made
          before keep their price. All of it applies in one step, or none of it.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirming === "discard"}
        onOpenChange={(open) => setConfirming(open ? "discard" : null)}
        title="Discard this import?"
        description={`The preview of ${data.fileName} is thrown away and ${data.deck.name} stays as it is.`}
        confirmLabel="Yes, discard"
        pending={discard.isPending}
        onConfirm={() => discard.mutate({ importId })}
      />
    </div>
  );
}

function CommitResult({ result, deckId, deckName }: { result: TCommitResult; deckId: string; deckName: string }) {
  return (
    <Card className="mt-4 border-success-600/30" aria-labelledby="import-result-title">
      <CardHeader>
        <CardTitle id="import-result-title">Import committed</CardTitle>
        <CardDescription>The new rates price calls from their effective date on.</CardDescription>
      </CardHeader>
      <CardContent>
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4" aria-live="polite">
          {[
            { label: "Rates added", value: result.inserted },
            { label: "Rates replaced", value: result.replaced },
            { label: "Versions closed", value: result.closed },
            { label: "Unchanged", value: result.unchanged },
          ].map((item) => (
            <div key={item.label}>
              <dt className="text-xs text-slate-500">{item.label}</dt>
              <dd className="numeric text-lg font-semibold text-slate-900">{formatCount(item.value)}</dd>
            </div>
          ))}
        </dl>
      </CardContent>
      <CardFooter className="justify-start">
        <Link href={deckHref(deckId)} className={buttonClassName("primary", "sm")}>
          Back to {deckName}
        </Link>
      </CardFooter>
    </Card>
  );
}

function Settled({ deckImport }: { deckImport: TDeckImport }) {
  const committed = deckImport.status === "COMMITTED";
  return (
    <Card className="mt-4">
      <EmptyState
        compact
        icon={<RatesIcon />}
        title={committed ? "This import was committed" : "This import was discarded"}
        description={
          committed ? (
            <>
              Its rates were applied <DateTime value={deckImport.committedAt} />.
            </>
          ) : (
            "Nothing from this file was applied. Upload the corrected file from the deck."
          )
        }
        action={
          <Link href={deckHref(deckImport.deck.id)} className={buttonClassName("secondary", "sm")}>
            Back to {deckImport.deck.name}
          </Link>
        }
      />
    </Card>
  );
}
