import { Badge } from "@/components/ui/badge";
import { serverLabel } from "@/components/cdr/sources/types";

const TONES = { UP: "success", DOWN: "danger", UNKNOWN: "neutral" } as const;
const LABELS = { UP: "Up", DOWN: "Down", UNKNOWN: "Not checked" } as const;

/** A server with its last known state; the last error is the tooltip. */
export function ServerStatusBadge({
  server,
  withLabel = true,
}: {
  server: { host: string; port: number; status: "UP" | "DOWN" | "UNKNOWN"; lastError: string | null };
  withLabel?: boolean;
}) {
  const title = server.status === "DOWN" && server.lastError ? server.lastError : `${serverLabel(server)}: ${LABELS[server.status]}`;
  return (
    <Badge tone={TONES[server.status]} dot title={title}>
      {withLabel ? <span className="font-mono text-[11px]">{serverLabel(server)}</span> : null}
      <span className={withLabel ? "ml-1" : undefined}>{LABELS[server.status]}</span>
    </Badge>
  );
}
