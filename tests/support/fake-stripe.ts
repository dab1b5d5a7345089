import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import Stripe from "stripe";

/**
 * A local HTTP server speaking enough of Stripe's API for the real `stripe` SDK (pointed at
 * it through STRIPE_API_URL): customers, Checkout Sessions (with a hosted "pay" page),
 * off-session PaymentIntents, payment methods, refunds, and the lists of sessions and
 * PaymentIntents (filtered by customer and creation time, newest first, paged with
 * starting_after). It records every request with its Idempotency-Key and, like Stripe,
 * replays the stored response for a repeated key of the same account. Webhook events are
 * built here and signed with the SDK's own test-header helper.
 *
 * Like Stripe, objects belong to the account of the key that made them: customers, Checkout
 * Sessions and PaymentIntents are retrieved and listed only by keys of that account (another
 * account's key gets a 404, or an empty list), so a tenant that moved to another account
 * cannot see what the old one holds.
 */

type TJson = Record<string, unknown>;
export type TFakeRequest = { method: string; path: string; idempotencyKey: string | null; body: TJson };
/**
 * `unavailable`: the charge is made (and kept under its idempotency key) but every answer is a 500, as when Stripe charged and the response was lost.
 * `processing`: the PaymentIntent is accepted and not settled yet (see settleIntent).
 */
export type TOffSessionOutcome = "succeed" | "decline" | "authentication_required" | "unavailable" | "processing";
/** How Stripe answers every request made with one secret key: 401 for a revoked key, 500 when it is down. */
export type TKeyFailure = "unauthorized" | "unavailable";

export type TFakeStripeOptions = {
  webhookSecret?: string;
  /** Where the hosted pay page POSTs its signed events (e2e: the app's webhook route). */
  webhookUrl?: string;
  host?: string;
};

const API_VERSION = "2026-10-28.endive";

