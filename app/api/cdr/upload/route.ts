import { z } from "zod";
import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { clientIp } from "@/server/auth/client-ip";
import { AppError } from "@/server/errors";
import { errorResponse } from "@/server/http/errors";
import { assertSameOrigin } from "@/server/http/same-origin";
import { uploadCdrFile } from "@/server/cdr/upload";

export const dynamic = "force-dynamic";

/**
 * Upload a CDR file: the raw file is the request body, `?sourceId=&name=` say where it comes
 * from. Not multipart (unlike the deck import): `formData()` reads the whole body into memory,
 * and a CDR file may be 2 GB; the raw body streams straight to the spool. Answers the
 * received file `{ id, status, note }` (RECEIVED, DUPLICATE or HELD).
 */
export async function POST(request: Request) {
  try {
    assertSameOrigin(request);
    const auth = requireTenantRole(await currentAuth(), TENANT_ADMIN_ROLES);
    const params = new URL(request.url).searchParams;
    // A real UUID, not just its characters: anything else would reach the database's uuid cast.
    const parsedSourceId = z.uuid().safeParse(params.get("sourceId") ?? "");
    if (!parsedSourceId.success) throw AppError.invalidField("sourceId", "Choose the CDR source the file comes from");
    const sourceId = parsedSourceId.data;
    if (!request.body) throw AppError.invalidField("file", "Choose a CDR file to upload");
    const received = await uploadCdrFile({
      tenantId: auth.tenantId,
      actor: { userId: auth.userId, email: auth.email, ip: clientIp((name) => request.headers.get(name)) },
      sourceId,
      fileName: params.get("name") ?? "",
      body: request.body,
    });
    return Response.json(received);
  } catch (error) {
    return errorResponse(error);
  }
}
