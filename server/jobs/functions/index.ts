import type { InngestFunction } from "inngest";
import { sendEmailVerification, sendInvitationEmail, sendPasswordResetEmail } from "./auth-mail";
import { balanceReactionSweep, ledgerInvariant, onBalanceChanged, recurringFees } from "./wallet";
import { autoRecharge } from "./payments";
import { paymentsReconcile } from "./payments-reconcile";
import { monthlyStatements } from "./statements";
import { cdrLostFileEvents, cdrPartitions, cdrSpoolCleanup, ingestCancelled, ingestFile, rerateCalls } from "./cdr";
import { pollCdrSource, scheduleCdrPolls } from "./cdr-polling";
import { pruneSecurityRecordsDaily } from "./maintenance";

/** Every function, served to an Inngest server and run by the embedded runner alike. */
export const functions: InngestFunction.Any[] = [sendInvitationEmail, sendPasswordResetEmail, sendEmailVerification, onBalanceChanged, balanceReactionSweep, recurringFees, ledgerInvariant, autoRecharge, paymentsReconcile, monthlyStatements, ingestFile, ingestCancelled, rerateCalls, cdrPartitions, cdrSpoolCleanup, cdrLostFileEvents, scheduleCdrPolls, pollCdrSource, pruneSecurityRecordsDaily];
