import { createHmac, timingSafeEqual } from "node:crypto";
import type { AuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { authenticate } from "./sign-in";
import { clientIp } from "./client-ip";
import { currentSessionVersion } from "./context";

declare module "next-auth" {
  interface Session {
    userId: string;
    /** null: a session signed before versions existed, which counts as ended. */
    sessionVersion: number | null;
  }
  interface User {
    sessionVersion?: number;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    userId?: string;
    sessionVersion?: number;
  }
}

const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;
const SESSION_TICKET_TTL_MS = 2 * 60 * 1000;

const ZTicketPayload = z.object({ userId: z.string(), sessionVersion: z.number().int(), expiresAt: z.number() });
const ZUpdateRequest = z.object({ sessionTicket: z.string().max(1000) });

function ticketSignature(payload: string): Buffer {
  return createHmac("sha256", env().AUTH_SECRET).update(`session-ticket.v1.${payload}`).digest();
}

/**
 * Lets the session that changed the password (or confirmed a new address) move to the new
 * session version, which ended every other session. The browser hands it back through
 * next-auth's session update (components/auth/refresh-session.ts); only the response to
 * that change carries it, and it expires within minutes.
 */
export function sessionTicket(options: { userId: string; sessionVersion: number; now?: number }): string {
  const payload = Buffer.from(
    JSON.stringify({ userId: options.userId, sessionVersion: options.sessionVersion, expiresAt: (options.now ?? Date.now()) + SESSION_TICKET_TTL_MS }),
  ).toString("base64url");
  return `${payload}.${ticketSignature(payload).toString("base64url")}`;
}

/** The ticket's content when it is genuine, unexpired and for this user; otherwise null. */
export function readSessionTicket(ticket: string, userId: string, now: number = Date.now()): number | null {
  const [payload, signature, extra] = ticket.split(".");
  if (!payload || !signature || extra !== undefined) return null;
  const expected = ticketSignature(payload);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const content = ZTicketPayload.safeParse(parsed);
  if (!content.success || content.data.userId !== userId || content.data.expiresAt <= now) return null;
  return content.data.sessionVersion;
}

/**
 * next-auth (v4) with email + password. The JWT holds the user id and the session version
 * it was issued with; who the user is in which tenant is re-read from the database on every
 * request (server/auth/context.ts), so revoking access does not wait for the token to
 * expire, and a password or email change ends the sessions issued before it.
 */
export function authOptions(): AuthOptions {
  return {
    secret: env().AUTH_SECRET,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, request) {
          try {
            const user = await authenticate({
              email: credentials?.email ?? "",
              password: credentials?.password ?? "",
              ip: clientIp((name) => {
                const value = request.headers?.[name] as string | string[] | undefined;
                return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
              }),
            });
            const sessionVersion = await currentSessionVersion(user.id);
            return { id: user.id, email: user.email, name: user.name, sessionVersion: sessionVersion ?? undefined };
          } catch (error) {
            // next-auth passes the message to the sign-in page as `?error=`.
            if (error instanceof AppError) throw new Error(error.message);
            throw error;
          }
        },
      }),
    ],
    callbacks: {
      jwt({ token, user, trigger, session }) {
        if (user) {
          token.userId = user.id;
          token.sessionVersion = user.sessionVersion;
        }
        // The browser cannot choose its version: only a ticket signed here moves it.
        if (trigger === "update" && token.userId) {
          const request = ZUpdateRequest.safeParse(session);
          const version = request.success ? readSessionTicket(request.data.sessionTicket, token.userId) : null;
          if (version !== null) token.sessionVersion = version;
        }
        return token;
      },
      session({ session, token }) {
        return { ...session, userId: token.userId ?? "", sessionVersion: token.sessionVersion ?? null };
      },
    },
    logger: {
      // next-auth's default logger prints request details; keep only codes and messages.
      error: (code, metadata) => console.error(`[auth] ${code}`, metadata instanceof Error ? metadata.message : ""),
      warn: (code) => console.warn(`[auth] ${code}`),
      debug: () => {},
    },
  };
}
