"use client";

import type { ColumnDef } from "@tanstack/react-table";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { BehindModal } from "@/components/admin/behind-modal";
import { DateTime } from "@/components/admin/date-time";
import { errorCodeOf } from "@/components/trpc/errors";
import { isUuid } from "@/components/admin/format";
import { LinkifiedText } from "@/components/admin/linkified-text";
import { useListState } from "@/components/admin/list-state";
import { QueryError } from "@/components/admin/query-error";
import type { TOutboxMessage, TOutboxRow } from "@/components/admin/types";
import { OutboxIcon } from "@/components/shell/icons";
import { DataTable } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { SkeletonText } from "@/components/ui/skeleton";
import { StatusBadge } from "@/components/ui/status-badge";
import { TabLinks, Tabs, type TabItem } from "@/components/ui/tabs";

const SORT_IDS = ["createdAt", "to", "subject", "status"] as const;

const columns: ColumnDef<TOutboxRow>[] = [
  {
    id: "createdAt",
    header: "Created",
    enableSorting: true,
    meta: { width: "1%" },
    cell: ({ row }) => <DateTime value={row.original.createdAt} style="precise" />,
  },
  {
    id: "to",
    header: "To",
    enableSorting: true,
    cell: ({ row }) => <span className="text-slate-900">{row.original.to}</span>,
  },
  {
    id: "subject",
    header: "Subject",
    enableSorting: true,
    meta: { className: "max-w-md truncate" },
    cell: ({ row }) => <span title={row.original.subject}>{row.original.subject}</span>,
  },
  {
    id: "status",
    header: "Status",
    enableSorting: true,
    cell: ({ row }) => (
      <span className="flex items-center gap-2">
        <StatusBadge status={row.original.status} />
        {row.original.error ? (
          <span className="max-w-64 truncate text-xs text-danger-700" title={row.original.error}>
            {row.original.error}
          </span>
        ) : null}
      </span>
    ),
  },
  {
    id: "sentAt",
    header: "Sent",
    meta: { align: "right" },
    cell: ({ row }) => <DateTime value={row.original.sentAt} style="precise" />,
  },
];

export function OutboxList({ smtpConfigured }: { smtpConfigured: boolean }) {
  const trpc = useTRPC();
  const list = useListState({ sortIds: SORT_IDS, filterKeys: ["scope"] });
  const openId = list.searchParams.get("email");
  // Reset and confirmation mail acts for one person: only platform admins see it (server/mail/outbox.ts).
  const me = useQuery(trpc.me.get.queryOptions());
  const platformAdmin = me.data?.membership.role === "PLATFORM_ADMIN";
  const scope = platformAdmin && list.filters.scope === "account" ? "account" : "tenant";
  const messages = useQuery({ ...trpc.outbox.list.queryOptions({ ...list.pageInput, scope }), placeholderData: keepPreviousData });

  const openMessage = (id: string | null) => list.update({ email: id }, false);

  return (
    <div>
      <BehindModal hidden={openId !== null}>
        <PageHeader title="Outbox" description="Email the system sent on your tenant's behalf: invitations, alerts, statements." />

        <DeliveryModeNotice smtpConfigured={smtpConfigured} />

        {platformAdmin ? (
          <TabLinks
            label="Outbox sections"
            className="mb-4"
            items={[
              { href: "/admin/outbox", label: "This tenant", active: scope === "tenant" },
              { href: "/admin/outbox?scope=account", label: "Account mail (all tenants)", active: scope === "account" },
            ]}
          />
        ) : null}

        <DataTable<TOutboxRow>
          label="Outbox"
          columns={columns}
          rows={messages.data?.rows ?? []}
          total={messages.data?.total ?? 0}
          {...list.tableProps}
          searchPlaceholder="Search recipient or subject…"
          loading={messages.isFetching}
          getRowId={(row) => row.id}
          onRowClick={(row) => openMessage(row.id)}
          emptyState={
            messages.isError ? (
              <QueryError error={messages.error} what="the outbox" onRetry={() => void messages.refetch()} />
            ) : list.search ? (
              <EmptyState compact title="No matching messages" description={`Nothing matches “${list.search}”.`} />
            ) : (
              <EmptyState compact icon={<OutboxIcon />} title="No messages yet" description="Invitations and alerts show up here." />
            )
          }
        />
      </BehindModal>

      <MessageDialog emailId={openId} onClose={() => openMessage(null)} />
    </div>
  );
}

