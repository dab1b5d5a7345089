"use client";

import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type Column,
  type ColumnDef,
  type Row,
  type RowData,
  type SortingState,
  type Updater,
} from "@tanstack/react-table";
import { clsx } from "clsx";
import {
  useEffect,
  useEffectEvent,
  useId,
  useState,
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
} from "react";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";

declare module "@tanstack/react-table" {
  // Column options understood by DataTable (set via `meta` on a column definition).
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData extends RowData, TValue> {
    /** Cell and header alignment; "right" also applies tabular figures. */
    align?: "left" | "center" | "right";
    /** Extra classes on every <td> of the column. */
    className?: string;
    /** Extra classes on the <th>. */
    headerClassName?: string;
    /** CSS width of the column, e.g. "8rem" or "1%" (shrink to content). */
    width?: string;
    /** Let cell text wrap (cells are single-line by default; the table scrolls sideways). */
    wrap?: boolean;
  }
}

export type DataTableSort = { id: string; desc: boolean };

export type DataTableProps<TRow> = {
  /**
   * Column definitions. Sorting is opt-in per column (`enableSorting: true`) because the
   * server decides what it can sort by; the column `id` (or accessorKey) is the sort id.
   * Typed `never` in the value position so both `ColumnDef<TRow>[]` and mixed arrays from
   * `createColumnHelper<TRow>()` are accepted (ColumnDef is invariant in its value type).
   */
  columns: readonly ColumnDef<TRow, never>[];
  /** The current page of rows, as returned by the server. */
  rows: readonly TRow[];
  /**
   * Total matching rows. Offset pagination: required, it gives the page count. Keyset ("cursor")
   * pagination (with `hasNextPage` / `hasPreviousPage`): optional, only for the footer's
   * "Showing 51–100 of 5,210"; null while it is unknown (still counting, or no count).
   */
  total?: number | null;
  /** The total is a capped count, shown as "10,000+". */
  totalIsLowerBound?: boolean;
  /**
   * 0-based position of the first row shown among all matching rows: page × pageSize unless
   * given. null when unknown (a keyset page reached from a cursor), so the footer says
   * "Showing 50 rows of 5,210" rather than guess a range.
   */
  firstRowIndex?: number | null;
  /** 0-based page index (offset pagination). */
  page?: number;
  pageSize: number;
  pageSizeOptions?: readonly number[];
  /** Offset mode: go to page n. Cursor mode: called with page ± 1; read the direction from it. */
  onPageChange: (page: number) => void;
  /** The parent should also reset to the first page. */
  onPageSizeChange?: (pageSize: number) => void;
  sort?: DataTableSort | null;
  /**
   * The order the server uses when `sort` is null, so its column shows the direction too (and
   * aria-sort says so). Clicking that column then reverses it.
   */
  defaultSort?: DataTableSort | null;
  /** The parent should also reset to the first page. */
  onSortChange?: (sort: DataTableSort | null) => void;
  /** The applied search (e.g. from the URL). */
  search?: string;
  /**
   * Debounced by 300 ms (Enter applies at once). The search box is shown only when this is
   * given. The parent should also reset to the first page.
   */
  onSearchChange?: (search: string) => void;
  searchPlaceholder?: string;
  /** Cursor mode: whether a next / previous page exists. */
  hasNextPage?: boolean;
  hasPreviousPage?: boolean;
  /**
   * Disables Previous/Next, e.g. while the rows shown are a placeholder for a page or filter
   * still loading: a cursor read from them would belong to other results. `loading` alone
   * does not, so offset pages can still be clicked through quickly.
   */
  pagingDisabled?: boolean;
  /** Skeleton rows when there are no rows yet; otherwise the current rows are dimmed. */
  loading?: boolean;
  /** Shown when there are no rows and nothing is loading. */
  emptyState?: ReactNode;
  /** Filters and buttons next to the search box. */
  toolbar?: ReactNode;
  /** Makes rows clickable and keyboard-activatable (Enter). Clicks on links/buttons inside are ignored. */
  onRowClick?: (row: TRow) => void;
  getRowId?: (row: TRow, index: number) => string;
  rowClassName?: (row: TRow) => string | undefined;
  /** Accessible name of the table (e.g. "Customers"). */
  label?: string;
  /**
   * Max height of the scrolling area, so the header stays visible (default "70vh").
   * null lets the table grow with the page.
   */
  maxHeight?: string | null;
  className?: string;
};

