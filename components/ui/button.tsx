import type { ComponentProps } from "react";
import { clsx } from "clsx";
import { Spinner } from "@/components/ui/spinner";

export type ButtonVariant = "primary" | "secondary" | "ghost" | "danger";
export type ButtonSize = "sm" | "md";

const base =
  "inline-flex shrink-0 items-center justify-center gap-1.5 whitespace-nowrap rounded-md font-medium " +
  "transition-colors select-none focus-visible:outline-2 focus-visible:outline-offset-2 " +
  "disabled:pointer-events-none disabled:opacity-50 aria-disabled:pointer-events-none aria-disabled:opacity-50 " +
  "[&_svg]:shrink-0";

const variants: Record<ButtonVariant, string> = {
  primary:
    "bg-brand-600 text-white shadow-xs hover:bg-brand-700 active:bg-brand-800 focus-visible:outline-brand-500",
  secondary:
    "border border-slate-300 bg-white text-slate-800 shadow-xs hover:bg-slate-50 hover:border-slate-400 " +
    "active:bg-slate-100 focus-visible:outline-brand-500",
  ghost: "text-slate-700 hover:bg-slate-100 hover:text-slate-900 active:bg-slate-200 focus-visible:outline-brand-500",
  danger:
    "bg-danger-600 text-white shadow-xs hover:bg-danger-700 active:bg-danger-800 focus-visible:outline-danger-500",
};

const sizes: Record<ButtonSize, string> = {
  sm: "h-7 px-2.5 text-xs [&_svg]:size-3.5",
  md: "h-8 px-3 text-sm [&_svg]:size-4",
};

/**
 * Class names of a button, for elements that must look like one (e.g. `<Link>`):
 * `<Link href="/x" className={buttonClassName("primary", "sm")}>New</Link>`.
 */
export function buttonClassName(
  variant: ButtonVariant = "secondary",
  size: ButtonSize = "md",
  className?: string,
): string {
  return clsx(base, variants[variant], sizes[size], className);
}

export type ButtonProps = ComponentProps<"button"> & {
  /** Default "secondary". */
  variant?: ButtonVariant;
  /** Default "md". */
  size?: ButtonSize;
  /** Shows a spinner, disables the button and sets aria-busy; the label stays for width stability. */
  loading?: boolean;
};

/**
 * A native <button>. Note: `type` defaults to "button"; pass `type="submit"` in forms.
 */
export function Button({
  variant = "secondary",
  size = "md",
  loading = false,
  disabled,
  type = "button",
  className,
  children,
  ...props
}: ButtonProps) {
  return (
    <button
      type={type}
      disabled={disabled || loading}
      aria-busy={loading || undefined}
      className={buttonClassName(variant, size, className)}
      {...props}
    >
      {loading ? <Spinner size={size === "sm" ? "xs" : "sm"} label={null} /> : null}
      {children}
    </button>
  );
}
