import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { CUSTOMER_ROLES } from "@/server/auth/roles";
import { AppError } from "@/server/errors";
import { csvDownload } from "@/server/http/csv-download";
import { errorResponse, methodNotAllowed } from "@/server/http/errors";
import { ZCdrFilter, cdrFilterFromQuery } from "@/server/cdr/search";
import { openCdrCsvExport } from "@/server/cdr/export";

export const dynamic = "force-dynamic";

/** The signed-in customer's own calls as CSV; tenant and customer come from the session only. */
export async function GET(request: Request) {
  try {
    const auth = requireTenantRole(await currentAuth(), CUSTOMER_ROLES);
    if (!auth.customerId) throw new AppError("FORBIDDEN", "This is for customer accounts");
    const filter = ZCdrFilter.parse(cdrFilterFromQuery(new URL(request.url).searchParams));
    const scope = { tenantId: auth.tenantId, customerId: auth.customerId };
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
