import type { ComponentProps } from "react";
import { clsx } from "clsx";

/**
 * Shared look of text-like controls (input, select, textarea). `aria-invalid="true"` turns the
 * border red, so FormField's wiring is enough to show an error state.
 */
export const controlClassName =
  "block w-full rounded-md border border-slate-300 bg-white px-2.5 text-sm text-slate-900 shadow-xs " +
  "placeholder:text-slate-400 transition-colors " +
  "hover:border-slate-400 " +
  "focus:border-brand-500 focus:outline-none focus:ring-3 focus:ring-brand-500/20 focus-visible:outline-none " +
  "disabled:cursor-not-allowed disabled:bg-slate-50 disabled:text-slate-500 " +
  "read-only:bg-slate-50 " +
  "aria-invalid:border-danger-500 aria-invalid:focus:border-danger-500 aria-invalid:focus:ring-danger-500/20";

export type InputSize = "sm" | "md";

const heights: Record<InputSize, string> = { sm: "h-7 text-xs", md: "h-8" };

export type InputProps = Omit<ComponentProps<"input">, "size"> & {
  /** Control height: "sm" 28px, "md" 32px (default). Use `htmlSize` for the native size attribute. */
  size?: InputSize;
  htmlSize?: number;
  /** Marks the control invalid (sets aria-invalid) when used outside FormField. */
  invalid?: boolean;
};

export function Input({ size = "md", htmlSize, invalid, className, type = "text", ...props }: InputProps) {
  return (
    <input
      type={type}
      size={htmlSize}
      className={clsx(controlClassName, heights[size], type === "number" && "numeric", className)}
      {...props}
      aria-invalid={invalid || props["aria-invalid"] || undefined}
    />
  );
}
