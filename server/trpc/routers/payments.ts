import { z } from "zod";
import { TENANT_ADMIN_ROLES, isCustomerRole } from "@/server/auth/roles";
import { AppError } from "@/server/errors";
import { createTRPCRouter, customerProcedure, tenantProcedure } from "@/server/trpc/init";
import { ZAutoRechargeInput, getAutoRecharge, retryAutoRecharge, saveAutoRecharge } from "@/server/payments/auto-recharge";
import { ZPaymentMethodRef, listPaymentMethods, removePaymentMethod, setDefaultPaymentMethod } from "@/server/payments/payment-methods";
import { ZSettleByHand, settlePaymentByHand } from "@/server/payments/manual-settlement";
import { ZRefund, listCustomerPayments, refundPayment } from "@/server/payments/refunds";
import { ZStripeSettingsUpdate, getStripeSettings, updateStripeSettings } from "@/server/payments/settings";
import { CARD_OWNER_ROLES, ZStartTopUp, listPayments, startTopUp, topUpOptions, topUpStatus } from "@/server/payments/top-up";

export const paymentsRouter = createTRPCRouter({
  // Tenant admins: Stripe keys (write-only secrets), card payments of a customer, refunds, settling stuck payments.
  stripeSettings: tenantProcedure(TENANT_ADMIN_ROLES).query(({ ctx }) => getStripeSettings({ tenantId: ctx.tenantId })),
  updateStripeSettings: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZStripeSettingsUpdate)
    .mutation(({ ctx, input }) => updateStripeSettings({ tenantId: ctx.tenantId, actor: ctx.actor, input })),
  customerPayments: tenantProcedure()
    .input(z.object({ customerId: z.uuid() }))
    .query(({ ctx, input }) => listCustomerPayments({ tenantId: ctx.tenantId, customerId: input.customerId })),
  refund: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZRefund)
    .mutation(({ ctx, input }) => refundPayment({ tenantId: ctx.tenantId, actor: ctx.actor, input })),
  settleByHand: tenantProcedure(TENANT_ADMIN_ROLES)
    .input(ZSettleByHand)
    .mutation(({ ctx, input }) => settlePaymentByHand({ tenantId: ctx.tenantId, actor: ctx.actor, input })),

  // The customer's own balance page.
  topUpOptions: customerProcedure().query(({ ctx }) => topUpOptions({ tenantId: ctx.tenantId, customerId: ctx.customerId })),
  startTopUp: customerProcedure()
    .input(ZStartTopUp)
    .mutation(({ ctx, input }) => {
      // customerProcedure() already admits only customer roles; this narrows the type.
      if (!isCustomerRole(ctx.auth.role)) throw new AppError("FORBIDDEN", "This is for customer accounts");
      return startTopUp({ tenantId: ctx.tenantId, customerId: ctx.customerId, role: ctx.auth.role, input });
    }),
  topUpStatus: customerProcedure()
    .input(z.object({ paymentId: z.uuid() }))
    .query(({ ctx, input }) => topUpStatus({ tenantId: ctx.tenantId, customerId: ctx.customerId, paymentId: input.paymentId })),
  myPayments: customerProcedure().query(({ ctx }) => listPayments({ tenantId: ctx.tenantId, customerId: ctx.customerId })),
  paymentMethods: customerProcedure().query(({ ctx }) => listPaymentMethods({ tenantId: ctx.tenantId, customerId: ctx.customerId })),
  setDefaultPaymentMethod: customerProcedure(CARD_OWNER_ROLES)
    .input(ZPaymentMethodRef)
    .mutation(({ ctx, input }) => setDefaultPaymentMethod({ tenantId: ctx.tenantId, customerId: ctx.customerId, paymentMethodId: input.paymentMethodId })),
  removePaymentMethod: customerProcedure(CARD_OWNER_ROLES)
    .input(ZPaymentMethodRef)
    .mutation(({ ctx, input }) => removePaymentMethod({ tenantId: ctx.tenantId, customerId: ctx.customerId, paymentMethodId: input.paymentMethodId })),
  autoRecharge: customerProcedure().query(({ ctx }) => getAutoRecharge({ tenantId: ctx.tenantId, customerId: ctx.customerId })),
  saveAutoRecharge: customerProcedure(CARD_OWNER_ROLES)
    .input(ZAutoRechargeInput)
    .mutation(({ ctx, input }) => saveAutoRecharge({ tenantId: ctx.tenantId, customerId: ctx.customerId, input })),
  retryAutoRecharge: customerProcedure(CARD_OWNER_ROLES).mutation(({ ctx }) => retryAutoRecharge({ tenantId: ctx.tenantId, customerId: ctx.customerId })),
});
