import type { ReactNode, SVGProps } from "react";

export type IconProps = SVGProps<SVGSVGElement> & {
  /** Pixel size (default 20). */
  size?: number;
  /** Accessible name; without it the icon is decorative (aria-hidden). */
  title?: string;
};

function createIcon(displayName: string, paths: ReactNode) {
  function Icon({ size = 20, title, ...props }: IconProps) {
    return (
      <svg
        width={size}
        height={size}
        viewBox="0 0 20 20"
        fill="none"
        stroke="currentColor"
        strokeWidth={1.5}
        strokeLinecap="round"
        strokeLinejoin="round"
        aria-hidden={title ? undefined : true}
        role={title ? "img" : undefined}
        focusable="false"
        {...props}
      >
        {title ? <title>{title}</title> : null}
        {paths}
      </svg>
    );
  }
  Icon.displayName = displayName;
  return Icon;
}

/* Navigation */

export const DashboardIcon = createIcon(
  "DashboardIcon",
  <>
    <rect x="3" y="3" width="6" height="7" rx="1.25" />
    <rect x="11" y="3" width="6" height="4" rx="1.25" />
    <rect x="11" y="9" width="6" height="8" rx="1.25" />
    <rect x="3" y="12" width="6" height="5" rx="1.25" />
  </>,
);

export const CustomersIcon = createIcon(
  "CustomersIcon",
  <>
    <path d="M3 17V5.5A1.5 1.5 0 0 1 4.5 4h6A1.5 1.5 0 0 1 12 5.5V17" />
    <path d="M12 8.5h3.5A1.5 1.5 0 0 1 17 10v7" />
    <path d="M2 17h16M6 7.5h3M6 10.5h3M6 13.5h3M14.5 12v.01M14.5 14.5v.01" />
  </>,
);

export const UsersIcon = createIcon(
  "UsersIcon",
  <>
    <circle cx="7.5" cy="7" r="2.75" />
    <path d="M2.5 16.5c.4-2.6 2.4-4.25 5-4.25s4.6 1.65 5 4.25" />
    <path d="M12.75 4.5a2.5 2.5 0 0 1 0 5M14.5 12.4c1.7.45 2.8 1.85 3 4.1" />
  </>,
);

export const MailIcon = createIcon(
  "MailIcon",
  <>
    <rect x="2.5" y="4.5" width="15" height="11" rx="1.5" />
    <path d="m3 5.5 7 5.25 7-5.25" />
  </>,
);

/** Outbox: a tray with an outgoing arrow. */
export const OutboxIcon = createIcon(
  "OutboxIcon",
  <>
    <path d="M10 12V3m0 0L6.75 6.25M10 3l3.25 3.25" />
    <path d="M3 11.5V15a1.5 1.5 0 0 0 1.5 1.5h11A1.5 1.5 0 0 0 17 15v-3.5h-3.5l-1 2h-5l-1-2H3Z" />
  </>,
);

export const JobsIcon = createIcon(
  "JobsIcon",
  <>
    <rect x="3" y="3" width="14" height="14" rx="2" />
    <path d="M6.5 7.5h1.5M6.5 10h4.5M6.5 12.5h3" />
    <path d="m12 7.25 1 1 2-2" />
  </>,
);

export const AuditIcon = createIcon(
  "AuditIcon",
  <>
    <path d="M10 2.75 3.75 5v4.5c0 3.75 2.6 6.55 6.25 7.75 3.65-1.2 6.25-4 6.25-7.75V5L10 2.75Z" />
    <path d="m7.5 10 1.75 1.75L12.75 8" />
  </>,
);

export const ProfileIcon = createIcon(
  "ProfileIcon",
  <>
    <circle cx="10" cy="10" r="7.25" />
    <circle cx="10" cy="8.25" r="2.5" />
    <path d="M5.25 15.5c.9-1.75 2.6-2.75 4.75-2.75s3.85 1 4.75 2.75" />
  </>,
);

export const RatesIcon = createIcon(
  "RatesIcon",
  <>
    <path d="M3 10.6V4.5A1.5 1.5 0 0 1 4.5 3h6.1a1.5 1.5 0 0 1 1.06.44l5.4 5.4a1.5 1.5 0 0 1 0 2.12l-6.1 6.1a1.5 1.5 0 0 1-2.12 0l-5.4-5.4A1.5 1.5 0 0 1 3 10.6Z" />
    <circle cx="7" cy="7" r="1.25" />
  </>,
);

