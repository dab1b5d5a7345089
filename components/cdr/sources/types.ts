import type { TRouterOutputs } from "@/components/admin/types";

export type TCdrSourceRow = TRouterOutputs["cdrSources"]["list"]["rows"][number];
export type TCdrSource = TRouterOutputs["cdrSources"]["get"];
export type TCdrServer = TCdrSource["servers"][number];
export type TConnectionTest = TRouterOutputs["cdrSources"]["testConnection"];
export type TAvailability = TRouterOutputs["cdrSources"]["availability"];

export const CDR_FORMAT_OPTIONS = [
  { value: "asterisk", label: "Asterisk (Master.csv)" },
  { value: "freeswitch", label: "FreeSWITCH (cdr_csv)" },
  { value: "csv", label: "CSV with a header row" },
] as const;

/** "Asterisk", "FreeSWITCH", "CSV with a header row": the format's name without its detail. */
export function cdrFormatName(format: string): string {
  return CDR_FORMAT_OPTIONS.find((option) => option.value === format)?.label.split(" (")[0] ?? format;
}

export const AFTER_DOWNLOAD_OPTIONS = [
  { value: "LEAVE", label: "Leave it on the server" },
  { value: "MOVE", label: "Move it to a processed folder" },
  { value: "DELETE", label: "Delete it from the server" },
] as const;

export function sourceHref(sourceId: string): string {
  return `/admin/cdr/sources/${sourceId}`;
}

/** The CDR files list, filtered by the source. */
export function filesOfSourceHref(sourceId: string): string {
  return `/admin/cdr/files?${new URLSearchParams({ source: sourceId }).toString()}`;
}

export function availabilityHref(sourceId: string): string {
  return `/admin/cdr/sources/${sourceId}/availability`;
}

export function serverLabel(server: { host: string; port: number }): string {
  return server.host.includes(":") ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/** "2 h 05 min 09 s", "45 s": exact to the second (SLA figures). */
export function formatOutageDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const pad = (value: number) => String(value).padStart(2, "0");
  if (days > 0) return `${days} d ${hours} h ${pad(minutes)} min ${pad(rest)} s`;
  if (hours > 0) return `${hours} h ${pad(minutes)} min ${pad(rest)} s`;
  if (minutes > 0) return `${minutes} min ${pad(rest)} s`;
  return `${rest} s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GB`;
}
