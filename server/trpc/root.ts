import { createCallerFactory, createTRPCRouter } from "./init";
import { authRouter } from "./routers/auth";
import { meRouter } from "./routers/me";
import { customersRouter } from "./routers/customers";
import { usersRouter } from "./routers/users";
import { auditRouter, jobsRouter, outboxRouter } from "./routers/operations";
import { portalRouter } from "./routers/portal";
import { tenantRouter } from "./routers/tenant";
import { ratingRouter } from "./routers/rating";
import { walletRouter } from "./routers/wallet";
import { statementsRouter } from "./routers/statements";
import { paymentsRouter } from "./routers/payments";
import { cdrSourcesRouter } from "./routers/cdr-sources";
import { cdrsRouter } from "./routers/cdrs";
import { cdrFilesRouter } from "./routers/cdr-files";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  me: meRouter,
  customers: customersRouter,
  users: usersRouter,
  outbox: outboxRouter,
  jobs: jobsRouter,
  audit: auditRouter,
  portal: portalRouter,
  tenant: tenantRouter,
  rating: ratingRouter,
  wallet: walletRouter,
  statements: statementsRouter,
  payments: paymentsRouter,
  cdrSources: cdrSourcesRouter,
  cdrs: cdrsRouter,
  cdrFiles: cdrFilesRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
