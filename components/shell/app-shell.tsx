"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { clsx } from "clsx";
import { ChevronDownIcon, CloseIcon, MenuIcon, ProfileIcon, SignOutIcon } from "@/components/shell/icons";
import { TimeZoneNote } from "@/components/time/time-zone-provider";

export type AppShellArea = "admin" | "portal";

export type AppShellNavItem = {
  href: string;
  label: string;
  /** An icon from components/shell/icons, e.g. `<CustomersIcon />`. */
  icon?: ReactNode;
  /** A small count or badge at the right (e.g. failed jobs). */
  badge?: ReactNode;
};

export type AppShellNavGroup = {
  /** Group heading; an empty string renders the items without a heading. */
  label: string;
  items: readonly AppShellNavItem[];
};

export type AppShellUser = {
  name: string;
  email: string;
  /** Human label of the role, e.g. "Tenant admin", "Customer user". */
  roleLabel: string;
};

export type AppShellProps = {
  area: AppShellArea;
  tenantName: string;
  nav: readonly AppShellNavGroup[];
  user: AppShellUser;
  children: ReactNode;
  /** Default `/${area}/profile`. */
  profileHref?: string;
  /** Sign out with a button calling this (e.g. next-auth's `signOut()` in a client wrapper)… */
  onSignOut?: () => void;
  /** …or with a link to this URL. One of the two should be given. */
  signOutHref?: string;
  /**
   * The top bar's breadcrumb area (e.g. `<Breadcrumbs items={…} />` from page-header). Default:
   * the active nav group and item ("Billing / Rate decks"), derived from the current path.
   */
  breadcrumbs?: ReactNode;
  /** Extra controls in the top bar, left of the user menu. */
  topBarActions?: ReactNode;
  /** Where the product name links to (default `/${area}`). */
  homeHref?: string;
};

