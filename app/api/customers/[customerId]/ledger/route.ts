import { Readable } from "node:stream";
import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { errorResponse } from "@/server/http/errors";
import { ZLedgerQuery, getWallet, ledgerCsv } from "@/server/wallet/wallet";

export const dynamic = "force-dynamic";

/** A customer's ledger as CSV for tenant staff (?kind=&from=&to=, ISO instants), streamed in keyset batches. */
export async function GET(request: Request, context: { params: Promise<{ customerId: string }> }) {
  try {
    const auth = requireTenantRole(await currentAuth());
    const { customerId } = await context.params;
    const params = new URL(request.url).searchParams;
    // Validated before the stream starts, so bad input is a 400 rather than a broken download.
    const query = ZLedgerQuery.parse({
      customerId,
      kind: params.get("kind") || null,
      from: params.get("from") || null,
      to: params.get("to") || null,
    });
    const customer = await getWallet({ tenantId: auth.tenantId, customerId: query.customerId });
    const body = Readable.toWeb(Readable.from(ledgerCsv({ tenantId: auth.tenantId, query }), { objectMode: false })) as ReadableStream;
    const fileName = `ledger-${customer.accountNumber.replace(/[^A-Za-z0-9._-]+/g, "-")}.csv`;
    return new Response(body, {
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${fileName}"`, "cache-control": "no-store" },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
