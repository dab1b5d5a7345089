"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { messageOf } from "@/components/trpc/errors";
import { ConfirmDialog } from "@/components/admin/confirm-dialog";
import { DateTime } from "@/components/admin/date-time";
import { MiniCell, MiniRow, MiniTable } from "@/components/admin/mini-table";
import { ServerStatusBadge } from "@/components/cdr/sources/server-status-badge";
import { SourceForm } from "@/components/cdr/sources/source-form";
import { availabilityHref, filesOfSourceHref, serverLabel, sourceHref, type TCdrSource } from "@/components/cdr/sources/types";
import { useStaffAccess } from "@/components/admin/use-staff-access";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { SkeletonText } from "@/components/ui/skeleton";
import { toast } from "@/components/ui/toast";
import { RecordUnavailable } from "@/components/admin/record-unavailable";
import { CarriersIcon } from "@/components/shell/icons";

/** The clock, read in callbacks only (never during render). */
function nowMs(): number {
  return Date.now();
}

const BREADCRUMBS = [{ label: "CDR sources", href: "/admin/cdr/sources" }];

/** A new source ("new") or an existing one: state, actions and the edit form. */
export function SourceDetail({ sourceId }: { sourceId: string }) {
  const router = useRouter();
  const access = useStaffAccess();
  if (sourceId === "new") {
    return (
      <div>
        <PageHeader
          title="New CDR source"
          breadcrumbs={[...BREADCRUMBS, { label: "New" }]}
          description="Add the SFTP servers, test the connection to see what would be fetched, save, then turn polling on."
        />
        <SourceForm
          source={null}
          canEdit={access.canEdit}
          onSaved={(saved) => {
            toast.success(`Source ${saved.name} created. Turn polling on when the test looks right.`);
            router.replace(sourceHref(saved.id));
          }}
        />
      </div>
    );
  }
  return <ExistingSource sourceId={sourceId} canEdit={access.canEdit} />;
}

