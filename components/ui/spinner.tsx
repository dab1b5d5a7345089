import { clsx } from "clsx";

export type SpinnerSize = "xs" | "sm" | "md" | "lg";

export type SpinnerProps = {
  size?: SpinnerSize;
  /** Announced to assistive technology. Pass `null` when a parent already announces busy state. */
  label?: string | null;
  className?: string;
};

const sizes: Record<SpinnerSize, string> = {
  xs: "size-3",
  sm: "size-3.5",
  md: "size-4",
  lg: "size-6",
};

export function Spinner({ size = "md", label = "Loading", className }: SpinnerProps) {
  return (
    <span
      role={label ? "status" : undefined}
      className={clsx("inline-flex shrink-0 items-center justify-center", className)}
    >
      <svg
        className={clsx("animate-spin", sizes[size])}
        viewBox="0 0 24 24"
        fill="none"
        aria-hidden="true"
      >
        <circle cx="12" cy="12" r="9.5" stroke="currentColor" strokeOpacity="0.25" strokeWidth="3" />
        <path d="M21.5 12A9.5 9.5 0 0 0 12 2.5" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
      </svg>
      {label ? <span className="sr-only">{label}</span> : null}
    </span>
  );
}
