import { describe, it, expect } from "vitest";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import type { ColumnDef } from "@tanstack/react-table";
import { FormField } from "@/components/ui/form-field";
import { Input } from "@/components/ui/input";
import { Money } from "@/components/ui/money";
import { statusLabel, statusTone } from "@/components/ui/status-badge";
import { DataTable } from "@/components/ui/data-table";

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
