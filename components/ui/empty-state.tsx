import type { ReactNode } from "react";
import { clsx } from "clsx";

export type EmptyStateProps = {
  title: ReactNode;
  description?: ReactNode;
  /** An icon (e.g. from components/shell/icons); a neutral one is used when omitted. */
  icon?: ReactNode;
  /** A call to action: a Button or a link styled with buttonClassName. */
  action?: ReactNode;
  /** Less vertical padding, for use inside cards and tables. */
  compact?: boolean;
  className?: string;
};

export function EmptyState({ title, description, icon, action, compact = false, className }: EmptyStateProps) {
  return (
    <div
      className={clsx(
        "flex flex-col items-center justify-center text-center",
        compact ? "gap-1.5 px-4 py-8" : "gap-2 px-6 py-14",
        className,
      )}
    >
      <div
        className="mb-1 flex size-10 items-center justify-center rounded-full bg-slate-100 text-slate-500 [&_svg]:size-5"
        aria-hidden="true"
      >
        {icon ?? (
          <svg viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round">
            <path d="M3 7.5 5.2 3.8a1.5 1.5 0 0 1 1.3-.8h7a1.5 1.5 0 0 1 1.3.8L17 7.5" />
            <path d="M3 7.5h4l1 2h4l1-2h4v7a1.5 1.5 0 0 1-1.5 1.5h-11A1.5 1.5 0 0 1 3 14.5v-7Z" />
          </svg>
        )}
      </div>
      <p className="text-sm font-semibold text-slate-900">{title}</p>
      {description ? <p className="max-w-sm text-sm text-slate-500">{description}</p> : null}
      {action ? <div className="mt-2 flex items-center gap-2">{action}</div> : null}
    </div>
  );
}