function ExistingSource({ sourceId, canEdit }: { sourceId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirmDisable, setConfirmDisable] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const router = useRouter();
  const [pollRequestedAt, setPollRequestedAt] = useState<number | null>(null);
  const [formVersion, setFormVersion] = useState(0);

  const source = useQuery({
    ...trpc.cdrSources.get.queryOptions({ sourceId }),
    // While a poll runs (or was just requested) follow it closely; otherwise now and then.
    refetchInterval: (query) => (query.state.data?.polling || (pollRequestedAt && nowMs() - pollRequestedAt < 60_000) ? 2000 : 30_000),
  });

  const invalidate = () => void queryClient.invalidateQueries({ queryKey: trpc.cdrSources.pathKey() });
  const setEnabled = useMutation(
    trpc.cdrSources.setEnabled.mutationOptions({
      onSuccess: (saved) => {
        invalidate();
        setConfirmDisable(false);
        toast.success(saved.enabled ? `Polling on: every ${saved.pollIntervalMinutes} min` : "Polling off");
      },
      onError: (error) => toast.error(messageOf(error)),
    }),
  );
  const remove = useMutation(
    trpc.cdrSources.delete.mutationOptions({
      onSuccess: (_result, input) => {
        setConfirmDelete(false);
        queryClient.removeQueries({ queryKey: trpc.cdrSources.get.queryKey({ sourceId: input.sourceId }) });
        void queryClient.invalidateQueries({ queryKey: trpc.cdrSources.list.queryKey() });
        toast.success("Source deleted");
        router.push("/admin/cdr/sources");
      },
      onError: (error) => toast.error(messageOf(error)),
    }),
  );
  const pollNow = useMutation(
    trpc.cdrSources.pollNow.mutationOptions({
      onSuccess: () => {
        setPollRequestedAt(nowMs());
        toast.success("Poll requested: new files appear under CDR files as they arrive");
      },
      onError: (error) => toast.error(messageOf(error)),
    }),
  );

  if (source.isError) {
    return (
      <RecordUnavailable
        title="CDR source"
        parent={BREADCRUMBS[0]!}
        error={source.error}
        what="this CDR source"
        onRetry={() => void source.refetch()}
        notFound={{ icon: <CarriersIcon />, title: "This CDR source does not exist", backLabel: "All CDR sources" }}
      />
    );
  }
  if (!source.data) {
    return (
      <div>
        <PageHeader title="CDR source" breadcrumbs={[...BREADCRUMBS, { label: "Source" }]} />
        <Card>
          <CardContent>
            <SkeletonText lines={6} />
          </CardContent>
        </Card>
      </div>
    );
  }
  const data = source.data;
  const hasServers = data.servers.length > 0;

  return (
    <div className="flex flex-col gap-4">
      <PageHeader
        title={data.name}
        breadcrumbs={[...BREADCRUMBS, { label: data.name }]}
        meta={
          data.polling ? (
            <Badge tone="info" dot>
              Polling now
            </Badge>
          ) : data.enabled ? (
            <Badge tone="success" dot>
              Polling every {data.pollIntervalMinutes} min
            </Badge>
          ) : (
            <Badge tone="neutral">{hasServers ? "Polling off" : "Uploads only"}</Badge>
          )
        }
        actions={
          <>
            <Link href={filesOfSourceHref(data.id)} className={buttonClassName("secondary")}>
              Files
            </Link>
            <Link href={availabilityHref(data.id)} className={buttonClassName("secondary")}>
              Availability
            </Link>
            {canEdit && hasServers ? (
              <Button onClick={() => pollNow.mutate({ sourceId: data.id })} loading={pollNow.isPending} disabled={data.polling}>
                Poll now
              </Button>
            ) : null}
            {canEdit ? (
              data.enabled ? (
                <Button onClick={() => setConfirmDisable(true)}>Turn polling off</Button>
              ) : (
                <Button
                  variant="primary"
                  onClick={() => setEnabled.mutate({ sourceId: data.id, enabled: true })}
                  loading={setEnabled.isPending}
                  disabled={!hasServers}
                  title={hasServers ? undefined : "Add an SFTP server first"}
                >
                  Turn polling on
                </Button>
              )
            ) : null}
            {/* The server refuses it once a file came: the files are the record of the calls. */}
            {canEdit && !data.hasFiles ? (
              <Button variant="danger" onClick={() => setConfirmDelete(true)}>
                Delete…
              </Button>
            ) : null}
          </>
        }
      />

      <ServersState source={data} canEdit={canEdit} />

      <SourceForm
        key={`${data.id}-${formVersion}`}
        source={data}
        canEdit={canEdit}
        onSaved={(saved) => {
          queryClient.setQueryData(trpc.cdrSources.get.queryKey({ sourceId: data.id }), saved);
          invalidate();
          // Fresh form from what was stored (typed secrets cleared, new servers now have ids).
          setFormVersion((version) => version + 1);
          toast.success(`Source ${saved.name} saved`);
        }}
      />

      <ConfirmDialog
        open={confirmDisable}
        onOpenChange={setConfirmDisable}
        title="Turn polling off?"
        description="No files are fetched from these servers until polling is on again. Uploads still work, and files already fetched are not affected."
        confirmLabel="Turn polling off"
        pending={setEnabled.isPending}
        onConfirm={() => setEnabled.mutate({ sourceId: data.id, enabled: false })}
      />
      <ConfirmDialog
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        title={`Delete ${data.name}?`}
        description={`No file ever came from this source. ${hasServers ? "Its servers, their stored credentials and its availability record are" : "Its settings are"} deleted. This cannot be undone.`}
        confirmLabel="Delete source"
        pending={remove.isPending}
        onConfirm={() => remove.mutate({ sourceId: data.id })}
      />
    </div>
  );
}

