import { z } from "zod";
import { TENANT_ADMIN_ROLES } from "@/server/auth/roles";
import { createTRPCRouter, customerProcedure, tenantProcedure } from "@/server/trpc/init";
import { ZAdjustment } from "@/server/wallet/ledger";
import { ZLedgerQuery, ZLockChange, ZWalletLimits, adjustBalance, getWallet, listCustomerLedger, listLedger, lockCustomer, unlockCustomer, updateWalletLimits } from "@/server/wallet/wallet";
import { ZRecurringCharge, saveRecurringCharge, setRecurringChargeActive } from "@/server/wallet/recurring";

// Reading is open to tenant staff; anything that moves money or account state needs TENANT_ADMIN.
export const walletRouter = createTRPCRouter({
  get: tenantProcedure()
    .input(z.object({ customerId: z.uuid() }))
    .query(({ ctx, input }) => getWallet({ tenantId: ctx.tenantId, customerId: input.customerId })),
  ledger: tenantProcedure()
    .input(ZLedgerQuery)
    .query(({ ctx, input }) => listLedger({ tenantId: ctx.tenantId, query: input })),
  adjust: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZAdjustment)
    .mutation(({ ctx, input }) => adjustBalance({ tenantId: ctx.tenantId, actor: ctx.actor, adjustment: input })),
  updateLimits: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZWalletLimits)
    .mutation(({ ctx, input }) => updateWalletLimits({ tenantId: ctx.tenantId, actor: ctx.actor, limits: input })),
  lock: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZLockChange)
    .mutation(({ ctx, input }) => lockCustomer({ tenantId: ctx.tenantId, actor: ctx.actor, change: input })),
  unlock: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZLockChange)
    .mutation(({ ctx, input }) => unlockCustomer({ tenantId: ctx.tenantId, actor: ctx.actor, change: input })),
  saveRecurringCharge: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ chargeId: z.uuid().optional(), charge: ZRecurringCharge }))
    .mutation(({ ctx, input }) => saveRecurringCharge({ tenantId: ctx.tenantId, actor: ctx.actor, chargeId: input.chargeId, charge: input.charge })),
  setRecurringChargeActive: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(z.object({ chargeId: z.uuid(), active: z.boolean() }))
    .mutation(({ ctx, input }) => setRecurringChargeActive({ tenantId: ctx.tenantId, actor: ctx.actor, ...input })),
  /** The customer's own view: balance and transactions. */
  mine: customerProcedure().query(({ ctx }) => getWallet({ tenantId: ctx.tenantId, customerId: ctx.customerId })),
  myLedger: customerProcedure()
    .input(ZLedgerQuery.omit({ customerId: true }))
    .query(({ ctx, input }) => listCustomerLedger({ tenantId: ctx.tenantId, query: { ...input, customerId: ctx.customerId } })),
});
