import type { ReactNode } from "react";
import { clsx } from "clsx";

/** A small, unpaginated table for lists inside a card (members, invitations). */
export function MiniTable({
  label,
  columns,
  children,
  className,
}: {
  label: string;
  /** Header cells; a string or { label, align }. */
  columns: readonly (string | { label: ReactNode; align?: "left" | "right"; srOnly?: boolean })[];
  children: ReactNode;
  className?: string;
}) {
  return (
    <div className={clsx("overflow-x-auto", className)}>
      <table className="w-full border-separate border-spacing-0 text-sm" aria-label={label}>
        <thead>
          <tr>
            {columns.map((column, index) => {
              const spec = typeof column === "string" ? { label: column } : column;
              return (
                <th
                  key={index}
                  scope="col"
                  className={clsx(
                    "h-8 border-b border-slate-200 bg-slate-50 px-3 text-xs font-medium whitespace-nowrap text-slate-600 first:pl-4 last:pr-4",
                    "align" in spec && spec.align === "right" ? "text-right" : "text-left",
                  )}
                >
                  {"srOnly" in spec && spec.srOnly ? <span className="sr-only">{spec.label}</span> : spec.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export function MiniCell({
  children,
  align,
  wrap = false,
  className,
}: {
  children: ReactNode;
  align?: "left" | "right";
  /**
   * Let the text wrap, long tokens (keys, paths) too; cells are single-line by default. A prop rather
   * than a `whitespace-*` class: without tailwind-merge, the class that wins is whichever the
   * stylesheet happens to list last, and `whitespace-normal` loses to `whitespace-nowrap`.
   */
  wrap?: boolean;
  className?: string;
}) {
  return (
    <td
      className={clsx(
        "h-9 border-b border-slate-100 px-3 py-1.5 text-slate-800 first:pl-4 last:pr-4 group-last/row:border-b-0",
        wrap ? "wrap-anywhere" : "whitespace-nowrap",
        align === "right" && "numeric text-right",
        className,
      )}
    >
      {children}
    </td>
  );
}

export function MiniRow({ children }: { children: ReactNode }) {
  return <tr className="group/row hover:bg-slate-50/60">{children}</tr>;
}
