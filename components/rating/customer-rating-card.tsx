"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { messageOf, isForbidden } from "@/components/trpc/errors";
import { QueryError } from "@/components/admin/query-error";
import { deckHref, priceCallHref } from "@/components/rating/labels";
import { TrunkFormDialog } from "@/components/rating/trunk-form-dialog";
import type { TTrunkRow } from "@/components/rating/types";
import { CallsIcon, PlusIcon, TrunksIcon } from "@/components/shell/icons";
import { Button, buttonClassName } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Select } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { StatusBadge } from "@/components/ui/status-badge";
import { toast } from "@/components/ui/toast";

const headerCell = "h-8 border-b border-slate-200 bg-slate-50 px-3 text-left text-xs font-medium whitespace-nowrap text-slate-600 first:pl-4 last:pr-4";
const bodyCell = "h-9 border-b border-slate-100 px-3 py-1.5 whitespace-nowrap text-slate-800 first:pl-4 last:pr-4 group-last/row:border-b-0";

/**
 * Rating of one customer: the SELL deck that prices its calls and its SIP trunks (account
 * code, limits, ACL, an optional deck override per trunk). For the customer detail page.
 */
export function CustomerRatingCard({
  customerId,
  currentDeckId,
  canEdit,
}: {
  customerId: string;
  currentDeckId: string | null;
  canEdit: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const deckSelectId = useId();
  const decks = useQuery(trpc.rating.decks.queryOptions({ kind: "SELL" }));
  const trunks = useQuery(trpc.rating.trunks.queryOptions({ customerId }));

  // The deck just saved, until the parent's customer query brings the new currentDeckId.
  const [saved, setSaved] = useState<{ deckId: string | null } | null>(null);
  const [selected, setSelected] = useState(currentDeckId ?? "");
  const [previousProp, setPreviousProp] = useState(currentDeckId);
  if (currentDeckId !== previousProp) {
    setPreviousProp(currentDeckId);
    setSaved(null);
    setSelected(currentDeckId ?? "");
  }
  const assignedDeckId = saved ? saved.deckId : currentDeckId;
  const dirty = selected !== (assignedDeckId ?? "");

  const [editing, setEditing] = useState<TTrunkRow | "new" | null>(null);

  const assign = useMutation(
    trpc.rating.assignCustomerDeck.mutationOptions({
      onSuccess: (updated) => {
        setSaved({ deckId: updated.rateDeckId });
        void queryClient.invalidateQueries({ queryKey: trpc.customers.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.rating.decks.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() });
        toast.success(updated.rateDeckId ? "Rate deck assigned" : "Rate deck removed: calls will be unbillable");
      },
      onError: (error) => {
        toast.error(messageOf(error));
        if (isForbidden(error)) setSelected(assignedDeckId ?? "");
      },
    }),
  );

  const sellDecks = decks.data ?? [];
  const assignedDeck = sellDecks.find((deck) => deck.id === assignedDeckId) ?? null;
  const trunkRows = trunks.data ?? [];

  return (
    <Card aria-labelledby="customer-rating-title">
      <CardHeader
        actions={
          <Link href={priceCallHref({ customer: customerId })} className={buttonClassName("secondary", "sm")}>
            <CallsIcon />
            Price a call
          </Link>
        }
      >
        <CardTitle id="customer-rating-title">Rating</CardTitle>
        <CardDescription>The deck that prices this customer&apos;s calls, and the trunks they arrive on.</CardDescription>
      </CardHeader>

      <CardContent className="flex flex-col gap-2 border-b border-slate-200">
        <div className="flex flex-wrap items-end gap-2">
          <div className="flex min-w-64 flex-1 flex-col gap-1">
            {canEdit ? (
              <label htmlFor={deckSelectId} className="text-sm font-medium text-slate-800">
                Sell deck
              </label>
            ) : (
              <span className="text-sm font-medium text-slate-800">Sell deck</span>
            )}
            {decks.isPending ? (
              <Skeleton className="h-8 w-full" />
            ) : canEdit ? (
              <Select
                id={deckSelectId}
                value={selected}
                onChange={(event) => setSelected(event.target.value)}
                disabled={assign.isPending}
                placeholder="No deck — calls are unbillable"
                options={sellDecks.map((deck) => ({ value: deck.id, label: `${deck.name} (${deck.currency})` }))}
              />
            ) : (
              <p className="flex h-8 items-center text-sm text-slate-900">
                {assignedDeck ? assignedDeck.name : assignedDeckId ? "A deck" : <span className="text-slate-500">No deck</span>}
              </p>
            )}
          </div>
          {canEdit && dirty ? (
            <>
              <Button
                variant="primary"
                loading={assign.isPending}
                onClick={() => assign.mutate({ customerId, deckId: selected || null })}
              >
                Save deck
              </Button>
              <Button variant="ghost" disabled={assign.isPending} onClick={() => setSelected(assignedDeckId ?? "")}>
                Undo
              </Button>
            </>
          ) : assignedDeckId ? (
            <Link href={deckHref(assignedDeckId)} className={buttonClassName("ghost")}>
              View rates
            </Link>
          ) : null}
        </div>
        {decks.isError ? (
          <p className="text-xs text-danger-700">Could not load the decks: {messageOf(decks.error)}</p>
        ) : !assignedDeckId && !dirty ? (
          <p className="text-xs text-warning-800">
            Without a sell deck every call of this customer is unbillable (kept, listed, and re-rated once a deck is assigned).
            {sellDecks.length === 0 ? (
              <>
                {" "}
                <Link href="/admin/rates" className="text-brand-700 hover:underline">
                  Create a sell deck
                </Link>{" "}
                first.
              </>
            ) : null}
          </p>
        ) : (
          <p className="text-xs text-slate-500">A trunk with its own deck override is priced by that deck instead.</p>
        )}
      </CardContent>

      <div className="flex min-h-11 items-center justify-between gap-3 px-4 py-2">
        <h3 className="text-sm font-semibold text-slate-900">
          SIP trunks
          {trunks.data ? <span className="ml-1.5 text-xs font-normal text-slate-500">{trunkRows.length}</span> : null}
        </h3>
        {canEdit ? (
          <Button size="sm" onClick={() => setEditing("new")}>
            <PlusIcon />
            Add trunk
          </Button>
        ) : null}
      </div>

      {trunks.isPending ? (
        <div className="flex flex-col gap-2 px-4 pb-4" aria-busy="true">
          <Skeleton className="h-4 w-full" />
          <Skeleton className="h-4 w-2/3" />
        </div>
      ) : trunks.isError ? (
        <QueryError error={trunks.error} what="trunks" onRetry={() => void trunks.refetch()} />
      ) : trunkRows.length === 0 ? (
        <EmptyState
          compact
          icon={<TrunksIcon />}
          title="No SIP trunks"
          description={canEdit ? "Add a trunk so this customer's calls can be matched by account code." : "A tenant admin adds trunks."}
        />
      ) : (
        <div className="overflow-x-auto border-t border-slate-200">
          <table className="w-full border-separate border-spacing-0 text-sm" aria-label="SIP trunks">
            <thead>
              <tr>
                <th scope="col" className={headerCell}>Name</th>
                <th scope="col" className={headerCell}>Account code</th>
                <th scope="col" className={headerCell}>Rate deck</th>
                <th scope="col" className={headerCell}>Tech prefix</th>
                <th scope="col" className={`${headerCell} text-right`}>Limits</th>
                <th scope="col" className={headerCell}>IP ACL</th>
                {canEdit ? (
                  <th scope="col" className={headerCell}>
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {trunkRows.map((trunk) => (
                <tr key={trunk.id} className="group/row hover:bg-slate-50/60">
                  <td className={bodyCell}>
                    <span className="flex items-center gap-2">
                      <span className="font-medium text-slate-900">{trunk.name}</span>
                      {trunk.status !== "ACTIVE" ? <StatusBadge status={trunk.status} /> : null}
                    </span>
                  </td>
                  <td className={bodyCell}>
                    <span className="font-mono text-xs">{trunk.accountCode}</span>
                  </td>
                  <td className={bodyCell}>
                    {trunk.rateDeck ? (
                      <Link href={deckHref(trunk.rateDeck.id)} className="text-brand-700 hover:underline" title="Overrides the customer's deck">
                        {trunk.rateDeck.name}
                      </Link>
                    ) : (
                      <span className="text-slate-500">Customer&apos;s deck</span>
                    )}
                  </td>
                  <td className={bodyCell}>
                    {trunk.techPrefix ? <span className="font-mono text-xs">{trunk.techPrefix}</span> : <span className="text-slate-400">—</span>}
                  </td>
                  <td className={`${bodyCell} numeric text-right`}>
                    <span title={`${trunk.channelLimit} concurrent calls, ${trunk.cpsLimit} calls per second`}>
                      {trunk.channelLimit} ch · {trunk.cpsLimit} cps
                    </span>
                  </td>
                  <td className={bodyCell}>
                    {trunk.ipAcl.length === 0 ? (
                      <span className="text-slate-400">None</span>
                    ) : (
                      <span className="font-mono text-xs" title={trunk.ipAcl.join("\n")}>
                        {trunk.ipAcl[0]}
                        {trunk.ipAcl.length > 1 ? <span className="ml-1 font-sans text-slate-500">+{trunk.ipAcl.length - 1} more</span> : null}
                      </span>
                    )}
                  </td>
                  {canEdit ? (
                    <td className={`${bodyCell} w-px text-right`}>
                      <Button size="sm" variant="ghost" onClick={() => setEditing(trunk)} aria-label={`Edit trunk ${trunk.name}`}>
                        Edit
                      </Button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {canEdit ? (
        <TrunkFormDialog
          open={editing !== null}
          onOpenChange={(open) => {
            if (!open) setEditing(null);
          }}
          customerId={customerId}
          trunk={editing === "new" || editing === null ? undefined : editing}
          sellDecks={sellDecks}
        />
      ) : null}
    </Card>
  );
}
