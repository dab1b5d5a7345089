import { z } from "zod";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { alertRecipients } from "./polling";
import { serverLabel } from "./sftp";

/**
 * Availability of a source's SFTP servers over a period [from, to): the evidence a carrier
 * shows its supplier under an SLA. Everything is computed in whole milliseconds from the
 * recorded outages: an outage starts at the first failed check and ends at the first
 * successful one, so the resolution is the source's poll interval (stated in the result).
 * The part of the period after `now` has not happened and is not counted; neither is the
 * time before a server was added to the source, nor after it was removed from it. A removed
 * server stays in the report (its outages are evidence) for periods it was part of, marked
 * with its removal date.
 */

export const ZAvailabilityInput = z
  .object({
    sourceId: z.uuid(),
    from: z.coerce.date(),
    to: z.coerce.date(),
  })
  .superRefine((input, context) => {
    if (input.to.getTime() <= input.from.getTime()) context.addIssue({ code: "custom", path: ["to"], message: "The end must be after the start" });
    else if (input.to.getTime() - input.from.getTime() > 400 * 86_400_000) context.addIssue({ code: "custom", path: ["to"], message: "Choose a period of at most 400 days" });
  });

export const ALL_SERVERS = "all";

/**
 * Where an outage's alerts stand (server/cdr/polling.ts sends them at the end of every poll and
 * marks each once the mail relay accepted it; without a mail server, once it was kept in the outbox).
 */
export type TOutageAlertState =
  /** Still down, its "down" alert not sent yet: every poll tries again until the relay accepts it. */
  | "DOWN_OWED"
  | "DOWN_SENT"
  /** Ended, its "recovered" alert not sent yet: every poll tries again until the relay accepts it. */
  | "RECOVERY_OWED"
  | "RECOVERY_SENT"
  /**
   * Ended after its "down" alert because nobody checks the server any more (polling turned off,
   * the server removed, its address not allowed): it did not recover, so no "recovered" alert.
   */
  | "MONITORING_STOPPED"
  /** Ended before its "down" alert went out: no alert about it was sent, nor will be. */
  | "NEVER_SENT";

/** Why the alerts still owed are not being sent, besides the relay refusing them. */
export type TAlertsBlockedBy = "POLLING_OFF" | "NO_RECIPIENTS";

/**
 * What every writer that ends an outage because monitoring stopped appends to its last error
 * (server/cdr/sources.ts and polling.ts). Such an end is marked as if its recovery alert had
 * gone out (so none is sent): this text is what tells the two apart.
 */
const MONITORING_STOPPED_NOTE = " (monitoring stopped: ";

function alertStateOf(outage: { endedAt: Date | null; downAlertedAt: Date | null; recoveryAlertedAt: Date | null; lastError: string | null }): TOutageAlertState {
  if (outage.endedAt === null) return outage.downAlertedAt ? "DOWN_SENT" : "DOWN_OWED";
  if (!outage.downAlertedAt) return "NEVER_SENT";
  if (outage.lastError?.includes(MONITORING_STOPPED_NOTE)) return "MONITORING_STOPPED";
  return outage.recoveryAlertedAt ? "RECOVERY_SENT" : "RECOVERY_OWED";
}

export type TAvailabilityOutage = {
  id: string;
  /** Server id, or "all" for "every server of the source down". */
  serverKey: string;
  server: string;
  /** When the outage's server was removed from the source; null while it is part of it (and for "all"). */
  serverRemovedAt: Date | null;
  startedAt: Date;
  endedAt: Date | null;
  ongoing: boolean;
  /** Whole outage, up to now when ongoing. */
  durationMs: number;
  /** The part inside the period. */
  inPeriodMs: number;
  error: string;
  lastError: string | null;
  failedChecks: number;
  alertState: TOutageAlertState;
  /** When its "down" alert went out (alone, or in the one "all servers down" alert); null if none has. */
  downAlertedAt: Date | null;
  /** When its "recovered" alert went out; null while owed, and when none goes out (see alertState). */
  recoveryAlertedAt: Date | null;
};

