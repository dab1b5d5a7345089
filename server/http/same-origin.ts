import { env } from "@/server/env";
import { AppError } from "@/server/errors";

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export const CROSS_ORIGIN_REFUSED = "This request came from another site and was refused.";

/**
 * CSRF defence for cookie-authenticated routes that change state, on top of SameSite=Lax
 * (which a same-site sibling host, or an older browser, gets around).
 *
 * Browsers send Origin with every POST, PUT, PATCH and DELETE (fetch and form posts alike),
 * and Sec-Fetch-Site with every request; both are forbidden headers a page's script cannot
 * set. So: an Origin must be APP_URL's origin ("null", from sandboxed frames and some
 * redirects, is not); without Origin, a Sec-Fetch-Site must say "same-origin". A request with
 * neither is not from a browser (curl, a script uploading CDR files with its own session
 * cookie) and is let through: CSRF needs a victim's browser to carry the cookie, and that
 * browser would have sent the headers.
 */
export function assertSameOrigin(request: Request, appUrl: string = env().APP_URL): void {
  if (!STATE_CHANGING.has(request.method.toUpperCase())) return;
  const origin = request.headers.get("origin");
  if (origin !== null) {
    if (origin !== new URL(appUrl).origin) throw new AppError("FORBIDDEN", CROSS_ORIGIN_REFUSED);
    return;
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") throw new AppError("FORBIDDEN", CROSS_ORIGIN_REFUSED);
}
