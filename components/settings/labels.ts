import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/root";

type TOutputs = inferRouterOutputs<AppRouter>;
export type TStripeSettings = TOutputs["payments"]["stripeSettings"];

/** The same shape the service's zod schema accepts for money: "25", "25.00", up to 6 decimals. */
export const MONEY_PATTERN = /^\d{1,9}(\.\d{1,6})?$/;

export const SECRET_KEY_PREFIXES = ["sk_", "rk_"] as const;
export const PUBLISHABLE_KEY_PREFIXES = ["pk_"] as const;
export const WEBHOOK_SECRET_PREFIXES = ["whsec_"] as const;
export const MAX_PRESETS = 8;