function DeliveryModeNotice({ smtpConfigured }: { smtpConfigured: boolean }) {
  return (
    <div
      role="note"
      aria-label="Mail delivery mode"
      className="mb-4 rounded-lg border border-info-600/25 bg-info-50 px-4 py-3 text-sm text-info-800"
    >
      {smtpConfigured ? (
        <>
          <p className="font-medium">Mail is delivered over SMTP.</p>
          <p className="mt-0.5">
            Only the envelope (recipient, subject, status and any delivery error) is kept here. Bodies are not stored,
            because they carry single-use links.
          </p>
        </>
      ) : (
        <>
          <p className="font-medium">Embedded mode: no SMTP server is configured, so mail is kept here instead of being sent.</p>
          <p className="mt-0.5">
            Open a message to read it and follow its links (invitations, alerts). Password resets and email confirmations act
            for one person, so they are not shown to the tenant: they are printed to the server&apos;s log and only platform
            admins see them here. Set <code className="font-mono text-xs">SMTP_URL</code> to deliver mail; from then on only
            the envelope is kept.
          </p>
        </>
      )}
    </div>
  );
}

function MessageDialog({ emailId, onClose }: { emailId: string | null; onClose: () => void }) {
  const trpc = useTRPC();
  const valid = emailId !== null && isUuid(emailId);
  const message = useQuery({ ...trpc.outbox.get.queryOptions({ emailId: valid ? emailId : "" }), enabled: valid });
  const data = valid ? message.data : undefined;

  return (
    <Dialog
      open={emailId !== null}
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
      title={data?.subject ?? "Message"}
      size="lg"
    >
      {!valid || errorCodeOf(message.error) === "NOT_FOUND" ? (
        <EmptyState compact title="Message not found" description="It may belong to another tenant, or the link is wrong." />
      ) : message.isError ? (
        <QueryError error={message.error} what="this message" onRetry={() => void message.refetch()} />
      ) : !data ? (
        <div aria-busy="true">
          <SkeletonText lines={6} />
        </div>
      ) : (
        <MessageBody message={data} />
      )}
    </Dialog>
  );
}

function MessageBody({ message }: { message: TOutboxMessage }) {
  const tabs: TabItem[] = [];
  if (message.text) {
    tabs.push({
      id: "text",
      label: "Text",
      content: (
        <div className="max-h-[50vh] overflow-auto rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-xs leading-5 break-words whitespace-pre-wrap text-slate-800">
          <LinkifiedText text={message.text} />
        </div>
      ),
    });
  }
  if (message.html) {
    tabs.push({
      id: "html",
      label: "HTML",
      content: (
        // An empty sandbox: no scripts, no forms, no navigation, no same-origin access.
        <iframe
          title="HTML body"
          sandbox=""
          srcDoc={message.html}
          referrerPolicy="no-referrer"
          className="h-[50vh] w-full rounded-md border border-slate-200 bg-white"
        />
      ),
    });
  }

  return (
    <div className="flex flex-col gap-4">
      <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1.5 text-sm">
        <dt className="text-slate-500">To</dt>
        <dd className="text-slate-900">{message.to}</dd>
        <dt className="text-slate-500">Status</dt>
        <dd>
          <StatusBadge status={message.status} />
        </dd>
        <dt className="text-slate-500">Created</dt>
        <dd>
          <DateTime value={message.createdAt} style="precise" />
        </dd>
        {message.sentAt ? (
          <>
            <dt className="text-slate-500">Sent</dt>
            <dd>
              <DateTime value={message.sentAt} style="precise" />
            </dd>
          </>
        ) : null}
        {message.error ? (
          <>
            <dt className="text-slate-500">Error</dt>
            <dd className="font-mono text-xs break-words text-danger-700">{message.error}</dd>
          </>
        ) : null}
      </dl>
      {tabs.length > 0 ? (
        <Tabs items={tabs} label="Message body" panelClassName="mt-3" />
      ) : (
        <p className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-600">
          The body of this message was not kept: with SMTP configured, only the envelope is stored.
        </p>
      )}
    </div>
  );
}
