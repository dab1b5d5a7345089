"use client";

import { getCsrfToken, signOut } from "next-auth/react";

function ticketVersion(ticket: string): number | null {
  try {
    const payload = ticket.split(".")[0] ?? "";
    const json: unknown = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
    const version = typeof json === "object" && json !== null && "sessionVersion" in json ? json.sessionVersion : null;
    return typeof version === "number" ? version : null;
  } catch {
    return null;
  }
}

/**
 * A password change (or a confirmed new address) ends every session of the account. The
 * server answers the browser that made the change with a signed ticket; handing it to
 * next-auth's session update (the POST `useSession().update()` makes, without needing a
 * SessionProvider) moves this browser's session to the new version. True when it did.
 */
export async function continueSession(ticket: string): Promise<boolean> {
  const expected = ticketVersion(ticket);
  try {
    const csrfToken = await getCsrfToken();
    const response = await fetch("/api/auth/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ csrfToken, data: { sessionTicket: ticket } }),
    });
    if (!response.ok) return false;
    const session: unknown = await response.json();
    const version = typeof session === "object" && session !== null && "sessionVersion" in session ? session.sessionVersion : null;
    return expected !== null && version === expected;
  } catch {
    return false;
  }
}

/** When the session could not be kept: sign in again (`notice`: a code the sign-in page knows). */
export function signOutAfterChange(notice?: "password-changed"): Promise<void> {
  return signOut({ callbackUrl: notice ? `/sign-in?notice=${notice}` : "/sign-in" });
}
