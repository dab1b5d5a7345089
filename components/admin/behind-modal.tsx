import type { ReactNode } from "react";

/**
 * The page content under this page's dialogs. While one is open the content is hidden from
 * assistive technology, as the native modal already makes it inert: a screen reader (or a
 * role-based test) then finds only the dialog's "Suspend", not also the button that opened it.
 */
export function BehindModal({ hidden, children }: { hidden: boolean; children: ReactNode }) {
  return <div aria-hidden={hidden || undefined}>{children}</div>;
}
