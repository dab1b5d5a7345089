"use client";

import { useState, type ReactNode } from "react";
import { Spinner } from "@/components/ui/spinner";
import { toast } from "@/components/ui/toast";

/** The message of one of our routes' JSON error answers (server/http/errors.ts). */
export async function responseErrorMessage(response: Response, fallback: string): Promise<string> {
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  return body?.error?.message ?? `${fallback} (${response.status})`;
}

/**
 * A link to a file the browser downloads itself (written to disk as it arrives, so any size),
 * which first asks the same address and stops once the answer's status is known: a plain
 * `<a download>` saves an error answer (a busy pool, a bad filter, a lapsed session) as the
 * file, with no word on the page. The first request's body is not read; the server sees its
 * client go away and stops.
 */
export function DownloadLink({
  href,
  className,
  title,
  children,
  failureMessage = "Download failed",
}: {
  href: string;
  className?: string;
  title?: string;
  children: ReactNode;
  failureMessage?: string;
}) {
  const [checking, setChecking] = useState(false);

  const download = async () => {
    setChecking(true);
    const controller = new AbortController();
    try {
      const response = await fetch(href, { signal: controller.signal });
      if (!response.ok) {
        toast.error(await responseErrorMessage(response, failureMessage));
        return;
      }
      controller.abort();
      const link = document.createElement("a");
      link.href = href;
      link.download = "";
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      if (!controller.signal.aborted) toast.error(error instanceof Error ? `${failureMessage}: ${error.message}` : failureMessage);
    } finally {
      setChecking(false);
    }
  };

  return (
    <a
      href={href}
      download
      className={className}
      title={title}
      aria-busy={checking || undefined}
      onClick={(event) => {
        // A modified click (new tab, save as) is the browser's own business.
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        if (!checking) void download();
      }}
    >
      {checking ? <Spinner size="sm" label="Preparing the download" /> : null}
      {children}
    </a>
  );
}