export const CallsIcon = createIcon(
  "CallsIcon",
  <path d="M4.5 3h2.3a1 1 0 0 1 .95.68l.9 2.7a1 1 0 0 1-.3 1.07L7 8.6a10 10 0 0 0 4.4 4.4l1.15-1.35a1 1 0 0 1 1.07-.3l2.7.9a1 1 0 0 1 .68.95v2.3A1.5 1.5 0 0 1 15.5 17C9.15 17 3 10.85 3 4.5A1.5 1.5 0 0 1 4.5 3Z" />,
);

export const WalletIcon = createIcon(
  "WalletIcon",
  <>
    <path d="M15.5 6.5V5A1.5 1.5 0 0 0 14 3.5H4.5A1.5 1.5 0 0 0 3 5v10a1.5 1.5 0 0 0 1.5 1.5h11A1.5 1.5 0 0 0 17 15V8a1.5 1.5 0 0 0-1.5-1.5H3" />
    <path d="M13.5 11.75h.01" />
  </>,
);

export const SettingsIcon = createIcon(
  "SettingsIcon",
  <>
    <path d="M8.6 2.9a1.4 1.4 0 0 1 2.8 0l.1.6a1.4 1.4 0 0 0 2 1l.55-.3a1.4 1.4 0 0 1 1.95 1.95l-.3.55a1.4 1.4 0 0 0 1 2l.6.1a1.4 1.4 0 0 1 0 2.8l-.6.1a1.4 1.4 0 0 0-1 2l.3.55a1.4 1.4 0 0 1-1.95 1.95l-.55-.3a1.4 1.4 0 0 0-2 1l-.1.6a1.4 1.4 0 0 1-2.8 0l-.1-.6a1.4 1.4 0 0 0-2-1l-.55.3a1.4 1.4 0 0 1-1.95-1.95l.3-.55a1.4 1.4 0 0 0-1-2l-.6-.1a1.4 1.4 0 0 1 0-2.8l.6-.1a1.4 1.4 0 0 0 1-2l-.3-.55A1.4 1.4 0 0 1 5.95 4.2l.55.3a1.4 1.4 0 0 0 2-1l.1-.6Z" />
    <circle cx="10" cy="10" r="2.25" />
  </>,
);

/** Price a call: a calculator. */
export const CalculatorIcon = createIcon(
  "CalculatorIcon",
  <>
    <rect x="4" y="2.75" width="12" height="14.5" rx="1.5" />
    <rect x="6.5" y="5.25" width="7" height="3" rx=".5" />
    <path d="M7 11h.01M10 11h.01M13 11h.01M7 14h.01M10 14h.01M13 14h.01" />
  </>,
);

/** CDR files: a document with a folded corner and lines of records. */
export const FileIcon = createIcon(
  "FileIcon",
  <>
    <path d="M11.5 2.75H5.5A1.5 1.5 0 0 0 4 4.25v11.5a1.5 1.5 0 0 0 1.5 1.5h9a1.5 1.5 0 0 0 1.5-1.5V7.25L11.5 2.75Z" />
    <path d="M11.5 2.75v3a1.5 1.5 0 0 0 1.5 1.5h3M7 10.5h6M7 13.5h4" />
  </>,
);

/** Unbillable calls: a warning triangle. */
export const WarningIcon = createIcon(
  "WarningIcon",
  <>
    <path d="M8.7 3.5a1.5 1.5 0 0 1 2.6 0l6.05 10.5a1.5 1.5 0 0 1-1.3 2.25H3.95a1.5 1.5 0 0 1-1.3-2.25L8.7 3.5Z" />
    <path d="M10 8v3.25M10 13.75h.01" />
  </>,
);

/** CDR sources: a data store the files are fetched from. */
export const SourcesIcon = createIcon(
  "SourcesIcon",
  <>
    <ellipse cx="10" cy="4.75" rx="6" ry="2.25" />
    <path d="M4 4.75v10.5c0 1.25 2.7 2.25 6 2.25s6-1 6-2.25V4.75" />
    <path d="M4 10c0 1.25 2.7 2.25 6 2.25s6-1 6-2.25" />
  </>,
);

/** Transactions: money in and out. */
export const TransactionsIcon = createIcon(
  "TransactionsIcon",
  <path d="M3.5 7h12.5m0 0-3-3m3 3-3 3M16.5 13H4m0 0 3-3m-3 3 3 3" />,
);