function id(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString("hex")}`;
}

/** `a[b][0][c]=1` → { a: { b: [ { c: "1" } ] } } */
export function parseForm(text: string): TJson {
  const root: TJson = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = rawKey.replace(/\]/g, "").split("[");
    let node: Record<string, unknown> = root;
    parts.forEach((part, index) => {
      if (index === parts.length - 1) {
        node[part] = value;
        return;
      }
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    });
  }
  return arrayify(root) as TJson;
}

function arrayify(value: unknown): unknown {
  if (!value || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, arrayify(inner)] as const);
  if (entries.length > 0 && entries.every(([key]) => /^\d+$/.test(key))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, inner]) => inner);
  }
  return Object.fromEntries(entries);
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function int(value: unknown): number {
  const parsed = typeof value === "string" ? Number.parseInt(value, 10) : typeof value === "number" ? value : Number.NaN;
  if (!Number.isSafeInteger(parsed)) throw new Error(`not an integer: ${String(value)}`);
  return parsed;
}

function record(value: unknown): Record<string, string> {
  return value && typeof value === "object" ? (value as Record<string, string>) : {};
}

export async function startFakeStripe(options: TFakeStripeOptions = {}) {
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(16).toString("hex")}`;
  const signer = new Stripe("sk_test_fake_signer");
  const requests: TFakeRequest[] = [];
  const replay = new Map<string, { status: number; body: unknown }>();
  const customers = new Map<string, TJson>();
  const sessions = new Map<string, TJson & { id: string }>();
  const intents = new Map<string, TJson & { id: string }>();
  const methods = new Map<string, TJson & { id: string }>();
  const refunds = new Map<string, TJson & { id: string }>();
  const charges = new Map<string, TJson & { id: string }>();
  const state = { offSession: "succeed" as TOffSessionOutcome, webhookUrl: options.webhookUrl ?? null };
  // Which Stripe account a secret key belongs to; every key is in "acct_default" unless told
  // otherwise, and customers, sessions and PaymentIntents are visible only to keys of the
  // account that created them.
  const keyAccounts = new Map<string, string>();
  const caller = { account: "acct_default" };
  /** The account each session and PaymentIntent was made in (kept off the objects Stripe returns). */
  const owners = new Map<string, string>();
  const ownedByCaller = (objectId: string) => (owners.get(objectId) ?? "acct_default") === caller.account;
  /** How the next refunds come back from POST /v1/refunds. */
  const refundState = { status: "succeeded" };
  const keyFailures = new Map<string, TKeyFailure>();

  function newCard(customer: string | null, brand = "visa", last4 = "4242") {
    const method = {
      id: id("pm"),
      object: "payment_method",
      type: "card",
      customer,
      card: { brand, last4, exp_month: 12, exp_year: 2030, country: "US", funding: "credit" },
      metadata: {},
      created: Math.floor(Date.now() / 1000),
      livemode: false,
    };
    methods.set(method.id, method);
    return method;
  }

  function newIntent(params: {
    amount: number;
    currency: string;
    customer: string | null;
    paymentMethod: string | null;
    metadata: Record<string, string>;
    status: string;
    error?: TJson | null;
    /** The account it is made in: the caller's, or its Checkout Session's when a customer pays one. */
    account: string;
  }) {
    const chargeId = params.status === "succeeded" ? id("ch") : null;
    const intent = {
      id: id("pi"),
      object: "payment_intent",
      amount: params.amount,
      amount_received: params.status === "succeeded" ? params.amount : 0,
      currency: params.currency,
      customer: params.customer,
      payment_method: params.paymentMethod,
      metadata: params.metadata,
      status: params.status,
      latest_charge: chargeId,
      last_payment_error: params.error ?? null,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
    };
    intents.set(intent.id, intent);
    owners.set(intent.id, params.account);
    if (chargeId) {
      charges.set(chargeId, {
        id: chargeId,
        object: "charge",
        amount: params.amount,
        amount_refunded: 0,
        currency: params.currency,
        customer: params.customer,
        payment_intent: intent.id,
        payment_method: params.paymentMethod,
        metadata: params.metadata,
        paid: true,
        refunded: false,
        status: "succeeded",
      });
    }
    return intent;
  }

  function cardError(code: string, message: string, intent: TJson, declineCode?: string) {
    return { status: 402, body: { error: { type: "card_error", code, ...(declineCode ? { decline_code: declineCode } : {}), message, payment_intent: intent } } };
  }

  function list(data: unknown[], url: string) {
    return { object: "list", data, has_more: false, url };
  }

  /**
   * A list endpoint's page, as Stripe pages: newest first, `created[gt|gte|lt|lte]` filters,
   * `limit` (10 by default, at most 100) and `starting_after` (the last id of the previous page).
   */
  function page(items: (TJson & { id: string })[], query: URLSearchParams, url: string) {
    const bounds = { gt: query.get("created[gt]"), gte: query.get("created[gte]"), lt: query.get("created[lt]"), lte: query.get("created[lte]") };
    const exact = query.get("created");
    const matching = items
      .map((item, position) => ({ item, position, created: int(item.created) }))
      .filter(({ created }) =>
        (exact === null || created === int(exact)) &&
        (bounds.gt === null || created > int(bounds.gt)) &&
        (bounds.gte === null || created >= int(bounds.gte)) &&
        (bounds.lt === null || created < int(bounds.lt)) &&
        (bounds.lte === null || created <= int(bounds.lte)),
      )
      .sort((a, b) => b.created - a.created || b.position - a.position)
      .map(({ item }) => item);
    const after = query.get("starting_after");
    const start = after === null ? 0 : matching.findIndex((item) => item.id === after) + 1;
    const limit = Math.min(Math.max(query.get("limit") === null ? 10 : int(query.get("limit")), 1), 100);
    const data = matching.slice(start, start + limit);
    return { object: "list", data, has_more: start + limit < matching.length, url };
  }

  function route(method: string, path: string, query: URLSearchParams, body: TJson): { status: number; body: unknown } {
    const notFound = { status: 404, body: { error: { type: "invalid_request_error", code: "resource_missing", message: `No such object: ${path}` } } };
    if (method === "POST" && path === "/v1/customers") {
      const customer = { id: id("cus"), object: "customer", name: str(body.name), email: str(body.email), metadata: record(body.metadata), account: caller.account };
      customers.set(customer.id, customer);
      return { status: 200, body: customer };
    }
    const customerMatch = path.match(/^\/v1\/customers\/([^/]+)$/);
    if (method === "GET" && customerMatch) {
      const customer = customers.get(customerMatch[1] ?? "");
      return customer && customer.account === caller.account ? { status: 200, body: customer } : notFound;
    }
    if (method === "POST" && path === "/v1/checkout/sessions") {
      const items = (Array.isArray(body.line_items) ? body.line_items : []) as TJson[];
      const first = items[0] ?? {};
      const price = (first.price_data ?? {}) as TJson;
      const amount = int(price.unit_amount) * int(first.quantity ?? "1");
      const sessionId = id("cs_test");
      const created = Math.floor(Date.now() / 1000);
      const expiresAt = body.expires_at === undefined ? null : int(body.expires_at);
      // Stripe's bounds for expires_at: 30 minutes to 24 hours after creation.
      if (expiresAt !== null && (expiresAt < created + 30 * 60 || expiresAt > created + 24 * 60 * 60)) {
        return { status: 400, body: { error: { type: "invalid_request_error", param: "expires_at", message: "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation." } } };
      }
      const session = {
        id: sessionId,
        object: "checkout.session",
        created,
        // Stripe's default: a session nobody completes expires after 24 hours.
        expires_at: expiresAt ?? created + 24 * 60 * 60,
        mode: str(body.mode) ?? "payment",
        status: "open",
        payment_status: "unpaid",
        amount_total: amount,
        currency: str(price.currency) ?? "usd",
        customer: str(body.customer),
        client_reference_id: str(body.client_reference_id),
        metadata: record(body.metadata),
        payment_intent: null as string | null,
        success_url: str(body.success_url),
        cancel_url: str(body.cancel_url),
        url: `${baseUrl}/pay/${sessionId}`,
        payment_intent_data: body.payment_intent_data ?? {},
        livemode: false,
      };
      sessions.set(session.id, session);
      owners.set(session.id, caller.account);
      return { status: 200, body: publicSession(session) };
    }
    if (method === "GET" && path === "/v1/checkout/sessions") {
      const customer = query.get("customer");
      const status = query.get("status");
      const paymentIntent = query.get("payment_intent");
      const matching = [...sessions.values()].filter(
        (session) =>
          ownedByCaller(session.id) &&
          (customer === null || session.customer === customer) &&
          (status === null || session.status === status) &&
          (paymentIntent === null || session.payment_intent === paymentIntent),
      );
      const found = page(matching, query, path);
      return { status: 200, body: { ...found, data: found.data.map(publicSession) } };
    }
    const sessionMatch = path.match(/^\/v1\/checkout\/sessions\/([^/]+)$/);
    if (method === "GET" && sessionMatch) {
      const session = sessions.get(sessionMatch[1] ?? "");
      return session && ownedByCaller(session.id) ? { status: 200, body: publicSession(session) } : notFound;
    }
    if (method === "POST" && path === "/v1/payment_intents") {
      const amount = int(body.amount);
      const currency = str(body.currency) ?? "usd";
      const customer = str(body.customer);
      const paymentMethod = str(body.payment_method);
      const metadata = record(body.metadata);
      const account = caller.account;
      if (state.offSession === "decline") {
        const error = { type: "card_error", code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds." };
        const intent = newIntent({ amount, currency, customer, paymentMethod, metadata, status: "requires_payment_method", error, account });
        return cardError("card_declined", "Your card has insufficient funds.", intent, "insufficient_funds");
      }
      if (state.offSession === "authentication_required") {
        const error = { type: "card_error", code: "authentication_required", message: "This payment requires authentication." };
        const intent = newIntent({ amount, currency, customer, paymentMethod, metadata, status: "requires_payment_method", error, account });
        return cardError("authentication_required", "Your card was declined. This transaction requires authentication.", intent);
      }
      if (state.offSession === "processing") {
        return { status: 200, body: newIntent({ amount, currency, customer, paymentMethod, metadata, status: "processing", account }) };
      }
      return { status: 200, body: newIntent({ amount, currency, customer, paymentMethod, metadata, status: "succeeded", account }) };
    }
    if (method === "GET" && path === "/v1/payment_intents") {
      const customer = query.get("customer");
      const matching = [...intents.values()].filter((intent) => ownedByCaller(intent.id) && (customer === null || intent.customer === customer));
      return { status: 200, body: page(matching, query, path) };
    }
    const intentMatch = path.match(/^\/v1\/payment_intents\/([^/]+)$/);
    if (method === "GET" && intentMatch) {
      const intent = intents.get(intentMatch[1] ?? "");
      return intent && ownedByCaller(intent.id) ? { status: 200, body: intent } : notFound;
    }
    if (method === "GET" && path === "/v1/payment_methods") {
      const customer = query.get("customer");
      return { status: 200, body: list([...methods.values()].filter((entry) => entry.customer === customer), path) };
    }
    const methodMatch = path.match(/^\/v1\/payment_methods\/([^/]+)(\/detach)?$/);
    if (methodMatch) {
      const found = methods.get(methodMatch[1] ?? "");
      if (!found) return notFound;
      if (method === "POST" && methodMatch[2]) {
        found.customer = null;
        return { status: 200, body: found };
      }
      if (method === "GET") return { status: 200, body: found };
    }
    if (method === "POST" && path === "/v1/refunds") {
      const intent = intents.get(str(body.payment_intent) ?? "");
      const charge = intent && typeof intent.latest_charge === "string" ? charges.get(intent.latest_charge) : undefined;
      if (!intent || !charge) return notFound;
      const remaining = int(charge.amount) - int(charge.amount_refunded);
      const amount = body.amount === undefined ? remaining : int(body.amount);
      if (amount > remaining) return { status: 400, body: { error: { type: "invalid_request_error", code: "amount_too_large", message: "Refund amount is greater than unrefunded amount" } } };
      const refund = { id: id("re"), object: "refund", amount, currency: charge.currency, charge: charge.id, payment_intent: intent.id, status: refundState.status, metadata: record(body.metadata) };
      refunds.set(refund.id, refund);
      if (refund.status === "failed" || refund.status === "canceled") return { status: 200, body: refund };
      charge.amount_refunded = int(charge.amount_refunded) + amount;
      charge.refunded = charge.amount_refunded === charge.amount;
      return { status: 200, body: refund };
    }
    if (method === "GET" && path === "/v1/refunds") {
      const charge = query.get("charge");
      return { status: 200, body: list([...refunds.values()].filter((refund) => refund.charge === charge), path) };
    }
    return notFound;
  }

  function publicSession(session: TJson): TJson {
    const { payment_intent_data: _hidden, ...visible } = session;
    return visible;
  }

  async function readBody(request: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  function send(response: ServerResponse, status: number, body: unknown) {
    response.writeHead(status, { "content-type": "application/json", "request-id": id("req") });
    response.end(JSON.stringify(body));
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://fake.stripe");
      const text = await readBody(request);
      const payMatch = url.pathname.match(/^\/pay\/([^/]+)$/);
      if (payMatch) {
        await hostedPage(request.method ?? "GET", payMatch[1] ?? "", response);
        return;
      }
      const body = text ? parseForm(text) : {};
      const keyHeader = request.headers["idempotency-key"];
      const idempotencyKey = typeof keyHeader === "string" ? keyHeader : null;
      const method = request.method ?? "GET";
      const bearer = (request.headers.authorization ?? "").replace(/^Bearer /, "");
      caller.account = keyAccounts.get(bearer) ?? "acct_default";
      requests.push({ method, path: url.pathname, idempotencyKey, body });
      const keyFailure = keyFailures.get(bearer);
      if (keyFailure === "unauthorized") {
        send(response, 401, { error: { type: "invalid_request_error", message: `Invalid API Key provided: ${bearer.slice(0, 8)}${"*".repeat(Math.max(0, bearer.length - 12))}${bearer.slice(-4)}` } });
        return;
      }
      if (keyFailure === "unavailable") {
        send(response, 500, { error: { type: "api_error", message: "An unknown error occurred" } });
        return;
      }
      if (state.offSession === "unavailable" && method === "POST" && url.pathname === "/v1/payment_intents") {
        const key = `${caller.account}|${url.pathname}|${idempotencyKey ?? ""}`;
        if (!idempotencyKey) route(method, url.pathname, url.searchParams, body);
        else if (!replay.has(key)) replay.set(key, route(method, url.pathname, url.searchParams, body));
        send(response, 500, { error: { type: "api_error", message: "An unknown error occurred" } });
        return;
      }
      if (idempotencyKey && method === "POST") {
        // Stripe keeps idempotency keys per account: the same key in another account is a new request.
        const stored = replay.get(`${caller.account}|${url.pathname}|${idempotencyKey}`);
        if (stored) {
          response.setHeader("idempotent-replayed", "true");
          send(response, stored.status, stored.body);
          return;
        }
      }
      const result = route(method, url.pathname, url.searchParams, body);
      if (idempotencyKey && method === "POST") replay.set(`${caller.account}|${url.pathname}|${idempotencyKey}`, result);
      send(response, result.status, result.body);
    })().catch((error: unknown) => {
      send(response, 500, { error: { type: "api_error", message: String(error) } });
    });
  });

  async function hostedPage(method: string, sessionId: string, response: ServerResponse) {
    const session = sessions.get(sessionId);
    if (!session) {
      response.writeHead(404, { "content-type": "text/plain" }).end("No such checkout session");
      return;
    }
    if (method === "POST") {
      await pay(sessionId, { deliverTo: state.webhookUrl });
      response.writeHead(303, { location: str(session.success_url) ?? "/" }).end();
      return;
    }
    const amount = (int(session.amount_total) / 100).toFixed(2);
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(`<!doctype html><html><head><title>Fake Stripe Checkout</title>
<style>body{font-family:system-ui,sans-serif;max-width:420px;margin:64px auto;padding:24px;border:1px solid #ddd;border-radius:12px}
button{background:#635bff;color:#fff;border:0;border-radius:6px;padding:12px 20px;font-size:16px;width:100%}</style></head>
<body><h1>Fake Stripe Checkout</h1><p>Pay <strong>${amount} ${String(session.currency).toUpperCase()}</strong></p>
<p>Card: 4242 4242 4242 4242 (test)</p>
<form method="post" action="/pay/${sessionId}"><button type="submit">Pay</button></form></body></html>`);
  }

  function event(type: string, object: unknown) {
    return { id: id("evt"), object: "event", api_version: API_VERSION, created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, type, data: { object } };
  }

  /** A signed webhook delivery for an event, as Stripe would send it. */
  function sign(eventObject: unknown, secret = webhookSecret) {
    const payload = JSON.stringify(eventObject, null, 2);
    const header = signer.webhooks.generateTestHeaderString({ payload, secret });
    return { payload, header };
  }

  async function deliver(url: string, eventObject: unknown): Promise<Response> {
    const { payload, header } = sign(eventObject);
    return fetch(url, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": header }, body: payload });
  }

  /**
   * The customer pays a session: a card is created (attached to the customer when the
   * session saves it), a succeeded PaymentIntent, and the two events Stripe sends. When
   * `deliverTo` is given they are POSTed there, signed.
   */
  async function pay(sessionId: string, payOptions: { deliverTo?: string | null } = {}) {
    const session = sessions.get(sessionId);
    if (!session) throw new Error(`no session ${sessionId}`);
    const data = (session.payment_intent_data ?? {}) as TJson;
    const saving = data.setup_future_usage === "off_session";
    const card = newCard(saving ? str(session.customer) : null);
    const intent = newIntent({
      amount: int(session.amount_total),
      currency: str(session.currency) ?? "usd",
      customer: str(session.customer),
      paymentMethod: card.id,
      metadata: record(data.metadata),
      status: "succeeded",
      account: owners.get(session.id) ?? "acct_default",
    });
    session.payment_intent = intent.id;
    session.payment_status = "paid";
    session.status = "complete";
    const completed = event("checkout.session.completed", publicSession(session));
    const succeeded = event("payment_intent.succeeded", intent);
    if (payOptions.deliverTo) {
      for (const delivery of [completed, succeeded]) {
        const answer = await deliver(payOptions.deliverTo, delivery);
        if (!answer.ok) throw new Error(`webhook ${delivery.type} answered ${answer.status}: ${await answer.text()}`);
      }
    }
    return { session: publicSession(session), intent, card, events: { completed, succeeded } };
  }

  /**
   * Stripe expires a Checkout Session nobody completed (at its expires_at, or when expired
   * through the API); returns the `checkout.session.expired` event it sends.
   */
  function expireSession(sessionId: string) {
    const session = sessions.get(sessionId);
    if (!session) throw new Error(`no session ${sessionId}`);
    if (session.status !== "open") throw new Error(`session ${sessionId} is ${String(session.status)}, not open`);
    session.status = "expired";
    return event("checkout.session.expired", publicSession(session));
  }

  /**
   * A PaymentIntent that was processing settles: `succeeded` (its charge is made),
   * `requires_payment_method` (the payment failed, with the card's error) or `canceled`.
   * Returns the event Stripe sends about it.
   */
  function settleIntent(intentId: string, outcome: "succeeded" | "requires_payment_method" | "canceled") {
    const intent = intents.get(intentId);
    if (!intent) throw new Error(`no intent ${intentId}`);
    intent.status = outcome;
    if (outcome === "succeeded") {
      const chargeId = id("ch");
      intent.amount_received = intent.amount;
      intent.latest_charge = chargeId;
      charges.set(chargeId, {
        id: chargeId,
        object: "charge",
        amount: intent.amount,
        amount_refunded: 0,
        currency: intent.currency,
        customer: intent.customer,
        payment_intent: intent.id,
        payment_method: intent.payment_method,
        metadata: intent.metadata,
        paid: true,
        refunded: false,
        status: "succeeded",
      });
      // A Checkout Session paid by it (a delayed payment method) is paid now.
      for (const session of sessions.values()) if (session.payment_intent === intent.id) session.payment_status = "paid";
      return event("payment_intent.succeeded", intent);
    }
    if (outcome === "requires_payment_method") {
      intent.last_payment_error = { type: "card_error", code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds." };
      return event("payment_intent.payment_failed", intent);
    }
    intent.cancellation_reason = "abandoned";
    intent.canceled_at = Math.floor(Date.now() / 1000);
    return event("payment_intent.canceled", intent);
  }

  /**
   * The customer pays a session with a delayed payment method (a bank debit): the session
   * completes unpaid, its PaymentIntent is processing, and Stripe sends
   * `checkout.session.completed` (payment_status "unpaid"). settleIntent ends it later.
   */
  function payDelayed(sessionId: string) {
    const session = sessions.get(sessionId);
    if (!session) throw new Error(`no session ${sessionId}`);
    const data = (session.payment_intent_data ?? {}) as TJson;
    const intent = newIntent({
      amount: int(session.amount_total),
      currency: str(session.currency) ?? "usd",
      customer: str(session.customer),
      paymentMethod: null,
      metadata: record(data.metadata),
      status: "processing",
      account: owners.get(session.id) ?? "acct_default",
    });
    session.payment_intent = intent.id;
    session.payment_status = "unpaid";
    session.status = "complete";
    return { session: publicSession(session), intent, events: { completed: event("checkout.session.completed", publicSession(session)) } };
  }

  /** `charge.refunded` for a PaymentIntent's charge as it stands (refunds listed unless `withRefunds` is false). */
  function chargeRefundedEvent(paymentIntentId: string, eventOptions: { withRefunds?: boolean } = {}) {
    const intent = intents.get(paymentIntentId);
    const charge = intent && typeof intent.latest_charge === "string" ? charges.get(intent.latest_charge) : undefined;
    if (!charge) throw new Error(`no charge for ${paymentIntentId}`);
    const chargeRefunds = [...refunds.values()].filter((refund) => refund.charge === charge.id);
    const object = { ...charge, ...(eventOptions.withRefunds === false ? {} : { refunds: list(chargeRefunds, `/v1/charges/${charge.id}/refunds`) }) };
    return event("charge.refunded", object);
  }

  /** Stripe-side refund made outside Trunkline (e.g. in the Stripe dashboard). */
  function refundOutside(paymentIntentId: string, amount?: number) {
    const result = route("POST", "/v1/refunds", new URLSearchParams(), { payment_intent: paymentIntentId, ...(amount !== undefined ? { amount: String(amount) } : {}) });
    return result.body as TJson & { id: string };
  }

  function disputeCreatedEvent(paymentIntentId: string, amount?: number) {
    const intent = intents.get(paymentIntentId);
    if (!intent) throw new Error(`no intent ${paymentIntentId}`);
    return event("charge.dispute.created", {
      id: id("dp"),
      object: "dispute",
      amount: amount ?? int(intent.amount),
      currency: intent.currency,
      charge: intent.latest_charge,
      payment_intent: intent.id,
      reason: "fraudulent",
      status: "needs_response",
      metadata: {},
    });
  }

  const port = await new Promise<number>((resolve) => {
    server.listen(0, options.host ?? "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  const baseUrl = `http://${options.host ?? "127.0.0.1"}:${port}`;

  return {
    url: baseUrl,
    webhookSecret,
    requests,
    sessions,
    intents,
    methods,
    refunds,
    /** How the next off-session PaymentIntents end. */
    setOffSessionOutcome(outcome: TOffSessionOutcome) {
      state.offSession = outcome;
    },
    /** The status the next refunds are created with (succeeded, pending, requires_action, failed). */
    setRefundStatus(status: string) {
      refundState.status = status;
    },
    /** Every request with this secret key fails: 401 (a revoked key) or 500 (Stripe down for it); null answers again. */
    setKeyFailure(secretKey: string, failure: TKeyFailure | null) {
      if (failure) keyFailures.set(secretKey, failure);
      else keyFailures.delete(secretKey);
    },
    /** Puts a secret key in another (fake) Stripe account. */
    setKeyAccount(secretKey: string, account: string) {
      keyAccounts.set(secretKey, account);
    },
    setWebhookUrl(url: string | null) {
      state.webhookUrl = url;
    },
    requestsTo(method: string, path: string) {
      return requests.filter((request) => request.method === method && request.path === path);
    },
    event,
    sign,
    deliver,
    pay,
    payDelayed,
    chargeRefundedEvent,
    refundOutside,
    expireSession,
    settleIntent,
    disputeCreatedEvent,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type TFakeStripe = Awaited<ReturnType<typeof startFakeStripe>>;
