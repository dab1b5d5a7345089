import type { ReactNode } from "react";
import Link from "next/link";
import { clsx } from "clsx";

export type Breadcrumb = { label: string; href?: string };

export type PageHeaderProps = {
  title: ReactNode;
  description?: ReactNode;
  /** Buttons/links at the right (wraps under the title on narrow screens). */
  actions?: ReactNode;
  /** Trail above the title; the last item is the current page (no link needed). */
  breadcrumbs?: readonly Breadcrumb[];
  /** Something next to the title, e.g. a StatusBadge. */
  meta?: ReactNode;
  className?: string;
};

/** `data-page-trail` tells the app shell to hide its own top-bar trail (see navTrail in app-shell). */
export function Breadcrumbs({ items, className }: { items: readonly Breadcrumb[]; className?: string }) {
  return (
    <nav aria-label="Breadcrumb" data-page-trail="" className={className}>
      <ol className="flex flex-wrap items-center gap-1 text-xs text-slate-500">
        {items.map((item, index) => {
          const last = index === items.length - 1;
          return (
            <li key={`${index}:${item.label}`} className="flex items-center gap-1">
              {item.href && !last ? (
                <Link href={item.href} className="rounded-sm hover:text-slate-900 hover:underline">
                  {item.label}
                </Link>
              ) : (
                <span aria-current={last ? "page" : undefined} className={clsx(last && "text-slate-700")}>
                  {item.label}
                </span>
              )}
              {!last ? (
                <svg className="size-3.5 text-slate-400" viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
                  <path d="m8 5 5 5-5 5" strokeLinecap="round" strokeLinejoin="round" />
                </svg>
              ) : null}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

export function PageHeader({ title, description, actions, breadcrumbs, meta, className }: PageHeaderProps) {
  return (
    <header className={clsx("mb-5 flex flex-col gap-1.5", className)}>
      {breadcrumbs && breadcrumbs.length > 0 ? <Breadcrumbs items={breadcrumbs} /> : null}
      <div className="flex flex-wrap items-start justify-between gap-x-4 gap-y-2">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h1 className="truncate text-lg leading-7 font-semibold tracking-tight text-slate-900">{title}</h1>
            {meta}
          </div>
          {description ? <p className="mt-0.5 max-w-3xl text-sm text-slate-500">{description}</p> : null}
        </div>
        {actions ? <div className="flex shrink-0 flex-wrap items-center gap-2">{actions}</div> : null}
      </div>
    </header>
  );
}
