"use client";

import { DateTime } from "@/components/admin/date-time";
import { MiniTable } from "@/components/admin/mini-table";
import { formatBytes, type TConnectionTest } from "@/components/cdr/sources/types";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";

const KIND_LABELS: Record<string, string> = {
  REFUSED: "Refused",
  AUTH: "Login rejected",
  TIMEOUT: "Timed out",
  HOST_NOT_FOUND: "Host not found",
  UNREACHABLE: "Unreachable",
  PROTOCOL: "SFTP error",
  HOST_KEY: "Host key changed",
};

const HOST_KEY_NOTES = {
  KNOWN: "the known key",
  NEW: "new: the first poll will keep it",
  CHANGED: "not the known key",
} as const;

/**
 * What a connection test found on each server, and the files a poll would fetch. Nothing is
 * downloaded. `stale`: the servers or the folder were edited since, so this is what the
 * previous settings gave, shown greyed out until the next test.
 */
export function ConnectionTestResult({ result, stale }: { result: TConnectionTest; stale: boolean }) {
  return (
    <Card aria-live="polite">
      <CardHeader>
        <CardTitle>Connection test</CardTitle>
        <CardDescription>Each server in turn; nothing was downloaded, moved or deleted, and no outage was recorded.</CardDescription>
        {stale ? (
          <p role="status" className="mt-2 rounded-md bg-warning-50 px-3 py-2 text-sm text-warning-800" data-testid="connection-test-stale">
            Settings changed since this test: it shows what the previous servers and folder answered. Test again to check the new ones.
          </p>
        ) : null}
      </CardHeader>
      <CardContent flush className={stale ? "divide-y divide-slate-200 opacity-50" : "divide-y divide-slate-200"}>
        {result.servers.map((server, index) => {
          const wouldFetch = server.files.filter((file) => !file.known).length;
          return (
            <section key={`${server.server}-${index}`} className="py-3" aria-label={`Server ${index + 1}: ${server.server}`}>
              <div className="flex flex-wrap items-center gap-2 px-4">
                <span className="text-xs text-slate-500">{index + 1}.</span>
                <span className="font-mono text-sm">{server.server}</span>
                {server.ok ? (
                  <Badge tone="success" dot>
                    Connected in {server.elapsedMs} ms
                  </Badge>
                ) : (
                  <Badge tone="danger" dot>
                    {KIND_LABELS[server.kind ?? ""] ?? "Failed"}
                  </Badge>
                )}
                {server.ok && !server.listError ? (
                  <span className="text-xs text-slate-600">
                    {server.fileCount} matching file{server.fileCount === 1 ? "" : "s"}; {wouldFetch} would be fetched
                    {server.fileCount > server.files.length ? ` (newest ${server.files.length} shown)` : ""}
                  </span>
                ) : null}
              </div>
              {server.hostKey ? (
                <p className="mt-1 px-4 text-xs text-slate-600">
                  Host key <code className="font-mono">{server.hostKey.fingerprint}</code> ({HOST_KEY_NOTES[server.hostKey.status]})
                </p>
              ) : null}
              {server.error ? <p className="mt-1 px-4 text-sm text-danger-700">{server.error}</p> : null}
              {server.listError ? <p className="mt-1 px-4 text-sm text-danger-700">{server.listError}</p> : null}
              {server.ok && server.files.length > 0 ? (
                <MiniTable className="mt-2" label={`Files on ${server.server}`} columns={["File", { label: "Size", align: "right" }, "Modified", "On the next poll"]}>
                  {server.files.map((file) => (
                    <tr key={file.name} className="text-sm">
                      <td className="border-b border-slate-100 px-3 py-1.5 pl-4 font-mono text-xs">{file.name}</td>
                      <td className="numeric border-b border-slate-100 px-3 py-1.5 text-right">{formatBytes(file.size)}</td>
                      <td className="border-b border-slate-100 px-3 py-1.5">
                        <DateTime value={file.modifiedAt} style="precise" />
                      </td>
                      <td className="border-b border-slate-100 px-3 py-1.5 pr-4">
                        {file.known ? <Badge tone="neutral">Already received: skipped</Badge> : <Badge tone="info">Would be fetched</Badge>}
                      </td>
                    </tr>
                  ))}
                </MiniTable>
              ) : null}
            </section>
          );
        })}
      </CardContent>
    </Card>
  );
}