export type TAvailabilityTotal = {
  serverKey: string;
  server: string;
  /** The server's last known status; null for "all" and for a removed server. */
  status: string | null;
  /** When the server was removed from the source (measuring stops there); null while it is part of it. */
  removedAt: Date | null;
  /** The part of the period this server was monitored (after it was added, before it was removed and before now). */
  measuredFrom: Date;
  measuredTo: Date;
  measuredMs: number;
  downtimeMs: number;
  outageCount: number;
  /** 100 × (1 − downtime / measured), rounded to 3 decimals; null when nothing was measured. */
  availabilityPercent: number | null;
};

export type TAvailabilityTimeline = {
  serverKey: string;
  server: string;
  removedAt: Date | null;
  /** Down. */
  segments: { from: Date; to: Date }[];
  /** Neither up nor down: polling off, before the server was added, after it was removed, or still to come. */
  unmonitored: { from: Date; to: Date }[];
};

export type TAvailability = {
  /** alertsBlockedBy: why owed alerts wait (null: nothing but the relay, each poll tries again). */
  source: { id: string; name: string; pollIntervalMinutes: number; alertsBlockedBy: TAlertsBlockedBy | null };
  from: Date;
  to: Date;
  now: Date;
  outages: TAvailabilityOutage[];
  totals: TAvailabilityTotal[];
  timeline: TAvailabilityTimeline[];
};

function clip(start: number, end: number, from: number, to: number): [number, number] | null {
  const left = Math.max(start, from);
  const right = Math.min(end, to);
  return right > left ? [left, right] : null;
}

/** The parts of [from, to] that no interval covers. */
function gapsIn(intervals: [number, number][], from: number, to: number): [number, number][] {
  const gaps: [number, number][] = [];
  let cursor = from;
  for (const [start, end] of [...intervals].sort((a, b) => a[0] - b[0])) {
    if (start > cursor) gaps.push([cursor, Math.min(start, to)]);
    cursor = Math.max(cursor, end);
    if (cursor >= to) break;
  }
  if (cursor < to) gaps.push([cursor, to]);
  return gaps.filter(([start, end]) => end > start);
}

/** Total length of a union of intervals (overlaps counted once). */
function unionMs(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let current: [number, number] | null = null;
  for (const interval of sorted) {
    if (current && interval[0] <= current[1]) current[1] = Math.max(current[1], interval[1]);
    else {
      if (current) total += current[1] - current[0];
      current = [interval[0], interval[1]];
    }
  }
  if (current) total += current[1] - current[0];
  return total;
}

export function percentUp(measuredMs: number, downtimeMs: number): number | null {
  if (measuredMs <= 0) return null;
  return Math.round((1 - downtimeMs / measuredMs) * 100_000) / 1000;
}

