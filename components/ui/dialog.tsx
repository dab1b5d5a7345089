"use client";

import { useEffect, useEffectEvent, useId, useRef, type ReactNode } from "react";
import { clsx } from "clsx";

export type DialogSize = "sm" | "md" | "lg" | "xl";

const widths: Record<DialogSize, string> = {
  sm: "max-w-sm",
  md: "max-w-lg",
  lg: "max-w-2xl",
  xl: "max-w-4xl",
};

export type DialogProps = {
  open: boolean;
  /** Called with `false` on Escape, backdrop click, the close button, or a `<form method="dialog">`. */
  onOpenChange: (open: boolean) => void;
  title: ReactNode;
  description?: ReactNode;
  /** Body. Mounted only while open, so forms inside start fresh each time. */
  children?: ReactNode;
  /** Buttons row at the bottom, right-aligned (e.g. Cancel + Confirm). */
  footer?: ReactNode;
  /** Default "md". */
  size?: DialogSize;
  /**
   * When false, Escape, backdrop and the close button do nothing (e.g. while a request is
   * in flight). Default true.
   */
  dismissible?: boolean;
  /** Close when the backdrop is clicked (default true). */
  closeOnBackdrop?: boolean;
  /** Hide the × button in the header. */
  hideCloseButton?: boolean;
  className?: string;
};

/**
 * A modal built on the native <dialog> element and `showModal()`: the browser supplies the
 * top layer, inert background, focus containment and Escape handling; this component keeps it
 * controlled. Initial focus goes to the element marked `data-autofocus`, else the browser's
 * choice (the first focusable element); focus returns to the element that opened the dialog when it closes.
 */
export function Dialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  footer,
  size = "md",
  dismissible = true,
  closeOnBackdrop = true,
  hideCloseButton = false,
  className,
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const returnFocusRef = useRef<HTMLElement | null>(null);
  const pointerDownOnBackdrop = useRef(false);
  const titleId = useId();
  const descriptionId = useId();

  const requestClose = () => {
    if (dismissible) onOpenChange(false);
  };
  const onEscape = useEffectEvent(requestClose);
  const notifyClosed = useEffectEvent(() => {
    if (open) onOpenChange(false);
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      returnFocusRef.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      // React handles `autoFocus` in JS before the dialog is shown, so honour a marker instead.
      dialog.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    // Escape fires "cancel": keep the dialog controlled by asking the parent instead.
    const onCancel = (event: Event) => {
      event.preventDefault();
      onEscape();
    };
    // "close" also fires for <form method="dialog"> submissions and dialog.close() calls.
    const onClose = () => {
      const target = returnFocusRef.current;
      returnFocusRef.current = null;
      if (target?.isConnected) target.focus();
      notifyClosed();
    };
    dialog.addEventListener("cancel", onCancel);
    dialog.addEventListener("close", onClose);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      dialog.removeEventListener("close", onClose);
    };
  }, []);

  // Closing on unmount keeps the page usable if a parent removes an open dialog.
  useEffect(() => {
    const dialog = ref.current;
    return () => {
      if (dialog?.open) dialog.close();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      className={clsx(
        "m-auto w-[calc(100%-2rem)] overflow-visible bg-transparent p-0 text-slate-900",
        "backdrop:bg-slate-950/40 backdrop:backdrop-blur-[1px]",
        widths[size],
      )}
      // The dialog box fills the element; a press that starts and ends on the element itself
      // (not its content) is on the backdrop. Checking both ends avoids closing on a text
      // selection dragged out of the dialog.
      onPointerDown={(event) => {
        pointerDownOnBackdrop.current = event.target === event.currentTarget;
      }}
      onClick={(event) => {
        const onBackdrop = pointerDownOnBackdrop.current && event.target === event.currentTarget;
        pointerDownOnBackdrop.current = false;
        if (onBackdrop && closeOnBackdrop) requestClose();
      }}
    >
      {open ? (
        <div
          className={clsx(
            "relative flex max-h-[calc(100dvh-4rem)] flex-col rounded-xl border border-slate-200 bg-white shadow-dialog",
            className,
          )}
        >
          <div className={clsx("px-5 pt-4 pb-3", !hideCloseButton && "pr-12")}>
            <div className="min-w-0">
              <h2 id={titleId} className="text-base leading-6 font-semibold text-slate-900">
                {title}
              </h2>
              {description ? (
                <p id={descriptionId} className="mt-1 text-sm text-slate-500">
                  {description}
                </p>
              ) : null}
            </div>
          </div>
          {children ? <div className="min-h-0 flex-1 overflow-y-auto px-5 pb-4">{children}</div> : null}
          {footer ? (
            <div className="flex flex-wrap items-center justify-end gap-2 rounded-b-xl border-t border-slate-200 bg-slate-50 px-5 py-3">
              {footer}
            </div>
          ) : null}
          {/* Last in DOM order so initial focus lands on the content, first visually. */}
          {!hideCloseButton ? (
            <button
              type="button"
              onClick={() => requestClose()}
              disabled={!dismissible}
              className="absolute top-3.5 right-3.5 rounded-md p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-700 disabled:opacity-40"
              aria-label="Close"
            >
              <svg className="size-5" viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" aria-hidden="true">
                <path d="m5 5 10 10M15 5 5 15" />
              </svg>
            </button>
          ) : null}
        </div>
      ) : null}
    </dialog>
  );
}
