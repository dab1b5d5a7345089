import { Readable } from "node:stream";
import { z } from "zod";
import { currentAuth } from "@/server/auth/session";
import { requireTenantRole } from "@/server/auth/require";
import { errorResponse } from "@/server/http/errors";
import { getDeck, iterateDeckRates } from "@/server/rating/decks";
import { writeDeckCsv } from "@/server/rating/deck-formats";

export const dynamic = "force-dynamic";

/** The whole deck as native CSV, streamed in keyset batches (constant memory). */
export async function GET(_request: Request, context: { params: Promise<{ deckId: string }> }) {
  try {
    const auth = requireTenantRole(await currentAuth());
    // Checked like the other routes' ids: a malformed one is a 400, not a database error.
    const deckId = z.uuid().parse((await context.params).deckId);
    const deck = await getDeck({ tenantId: auth.tenantId, deckId });
    const body = Readable.toWeb(Readable.from(writeDeckCsv(iterateDeckRates({ tenantId: auth.tenantId, deckId })), { objectMode: false })) as ReadableStream;
    const fileName = `${deck.name.replace(/[^A-Za-z0-9._-]+/g, "-")}.csv`;
    return new Response(body, {
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${fileName}"` },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