export async function sourceAvailability(options: { tenantId: string; sourceId: string; from: Date; to: Date; now?: Date }): Promise<TAvailability> {
  const input = ZAvailabilityInput.parse({ sourceId: options.sourceId, from: options.from, to: options.to });
  const now = options.now ?? new Date();
  const source = await db().cdrSource.findFirst({
    where: { tenantId: options.tenantId, id: input.sourceId },
    select: {
      id: true,
      name: true,
      pollIntervalMinutes: true,
      enabled: true,
      alertEmails: true,
      createdAt: true,
      // Live servers in order, then the ones removed during (or after) the period.
      servers: {
        where: { OR: [{ removedAt: null }, { removedAt: { gt: input.from } }] },
        select: { id: true, host: true, port: true, status: true, createdAt: true, removedAt: true },
        orderBy: [{ removedAt: { sort: "asc", nulls: "first" } }, { position: "asc" }],
      },
    },
  });
  if (!source) throw AppError.notFound("CDR source");
  const from = input.from.getTime();
  const to = input.to.getTime();
  const observedTo = Math.min(to, now.getTime());

  // Only monitored time counts (polling on): a disabled source is checked by nobody, so
  // neither up nor down. Open periods run until now.
  const monitoring = await db().cdrSourceMonitoring.findMany({
    where: { tenantId: options.tenantId, sourceId: source.id, startedAt: { lt: input.to }, OR: [{ endedAt: null }, { endedAt: { gt: input.from } }] },
    select: { startedAt: true, endedAt: true },
    orderBy: { startedAt: "asc" },
  });
  const monitoredPeriods = monitoring.map((period): [number, number] => [period.startedAt.getTime(), period.endedAt?.getTime() ?? now.getTime()]);

  const rows = await db().cdrSourceOutage.findMany({
    where: {
      tenantId: options.tenantId,
      sourceId: source.id,
      startedAt: { lt: input.to },
      OR: [{ endedAt: null }, { endedAt: { gt: input.from } }],
    },
    // "All servers" before the servers that went down with it.
    orderBy: [{ startedAt: "asc" }, { serverId: { sort: "asc", nulls: "first" } }, { id: "asc" }],
    include: { server: { select: { host: true, port: true, removedAt: true } } },
  });

  const outages: TAvailabilityOutage[] = rows.map((row) => {
    const end = row.endedAt?.getTime() ?? now.getTime();
    const inPeriod = clip(row.startedAt.getTime(), end, from, observedTo);
    const alertState = alertStateOf(row);
    return {
      id: row.id,
      serverKey: row.serverId ?? ALL_SERVERS,
      server: row.server ? serverLabel(row.server) : "All servers",
      serverRemovedAt: row.server?.removedAt ?? null,
      startedAt: row.startedAt,
      endedAt: row.endedAt,
      ongoing: row.endedAt === null,
      durationMs: Math.max(0, end - row.startedAt.getTime()),
      inPeriodMs: inPeriod ? inPeriod[1] - inPeriod[0] : 0,
      error: row.error,
      lastError: row.lastError,
      failedChecks: row.failedChecks,
      alertState,
      downAlertedAt: row.downAlertedAt,
      recoveryAlertedAt: alertState === "RECOVERY_SENT" ? row.recoveryAlertedAt : null,
    };
  });
  // A disabled source mails no one (see sendOwedAlerts); an enabled one mails its recipients.
  const alertsBlockedBy: TAlertsBlockedBy | null = !source.enabled
    ? "POLLING_OFF"
    : (await alertRecipients(options.tenantId, source.alertEmails)).length === 0
      ? "NO_RECIPIENTS"
      : null;

  const subjects = [
    { serverKey: ALL_SERVERS, server: "Source (all servers down)", status: null as string | null, since: source.createdAt.getTime(), removedAt: null as Date | null },
    ...source.servers.map((server) => ({
      serverKey: server.id,
      server: serverLabel(server),
      status: server.removedAt ? null : (server.status as string | null),
      since: server.createdAt.getTime(),
      removedAt: server.removedAt,
    })),
  ];
  const totals: TAvailabilityTotal[] = [];
  const timeline: TAvailabilityTimeline[] = [];
  for (const subject of subjects) {
    // A removed server is measured while it was part of the source only.
    const measuredTo = subject.removedAt ? Math.min(observedTo, subject.removedAt.getTime()) : observedTo;
    const measuredFrom = Math.min(Math.max(from, subject.since), measuredTo);
    // The subject's window, cut to the periods the source was monitored.
    const measured = monitoredPeriods.flatMap(([start, end]) => {
      const part = clip(start, end, measuredFrom, measuredTo);
      return part ? [part] : [];
    });
    const segments = outages
      .filter((outage) => outage.serverKey === subject.serverKey)
      .flatMap((outage) =>
        measured.flatMap(([start, end]) => {
          const segment = clip(outage.startedAt.getTime(), outage.endedAt?.getTime() ?? now.getTime(), start, end);
          return segment ? [segment] : [];
        }),
      );
    const measuredMs = unionMs(measured);
    const downtimeMs = unionMs(segments);
    totals.push({
      serverKey: subject.serverKey,
      server: subject.server,
      status: subject.status,
      removedAt: subject.removedAt,
      measuredFrom: new Date(measured[0]?.[0] ?? measuredFrom),
      measuredTo: new Date(measured.at(-1)?.[1] ?? measuredFrom),
      measuredMs,
      downtimeMs,
      outageCount: outages.filter((outage) => outage.serverKey === subject.serverKey && outage.inPeriodMs > 0).length,
      availabilityPercent: percentUp(measuredMs, downtimeMs),
    });
    timeline.push({
      serverKey: subject.serverKey,
      server: subject.server,
      removedAt: subject.removedAt,
      segments: segments.map(([start, end]) => ({ from: new Date(start), to: new Date(end) })),
      unmonitored: gapsIn(measured, from, to).map(([start, end]) => ({ from: new Date(start), to: new Date(end) })),
    });
  }

  return {
    source: { id: source.id, name: source.name, pollIntervalMinutes: source.pollIntervalMinutes, alertsBlockedBy },
    from: input.from,
    to: input.to,
    now,
    outages,
    totals,
    timeline,
  };
}
