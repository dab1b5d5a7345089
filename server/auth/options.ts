import type { AuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { authenticate } from "./sign-in";
import { clientIp } from "./client-ip";

declare module "next-auth" {
  interface Session {
    userId: string;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    userId?: string;
  }
}

const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

/**
 * next-auth (v4) with email + password. The JWT holds only the user id; who the user is in
 * which tenant is re-read from the database on every request (server/auth/context.ts), so
 * revoking access does not wait for the token to expire.
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
            return { id: user.id, email: user.email, name: user.name };
          } catch (error) {
            // next-auth passes the message to the sign-in page as `?error=`.
            if (error instanceof AppError) throw new Error(error.message);
            throw error;
          }
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) token.userId = user.id;
        return token;
      },
      session({ session, token }) {
        return { ...session, userId: token.userId ?? "" };
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
