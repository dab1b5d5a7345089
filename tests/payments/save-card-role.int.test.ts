import { describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { createUser, createWorld } from "../support/factories";
import { withMoneyServices } from "../support/money-services";
import { deliverToTenantEndpoint, paymentsAs } from "../support/payments";

const services = withMoneyServices({ stripe: true });

/**
 * A card saved on a top-up becomes the default that auto-recharge charges and lifts an
 * auto-recharge suspension, so only a customer admin may ask for it, as for the default card.
 */
describe("saving a card on a top-up", () => {
  async function worldWithCustomerUser() {
    const world = await createWorld();
    const customerUser = await createUser({ tenantId: world.tenant.id, role: "CUSTOMER_USER", customerId: world.customer.id });
    return { ...world, customerUser };
  }

  it("refuses saveCard from a customer user, with a field error, before anything reaches Stripe", async () => {
    const world = await worldWithCustomerUser();
    const portal = await paymentsAs(world.customerUser.user.id);
    const sessionsBefore = services.stripe.requestsTo("POST", "/v1/checkout/sessions").length;

    const refused = await portal.startTopUp({ amount: "25.00", saveCard: true }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: "FORBIDDEN", cause: { fieldErrors: { saveCard: [expect.any(String)] } } });
    expect(await db().payment.count({ where: { customerId: world.customer.id } })).toBe(0);
    expect(services.stripe.requestsTo("POST", "/v1/checkout/sessions")).toHaveLength(sessionsBefore);
  });

  it("lets a customer user top up without saving the card, and the paid top-up saves none", async () => {
    const world = await worldWithCustomerUser();
    const portal = await paymentsAs(world.customerUser.user.id);

    const started = await portal.startTopUp({ amount: "25.00" });
    const payment = await db().payment.findUniqueOrThrow({ where: { id: started.paymentId } });
    expect(payment).toMatchObject({ status: "PENDING", saveCard: false, customerId: world.customer.id, tenantId: world.tenant.id });
    const sessionRequest = services.stripe.requestsTo("POST", "/v1/checkout/sessions").at(-1);
    expect(sessionRequest?.body).not.toMatchObject({ payment_intent_data: { setup_future_usage: "off_session" } });

    const paid = await services.stripe.pay(payment.checkoutSessionId ?? "");
    expect((await deliverToTenantEndpoint(services.stripe, world.tenant.slug, paid.events.completed)).status).toBe(200);
    expect((await deliverToTenantEndpoint(services.stripe, world.tenant.slug, paid.events.succeeded)).status).toBe(200);
    expect(await db().paymentMethod.count({ where: { customerId: world.customer.id } })).toBe(0);
  });

  it("still lets a customer admin save the card", async () => {
    const world = await worldWithCustomerUser();
    const portal = await paymentsAs(world.customerAdmin.user.id);
    const started = await portal.startTopUp({ amount: "25.00", saveCard: true });
    const payment = await db().payment.findUniqueOrThrow({ where: { id: started.paymentId } });
    expect(payment.saveCard).toBe(true);
  });
});
