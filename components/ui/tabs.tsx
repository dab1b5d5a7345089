"use client";

import Link from "next/link";
import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { clsx } from "clsx";

export type TabItem = {
  /** Stable value identifying the tab. */
  id: string;
  label: ReactNode;
  content: ReactNode;
  disabled?: boolean;
  /** A small count next to the label. */
  count?: number;
};

export type TabsProps = {
  items: readonly TabItem[];
  /** Controlled selected id. */
  value?: string;
  /** Uncontrolled initial id (default: first enabled tab). */
  defaultValue?: string;
  onValueChange?: (id: string) => void;
  /** Accessible name of the tab list. */
  label?: string;
  className?: string;
  /** Classes of the panel wrapper (default top margin). */
  panelClassName?: string;
};

const tabClassName = (selected: boolean) =>
  clsx(
    "relative -mb-px inline-flex h-9 items-center gap-1.5 border-b-2 px-1 text-sm font-medium whitespace-nowrap transition-colors",
    "focus-visible:rounded-sm focus-visible:outline-2 focus-visible:outline-offset-0",
    selected
      ? "border-brand-600 text-slate-900"
      : "border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-800",
  );

function Count({ value, selected }: { value: number; selected: boolean }) {
  return (
    <span
      className={clsx(
        "numeric rounded-full px-1.5 text-xs leading-4.5",
        selected ? "bg-brand-50 text-brand-700" : "bg-slate-100 text-slate-600",
      )}
    >
      {new Intl.NumberFormat("en-US").format(value)}
    </span>
  );
}

/**
 * In-page tabs following the WAI-ARIA tabs pattern: arrow keys move between tabs (and select
 * them), Home/End jump to the ends; only the selected tab is in the tab order. Only the
 * selected panel is rendered.
 */
export function Tabs({
  items,
  value,
  defaultValue,
  onValueChange,
  label,
  className,
  panelClassName = "mt-4",
}: TabsProps) {
  const baseId = useId();
  const firstEnabled = items.find((item) => !item.disabled)?.id;
  const [uncontrolled, setUncontrolled] = useState(defaultValue ?? firstEnabled);
  const selectedId = value ?? uncontrolled;
  const selected = items.find((item) => item.id === selectedId) ?? items.find((item) => !item.disabled);
  const tabRefs = useRef(new Map<string, HTMLButtonElement>());

  const select = (id: string) => {
    if (value === undefined) setUncontrolled(id);
    onValueChange?.(id);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const enabled = items.filter((item) => !item.disabled);
    const index = enabled.findIndex((item) => item.id === selected?.id);
    let next: TabItem | undefined;
    if (event.key === "ArrowRight") next = enabled[(index + 1) % enabled.length];
    else if (event.key === "ArrowLeft") next = enabled[(index - 1 + enabled.length) % enabled.length];
    else if (event.key === "Home") next = enabled[0];
    else if (event.key === "End") next = enabled[enabled.length - 1];
    if (!next) return;
    event.preventDefault();
    select(next.id);
    tabRefs.current.get(next.id)?.focus();
  };

  const tabId = (id: string) => `${baseId}-tab-${id}`;
  const panelId = (id: string) => `${baseId}-panel-${id}`;

  return (
    <div className={className}>
      <div
        role="tablist"
        aria-label={label}
        aria-orientation="horizontal"
        onKeyDown={onKeyDown}
        className="flex gap-5 overflow-x-auto border-b border-slate-200"
      >
        {items.map((item) => {
          const isSelected = item.id === selected?.id;
          return (
            <button
              key={item.id}
              ref={(element) => {
                if (element) tabRefs.current.set(item.id, element);
                else tabRefs.current.delete(item.id);
              }}
              type="button"
              role="tab"
              id={tabId(item.id)}
              aria-selected={isSelected}
              aria-controls={panelId(item.id)}
              aria-disabled={item.disabled || undefined}
              tabIndex={isSelected ? 0 : -1}
              onClick={() => {
                if (!item.disabled) select(item.id);
              }}
              className={clsx(tabClassName(isSelected), item.disabled && "cursor-not-allowed opacity-50")}
            >
              {item.label}
              {item.count !== undefined ? <Count value={item.count} selected={isSelected} /> : null}
            </button>
          );
        })}
      </div>
      {selected ? (
        <div
          role="tabpanel"
          id={panelId(selected.id)}
          aria-labelledby={tabId(selected.id)}
          tabIndex={0}
          className={clsx("focus-visible:outline-offset-4", panelClassName)}
        >
          {selected.content}
        </div>
      ) : null}
    </div>
  );
}

export type TabLinkItem = {
  href: string;
  label: ReactNode;
  active: boolean;
  count?: number;
};

export type TabLinksProps = {
  items: readonly TabLinkItem[];
  /** Accessible name of the navigation (e.g. "Customer sections"). */
  label?: string;
  className?: string;
};

/**
 * Sub-navigation that looks like tabs but is a list of links (each sub-page has its own URL).
 * The active link gets aria-current="page".
 */
export function TabLinks({ items, label = "Sections", className }: TabLinksProps) {
  return (
    <nav aria-label={label} className={clsx("border-b border-slate-200", className)}>
      <ul className="flex gap-5 overflow-x-auto">
        {items.map((item, index) => (
          <li key={`${index}:${item.href}`} className="flex">
            <Link
              href={item.href}
              aria-current={item.active ? "page" : undefined}
              className={tabClassName(item.active)}
            >
              {item.label}
              {item.count !== undefined ? <Count value={item.count} selected={item.active} /> : null}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
