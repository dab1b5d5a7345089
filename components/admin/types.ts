import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/root";

/** What each procedure returns, as the browser sees it (superjson keeps Date and BigInt). */
export type TRouterOutputs = inferRouterOutputs<AppRouter>;

export type TCustomerRow = TRouterOutputs["customers"]["list"]["rows"][number];
export type TCustomerDetail = TRouterOutputs["customers"]["get"];
export type TMemberRow = TRouterOutputs["users"]["list"]["rows"][number];
export type TOpenInvitation = TRouterOutputs["users"]["invitations"][number];
export type TOutboxRow = TRouterOutputs["outbox"]["list"]["rows"][number];
export type TOutboxMessage = TRouterOutputs["outbox"]["get"];
export type TJobRunRow = TRouterOutputs["jobs"]["list"]["rows"][number];
export type TJobRun = TRouterOutputs["jobs"]["get"];
export type TAuditRow = TRouterOutputs["audit"]["list"]["rows"][number];