/** The nav item whose href is the longest prefix of the path (segment-wise). */
function findActive(
  nav: readonly AppShellNavGroup[],
  pathname: string,
): { group: AppShellNavGroup; item: AppShellNavItem } | null {
  let best: { group: AppShellNavGroup; item: AppShellNavItem } | null = null;
  let bestLength = -1;
  for (const group of nav) {
    for (const item of group.items) {
      const href = item.href.split(/[?#]/)[0] ?? item.href;
      const base = href.length > 1 ? href.replace(/\/+$/, "") : href;
      const matches = pathname === base || pathname.startsWith(base === "/" ? "/" : `${base}/`);
      if (matches && base.length > bestLength) {
        best = { group, item };
        bestLength = base.length;
      }
    }
  }
  return best;
}

// The pill names the signed-in user's role (a support user is not an admin); its colour, like
// the stripe, tells the two areas apart.
const areaStyles: Record<AppShellArea, { stripe: string; pill: string; topbar: string }> = {
  admin: {
    stripe: "bg-brand-600",
    pill: "bg-brand-50 text-brand-700 ring-brand-600/20",
    topbar: "bg-white",
  },
  portal: {
    stripe: "bg-teal-600",
    pill: "bg-teal-50 text-teal-700 ring-teal-600/20",
    topbar: "bg-teal-50/40",
  },
};

/**
 * The top bar's trail: the nav group, then the page unless it repeats the group's name
 * ("Calls", not "Calls / Calls"). A page that draws its own trail (PageHeader breadcrumbs,
 * marked `data-page-trail`) wins: this one is hidden while such a trail is on screen, so
 * the two never disagree.
 */
export function navTrail(active: { group: AppShellNavGroup; item: AppShellNavItem } | null): { section: string | null; page: string } | null {
  if (!active) return null;
  const section = active.group.label.trim();
  if (!section) return { section: null, page: active.item.label };
  return { section: section.toLowerCase() === active.item.label.trim().toLowerCase() ? null : section, page: active.item.label };
}

function initials(name: string, email: string): string {
  const source = name.trim() || email;
  const parts = source.split(/[\s@._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? `${parts[0]?.[0] ?? ""}${parts[1]?.[0] ?? ""}` : source.slice(0, 2);
  return letters.toUpperCase();
}

/**
 * The authenticated layout of both areas: a sidebar (fixed from `lg`, a drawer below it) with
 * grouped navigation, and a top bar with breadcrumbs and the user menu.
 */
export function AppShell({
  area,
  tenantName,
  nav,
  user,
  children,
  profileHref,
  onSignOut,
  signOutHref,
  breadcrumbs,
  topBarActions,
  homeHref,
}: AppShellProps) {
  const pathname = usePathname() ?? "/";
  const active = findActive(nav, pathname);
  const style = areaStyles[area];
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [prevPathname, setPrevPathname] = useState(pathname);
  const menuButtonRef = useRef<HTMLButtonElement>(null);
  const closeButtonRef = useRef<HTMLButtonElement>(null);
  const sidebarId = useId();

  // Navigating closes the mobile drawer.
  if (pathname !== prevPathname) {
    setPrevPathname(pathname);
    setDrawerOpen(false);
  }

  useEffect(() => {
    if (!drawerOpen) return;
    closeButtonRef.current?.focus();
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setDrawerOpen(false);
        menuButtonRef.current?.focus();
      }
    };
    // Growing to the desktop layout turns the drawer into the fixed sidebar.
    const desktop = window.matchMedia("(min-width: 64rem)");
    const onBreakpoint = () => {
      if (desktop.matches) setDrawerOpen(false);
    };
    document.addEventListener("keydown", onKeyDown);
    desktop.addEventListener("change", onBreakpoint);
    return () => {
      document.removeEventListener("keydown", onKeyDown);
      desktop.removeEventListener("change", onBreakpoint);
    };
  }, [drawerOpen]);

  const trail = navTrail(active);
  const defaultBreadcrumbs = trail ? (
    <ol className="flex min-w-0 items-center gap-1.5 text-sm">
      {trail.section ? (
        <li className="hidden truncate text-slate-500 sm:block">
          {trail.section}
          <span className="ml-1.5 text-slate-300" aria-hidden="true">
            /
          </span>
        </li>
      ) : null}
      <li className="truncate font-medium text-slate-900" aria-current="page">
        {trail.page}
      </li>
    </ol>
  ) : null;

  return (
    <div className="group/shell min-h-dvh bg-slate-50">
      <a
        href="#main-content"
        className="sr-only z-50 rounded-md bg-white px-3 py-2 text-sm font-medium text-brand-700 shadow-popover focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>

      {/* Backdrop of the mobile drawer */}
      <div
        className={clsx(
          "fixed inset-0 z-30 bg-slate-950/30 transition-opacity lg:hidden",
          drawerOpen ? "opacity-100" : "pointer-events-none opacity-0",
        )}
        aria-hidden="true"
        onClick={() => setDrawerOpen(false)}
      />

      <div
        id={sidebarId}
        className={clsx(
          "fixed inset-y-0 left-0 z-40 flex w-sidebar flex-col border-r border-slate-200 bg-white",
          "duration-200 ease-out motion-reduce:transition-none",
          // Visibility flips at once on open (so focus can move in) and after the slide on close.
          drawerOpen
            ? "transition-[translate] max-lg:translate-x-0 max-lg:shadow-dialog"
            : "transition-[translate,visibility] max-lg:invisible max-lg:-translate-x-full",
        )}
      >
        <div className={clsx("absolute inset-x-0 top-0 h-0.5", style.stripe)} aria-hidden="true" />
        <div className="flex h-14 shrink-0 items-center justify-between gap-2 border-b border-slate-200 px-4">
          <Link href={homeHref ?? `/${area}`} className="flex min-w-0 items-center gap-2 rounded-md">
            <span
              className={clsx("flex size-7 shrink-0 items-center justify-center rounded-md text-white", style.stripe)}
              aria-hidden="true"
            >
              <svg viewBox="0 0 20 20" className="size-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
                <path d="M3 7h14M3 13h14M7 3v14" />
              </svg>
            </span>
            <span className="min-w-0 leading-tight">
              <span className="block text-sm font-semibold tracking-tight text-slate-900">Trunkline</span>
              <span className="block truncate text-xs text-slate-500" title={tenantName}>
                {tenantName}
              </span>
              <TimeZoneNote className="block truncate text-[11px] text-slate-500" />
            </span>
          </Link>
          <button
            ref={closeButtonRef}
            type="button"
            onClick={() => {
              setDrawerOpen(false);
              menuButtonRef.current?.focus();
            }}
            className="rounded-md p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-900 lg:hidden"
            aria-label="Close navigation"
          >
            <CloseIcon />
          </button>
        </div>

        <nav className="flex-1 overflow-y-auto px-2 py-3" aria-label="Main">
          {nav.map((group, groupIndex) => {
            const headingId = `${sidebarId}-group-${groupIndex}`;
            return (
              <div key={`${groupIndex}:${group.label}`} className={clsx(groupIndex > 0 && "mt-4")}>
                {group.label ? (
                  <h2 id={headingId} className="mb-1 px-2 text-[11px] font-semibold tracking-wider text-slate-400 uppercase">
                    {group.label}
                  </h2>
                ) : null}
                <ul className="flex flex-col gap-px" aria-labelledby={group.label ? headingId : undefined}>
                  {group.items.map((item, itemIndex) => {
                    const isActive = active?.item === item;
                    return (
                      <li key={`${itemIndex}:${item.href}`}>
                        <Link
                          href={item.href}
                          aria-current={isActive ? "page" : undefined}
                          className={clsx(
                            "group flex h-8 items-center gap-2.5 rounded-md px-2 text-sm transition-colors",
                            "focus-visible:outline-offset-0",
                            isActive
                              ? "bg-brand-50 font-medium text-brand-700"
                              : "text-slate-700 hover:bg-slate-100 hover:text-slate-900",
                          )}
                        >
                          {item.icon ? (
                            <span
                              className={clsx(
                                "flex shrink-0 [&_svg]:size-[18px]",
                                isActive ? "text-brand-600" : "text-slate-400 group-hover:text-slate-600",
                              )}
                              aria-hidden="true"
                            >
                              {item.icon}
                            </span>
                          ) : null}
                          <span className="min-w-0 flex-1 truncate">{item.label}</span>
                          {item.badge !== undefined ? <span className="shrink-0 text-xs">{item.badge}</span> : null}
                        </Link>
                      </li>
                    );
                  })}
                </ul>
              </div>
            );
          })}
        </nav>

        <div className="shrink-0 border-t border-slate-200 px-4 py-2.5">
          <span className={clsx("inline-flex rounded px-1.5 py-0.5 text-[11px] font-medium ring-1 ring-inset", style.pill)}>
            {user.roleLabel}
          </span>
        </div>
      </div>

      {/* While the mobile drawer is open the page behind it is inert (not focusable). */}
      <div className="flex min-h-dvh flex-col lg:pl-sidebar" inert={drawerOpen}>
        <header
          className={clsx(
            "sticky top-0 z-20 flex h-14 shrink-0 items-center gap-3 border-b border-slate-200 px-4 backdrop-blur sm:px-6",
            style.topbar,
          )}
        >
          <button
            ref={menuButtonRef}
            type="button"
            onClick={() => setDrawerOpen(true)}
            className="-ml-1.5 rounded-md p-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900 lg:hidden"
            aria-label="Open navigation"
            aria-expanded={drawerOpen}
            aria-controls={sidebarId}
          >
            <MenuIcon />
          </button>
          <div className="min-w-0 flex-1">
            {breadcrumbs ??
              (defaultBreadcrumbs ? (
                <nav aria-label="Breadcrumb" className="group-has-[[data-page-trail]]/shell:hidden">
                  {defaultBreadcrumbs}
                </nav>
              ) : null)}
          </div>
          <span
            className={clsx(
              "hidden shrink-0 rounded px-1.5 py-0.5 text-[11px] font-medium ring-1 ring-inset sm:inline-flex lg:hidden",
              style.pill,
            )}
          >
            {user.roleLabel}
          </span>
          {topBarActions ? <div className="flex shrink-0 items-center gap-2">{topBarActions}</div> : null}
          <UserMenu
            user={user}
            profileHref={profileHref ?? `/${area}/profile`}
            onSignOut={onSignOut}
            signOutHref={signOutHref}
          />
        </header>

        <main id="main-content" tabIndex={-1} className="flex-1 px-4 py-5 focus:outline-none sm:px-6 lg:px-8">
          {children}
        </main>
      </div>
    </div>
  );
}

function UserMenu({
  user,
  profileHref,
  onSignOut,
  signOutHref,
}: {
  user: AppShellUser;
  profileHref: string;
  onSignOut: (() => void) | undefined;
  signOutHref: string | undefined;
}) {
  const [open, setOpen] = useState(false);
  const containerRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelId = useId();

  useEffect(() => {
    if (!open) return;
    const onPointerDown = (event: PointerEvent) => {
      if (event.target instanceof Node && !containerRef.current?.contains(event.target)) setOpen(false);
    };
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    const onFocusIn = (event: FocusEvent) => {
      if (event.target instanceof Node && !containerRef.current?.contains(event.target)) setOpen(false);
    };
    document.addEventListener("pointerdown", onPointerDown);
    document.addEventListener("keydown", onKeyDown);
    document.addEventListener("focusin", onFocusIn);
    return () => {
      document.removeEventListener("pointerdown", onPointerDown);
      document.removeEventListener("keydown", onKeyDown);
      document.removeEventListener("focusin", onFocusIn);
    };
  }, [open]);

  const itemClassName =
    "flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left text-sm text-slate-700 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-offset-0 [&_svg]:size-4 [&_svg]:text-slate-400";

  return (
    <div ref={containerRef} className="relative shrink-0">
      <button
        ref={buttonRef}
        type="button"
        onClick={() => setOpen((value) => !value)}
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={`Account: ${user.name || user.email}`}
        className="flex items-center gap-2 rounded-md py-1 pr-1 pl-1 hover:bg-slate-100"
      >
        <span
          className="flex size-7 items-center justify-center rounded-full bg-slate-200 text-xs font-semibold text-slate-700"
          aria-hidden="true"
        >
          {initials(user.name, user.email)}
        </span>
        <span className="hidden max-w-40 truncate text-sm font-medium text-slate-800 md:block">
          {user.name || user.email}
        </span>
        <ChevronDownIcon className="hidden size-4 text-slate-400 md:block" />
      </button>
      <div
        id={panelId}
        hidden={!open}
        className="absolute right-0 z-50 mt-1.5 w-64 rounded-lg border border-slate-200 bg-white p-1 shadow-popover"
      >
        <div className="border-b border-slate-100 px-2 pt-1.5 pb-2.5">
          <p className="truncate text-sm font-medium text-slate-900">{user.name}</p>
          <p className="truncate text-xs text-slate-500">{user.email}</p>
          <p className="mt-1.5 inline-flex rounded bg-slate-100 px-1.5 py-0.5 text-[11px] font-medium text-slate-600">
            {user.roleLabel}
          </p>
        </div>
        <ul className="pt-1">
          <li>
            <Link href={profileHref} className={itemClassName} onClick={() => setOpen(false)}>
              <ProfileIcon />
              Profile
            </Link>
          </li>
          {onSignOut ? (
            <li>
              <button
                type="button"
                className={itemClassName}
                onClick={() => {
                  setOpen(false);
                  onSignOut();
                }}
              >
                <SignOutIcon />
                Sign out
              </button>
            </li>
          ) : signOutHref ? (
            <li>
              <a href={signOutHref} className={itemClassName}>
                <SignOutIcon />
                Sign out
              </a>
            </li>
          ) : null}
        </ul>
      </div>
    </div>
  );
}
