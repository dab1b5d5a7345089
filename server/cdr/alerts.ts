import { appUrl } from "@/server/mail/templates";

/**
 * Mails about a CDR source's SFTP servers: one when a server goes down, one when it comes
 * back, and a louder one when every server of the source is down (no CDRs are arriving);
 * and one when a poll brings files that are held for review (their calls are not billed).
 * Plain text first (people read these on phones and in ticket systems); simple HTML second.
 */

export type TAlertMail = { subject: string; text: string; html: string };

function escapeHtml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** "2 h 05 min 09 s", "45 s": exact to the second, readable at a glance. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const pad = (value: number) => String(value).padStart(2, "0");
  if (days > 0) return `${days} d ${hours} h ${pad(minutes)} min`;
  if (hours > 0) return `${hours} h ${pad(minutes)} min ${pad(rest)} s`;
  if (minutes > 0) return `${minutes} min ${pad(rest)} s`;
  return `${rest} s`;
}

function formatInstant(date: Date): string {
  return `${date.toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

/** Where a mail about a source's servers points: the source's outages. */
function availabilityLink(sourceId: string): { path: string; label: string } {
  return { path: `/admin/cdr/sources/${sourceId}/availability`, label: "Availability and outages of this source" };
}

function render(options: { subject: string; heading: string; lines: [string, string][]; note: string; link: { path: string; label: string }; loud?: boolean }): TAlertMail {
  const url = appUrl(options.link.path);
  const text = [
    options.heading,
    "",
    ...options.lines.map(([label, value]) => `${label}: ${value}`),
    "",
    options.note,
    "",
    `${options.link.label}: ${url}`,
  ].join("\n");
  const color = options.loud ? "#b91c1c" : "#0f172a";
  const rows = options.lines
    .map(
      ([label, value]) =>
        `<tr><td style="padding:4px 12px 4px 0;color:#64748b;vertical-align:top;white-space:nowrap">${escapeHtml(label)}</td><td style="padding:4px 0">${escapeHtml(value)}</td></tr>`,
    )
    .join("");
  const html =
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#0f172a;max-width:600px;margin:0 auto;padding:24px">` +
    `<h1 style="font-size:18px;color:${color}">${escapeHtml(options.heading)}</h1>` +
    `<table style="border-collapse:collapse;font-size:14px">${rows}</table>` +
    `<p style="margin:16px 0">${escapeHtml(options.note)}</p>` +
    `<p><a href="${escapeHtml(url)}">${escapeHtml(options.link.label)}</a></p>` +
    `</body></html>`;
  return { subject: options.subject, text, html };
}

export function serverDownMail(options: { sourceId: string; sourceName: string; server: string; since: Date; error: string; failover: string | null }): TAlertMail {
  return render({
    subject: `[Trunkline] CDR server down: ${options.server} (${options.sourceName})`,
    heading: `SFTP server ${options.server} of CDR source "${options.sourceName}" is down`,
    lines: [
      ["Source", options.sourceName],
      ["Server", options.server],
      ["Down since", formatInstant(options.since)],
      ["Error", options.error],
      ["Files now fetched from", options.failover ?? "no other server"],
    ],
    note: "You will get one more message when the server is reachable again.",
    link: availabilityLink(options.sourceId),
  });
}

export function serverRecoveredMail(options: { sourceId: string; sourceName: string; server: string; since: Date; until: Date; error: string }): TAlertMail {
  const seconds = (options.until.getTime() - options.since.getTime()) / 1000;
  return render({
    subject: `[Trunkline] CDR server recovered: ${options.server} (${options.sourceName}) after ${formatDuration(seconds)}`,
    heading: `SFTP server ${options.server} of CDR source "${options.sourceName}" is reachable again`,
    lines: [
      ["Source", options.sourceName],
      ["Server", options.server],
      ["Down from", formatInstant(options.since)],
      ["Up again at", formatInstant(options.until)],
      ["Outage duration", formatDuration(seconds)],
      ["Error while down", options.error],
    ],
    note: "The outage is recorded on the source's availability page.",
    link: availabilityLink(options.sourceId),
  });
}

export function allServersDownMail(options: { sourceId: string; sourceName: string; since: Date; servers: { server: string; error: string | null }[] }): TAlertMail {
  return render({
    subject: `[Trunkline] ALERT: ALL servers down for CDR source ${options.sourceName}: no CDRs are arriving`,
    heading: `ALL SFTP servers of CDR source "${options.sourceName}" are down`,
    lines: [
      ["Source", options.sourceName],
      ["All down since", formatInstant(options.since)],
      ...options.servers.map((server, index): [string, string] => [`Server ${index + 1}`, `${server.server}: ${server.error ?? "not reachable"}`]),
    ],
    note: "No CDR file can be fetched until one of these servers is reachable: calls are not being billed. Contact the carrier. You will get one more message when the source recovers.",
    link: availabilityLink(options.sourceId),
    loud: true,
  });
}

export function allServersRecoveredMail(options: { sourceId: string; sourceName: string; since: Date; until: Date; via: string | null }): TAlertMail {
  const seconds = (options.until.getTime() - options.since.getTime()) / 1000;
  return render({
    subject: `[Trunkline] Recovered: CDR source ${options.sourceName} is reachable again after ${formatDuration(seconds)}`,
    heading: `CDR source "${options.sourceName}" is reachable again`,
    lines: [
      ["Source", options.sourceName],
      ["All servers down from", formatInstant(options.since)],
      ["Reachable again at", formatInstant(options.until)],
      ["Outage duration", formatDuration(seconds)],
      ["Reached through", options.via ?? "a server of the source"],
    ],
    note: "Files that arrived meanwhile are fetched by this and the next polls.",
    link: availabilityLink(options.sourceId),
  });
}

/**
 * Files a poll brought that are held for review: a re-issued file (a known name with other
 * content), or content another source already delivered. None of their calls are billed until
 * an admin releases or dismisses them. One mail per poll, naming each file it held.
 */
export function heldFilesMail(options: { sourceId: string; sourceName: string; files: { id: string; name: string; note: string | null }[] }): TAlertMail {
  const { files } = options;
  const only = files.length === 1 ? files[0]! : null;
  return render({
    subject: only
      ? `[Trunkline] CDR file held for review: ${only.name} (${options.sourceName})`
      : `[Trunkline] ${files.length} CDR files held for review (${options.sourceName})`,
    heading: only
      ? `CDR file ${only.name} from source "${options.sourceName}" is held for review`
      : `${files.length} CDR files from source "${options.sourceName}" are held for review`,
    lines: [["Source", options.sourceName], ...files.map((file): [string, string] => [file.name, file.note ?? "Held for review"])],
    note:
      "None of the calls of a held file are billed until an admin reviews it: releases it for ingest, or dismisses it. " +
      "You will not get another message about these files.",
    link: only
      ? { path: `/admin/cdr/files/${only.id}`, label: "Review the file" }
      : { path: `/admin/cdr/files?status=HELD&source=${options.sourceId}`, label: "Review the held files" },
  });
}
