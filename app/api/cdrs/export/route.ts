import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { csvDownload } from "@/server/http/csv-download";
import { errorResponse } from "@/server/http/errors";
import { countCdrs, ZCdrFilter, cdrFilterFromQuery } from "@/server/cdr/search";
import { openCdrCsvExport } from "@/server/cdr/export";

export const dynamic = "force-dynamic";

/**
 * The calls of a filter as CSV for tenant staff (?from=&to=&customerId=&trunkId=&caller=&calleePrefix=
 * &category=&status=&sourceId=&fileId=), streamed through a server-side cursor. X-Total-Rows carries
 * the row count so the browser can show "n of N" while it reads the stream.
 */
export async function GET(request: Request) {
  try {
    const auth = requireTenantRole(await currentAuth());
    // Validated before the stream starts, so bad input is a 400 rather than a broken download.
    const filter = ZCdrFilter.parse(cdrFilterFromQuery(new URL(request.url).searchParams));
    const scope = { tenantId: auth.tenantId };
    const total = await countCdrs({ scope, filter });
    const fileName = `calls-${filter.from.toISOString().slice(0, 10)}-to-${filter.to.toISOString().slice(0, 10)}.csv`;
    return csvDownload(await openCdrCsvExport({ scope, filter }), { fileName, headers: { "x-total-rows": String(total) } });
  } catch (error) {
    return errorResponse(error);
  }
}