/** Carriers / network resources: a radio tower. */
export const CarriersIcon = createIcon(
  "CarriersIcon",
  <>
    <circle cx="10" cy="8" r="1.5" />
    <path d="M10 9.5 6.5 17.5M10 9.5l3.5 8M7.75 14.5h4.5" />
    <path d="M6.5 4.5a5 5 0 0 0 0 7M13.5 4.5a5 5 0 0 1 0 7M4.25 2.5a8 8 0 0 0 0 11M15.75 2.5a8 8 0 0 1 0 11" />
  </>,
);

/** SIP trunks: stacked connections. */
export const TrunksIcon = createIcon(
  "TrunksIcon",
  <>
    <rect x="3" y="3.5" width="14" height="5" rx="1.25" />
    <rect x="3" y="11.5" width="14" height="5" rx="1.25" />
    <path d="M6 6h.01M6 14h.01M9 6h5M9 14h5" />
  </>,
);

/** Phone numbers (DIDs). */
export const NumbersIcon = createIcon("NumbersIcon", <path d="M7.5 3 6 17M14 3l-1.5 14M3.5 7.5h13M3 12.5h13" />);

export const InvoiceIcon = createIcon(
  "InvoiceIcon",
  <>
    <path d="M5 2.75h7.25L15.5 6v10.5a.75.75 0 0 1-1.1.66L12.5 16l-1.75 1-1.75-1-1.75 1L5.6 16l-1.1.66A.75.75 0 0 1 4.5 16V3.25" />
    <path d="M7.5 7.5h5M7.5 10.5h5M7.5 13.5h2.5" />
  </>,
);

export const ReportsIcon = createIcon(
  "ReportsIcon",
  <>
    <path d="M3 3v13.5A.5.5 0 0 0 3.5 17H17" />
    <path d="M6.5 13V9.5M10 13V6.5M13.5 13v-4.5" />
  </>,
);

export const ProvisioningIcon = createIcon(
  "ProvisioningIcon",
  <>
    <path d="M4 10a6 6 0 0 1 10.4-4.1M16 10a6 6 0 0 1-10.4 4.1" />
    <path d="M14.75 2.75v3.5h-3.5M5.25 17.25v-3.5h3.5" />
  </>,
);

export const KeyIcon = createIcon(
  "KeyIcon",
  <>
    <circle cx="6.75" cy="13.25" r="3.25" />
    <path d="m9.1 11 7.15-7.15M13.5 6.5l2 2M11.75 8.25l1.5 1.5" />
  </>,
);

/* Controls */

export const MenuIcon = createIcon("MenuIcon", <path d="M3 5.5h14M3 10h14M3 14.5h14" />);
export const CloseIcon = createIcon("CloseIcon", <path d="m5 5 10 10M15 5 5 15" />);
export const ChevronDownIcon = createIcon("ChevronDownIcon", <path d="m6 8 4 4 4-4" />);
export const ChevronRightIcon = createIcon("ChevronRightIcon", <path d="m8 6 4 4-4 4" />);
export const ChevronLeftIcon = createIcon("ChevronLeftIcon", <path d="m12 6-4 4 4 4" />);
export const PlusIcon = createIcon("PlusIcon", <path d="M10 4.5v11M4.5 10h11" />);
export const SearchIcon = createIcon(
  "SearchIcon",
  <>
    <circle cx="9" cy="9" r="5.5" />
    <path d="m13 13 3.5 3.5" />
  </>,
);
export const SignOutIcon = createIcon(
  "SignOutIcon",
  <>
    <path d="M8 16.5H5A1.5 1.5 0 0 1 3.5 15V5A1.5 1.5 0 0 1 5 3.5h3" />
    <path d="M13 13.5 16.5 10 13 6.5M16.5 10H8" />
  </>,
);
export const ExternalLinkIcon = createIcon(
  "ExternalLinkIcon",
  <>
    <path d="M11 3.5h5.5V9M16.5 3.5 9.5 10.5" />
    <path d="M14 12v3.5a1 1 0 0 1-1 1H4.5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1H8" />
  </>,
);
export const DownloadIcon = createIcon(
  "DownloadIcon",
  <>
    <path d="M10 3v9.5m0 0L6.5 9M10 12.5 13.5 9" />
    <path d="M3.5 13v2A1.5 1.5 0 0 0 5 16.5h10a1.5 1.5 0 0 0 1.5-1.5v-2" />
  </>,
);
export const UploadIcon = createIcon(
  "UploadIcon",
  <>
    <path d="M10 13V3.5m0 0L6.5 7M10 3.5 13.5 7" />
    <path d="M3.5 13v2A1.5 1.5 0 0 0 5 16.5h10a1.5 1.5 0 0 0 1.5-1.5v-2" />
  </>,
);
