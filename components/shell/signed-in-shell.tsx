"use client";

import type { ReactNode } from "react";
import { signOut } from "next-auth/react";
import { AppShell, type AppShellNavGroup } from "./app-shell";
import { CdrFilesNavBadge } from "./cdr-files-nav-badge";
import {
  AuditIcon,
  CalculatorIcon,
  CallsIcon,
  CarriersIcon,
  CustomersIcon,
  DashboardIcon,
  FileIcon,
  InvoiceIcon,
  JobsIcon,
  OutboxIcon,
  ProfileIcon,
  RatesIcon,
  SettingsIcon,
  SourcesIcon,
  TransactionsIcon,
  UsersIcon,
  WalletIcon,
  WarningIcon,
} from "./icons";

// Only pages that exist are listed; each later area adds its own entries here.
export const ADMIN_NAV: AppShellNavGroup[] = [
  { label: "", items: [{ href: "/admin", label: "Overview", icon: <DashboardIcon /> }] },
  {
    label: "Accounts",
    items: [
      { href: "/admin/customers", label: "Customers", icon: <CustomersIcon /> },
      { href: "/admin/users", label: "Users", icon: <UsersIcon /> },
    ],
  },
  {
    label: "Rating",
    items: [
      { href: "/admin/rates", label: "Rate decks", icon: <RatesIcon /> },
      { href: "/admin/carriers", label: "Carriers", icon: <CarriersIcon /> },
      { href: "/admin/price-call", label: "Price a call", icon: <CalculatorIcon /> },
    ],
  },
  {
    label: "Calls",
    items: [
      { href: "/admin/calls", label: "Calls", icon: <CallsIcon /> },
      { href: "/admin/cdr/files", label: "CDR files", icon: <FileIcon />, badge: <CdrFilesNavBadge /> },
      { href: "/admin/cdr/unbillable", label: "Unbillable", icon: <WarningIcon /> },
      { href: "/admin/cdr/sources", label: "CDR sources", icon: <SourcesIcon /> },
    ],
  },
  {
    label: "Operations",
    items: [
      { href: "/admin/outbox", label: "Outbox", icon: <OutboxIcon /> },
      { href: "/admin/jobs", label: "Jobs", icon: <JobsIcon /> },
      { href: "/admin/audit", label: "Audit log", icon: <AuditIcon /> },
    ],
  },
  {
    label: "Tenant",
    items: [{ href: "/admin/settings", label: "Settings", icon: <SettingsIcon /> }],
  },
];

/** A menu item shown only to these roles (the pages and procedures check the role themselves). */
type TRoleNavItem = AppShellNavGroup["items"][number] & { roles?: readonly string[] };
type TRoleNavGroup = { label: string; items: readonly TRoleNavItem[] };

export const PORTAL_NAV: TRoleNavGroup[] = [
  {
    label: "",
    items: [
      { href: "/portal", label: "Dashboard", icon: <DashboardIcon /> },
      { href: "/portal/balance", label: "Balance & payments", icon: <WalletIcon /> },
      { href: "/portal/transactions", label: "Transactions", icon: <TransactionsIcon /> },
      { href: "/portal/calls", label: "Calls", icon: <CallsIcon /> },
      { href: "/portal/statements", label: "Statements", icon: <InvoiceIcon /> },
      { href: "/portal/users", label: "Users", icon: <UsersIcon />, roles: ["CUSTOMER_ADMIN"] },
      { href: "/portal/profile", label: "Profile", icon: <ProfileIcon /> },
    ],
  },
];

/** The menu as this role sees it: items restricted to other roles are left out. */
export function navForRole(nav: readonly TRoleNavGroup[], role: string | undefined): AppShellNavGroup[] {
  return nav.map((group) => ({ ...group, items: group.items.filter((item) => !item.roles || (role !== undefined && item.roles.includes(role))) }));
}

export function SignedInShell(props: {
  area: "admin" | "portal";
  tenantName: string;
  user: { name: string; email: string; roleLabel: string };
  /** The membership's role: menu items restricted to other roles are hidden (all of them without it). */
  role?: string;
  children: ReactNode;
}) {
  return (
    <AppShell
      area={props.area}
      tenantName={props.tenantName}
      user={props.user}
      nav={props.area === "admin" ? ADMIN_NAV : navForRole(PORTAL_NAV, props.role)}
      onSignOut={() => void signOut({ callbackUrl: "/sign-in" })}
    >
      {props.children}
    </AppShell>
  );
}
