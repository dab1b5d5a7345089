import { z } from "zod";
import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { AppError } from "@/server/errors";
import { csvDownload } from "@/server/http/csv-download";
import { errorResponse } from "@/server/http/errors";
import { getCdrFile, streamCdrRejectsCsv } from "@/server/cdr/file-queries";

export const dynamic = "force-dynamic";

/** The rejected lines of a CDR file as CSV (line,reason,raw), streamed in keyset batches. */
export async function GET(_request: Request, context: { params: Promise<{ fileId: string }> }) {
  try {
    const auth = requireTenantRole(await currentAuth());
    const { fileId } = await context.params;
    if (!z.uuid().safeParse(fileId).success) throw AppError.notFound("CDR file");
    const file = await getCdrFile({ tenantId: auth.tenantId, fileId });
    const rows = streamCdrRejectsCsv({ tenantId: auth.tenantId, fileId: file.id });
    const fileName = `${file.fileName.replace(/[^A-Za-z0-9._-]+/g, "-")}-rejects.csv`;
    return csvDownload(rows, { fileName });
  } catch (error) {
    return errorResponse(error);
  }
}
