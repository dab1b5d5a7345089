import { describe, it, expect } from "vitest";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import type { ColumnDef } from "@tanstack/react-table";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Money } from "@/components/ui/money";
import { statusLabel, statusTone } from "@/components/ui/status-badge";
import { DataTable } from "@/components/ui/data-table";
import { TRPCClientError } from "@trpc/client";
import { RecordUnavailable } from "@/components/admin/record-unavailable";

type TRow = { id: string; name: string };
const columns: ColumnDef<TRow>[] = [{ accessorKey: "name", header: "Name", enableSorting: true }];
const noop = () => {};

describe("FormField", () => {
  it("wires id, aria-invalid and aria-describedby to its control", () => {
    const html = renderToStaticMarkup(
      h(FormField, { label: "Name", id: "name", hint: "Shown on invoices", error: "Required", children: h(Input, {}) }),
    );
    expect(html).toContain('for="name"');
    expect(html).toMatch(/<input[^>]*id="name"/);
    expect(html).toMatch(/<input[^>]*aria-invalid="true"/);
    expect(html).toMatch(/<input[^>]*aria-describedby="name-hint name-error"/);
    expect(html).toContain('id="name-error"');
  });

  it("leaves a valid control alone", () => {
    const html = renderToStaticMarkup(h(FormField, { label: "Name", id: "n", children: h(Input, {}) }));
    expect(html).not.toContain("aria-invalid=");
    expect(html).not.toContain("aria-describedby=");
  });
});

describe("Money", () => {
  it("marks negatives red and keeps the exact value in the title", () => {
    const html = renderToStaticMarkup(h(Money, { micros: -1_234_567n, currency: "USD" }));
    expect(html).toContain("-$1.23");
    expect(html).toContain("text-danger-700");
    expect(html).toContain('title="-$1.234567"');
  });
});

describe("status badge mapping", () => {
  it("maps statuses to tones and labels", () => {
    expect(statusTone("ACTIVE")).toBe("success");
    expect(statusTone("LOCKED")).toBe("danger");
    expect(statusTone("UNBILLABLE")).toBe("warning");
    expect(statusTone("something-new")).toBe("neutral");
    expect(statusLabel("IN_PROGRESS")).toBe("In progress");
  });
});

describe("DataTable", () => {
  it("renders the offset footer and aria-sort", () => {
    const html = renderToStaticMarkup(
      h(DataTable<TRow>, {
        columns,
        rows: [{ id: "1", name: "Acme" }],
        total: 1234,
        page: 1,
        pageSize: 25,
        onPageChange: noop,
        sort: { id: "name", desc: true },
        onSortChange: noop,
      }),
    );
    expect(html).toContain("Showing 26–26 of 1,234");
    expect(html).toContain("Page 2 of 50");
    expect(html).toContain('aria-sort="descending"');
  });

  it("shows only Previous/Next in cursor mode", () => {
    const html = renderToStaticMarkup(
      h(DataTable<TRow>, { columns, rows: [], pageSize: 25, onPageChange: noop, hasNextPage: true }),
    );
    expect(html).toContain(">Next<");
    expect(html).not.toContain("Page 1 of");
  });
});

describe("RecordUnavailable", () => {
  const props = {
    title: "CDR file",
    parent: { label: "CDR files", href: "/admin/cdr/files" },
    what: "this CDR file",
    onRetry: noop,
    notFound: { icon: null, title: "This CDR file does not exist", backLabel: "All CDR files" },
  };
  const trpcError = (code: string, message: string) => Object.assign(new TRPCClientError(message), { data: { code } });

  it("says not found, with the way back, for another tenant's id, a malformed one or a deleted record", () => {
    for (const html of [
      renderToStaticMarkup(h(RecordUnavailable, { ...props, error: trpcError("NOT_FOUND", "CDR file not found") })),
      renderToStaticMarkup(h(RecordUnavailable, { ...props, error: trpcError("BAD_REQUEST", "Invalid uuid") })),
      renderToStaticMarkup(h(RecordUnavailable, { ...props, error: null, invalidId: true })),
    ]) {
      expect(html).toContain("CDR file not found");
      expect(html).toContain("This CDR file does not exist");
      expect(html).toContain('href="/admin/cdr/files"');
      expect(html).not.toContain("Try again");
    }
    const back = renderToStaticMarkup(h(RecordUnavailable, { ...props, error: trpcError("NOT_FOUND", "x"), notFound: { ...props.notFound, backHref: "/admin/rates/1" } }));
    expect(back).toContain('href="/admin/rates/1"');
  });

  it("shows any other failure with its message and a retry", () => {
    const html = renderToStaticMarkup(h(RecordUnavailable, { ...props, error: trpcError("INTERNAL_SERVER_ERROR", "database unreachable") }));
    expect(html).toContain("Could not load this CDR file");
    expect(html).toContain("database unreachable");
    expect(html).toContain("Try again");
    expect(html).not.toContain("does not exist");
  });
});

describe("ExportCsvButton", () => {
  it("reads an export into the page, with progress, up to the limit, and hands a larger one to the browser's download", async () => {
    const { ExportCsvButton, IN_PAGE_EXPORT_MAX_ROWS } = await import("@/components/cdr/calls/export-button");
    const href = "/api/cdrs/export?from=2026-10-01T00%3A00%3A00.000Z";
    const inPage = renderToStaticMarkup(h(ExportCsvButton, { href, rows: IN_PAGE_EXPORT_MAX_ROWS }));
    expect(inPage).toMatch(/^<button/);
    expect(inPage).not.toContain("download");
    const large = renderToStaticMarkup(h(ExportCsvButton, { href, rows: IN_PAGE_EXPORT_MAX_ROWS + 1 }));
    expect(large).toMatch(/^<a href="\/api\/cdrs\/export\?from=2026-10-01T00%3A00%3A00\.000Z" download=""/);
    expect(large).toContain("250,001 calls: your browser downloads the file directly");
    // Nothing to export: a disabled button, however large the last count was.
    expect(renderToStaticMarkup(h(ExportCsvButton, { href, rows: 1_000_000, disabled: true }))).toMatch(/^<button[^>]*disabled/);
  });
});

describe("Money in a fixed-precision column", () => {
  it("pads to the column's decimals and keeps the exact amount only where rounding hid digits", () => {
    const padded = renderToStaticMarkup(h(Money, { micros: -68_000n, currency: "USD", precision: 4 }));
    expect(padded).toContain("-$0.0680");
    expect(padded).not.toContain("title=");
    const rounded = renderToStaticMarkup(h(Money, { micros: 32_094_812n, currency: "USD", precision: 4 }));
    expect(rounded).toContain("$32.0948");
    expect(rounded).toContain('title="$32.094812"');
  });
});