const DEFAULT_PAGE_SIZES = [10, 25, 50, 100] as const;
const SEARCH_DEBOUNCE_MS = 300;
const numberFormat = new Intl.NumberFormat("en-US");

function alignClass(align: "left" | "center" | "right" | undefined): string | undefined {
  if (align === "right") return "text-right numeric";
  if (align === "center") return "text-center";
  return undefined;
}

/** Clicks on these inside a clickable row do their own thing. */
const INTERACTIVE_SELECTOR = "a, button, input, select, textarea, label, summary, [role='button'], [role='menuitem']";

export function DataTable<TRow>({
  columns,
  rows,
  total = null,
  totalIsLowerBound = false,
  firstRowIndex,
  page = 0,
  pageSize,
  pageSizeOptions = DEFAULT_PAGE_SIZES,
  onPageChange,
  onPageSizeChange,
  sort = null,
  defaultSort = null,
  onSortChange,
  search = "",
  onSearchChange,
  searchPlaceholder = "Search…",
  hasNextPage,
  hasPreviousPage,
  pagingDisabled = false,
  loading = false,
  emptyState,
  toolbar,
  onRowClick,
  getRowId,
  rowClassName,
  label,
  maxHeight = "70vh",
  className,
}: DataTableProps<TRow>) {
  const cursorMode = total === null || hasNextPage !== undefined || hasPreviousPage !== undefined;
  const pageCount = total === null ? -1 : Math.max(1, Math.ceil(total / pageSize));

  const activeSort = sort ?? defaultSort;
  const sorting: SortingState = activeSort ? [activeSort] : [];
  const handleSortingChange = (updater: Updater<SortingState>) => {
    const next = typeof updater === "function" ? updater(sorting) : updater;
    onSortChange?.(next[0] ? { id: next[0].id, desc: next[0].desc } : null);
  };

  // The React Compiler lint flags useReactTable (it returns unstable functions); it is safe here
  // because the table is rebuilt from props on every render.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable<TRow>({
    data: rows as TRow[],
    columns: columns as ColumnDef<TRow, unknown>[],
    getCoreRowModel: getCoreRowModel(),
    getRowId,
    manualPagination: true,
    manualSorting: true,
    manualFiltering: true,
    enableMultiSort: false,
    pageCount,
    rowCount: total ?? undefined,
    defaultColumn: { enableSorting: false },
    state: { sorting, pagination: { pageIndex: page, pageSize } },
    onSortingChange: handleSortingChange,
  });

  const headerGroups = table.getHeaderGroups();
  const tableRows = table.getRowModel().rows;
  const columnCount = Math.max(1, table.getVisibleLeafColumns().length);
  const showSkeleton = loading && rows.length === 0;
  const isEmpty = !loading && rows.length === 0;

  const canPrevious = !pagingDisabled && (cursorMode ? (hasPreviousPage ?? page > 0) : page > 0);
  const canNext = !pagingDisabled && (cursorMode ? (hasNextPage ?? false) : page < pageCount - 1);

  const activateRow = (row: Row<TRow>) => onRowClick?.(row.original);

  const onRowMouseClick = (event: MouseEvent<HTMLTableRowElement>, row: Row<TRow>) => {
    const target = event.target as Element;
    const interactive = target.closest(INTERACTIVE_SELECTOR);
    if (interactive && event.currentTarget.contains(interactive)) return;
    // Let people select text in a row without navigating away.
    if (window.getSelection()?.toString()) return;
    activateRow(row);
  };

  const onRowKeyDown = (event: KeyboardEvent<HTMLTableRowElement>, row: Row<TRow>) => {
    if (event.target !== event.currentTarget) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      activateRow(row);
    }
  };

  const showTopBar = onSearchChange !== undefined || toolbar !== undefined;

  return (
    <div className={clsx("overflow-hidden rounded-lg border border-slate-200 bg-white shadow-xs", className)}>
      {showTopBar ? (
        <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-3 py-2">
          {onSearchChange ? (
            <SearchBox
              search={search}
              onSearchChange={onSearchChange}
              placeholder={searchPlaceholder}
              label={label ? `Search ${label.toLowerCase()}` : "Search"}
            />
          ) : null}
          {toolbar ? <div className="flex flex-1 flex-wrap items-center justify-end gap-2">{toolbar}</div> : null}
        </div>
      ) : null}

      <div
        className="relative overflow-auto overscroll-x-contain"
        style={maxHeight ? { maxHeight } : undefined}
        // A scrollable region must be reachable by keyboard to scroll it.
        tabIndex={0}
        role="region"
        aria-label={label ?? "Table"}
        aria-busy={loading || undefined}
      >
        {loading && rows.length > 0 ? (
          <div className="sticky top-0 left-0 z-20 -mb-0.5 h-0.5 w-full overflow-hidden bg-brand-100" aria-hidden="true">
            <div className="h-full w-1/3 animate-progress bg-brand-500 motion-reduce:animate-none" />
          </div>
        ) : null}
        <table className="w-full border-separate border-spacing-0 text-sm" aria-label={label}>
          <thead>
            {headerGroups.map((headerGroup) => (
              <tr key={headerGroup.id}>
                {headerGroup.headers.map((header) => {
                  const meta = header.column.columnDef.meta;
                  const canSort = header.column.getCanSort() && onSortChange !== undefined;
                  const sorted = header.column.getIsSorted();
                  return (
                    <th
                      key={header.id}
                      colSpan={header.colSpan}
                      scope="col"
                      aria-sort={
                        sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : canSort ? "none" : undefined
                      }
                      style={meta?.width ? { width: meta.width } : undefined}
                      className={clsx(
                        "sticky top-0 z-10 h-8 border-b border-slate-200 bg-slate-50 px-3 text-xs font-medium whitespace-nowrap text-slate-600",
                        "first:pl-4 last:pr-4",
                        meta?.align === "right" ? "text-right" : meta?.align === "center" ? "text-center" : "text-left",
                        meta?.headerClassName,
                      )}
                    >
                      {header.isPlaceholder ? null : canSort ? (
                        <SortButton column={header.column} align={meta?.align}>
                          {flexRender(header.column.columnDef.header, header.getContext())}
                        </SortButton>
                      ) : (
                        flexRender(header.column.columnDef.header, header.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody className={clsx(loading && rows.length > 0 && "opacity-55 transition-opacity")}>
            {showSkeleton
              ? Array.from({ length: Math.min(pageSize, 10) }, (_, rowIndex) => (
                  <tr key={`skeleton-${rowIndex}`} aria-hidden="true">
                    {table.getVisibleLeafColumns().map((column, columnIndex) => (
                      <td key={column.id} className="h-9 border-b border-slate-100 px-3 first:pl-4 last:pr-4">
                        <Skeleton
                          className={clsx(
                            "h-3.5",
                            column.columnDef.meta?.align === "right" && "ml-auto",
                            (rowIndex + columnIndex) % 3 === 0 ? "w-2/3" : (rowIndex + columnIndex) % 3 === 1 ? "w-1/2" : "w-5/6",
                          )}
                        />
                      </td>
                    ))}
                  </tr>
                ))
              : null}
            {isEmpty ? (
              <tr>
                <td colSpan={columnCount} className="border-b border-slate-100">
                  {emptyState ?? (
                    <EmptyState
                      compact
                      title={search ? "No matching results" : "Nothing here yet"}
                      description={search ? `Nothing matches “${search}”.` : undefined}
                    />
                  )}
                </td>
              </tr>
            ) : null}
            {tableRows.map((row) => (
              <tr
                key={row.id}
                onClick={onRowClick ? (event) => onRowMouseClick(event, row) : undefined}
                onKeyDown={onRowClick ? (event) => onRowKeyDown(event, row) : undefined}
                tabIndex={onRowClick ? 0 : undefined}
                className={clsx(
                  "group/row",
                  onRowClick
                    ? "cursor-pointer hover:bg-slate-50 focus-visible:bg-brand-50/60 focus-visible:outline-2 focus-visible:-outline-offset-2"
                    : "hover:bg-slate-50/60",
                  rowClassName?.(row.original),
                )}
              >
                {row.getVisibleCells().map((cell) => {
                  const meta = cell.column.columnDef.meta;
                  return (
                    <td
                      key={cell.id}
                      className={clsx(
                        "h-9 border-b border-slate-100 px-3 py-1.5 align-middle text-slate-800 group-last/row:border-b-0",
                        "first:pl-4 last:pr-4",
                        meta?.wrap ? "min-w-48" : "whitespace-nowrap",
                        alignClass(meta?.align),
                        meta?.className,
                      )}
                    >
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <Pagination
        cursorMode={cursorMode}
        summary={pagingSummary({
          loading,
          rowCount: rows.length,
          total,
          totalIsLowerBound,
          firstRowIndex: firstRowIndex === undefined ? page * pageSize : firstRowIndex,
        })}
        page={page}
        pageSize={pageSize}
        pageCount={pageCount}
        pageSizeOptions={pageSizeOptions}
        canPrevious={canPrevious}
        canNext={canNext}
        onPageChange={onPageChange}
        onPageSizeChange={onPageSizeChange}
      />
    </div>
  );
}

function SortButton<TRow>({
  column,
  align,
  children,
}: {
  column: Column<TRow, unknown>;
  align: "left" | "center" | "right" | undefined;
  children: ReactNode;
}) {
  const sorted = column.getIsSorted();
  return (
    <button
      type="button"
      onClick={() => column.toggleSorting(column.getNextSortingOrder() === "desc", false)}
      className={clsx(
        "group/sort -mx-1 inline-flex items-center gap-1 rounded px-1 py-0.5 font-medium hover:bg-slate-200/60 hover:text-slate-900",
        sorted && "text-slate-900",
        align === "right" && "flex-row-reverse",
      )}
    >
      <span>{children}</span>
      <svg
        // Always drawn: the direction of the active order is part of what the table says, and a
        // faint double arrow shows which other columns sort, without hovering each one.
        className={clsx("size-3.5 shrink-0", sorted ? "text-brand-600" : "text-slate-400 group-hover/sort:text-slate-600")}
        viewBox="0 0 20 20"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.75"
        strokeLinecap="round"
        strokeLinejoin="round"
        aria-hidden="true"
      >
        {sorted === "asc" ? (
          <path d="M10 15V5m0 0-4 4m4-4 4 4" />
        ) : sorted === "desc" ? (
          <path d="M10 5v10m0 0-4-4m4 4 4-4" />
        ) : (
          <path d="m6.5 7.5 3.5-3.5 3.5 3.5m-7 5 3.5 3.5 3.5-3.5" />
        )}
      </svg>
    </button>
  );
}

function SearchBox({
  search,
  onSearchChange,
  placeholder,
  label,
}: {
  search: string;
  onSearchChange: (search: string) => void;
  placeholder: string;
  label: string;
}) {
  const inputId = useId();
  const [input, setInput] = useState(search);
  // The last value this box reported, so a slow round-trip of an older value through the
  // parent (URL, query) never overwrites what the person is still typing.
  const [reported, setReported] = useState(search);
  const [prevSearch, setPrevSearch] = useState(search);
  if (search !== prevSearch) {
    setPrevSearch(search);
    if (search !== reported) {
      // Changed from outside (e.g. "Clear filters"): follow it.
      setInput(search);
      setReported(search);
    }
  }

  const report = useEffectEvent((value: string) => {
    setReported(value);
    onSearchChange(value);
  });

  useEffect(() => {
    if (input === reported) return;
    const timer = setTimeout(() => report(input), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [input, reported]);

  const applyNow = (value: string) => {
    setInput(value);
    if (value !== reported) {
      setReported(value);
      onSearchChange(value);
    }
  };

  return (
    <div className="relative w-full max-w-sm min-w-48 flex-1 sm:flex-none">
      <label htmlFor={inputId} className="sr-only">
        {label}
      </label>
      <svg
        className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-slate-400"
        viewBox="0 0 20 20"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.5"
        strokeLinecap="round"
        aria-hidden="true"
      >
        <circle cx="9" cy="9" r="5.5" />
        <path d="m13 13 3.5 3.5" />
      </svg>
      <input
        id={inputId}
        type="search"
        value={input}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => setInput(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            applyNow(input);
          } else if (event.key === "Escape" && input !== "") {
            event.preventDefault();
            applyNow("");
          }
        }}
        className={clsx(
          "block h-8 w-full rounded-md border border-slate-300 bg-white pr-8 pl-8 text-sm text-slate-900 shadow-xs",
          "placeholder:text-slate-400 hover:border-slate-400",
          "focus:border-brand-500 focus:ring-3 focus:ring-brand-500/20 focus:outline-none focus-visible:outline-none",
          "[&::-webkit-search-cancel-button]:hidden",
        )}
      />
      {input ? (
        <button
          type="button"
          onClick={() => applyNow("")}
          className="absolute top-1/2 right-1.5 -translate-y-1/2 rounded p-0.5 text-slate-400 hover:bg-slate-100 hover:text-slate-700"
          aria-label="Clear search"
        >
          <svg className="size-4" viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" aria-hidden="true">
            <path d="m6 6 8 8M14 6l-8 8" />
          </svg>
        </button>
      ) : null}
    </div>
  );
}

/**
 * The footer's account of what is shown: "Showing 51–100 of 5,210" when the position and the
 * total are known, less when not (never a range or total it cannot vouch for).
 */
export function pagingSummary({
  loading,
  rowCount,
  total,
  totalIsLowerBound = false,
  firstRowIndex,
}: {
  loading: boolean;
  rowCount: number;
  total: number | null;
  totalIsLowerBound?: boolean;
  firstRowIndex: number | null;
}): string {
  if (loading && rowCount === 0) return "Loading…";
  const count = (value: number) => numberFormat.format(value);
  if (rowCount === 0) return total === null || total === 0 ? "No results" : `No rows on this page of ${count(total)}`;
  const rowsText = rowCount === 1 ? "1 row" : `${count(rowCount)} rows`;
  const ofTotal = total === null ? "" : ` of ${count(total)}${totalIsLowerBound ? "+" : ""}`;
  if (firstRowIndex === null) return `Showing ${rowsText}${ofTotal}`;
  const range = `${count(firstRowIndex + 1)}–${count(firstRowIndex + rowCount)}`;
  // A total counted apart from the rows (calls arriving in between) may disagree with them: it
  // is left out rather than contradict the rows on screen.
  const totalContradicts = total !== null && !totalIsLowerBound && total < firstRowIndex + rowCount;
  return `Showing ${range}${totalContradicts ? "" : ofTotal}`;
}

function Pagination({
  cursorMode,
  summary,
  page,
  pageSize,
  pageCount,
  pageSizeOptions,
  canPrevious,
  canNext,
  onPageChange,
  onPageSizeChange,
}: {
  cursorMode: boolean;
  summary: string;
  page: number;
  pageSize: number;
  pageCount: number;
  pageSizeOptions: readonly number[];
  canPrevious: boolean;
  canNext: boolean;
  onPageChange: (page: number) => void;
  onPageSizeChange: ((pageSize: number) => void) | undefined;
}) {
  const pageSizeId = useId();
  const sizes = pageSizeOptions.includes(pageSize)
    ? pageSizeOptions
    : [...pageSizeOptions, pageSize].sort((a, b) => a - b);

  return (
    <nav
      aria-label="Pagination"
      className="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 border-t border-slate-200 px-4 py-2 text-xs text-slate-600"
    >
      <p className="numeric" aria-live="polite">
        {summary}
      </p>
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
        {onPageSizeChange ? (
          <div className="flex items-center gap-2">
            <label htmlFor={pageSizeId}>Rows per page</label>
            <select
              id={pageSizeId}
              value={pageSize}
              onChange={(event) => onPageSizeChange(Number(event.target.value))}
              className="h-7 rounded-md border border-slate-300 bg-white pr-7 pl-2 text-xs text-slate-800 shadow-xs hover:border-slate-400 focus:border-brand-500 focus:ring-3 focus:ring-brand-500/20 focus:outline-none"
            >
              {sizes.map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        {!cursorMode ? (
          <span className="numeric">
            Page {numberFormat.format(page + 1)} of {numberFormat.format(pageCount)}
          </span>
        ) : null}
        <div className="flex items-center gap-1">
          <Button
            size="sm"
            variant="secondary"
            onClick={() => onPageChange(page - 1)}
            disabled={!canPrevious}
            aria-label={cursorMode ? undefined : "Previous page"}
          >
            <svg viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.75" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
              <path d="m12 5-5 5 5 5" />
            </svg>
            {cursorMode ? "Previous" : null}
          </Button>
          <Button
            size="sm"
            variant="secondary"
            onClick={() => onPageChange(page + 1)}
            disabled={!canNext}
            aria-label={cursorMode ? undefined : "Next page"}
          >
            {cursorMode ? "Next" : null}
            <svg viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.75" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
              <path d="m8 5 5 5-5 5" />
            </svg>
          </Button>
        </div>
      </div>
    </nav>
  );
}
