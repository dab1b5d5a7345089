import type { ComponentProps } from "react";
import { clsx } from "clsx";
import { controlClassName, type InputSize } from "@/components/ui/input";

export type SelectOption = { value: string; label: string; disabled?: boolean };

export type SelectProps = Omit<ComponentProps<"select">, "size"> & {
  size?: InputSize;
  invalid?: boolean;
  /** Rendered as <option>s before any children. */
  options?: readonly SelectOption[];
  /** A first, empty-valued option (e.g. "Choose a deck…"). It is disabled when `required`. */
  placeholder?: string;
};

export function Select({
  size = "md",
  invalid,
  options,
  placeholder,
  className,
  children,
  required,
  ...props
}: SelectProps) {
  return (
    <div className={clsx("relative", className)}>
      <select
        required={required}
          className={clsx(
          controlClassName,
          "appearance-none pr-8",
          size === "sm" ? "h-7 text-xs" : "h-8",
        )}
        {...props}
        aria-invalid={invalid || props["aria-invalid"] || undefined}
      >
        {placeholder !== undefined ? (
          <option value="" disabled={required}>
            {placeholder}
          </option>
        ) : null}
        {options?.map((option) => (
          <option key={option.value} value={option.value} disabled={option.disabled}>
            {option.label}
          </option>
        ))}
        {children}
      </select>
      <svg
        className="pointer-events-none absolute top-1/2 right-2.5 size-4 -translate-y-1/2 text-slate-500"
        viewBox="0 0 20 20"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.5"
        strokeLinecap="round"
        strokeLinejoin="round"
        aria-hidden="true"
      >
        <path d="m6 8 4 4 4-4" />
      </svg>
    </div>
  );
}
