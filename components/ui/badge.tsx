import type { ComponentProps } from "react";
import { clsx } from "clsx";

export type BadgeTone = "neutral" | "success" | "warning" | "danger" | "info" | "brand";

const tones: Record<BadgeTone, { badge: string; dot: string }> = {
  neutral: { badge: "bg-slate-100 text-slate-700 ring-slate-500/20", dot: "bg-slate-400" },
  success: { badge: "bg-success-50 text-success-800 ring-success-600/25", dot: "bg-success-500" },
  warning: { badge: "bg-warning-50 text-warning-800 ring-warning-600/30", dot: "bg-warning-500" },
  danger: { badge: "bg-danger-50 text-danger-700 ring-danger-600/20", dot: "bg-danger-500" },
  info: { badge: "bg-info-50 text-info-800 ring-info-600/25", dot: "bg-info-500" },
  brand: { badge: "bg-brand-50 text-brand-700 ring-brand-600/20", dot: "bg-brand-500" },
};

export type BadgeProps = ComponentProps<"span"> & {
  /** Default "neutral". */
  tone?: BadgeTone;
  /** A small coloured dot before the text. */
  dot?: boolean;
};

export function Badge({ tone = "neutral", dot = false, className, children, ...props }: BadgeProps) {
  const style = tones[tone];
  return (
    <span
      className={clsx(
        "inline-flex h-5 items-center gap-1.5 rounded-md px-1.5 text-xs leading-none font-medium whitespace-nowrap",
        "ring-1 ring-inset",
        style.badge,
        className,
      )}
      {...props}
    >
      {dot ? <span className={clsx("size-1.5 rounded-full", style.dot)} aria-hidden="true" /> : null}
      {children}
    </span>
  );
}
