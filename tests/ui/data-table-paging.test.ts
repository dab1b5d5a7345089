import { describe, it, expect } from "vitest";
import { createElement as h } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import type { ColumnDef } from "@tanstack/react-table";
import { DataTable } from "@/components/ui/data-table";

type TRow = { id: string; name: string };
const columns: ColumnDef<TRow>[] = [{ accessorKey: "name", header: "Name" }];
const rows: TRow[] = [{ id: "1", name: "Acme" }];
const noop = () => {};

/** Whether the <button> whose markup contains `marker` carries the disabled attribute. */
function isDisabled(html: string, marker: string): boolean {
  const button = html.match(/<button[^>]*>.*?<\/button>/gs)?.find((markup) => markup.includes(marker));
  if (!button) throw new Error(`No button with ${marker}`);
  return /<button[^>]*\sdisabled=""/.test(button);
}

describe("DataTable paging lock", () => {
  it("keeps cursor Previous/Next enabled by default, also while loading", () => {
    const html = renderToStaticMarkup(
      h(DataTable<TRow>, { columns, rows, pageSize: 50, page: 1, onPageChange: noop, hasNextPage: true, hasPreviousPage: true, loading: true }),
    );
    expect(isDisabled(html, ">Next<")).toBe(false);
    expect(isDisabled(html, ">Previous<")).toBe(false);
  });

  it("disables Previous/Next while pagingDisabled (rows are a placeholder)", () => {
    const html = renderToStaticMarkup(
      h(DataTable<TRow>, { columns, rows, pageSize: 50, page: 1, onPageChange: noop, hasNextPage: true, hasPreviousPage: true, pagingDisabled: true }),
    );
    expect(isDisabled(html, ">Next<")).toBe(true);
    expect(isDisabled(html, ">Previous<")).toBe(true);
  });

  it("disables offset paging too when asked", () => {
    const html = renderToStaticMarkup(
      h(DataTable<TRow>, { columns, rows, total: 500, pageSize: 50, page: 3, onPageChange: noop, pagingDisabled: true }),
    );
    expect(isDisabled(html, 'aria-label="Next page"')).toBe(true);
    expect(isDisabled(html, 'aria-label="Previous page"')).toBe(true);
    expect(html).toContain("Page 4 of 10");
  });
});
