"use client";

import type { ReactNode } from "react";
import { signOut } from "next-auth/react";
import { AppShell, type AppShellNavGroup } from "./app-shell";
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
      { href: "/admin/cdr/files", label: "CDR files", icon: <FileIcon /> },
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

export const PORTAL_NAV: AppShellNavGroup[] = [
  {
    label: "",
    items: [
      { href: "/portal", label: "Dashboard", icon: <DashboardIcon /> },
      { href: "/portal/balance", label: "Balance & payments", icon: <WalletIcon /> },
      { href: "/portal/transactions", label: "Transactions", icon: <TransactionsIcon /> },
      { href: "/portal/calls", label: "Calls", icon: <CallsIcon /> },
      { href: "/portal/statements", label: "Statements", icon: <InvoiceIcon /> },
      { href: "/portal/profile", label: "Profile", icon: <ProfileIcon /> },
    ],
  },
];

export function SignedInShell(props: {
  area: "admin" | "portal";
  tenantName: string;
  user: { name: string; email: string; roleLabel: string };
  children: ReactNode;
}) {
  return (
    <AppShell
      area={props.area}
      tenantName={props.tenantName}
      user={props.user}
      nav={props.area === "admin" ? ADMIN_NAV : PORTAL_NAV}
      onSignOut={() => void signOut({ callbackUrl: "/sign-in" })}
    >
      {props.children}
    </AppShell>
  );
}
