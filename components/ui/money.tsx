import { clsx } from "clsx";
import { currencyDigits, formatMicros, MICRO_DIGITS, type TFormatMicrosOptions } from "@/components/ui/money-format";

export type MoneyProps = Omit<TFormatMicrosOptions, "currencyDisplay"> & {
  /** Integer micro-units (1/1,000,000 of a unit). null/undefined renders `fallback`. */
  micros: bigint | null | undefined;
  /** ISO 4217 code, e.g. "USD". */
  currency: string;
  /** Red text for negative amounts (default true). */
  toneNegative?: boolean;
  /** Green text for positive amounts, e.g. credits in a ledger (default false). */
  tonePositive?: boolean;
  currencyDisplay?: TFormatMicrosOptions["currencyDisplay"];
  /** Shown for null/undefined amounts (default an em dash). */
  fallback?: string;
  className?: string;
};

/**
 * Money display with tabular figures. When the shown precision hides digits, the exact
 * 6-decimal amount is available as a tooltip (title).
 */
export function Money({
  micros,
  currency,
  toneNegative = true,
  tonePositive = false,
  fallback = "—",
  className,
  ...format
}: MoneyProps) {
  if (micros === null || micros === undefined) {
    return <span className={clsx("numeric text-slate-400", className)}>{fallback}</span>;
  }
  const text = formatMicros(micros, currency, format);
  // The exact amount only where rounding hid digits: "-$0.0680" is already exact.
  const shown = format.precision ?? currencyDigits(currency);
  const hidesDigits = micros % 10n ** BigInt(MICRO_DIGITS - shown) !== 0n;
  const exact = formatMicros(micros, currency, { ...format, precision: MICRO_DIGITS, minPrecision: 2 });
  return (
    <span
      className={clsx(
        "numeric",
        toneNegative && micros < 0n && "text-danger-700",
        tonePositive && micros > 0n && "text-success-700",
        className,
      )}
      title={hidesDigits && exact !== text ? exact : undefined}
    >
      {text}
    </span>
  );
}
