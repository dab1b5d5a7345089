import { Readable } from "node:stream";
import { z } from "zod";
import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { CUSTOMER_ROLES } from "@/server/auth/roles";
import { AppError } from "@/server/errors";
import { errorResponse } from "@/server/http/errors";
import { getStatement, statementFileName, statementPdf } from "@/server/wallet/statements";

export const dynamic = "force-dynamic";

/** The signed-in customer's own statement as a PDF, streamed. */
export async function GET(_request: Request, context: { params: Promise<{ statementId: string }> }) {
  try {
    const auth = requireTenantRole(await currentAuth(), CUSTOMER_ROLES);
    if (!auth.customerId) throw new AppError("FORBIDDEN", "This is for customer accounts");
    const { statementId } = await context.params;
    if (!z.uuid().safeParse(statementId).success) throw AppError.notFound("Statement");
    const statement = await getStatement({ tenantId: auth.tenantId, customerId: auth.customerId, statementId });
    const body = Readable.toWeb(statementPdf(statement)) as ReadableStream;
    return new Response(body, {
      headers: {
        "content-type": "application/pdf",
        "content-disposition": `attachment; filename="${statementFileName(statement)}"`,
        "cache-control": "private, no-store",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
