import { Readable } from "node:stream";
import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { CUSTOMER_ROLES } from "@/server/auth/roles";
import { AppError } from "@/server/errors";
import { errorResponse } from "@/server/http/errors";
import { ZLedgerQuery, customerLedgerCsv } from "@/server/wallet/wallet";

export const dynamic = "force-dynamic";

/**
 * The signed-in customer's own ledger as CSV (?kind=&from=&to=); tenant and customer come from the
 * session only. Entries read as in the portal, never by their staff memos.
 */
export async function GET(request: Request) {
  try {
    const auth = requireTenantRole(await currentAuth(), CUSTOMER_ROLES);
    if (!auth.customerId) throw new AppError("FORBIDDEN", "This is for customer accounts");
    const params = new URL(request.url).searchParams;
    const query = ZLedgerQuery.parse({
      customerId: auth.customerId,
      kind: params.get("kind") || null,
      from: params.get("from") || null,
      to: params.get("to") || null,
    });
    const body = Readable.toWeb(Readable.from(customerLedgerCsv({ tenantId: auth.tenantId, query }), { objectMode: false })) as ReadableStream;
    return new Response(body, {
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="transactions.csv"', "cache-control": "no-store" },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
