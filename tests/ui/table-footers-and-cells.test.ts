import { describe, it, expect } from "vitest";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import type { ColumnDef } from "@tanstack/react-table";
import { DataTable, pagingSummary } from "@/components/ui/data-table";
import { MiniCell } from "@/components/admin/mini-table";

type TRow = { id: string; name: string; createdAt: string };
const columns: ColumnDef<TRow>[] = [
  { id: "name", accessorKey: "name", header: "Name", enableSorting: true },
  { id: "createdAt", accessorKey: "createdAt", header: "Joined", enableSorting: true },
];
const rows: TRow[] = Array.from({ length: 50 }, (_, index) => ({ id: String(index), name: `Row ${index}`, createdAt: "2026-01-01" }));
const noop = () => {};

/** The aria-sort of the header cell whose markup contains `label`. */
function ariaSortOf(html: string, label: string): string | undefined {
  const header = html.match(/<th[^>]*>.*?<\/th>/gs)?.find((markup) => markup.includes(label));
  if (!header) throw new Error(`No header ${label}`);
  return header.match(/aria-sort="([^"]+)"/)?.[1];
}

describe("pagingSummary", () => {
  const base = { loading: false, totalIsLowerBound: false };

  it("gives the range and the total when both are known", () => {
    expect(pagingSummary({ ...base, rowCount: 50, total: 5210, firstRowIndex: 0 })).toBe("Showing 1–50 of 5,210");
    expect(pagingSummary({ ...base, rowCount: 10, total: 5210, firstRowIndex: 5200 })).toBe("Showing 5,201–5,210 of 5,210");
  });

  it("keeps the range while the total is loading or unavailable", () => {
    expect(pagingSummary({ ...base, rowCount: 50, total: null, firstRowIndex: 50 })).toBe("Showing 51–100");
  });

  it("leaves out a total that contradicts the rows on screen (counted apart from them)", () => {
    expect(pagingSummary({ ...base, rowCount: 5, total: 3, firstRowIndex: 0 })).toBe("Showing 1–5");
  });

  it("says how many rows against the total when the position is unknown", () => {
    expect(pagingSummary({ ...base, rowCount: 50, total: 1234, firstRowIndex: null })).toBe("Showing 50 rows of 1,234");
    expect(pagingSummary({ ...base, rowCount: 1, total: null, firstRowIndex: null })).toBe("Showing 1 row");
  });

  it("marks a capped count", () => {
    expect(pagingSummary({ ...base, rowCount: 50, total: 10_000, totalIsLowerBound: true, firstRowIndex: 0 })).toBe("Showing 1–50 of 10,000+");
  });

  it("says when there is nothing, or nothing yet", () => {
    expect(pagingSummary({ ...base, loading: true, rowCount: 0, total: null, firstRowIndex: 0 })).toBe("Loading…");
    expect(pagingSummary({ ...base, rowCount: 0, total: 0, firstRowIndex: 0 })).toBe("No results");
    expect(pagingSummary({ ...base, rowCount: 0, total: null, firstRowIndex: 0 })).toBe("No results");
  });
});

describe("DataTable footer in cursor mode", () => {
  it("shows the position of the page against the total when one is given", () => {
    const html = renderToStaticMarkup(
      h(DataTable<TRow>, { columns, rows, total: 5210, page: 1, pageSize: 50, onPageChange: noop, hasNextPage: true, hasPreviousPage: true }),
    );
    expect(html).toContain("Showing 51–100 of 5,210");
    // Still keyset paging: Previous / Next, no page count.
    expect(html).toContain(">Next<");
    expect(html).not.toContain("Page 2 of");
  });

  it("uses the position the caller knows over page × page size", () => {
    const html = renderToStaticMarkup(
      h(DataTable<TRow>, { columns, rows, total: 1234, firstRowIndex: null, page: 1, pageSize: 50, onPageChange: noop, hasNextPage: true, hasPreviousPage: true }),
    );
    expect(html).toContain("Showing 50 rows of 1,234");
  });
});

describe("DataTable sort indicator", () => {
  it("shows the server's default order when no sort is chosen", () => {
    const html = renderToStaticMarkup(
      h(DataTable<TRow>, { columns, rows, total: 50, pageSize: 50, onPageChange: noop, sort: null, defaultSort: { id: "createdAt", desc: false }, onSortChange: noop }),
    );
    expect(ariaSortOf(html, "Joined")).toBe("ascending");
    expect(ariaSortOf(html, "Name")).toBe("none");
  });

  it("follows the chosen sort over the default", () => {
    const html = renderToStaticMarkup(
      h(DataTable<TRow>, {
        columns,
        rows,
        total: 50,
        pageSize: 50,
        onPageChange: noop,
        sort: { id: "name", desc: true },
        defaultSort: { id: "createdAt", desc: false },
        onSortChange: noop,
      }),
    );
    expect(ariaSortOf(html, "Name")).toBe("descending");
    expect(ariaSortOf(html, "Joined")).toBe("none");
  });

  it("never hides the arrow of the active column", () => {
    const html = renderToStaticMarkup(
      h(DataTable<TRow>, { columns, rows, total: 50, pageSize: 50, onPageChange: noop, sort: { id: "name", desc: false }, onSortChange: noop }),
    );
    expect(html).not.toContain("opacity-0");
  });
});

describe("MiniCell", () => {
  it("is single-line unless asked to wrap (no whitespace class left to fight over)", () => {
    const cell = (props: { wrap?: boolean }) => renderToStaticMarkup(h("table", null, h("tbody", null, h("tr", null, h(MiniCell, { ...props, children: "text" })))));
    expect(cell({})).toContain("whitespace-nowrap");
    expect(cell({ wrap: true })).not.toContain("whitespace-nowrap");
    expect(cell({ wrap: true })).toContain("wrap-anywhere");
  });
});
