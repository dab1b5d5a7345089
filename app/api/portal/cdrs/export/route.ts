import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { CUSTOMER_ROLES } from "@/server/auth/roles";
import { AppError } from "@/server/errors";
import { csvDownload } from "@/server/http/csv-download";
import { errorResponse } from "@/server/http/errors";
import { countCdrs, ZCdrFilter, cdrFilterFromQuery } from "@/server/cdr/search";
import { openCdrCsvExport } from "@/server/cdr/export";

export const dynamic = "force-dynamic";

/** The signed-in customer's own calls as CSV; tenant and customer come from the session only. */
export async function GET(request: Request) {
  try {
    const auth = requireTenantRole(await currentAuth(), CUSTOMER_ROLES);
    if (!auth.customerId) throw new AppError("FORBIDDEN", "This is for customer accounts");
    const filter = ZCdrFilter.parse(cdrFilterFromQuery(new URL(request.url).searchParams));
    const scope = { tenantId: auth.tenantId, customerId: auth.customerId };
    const total = await countCdrs({ scope, filter });
    const fileName = `calls-${filter.from.toISOString().slice(0, 10)}-to-${filter.to.toISOString().slice(0, 10)}.csv`;
    return csvDownload(await openCdrCsvExport({ scope, filter }), { fileName, headers: { "x-total-rows": String(total) } });
  } catch (error) {
    return errorResponse(error);
  }
}
