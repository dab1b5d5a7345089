import type { ReactNode } from "react";
import { clsx } from "clsx";
import { Skeleton } from "@/components/ui/skeleton";

export type StatTone = "neutral" | "success" | "warning" | "danger" | "info";

const valueTones: Record<StatTone, string> = {
  neutral: "text-slate-900",
  success: "text-success-700",
  warning: "text-warning-700",
  danger: "text-danger-700",
  info: "text-info-700",
};

const accentTones: Record<StatTone, string> = {
  neutral: "before:bg-transparent",
  success: "before:bg-success-500",
  warning: "before:bg-warning-500",
  danger: "before:bg-danger-500",
  info: "before:bg-info-500",
};

export type StatProps = {
  label: ReactNode;
  /** The figure: a string, a number or e.g. `<Money micros={…} currency="USD" />`. */
  value: ReactNode;
  /** Secondary line under the value ("12 accounts below threshold", "vs. last month"). */
  hint?: ReactNode;
  /** Colours the value and a thin left accent. Default "neutral". */
  tone?: StatTone;
  icon?: ReactNode;
  /** Shows a skeleton instead of the value. */
  loading?: boolean;
  className?: string;
};

/** A KPI card. Uses a <dl> internally so label and value stay associated for screen readers. */
export function Stat({ label, value, hint, tone = "neutral", icon, loading = false, className }: StatProps) {
  return (
    <div
      className={clsx(
        "relative overflow-hidden rounded-lg border border-slate-200 bg-white px-4 py-3 shadow-xs",
        "before:absolute before:inset-y-0 before:left-0 before:w-0.5",
        accentTones[tone],
        className,
      )}
    >
      <dl>
        <div className="flex items-center justify-between gap-2">
          <dt className="truncate text-xs font-medium text-slate-500">{label}</dt>
          {icon ? (
            <span className="text-slate-400 [&_svg]:size-4" aria-hidden="true">
              {icon}
            </span>
          ) : null}
        </div>
        <dd className={clsx("numeric mt-1 truncate text-lg leading-7 font-semibold tracking-tight sm:text-xl", valueTones[tone])}>
          {loading ? <Skeleton className="my-1 h-5 w-24" /> : value}
        </dd>
        {hint ? (
          <dd className="mt-0.5 line-clamp-2 text-xs text-slate-500" title={typeof hint === "string" ? hint : undefined}>
            {hint}
          </dd>
        ) : null}
      </dl>
    </div>
  );
}
