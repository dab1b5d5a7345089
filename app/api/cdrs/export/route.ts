import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { csvDownload } from "@/server/http/csv-download";
import { errorResponse, methodNotAllowed } from "@/server/http/errors";
import { ZCdrFilter, cdrFilterFromQuery } from "@/server/cdr/search";
import { openCdrCsvExport } from "@/server/cdr/export";

export const dynamic = "force-dynamic";

/**
 * The calls of a filter as CSV for tenant staff (?from=&to=&customerId=&trunkId=&caller=&calleePrefix=
 * &category=&status=&sourceId=&fileId=&accountCode=&unbillableReason=; customerId=none for calls of no
 * customer), streamed through a server-side cursor. X-Total-Rows carries
 * the row count so the browser can show "n of N" while it reads the stream; X-Time-Zone names the
 * tenant's zone, which the times are written in (each also carries its UTC offset).
 */
export async function GET(request: Request) {
  try {
    const auth = requireTenantRole(await currentAuth());
    // Validated before the stream starts, so bad input is a 400 rather than a broken download.
    const filter = ZCdrFilter.parse(cdrFilterFromQuery(new URL(request.url).searchParams));
    const scope = { tenantId: auth.tenantId };
    const exported = await openCdrCsvExport({ scope, filter, signal: request.signal });
    return csvDownload(exported.chunks, { fileName: exported.fileName, headers: { "x-total-rows": String(exported.total), "x-time-zone": exported.timeZone } });
  } catch (error) {
    return errorResponse(error);
  }
}

/**
 * Not a download: Next.js would answer HEAD by running GET and dropping its body unread, which
 * opens a cursor (and holds a connection) for nobody.
 */
export function HEAD() {
  return methodNotAllowed("GET");
}