function ServersState({ source, canEdit }: { source: TCdrSource; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [accepting, setAccepting] = useState<{ serverId: string; label: string; fingerprint: string } | null>(null);
  const acceptHostKey = useMutation(
    trpc.cdrSources.acceptHostKey.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.cdrSources.pathKey() });
        setAccepting(null);
        toast.success("New host key accepted: the next poll connects with it");
      },
      onError: (error) => toast.error(messageOf(error)),
    }),
  );
  const changed = source.servers.filter((server) => server.presentedHostKey);
  // When every server is down the poll's error only strings their errors together, and each is
  // in its row below: the header says "Down" rather than repeat them.
  const everyServerDown = source.servers.length > 0 && source.servers.every((server) => server.status === "DOWN");
  return (
    <Card>
      <CardHeader actions={<Link href={availabilityHref(source.id)} className="text-sm text-brand-700 hover:underline">Outages and availability →</Link>}>
        <CardTitle>State</CardTitle>
        <CardDescription>
          Last poll: <DateTime value={source.lastPolledAt} fallback="never" />
          {source.lastPollError ? (
            everyServerDown ? (
              <span className="ml-2 font-medium text-danger-700" title={source.lastPollError}>
                Down
              </span>
            ) : (
              <span className="mt-0.5 block text-danger-700 wrap-anywhere">{source.lastPollError}</span>
            )
          ) : source.lastPolledAt ? (
            <span className="ml-2 text-success-700">OK</span>
          ) : null}
        </CardDescription>
      </CardHeader>
      {source.servers.length > 0 ? (
        <MiniTable label="Servers" columns={["#", "Server", "User", "State", "Host key", "Last checked", "Last error"]}>
          {source.servers.map((server) => (
            <MiniRow key={server.id}>
              <MiniCell className="text-slate-500">{server.position + 1}</MiniCell>
              <MiniCell className="font-mono text-xs">{serverLabel(server)}</MiniCell>
              <MiniCell>{server.username}</MiniCell>
              <MiniCell>
                <ServerStatusBadge server={server} withLabel={false} />
              </MiniCell>
              <MiniCell className="font-mono text-xs text-slate-600">
                {server.hostKey ? (
                  <span className="block max-w-48 truncate" title={server.hostKey}>
                    {server.hostKey}
                  </span>
                ) : (
                  <span className="font-sans text-slate-500">Not seen yet</span>
                )}
              </MiniCell>
              <MiniCell>
                <DateTime value={server.lastCheckedAt} fallback="Never" />
              </MiniCell>
              <MiniCell wrap className="min-w-56 text-xs text-danger-700">
                {server.presentedHostKey ? (
                  // The alert below explains it with both keys; the raw error would say it a third time.
                  <span title={server.lastError ?? undefined}>Host key changed: see below</span>
                ) : (
                  (server.lastError ?? <span className="text-slate-400">—</span>)
                )}
              </MiniCell>
            </MiniRow>
          ))}
        </MiniTable>
      ) : (
        <CardContent>
          <p className="text-sm text-slate-500">No SFTP server: this source takes uploads only.</p>
        </CardContent>
      )}
      {changed.map((server) => (
        <CardContent key={server.id} className="border-t border-slate-100">
          <div role="alert" className="rounded-md border border-danger-200 bg-danger-50 p-3 text-sm text-danger-800">
            <p className="font-medium">The host key of {serverLabel(server)} changed: it is not polled.</p>
            <p className="mt-1">
              Known key <code className="font-mono text-xs">{server.hostKey}</code>, presented{" "}
              <code className="font-mono text-xs">{server.presentedHostKey}</code>. Someone may be intercepting the connection, or the carrier replaced
              the server&apos;s key. Ask the carrier for the new key&apos;s fingerprint and accept it only if it matches.
            </p>
            {canEdit ? (
              <Button
                className="mt-2"
                variant="secondary"
                size="sm"
                onClick={() => setAccepting({ serverId: server.id, label: serverLabel(server), fingerprint: server.presentedHostKey! })}
              >
                Accept the new key…
              </Button>
            ) : null}
          </div>
        </CardContent>
      ))}
      <ConfirmDialog
        open={accepting !== null}
        onOpenChange={(open) => {
          if (!open) setAccepting(null);
        }}
        title={`Accept the new host key of ${accepting?.label ?? ""}?`}
        description={
          <>
            Only if the carrier confirmed this fingerprint: <code className="font-mono text-xs">{accepting?.fingerprint}</code>. From then on only a server
            presenting it is polled.
          </>
        }
        confirmLabel="Accept the key"
        pending={acceptHostKey.isPending}
        onConfirm={() => accepting && acceptHostKey.mutate({ sourceId: source.id, serverId: accepting.serverId, fingerprint: accepting.fingerprint })}
      />
    </Card>
  );
}
