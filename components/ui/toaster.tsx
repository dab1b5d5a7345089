"use client";

import { Toaster as SonnerToaster, type ToasterProps as SonnerToasterProps } from "sonner";

export type ToasterProps = Partial<SonnerToasterProps>;

/**
 * Mount once in the root layout. Styled to the Trunkline theme; any sonner prop may be overridden.
 * At most three toasts stack (older ones wait their turn), so an expanded stack of two-line
 * toasts stays on a laptop screen. A toast whose action can go stale is raised with an `id`
 * and taken down with `toast.dismiss(id)` once its action no longer applies.
 */
export function Toaster(props: ToasterProps) {
  return (
    <SonnerToaster
      theme="light"
      position="bottom-right"
      closeButton
      richColors
      duration={5000}
      visibleToasts={3}
      containerAriaLabel="Notifications"
      toastOptions={{
        // sonner's own styles are specific selectors, hence the important (!) modifiers.
        classNames: {
          toast: "rounded-lg! font-sans! text-sm! shadow-popover!",
          title: "font-medium!",
          description: "text-xs!",
          actionButton: "rounded-md! bg-brand-600! text-xs! font-medium! text-white!",
          cancelButton: "rounded-md! bg-slate-100! text-xs! text-slate-700!",
        },
      }}
      {...props}
    />
  );
}
