import { Readable } from "node:stream";
import { z } from "zod";
import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { AppError } from "@/server/errors";
import { errorResponse } from "@/server/http/errors";
import { getStatement, statementFileName, statementPdf } from "@/server/wallet/statements";

export const dynamic = "force-dynamic";

/** A customer's statement as a PDF for tenant staff, streamed. */
export async function GET(_request: Request, context: { params: Promise<{ customerId: string; statementId: string }> }) {
  try {
    const auth = requireTenantRole(await currentAuth());
    const { customerId, statementId } = await context.params;
    if (!z.uuid().safeParse(customerId).success || !z.uuid().safeParse(statementId).success) throw AppError.notFound("Statement");
    const statement = await getStatement({ tenantId: auth.tenantId, customerId, statementId });
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
