"use client";

import { useEffect, useRef, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { toastError } from "@/components/trpc/errors";
import { formatMicros } from "@/components/ui/money-format";
import { toast } from "@/components/ui/toast";
import { formatCount, reasonTitle } from "@/components/cdr/unbillable/types";

const POLL_MS = 1_000;

type TActive = { requestId: string; reason: string | null; queued: number };

/**
 * Starts a re-rate and follows its request (queued → running → completed or failed, as the
 * re-rate records it under either engine) and how many calls of the reason are still
 * unbillable. When it ends, the queue reloads and a toast says what was billed.
 */
export function useRerate(currency: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [requested, setRequested] = useState<TActive | null>(null);
  // The request whose end was already reported: a finished request stays in state (no
  // setState from an effect), it is only no longer "active".
  const reported = useRef<string | null>(null);

  const refreshQueue = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.unbillableSummary.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.unbillableDetail.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.cdrFiles.list.queryKey() });
  };

  const start = useMutation(
    trpc.cdrFiles.rerate.mutationOptions({
      onSuccess: (result, input) => setRequested({ requestId: result.requestId, reason: input.reason ?? null, queued: result.queued }),
      onError: toastError,
    }),
  );

  const status = useQuery({
    ...trpc.cdrFiles.rerateStatus.queryOptions({ requestId: requested?.requestId ?? "00000000-0000-4000-8000-000000000000" }),
    enabled: requested !== null,
    // Not after an error: the page says it lost track instead of asking every second.
    refetchInterval: (query) => (query.state.data?.done || query.state.status === "error" ? false : POLL_MS),
  });

  const data = requested && status.data ? status.data : null;
  const lostTrack = requested !== null && status.isError;
  const ended = requested !== null && ((data !== null && data.done) || lostTrack);
  const active = ended ? null : requested;
  // The run ended: report it once.
  useEffect(() => {
    if (!ended || !requested || reported.current === requested.requestId) return;
    reported.current = requested.requestId;
    refreshQueue();
    const scope = requested.reason ? reasonTitle(requested.reason).toLowerCase() : "all reasons";
    if (!data?.done) {
      toast.error(`Lost track of re-rating (${scope}): ${status.error?.message ?? "the server did not answer"}. It may still be running: see Jobs, or reload the page.`);
      return;
    }
    const billed = `${formatCount(data.rated)} call${data.rated === 1 ? "" : "s"} billed (${formatMicros(data.charged, currency, { precision: 2 })})`;
    if (data.status === "FAILED") {
      const sofar = data.rated > 0 ? ` ${billed} before it stopped.` : "";
      toast.error(`Re-rating (${scope}) failed: ${data.error ?? "see Jobs"}.${sofar} Nothing is billed twice; run it again.`);
    } else if (data.rated === 0) {
      toast.info(`Re-rated ${scope}: no call could be priced yet. Fix the cause first.`);
    } else {
      toast.success(`Re-rated ${scope}: ${billed}; ${formatCount(data.stillUnbillable ?? data.remaining)} still unbillable.`);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reports once per ended request
  }, [ended, requested?.requestId]);

  return {
    start: (reason: string | null, callbacks: { onStarted?: () => void } = {}) => start.mutate(reason ? { reason } : {}, { onSuccess: () => callbacks.onStarted?.() }),
    starting: start.isPending,
    active,
    remaining: data?.remaining ?? active?.queued ?? null,
    runStatus: data?.status ?? (active ? "QUEUED" : null),
  };
}
