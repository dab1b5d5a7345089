import type { ComponentProps, ReactNode } from "react";
import { clsx } from "clsx";

export type CardProps = ComponentProps<"section">;

/** A white, bordered panel. Renders a <section>; give it `aria-labelledby` when it has a title. */
export function Card({ className, ...props }: CardProps) {
  return (
    <section
      className={clsx("rounded-lg border border-slate-200 bg-white shadow-xs", className)}
      {...props}
    />
  );
}

export type CardHeaderProps = Omit<ComponentProps<"div">, "title"> & {
  /** Right-aligned controls (buttons, links, a select). */
  actions?: ReactNode;
};

export function CardHeader({ className, actions, children, ...props }: CardHeaderProps) {
  return (
    <div
      className={clsx(
        "flex min-h-12 items-center justify-between gap-3 border-b border-slate-200 px-4 py-2.5",
        className,
      )}
      {...props}
    >
      <div className="min-w-0 flex-1">{children}</div>
      {actions ? <div className="flex shrink-0 items-center gap-2">{actions}</div> : null}
    </div>
  );
}

export type CardTitleProps = ComponentProps<"h2"> & {
  /** Heading level; default "h2". */
  as?: "h2" | "h3" | "h4";
};

export function CardTitle({ as: Heading = "h2", className, ...props }: CardTitleProps) {
  return <Heading className={clsx("truncate text-sm font-semibold text-slate-900", className)} {...props} />;
}

export function CardDescription({ className, ...props }: ComponentProps<"p">) {
  return <p className={clsx("mt-0.5 text-xs text-slate-500", className)} {...props} />;
}

export type CardContentProps = ComponentProps<"div"> & {
  /** Remove the padding, e.g. for a table that should touch the card's edges. */
  flush?: boolean;
};

export function CardContent({ className, flush = false, ...props }: CardContentProps) {
  return <div className={clsx(!flush && "p-4", className)} {...props} />;
}

export function CardFooter({ className, ...props }: ComponentProps<"div">) {
  return (
    <div
      className={clsx(
        "flex items-center justify-end gap-2 rounded-b-lg border-t border-slate-200 bg-slate-50 px-4 py-2.5",
        className,
      )}
      {...props}
    />
  );
}
