"use client";

import { useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { fieldErrorsOf, inlineFieldErrors, messageOf, type TFieldErrors, isForbidden } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { currencyDigits, formatMicros, parseDecimalToMicros } from "@/components/ui/money-format";
import { toast } from "@/components/ui/toast";
import {
  MAX_PRESETS,
  MONEY_PATTERN,
  PUBLISHABLE_KEY_PREFIXES,
  SECRET_KEY_PREFIXES,
  WEBHOOK_SECRET_PREFIXES,
  type TStripeSettings,
} from "@/components/settings/labels";

const FORM_ID = "stripe-settings-form";
const FIELDS = ["secretKey", "publishableKey", "webhookSecret", "topUpMinimum", "topUpMaximum", "topUpPresets"] as const;
type TField = (typeof FIELDS)[number];

type TValues = {
  secretKey: string;
  publishableKey: string;
  webhookSecret: string;
  topUpMinimum: string;
  topUpMaximum: string;
  topUpPresets: string;
};

function toInput(micros: bigint, currency: string): string {
  return formatMicros(micros, currency, { currencyDisplay: "none", grouping: false, precision: 6, minPrecision: 2 });
}

function initialValues(settings: TStripeSettings): TValues {
  return {
    // Secrets are write-only: the inputs always start empty ("leave blank to keep").
    secretKey: "",
    publishableKey: "",
    webhookSecret: "",
    topUpMinimum: toInput(settings.topUpMinimum, settings.currency),
    topUpMaximum: toInput(settings.topUpMaximum, settings.currency),
    topUpPresets: settings.topUpPresets.map((preset) => toInput(preset, settings.currency)).join(", "),
  };
}

/** "10, 25 50" → ["10", "25", "50"]. */
function splitPresets(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

function prefixError(value: string, prefixes: readonly string[], label: string): string | null {
  if (value === "") return null;
  if (/\s/.test(value)) return `A ${label} has no spaces`;
  if (value.length > 500) return `A ${label} is at most 500 characters`;
  return prefixes.some((prefix) => value.startsWith(prefix)) ? null : `A ${label} starts with ${prefixes.join(" or ")}`;
}

/** Stripe keys (write-only), the webhook endpoint to register, and card top-up limits. */
export function StripeSettingsCard({ settings }: { settings: TStripeSettings }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const currency = settings.currency;
  const [values, setValues] = useState<TValues>(() => initialValues(settings));
  const [clearKeys, setClearKeys] = useState(false);
  const [errors, setErrors] = useState<TFieldErrors>({});

  const update = useMutation(
    trpc.payments.updateStripeSettings.mutationOptions({
      onSuccess: (next) => {
        queryClient.setQueryData(trpc.payments.stripeSettings.queryKey(), next);
        void queryClient.invalidateQueries({ queryKey: trpc.payments.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() });
        setValues(initialValues(next));
        setClearKeys(false);
        setErrors({});
        const change = next.accountChange;
        if (change && (change.stripeCustomersCleared > 0 || change.savedCardsRemoved > 0)) {
          // Saved cards live in one Stripe account; the customers must add theirs again.
          toast.success(
            `Stripe settings saved. The new key belongs to another Stripe account: ${change.savedCardsRemoved} saved card${change.savedCardsRemoved === 1 ? "" : "s"} removed and ${change.stripeCustomersCleared} customer${change.stripeCustomersCleared === 1 ? "" : "s"} will be set up again at their next payment.`,
          );
        } else toast.success("Stripe settings saved");
      },
      onError: (error) => {
        const inline = inlineFieldErrors(fieldErrorsOf(error), FIELDS);
        setErrors(inline);
        if (isForbidden(error)) toast.error("Only tenant admins can change settings");
        else if (Object.keys(inline).length === 0) toast.error(messageOf(error));
        else toast.error("Check the highlighted fields");
      },
    }),
  );

  const initial = initialValues(settings);
  const dirty = clearKeys || FIELDS.some((field) => values[field].trim() !== initial[field]);
  const digits = currencyDigits(currency);
  const centStep = 10n ** BigInt(6 - digits);

  const setField = (field: TField, value: string) => {
    setValues((current) => ({ ...current, [field]: value }));
    if (errors[field]) setErrors(({ [field]: _ignored, ...rest }) => rest);
  };

  const validate = (): { next: TFieldErrors; presets: string[] } => {
    const next: TFieldErrors = {};
    const add = (field: TField, message: string) => (next[field] ??= []).push(message);
    const secretKey = values.secretKey.trim();
    const publishableKey = values.publishableKey.trim();
    const webhookSecret = values.webhookSecret.trim();
    if (!clearKeys) {
      const secretProblem = prefixError(secretKey, SECRET_KEY_PREFIXES, "secret key");
      if (secretProblem) add("secretKey", secretProblem);
      const publishableProblem = prefixError(publishableKey, PUBLISHABLE_KEY_PREFIXES, "publishable key");
      if (publishableProblem) add("publishableKey", publishableProblem);
      const webhookProblem = prefixError(webhookSecret, WEBHOOK_SECRET_PREFIXES, "webhook signing secret");
      if (webhookProblem) add("webhookSecret", webhookProblem);
      // Your own keys are a set: whatever stays stored after this save must be all three or none.
      const present = {
        secretKey: secretKey !== "" || settings.secretKeyConfigured,
        publishableKey: publishableKey !== "" || settings.publishableKey !== null,
        webhookSecret: webhookSecret !== "" || settings.webhookSecretConfigured,
      };
      const missing = (["secretKey", "publishableKey", "webhookSecret"] as const).filter((field) => !present[field]);
      if (missing.length > 0 && missing.length < 3) {
        for (const field of missing) add(field, `Enter the ${KEY_LABELS[field]} too: your own Stripe keys are used as a set`);
      }
    }

    const money = (field: "topUpMinimum" | "topUpMaximum", label: string): bigint | null => {
      const text = values[field].trim();
      if (!MONEY_PATTERN.test(text)) {
        add(field, `Enter the ${label} like 25.00`);
        return null;
      }
      const micros = parseDecimalToMicros(text);
      if (micros === null) {
        add(field, `Enter the ${label} like 25.00`);
        return null;
      }
      if (micros % centStep !== 0n) add(field, digits === 0 ? "Use whole units" : `Use at most ${digits} decimals`);
      return micros;
    };
    const minimum = money("topUpMinimum", "minimum");
    const maximum = money("topUpMaximum", "maximum");
    if (minimum !== null && minimum <= 0n) add("topUpMinimum", "The minimum must be more than zero");
    if (minimum !== null && maximum !== null && maximum < minimum) add("topUpMaximum", "The maximum must be at least the minimum");

    const presets = splitPresets(values.topUpPresets);
    if (presets.length > MAX_PRESETS) add("topUpPresets", `At most ${MAX_PRESETS} suggested amounts`);
    const badPreset = presets.find((preset) => !MONEY_PATTERN.test(preset));
    if (badPreset !== undefined) add("topUpPresets", `“${badPreset}” is not an amount like 25.00`);
    else if (minimum !== null && maximum !== null) {
      const outside = presets.find((preset) => {
        const micros = parseDecimalToMicros(preset);
        return micros === null || micros < minimum || micros > maximum;
      });
      if (outside !== undefined) add("topUpPresets", "Every suggested amount must lie between the minimum and the maximum");
    }
    return { next, presets };
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (update.isPending) return;
    const { next, presets } = validate();
    setErrors(next);
    const firstInvalid = FIELDS.find((field) => next[field]);
    if (firstInvalid) {
      event.currentTarget.querySelector<HTMLElement>(`[name="${firstInvalid}"]`)?.focus();
      return;
    }
    const secretKey = values.secretKey.trim();
    const publishableKey = values.publishableKey.trim();
    const webhookSecret = values.webhookSecret.trim();
    update.mutate({
      ...(clearKeys
        ? { clearKeys: true }
        : {
            ...(secretKey ? { secretKey } : {}),
            ...(publishableKey ? { publishableKey } : {}),
            ...(webhookSecret ? { webhookSecret } : {}),
          }),
      topUpMinimum: values.topUpMinimum.trim(),
      topUpMaximum: values.topUpMaximum.trim(),
      topUpPresets: presets,
    });
  };

  const secretField = (
    field: "secretKey" | "publishableKey" | "webhookSecret",
    label: string,
    configured: boolean,
    placeholder: string,
    hint: ReactNode,
    secret: boolean,
  ) => (
    <FormField
      label={label}
      error={errors[field]}
      labelAside={configured ? <Badge tone="success">Configured ✓</Badge> : <Badge>Not set</Badge>}
      hint={hint}
    >
      <Input
        name={field}
        type={secret ? "password" : "text"}
        autoComplete="off"
        spellCheck={false}
        placeholder={configured ? "Enter a new value to replace it" : placeholder}
        value={values[field]}
        disabled={clearKeys || update.isPending}
        onChange={(event) => setField(field, event.target.value)}
        className="font-mono"
      />
    </FormField>
  );

  return (
    <Card aria-labelledby="stripe-settings-title">
      <CardHeader
        actions={
          settings.usingOwnKeys ? (
            <Badge tone="success">Your Stripe account</Badge>
          ) : settings.platformKeysConfigured ? (
            <Badge tone="info">Platform Stripe account</Badge>
          ) : (
            <Badge tone="warning">Card payments off</Badge>
          )
        }
      >
        <CardTitle id="stripe-settings-title">Payments (Stripe)</CardTitle>
        <CardDescription>
          Customers top up their balance by card. Secrets are stored encrypted and never shown again; leave a field blank to keep what is stored.
        </CardDescription>
      </CardHeader>
      <form id={FORM_ID} onSubmit={onSubmit} noValidate aria-label="Stripe settings">
        <CardContent className="flex flex-col gap-5">
          {!settings.cardPaymentsAvailable && settings.usingOwnKeys ? (
            <p role="note" className="rounded-lg border border-warning-600/30 bg-warning-50 px-3 py-2 text-sm text-warning-800">
              Card payments are off until your Stripe keys are complete: enter the{" "}
              {settings.missingKeys.map((field) => KEY_LABELS[field]).join(" and ")}.
            </p>
          ) : !settings.cardPaymentsAvailable ? (
            <p role="note" className="rounded-lg border border-warning-600/30 bg-warning-50 px-3 py-2 text-sm text-warning-800">
              No Stripe keys are configured for this tenant or the platform, so customers cannot pay by card yet.
            </p>
          ) : !settings.usingOwnKeys ? (
            <p role="note" className="rounded-lg border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-600">
              Card payments currently go through the platform&apos;s Stripe account. Enter your own keys to be paid into yours.
            </p>
          ) : null}

          <fieldset className="flex flex-col gap-3">
            <legend className="mb-2 text-sm font-semibold text-slate-900">API keys</legend>
            {secretField(
              "secretKey",
              "Secret key",
              settings.secretKeyConfigured,
              "sk_live_… or rk_live_…",
              "From Stripe Dashboard → Developers → API keys. A restricted key (rk_) works too.",
              true,
            )}
            {secretField(
              "publishableKey",
              "Publishable key",
              settings.publishableKey !== null,
              "pk_live_…",
              settings.publishableKey ? (
                <>
                  Current: <span className="font-mono break-all text-slate-700">{settings.publishableKey}</span>
                </>
              ) : (
                "Public by design; used by the payment page in the browser."
              ),
              false,
            )}
            {secretField(
              "webhookSecret",
              "Webhook signing secret",
              settings.webhookSecretConfigured,
              "whsec_…",
              settings.usingOwnKeys
                ? "Shown by Stripe after you add the webhook endpoint below."
                : "To use your own account, first add the webhook endpoint below in your Stripe Dashboard, then paste its signing secret here.",
              true,
            )}
            {settings.usingOwnKeys ? (
              <Checkbox
                label="Forget these keys and use the platform's Stripe account"
                description={
                  settings.platformKeysConfigured
                    ? "Takes effect when you save. Saved cards and Stripe customers of your account do not exist in the platform's: your customers' saved cards are removed."
                    : "The platform has no keys: card payments will stop."
                }
                checked={clearKeys}
                disabled={update.isPending}
                onChange={(event) => {
                  setClearKeys(event.target.checked);
                  setErrors(({ secretKey: _a, publishableKey: _b, webhookSecret: _c, ...rest }) => rest);
                }}
              />
            ) : null}
          </fieldset>

          <WebhookEndpoint
            ownUrl={settings.ownWebhookUrl}
            platformUrl={settings.webhookUrl}
            usingOwnKeys={settings.usingOwnKeys}
            platformKeysConfigured={settings.platformKeysConfigured}
            leavingOwnAccount={clearKeys}
          />

          <fieldset className="flex flex-col gap-3">
            <legend className="mb-2 text-sm font-semibold text-slate-900">Card top-ups</legend>
            <div className="grid gap-3 sm:grid-cols-2">
              <FormField label="Minimum top-up" required error={errors.topUpMinimum} hint={`In ${currency}.`}>
                <Input
                  name="topUpMinimum"
                  inputMode="decimal"
                  autoComplete="off"
                  value={values.topUpMinimum}
                  disabled={update.isPending}
                  onChange={(event) => setField("topUpMinimum", event.target.value)}
                />
              </FormField>
              <FormField label="Maximum top-up" required error={errors.topUpMaximum} hint={`In ${currency}.`}>
                <Input
                  name="topUpMaximum"
                  inputMode="decimal"
                  autoComplete="off"
                  value={values.topUpMaximum}
                  disabled={update.isPending}
                  onChange={(event) => setField("topUpMaximum", event.target.value)}
                />
              </FormField>
            </div>
            <FormField
              label="Suggested amounts"
              optional
              error={errors.topUpPresets}
              hint={`Up to ${MAX_PRESETS} amounts, separated by commas, e.g. 10, 25, 50. Shown as one-click choices on the top-up page.`}
            >
              <Input
                name="topUpPresets"
                inputMode="decimal"
                autoComplete="off"
                placeholder="10, 25, 50"
                value={values.topUpPresets}
                disabled={update.isPending}
                onChange={(event) => setField("topUpPresets", event.target.value)}
              />
            </FormField>
          </fieldset>
        </CardContent>
        <CardFooter>
          <Button
            size="sm"
            disabled={!dirty || update.isPending}
            onClick={() => {
              setValues(initial);
              setClearKeys(false);
              setErrors({});
            }}
          >
            Reset
          </Button>
          <Button type="submit" form={FORM_ID} variant="primary" size="sm" loading={update.isPending} disabled={!dirty}>
            Save Stripe settings
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}

const KEY_LABELS = { secretKey: "secret key", publishableKey: "publishable key", webhookSecret: "webhook signing secret" } as const;

/**
 * The one endpoint a tenant admin ever registers: its own, `/api/webhooks/stripe/<slug>`, in
 * its own Stripe account (server/payments/settings.ts). Stripe signs per endpoint, so the
 * platform's account has a single endpoint, `/api/webhooks/stripe`, that the platform operator
 * registers for every tenant on the platform's keys: shown as information, never to copy,
 * since adding it to the tenant's own account would send its events where its secret is not known.
 */
function WebhookEndpoint({
  ownUrl,
  platformUrl,
  usingOwnKeys,
  platformKeysConfigured,
  leavingOwnAccount,
}: {
  ownUrl: string;
  platformUrl: string;
  usingOwnKeys: boolean;
  platformKeysConfigured: boolean;
  leavingOwnAccount: boolean;
}) {
  const copy = () => {
    if (!navigator.clipboard) {
      toast.error("Copying is not available here; select the address instead");
      return;
    }
    navigator.clipboard.writeText(ownUrl).then(
      () => toast.success("Webhook URL copied"),
      () => toast.error("Could not copy; select the address instead"),
    );
  };
  const events =
    "checkout.session.*, payment_intent.succeeded, payment_intent.payment_failed, charge.refunded, charge.refund.updated, refund.* and charge.dispute.*";
  return (
    <div className="flex flex-col gap-1">
      <p id="stripe-webhook-url-label" className="text-sm font-medium text-slate-800">
        {usingOwnKeys ? "Webhook endpoint in your Stripe account" : "Webhook endpoint for your own Stripe account"}
      </p>
      <div className="flex items-center gap-2">
        <Input readOnly value={ownUrl} aria-labelledby="stripe-webhook-url-label" aria-describedby="stripe-webhook-url-hint" className="font-mono" onFocus={(event) => event.currentTarget.select()} />
        <Button size="sm" onClick={copy} aria-label="Copy webhook URL">
          Copy
        </Button>
      </div>
      <div id="stripe-webhook-url-hint" className="flex flex-col gap-1 text-xs text-slate-500">
        {usingOwnKeys ? (
          <p>
            In Stripe Dashboard → Developers → Webhooks, add this endpoint for the {events} events, then paste its signing secret above.
            {leavingOwnAccount ? " Once you switch to the platform's account, you can delete this endpoint in your Stripe account." : null}
          </p>
        ) : (
          <>
            <p>
              Only needed to use your own Stripe account: add this endpoint there for the {events} events, then paste its signing
              secret and your keys above.
            </p>
            {platformKeysConfigured ? (
              <p>
                Until then there is nothing to set up: the platform&apos;s Stripe account sends your customers&apos; payments to the
                platform&apos;s own endpoint (<span className="font-mono break-all">{platformUrl}</span>), which the platform operator
                registers.
              </p>
            ) : null}
          </>
        )}
      </div>
    </div>
  );
}
