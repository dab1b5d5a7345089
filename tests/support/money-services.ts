import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { EmbeddedRunner, setEmbeddedRunner } from "@/server/jobs/embedded-runner";
import { functions } from "@/server/jobs/functions/index";
import { findLedgerDrift } from "@/server/wallet/ledger";
import { startFakeStripe, type TFakeStripe } from "./fake-stripe";
import { startSmtpServer } from "./smtp";

type TSmtp = Awaited<ReturnType<typeof startSmtpServer>>;

/**
 * What a money test runs against, for its file's lifetime: the app's job functions in an
 * embedded runner, and when asked a real SMTP server and the fake Stripe (the real SDK pointed
 * at it with the platform's keys, set before anything reads configuration). After each test
 * the runner is drained, the fakes are reset, and balance == SUM(ledger) must hold for every
 * customer. `drainMs`: how long a test's reactions may take to finish (30 s by default).
 */
export function withMoneyServices(options: { smtp?: boolean; stripe?: boolean; drainMs?: number } = {}) {
  let smtp: TSmtp | undefined;
  let stripe: TFakeStripe | undefined;
  let runner: EmbeddedRunner | undefined;
  beforeAll(async () => {
    if (options.smtp) {
      smtp = await startSmtpServer();
      process.env.SMTP_URL = smtp.url;
    }
    if (options.stripe) {
      stripe = await startFakeStripe();
      process.env.STRIPE_API_URL = stripe.url;
      process.env.STRIPE_SECRET_KEY = "sk_test_platform_key_123";
      process.env.STRIPE_PUBLISHABLE_KEY = "pk_test_platform_key_123";
      process.env.STRIPE_WEBHOOK_SECRET = stripe.webhookSecret;
    }
    runner = new EmbeddedRunner({ functions, backoffMs: () => 10 });
    setEmbeddedRunner(runner);
  });
  afterEach(async () => {
    smtp?.beforeAccept(null);
    await runner?.drain(options.drainMs);
    stripe?.setOffSessionOutcome("succeed");
    stripe?.setRefundStatus("succeeded");
    expect(await findLedgerDrift()).toEqual([]);
  });
  afterAll(async () => {
    await runner?.drain(options.drainMs);
    runner?.stop();
    setEmbeddedRunner(undefined);
    await stripe?.close();
    await smtp?.close();
  });
  const started = <T>(service: T | undefined, name: string): T => {
    if (service === undefined) throw new Error(`withMoneyServices: ${name} was not asked for, or is not started yet`);
    return service;
  };
  return {
    get smtp(): TSmtp {
      return started(smtp, "smtp");
    },
    get stripe(): TFakeStripe {
      return started(stripe, "stripe");
    },
    get runner(): EmbeddedRunner {
      return started(runner, "runner");
    },
  };
}
