"use client";

import { usePathname, useSearchParams } from "next/navigation";

export type TListSort = { id: string; desc: boolean };

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;

/**
 * Replaces query parameters of the current URL. `null` or "" removes one. Next.js folds the
 * native History API into its router, so `useSearchParams` follows without a server
 * round-trip, and the list state stays linkable; Back leaves the list as it was.
 */
export function replaceSearchParams(changes: Record<string, string | null>, pathname: string): void {
  const params = new URLSearchParams(window.location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === "") params.delete(key);
    else params.set(key, value);
  }
  const query = params.toString();
  window.history.replaceState(null, "", query ? `${pathname}?${query}` : pathname);
}

/**
 * Paging, search, sort and filters of a server-side list, kept in the URL:
 * `?page=2&size=50&q=acme&sort=-createdAt&status=ACTIVE`. The page is 1-based in the URL and
 * 0-based here. Changing search, sort, page size or a filter goes back to the first page.
 */
export function useListState<TFilterKey extends string = never>(options: {
  /** Sort ids the server accepts; anything else in the URL is ignored. */
  sortIds: readonly string[];
  filterKeys?: readonly TFilterKey[];
  defaultPageSize?: number;
}) {
  const searchParams = useSearchParams();
  const pathname = usePathname();

  const pageParam = Number.parseInt(searchParams.get("page") ?? "", 10);
  const page = Number.isFinite(pageParam) && pageParam > 1 ? pageParam - 1 : 0;
  const sizeParam = Number.parseInt(searchParams.get("size") ?? "", 10);
  const pageSize =
    Number.isFinite(sizeParam) && sizeParam >= 1 && sizeParam <= MAX_PAGE_SIZE ? sizeParam : (options.defaultPageSize ?? DEFAULT_PAGE_SIZE);
  const search = (searchParams.get("q") ?? "").slice(0, 200);
  const sortParam = searchParams.get("sort") ?? "";
  const sortId = sortParam.replace(/^-/, "");
  const sort: TListSort | null = options.sortIds.includes(sortId) ? { id: sortId, desc: sortParam.startsWith("-") } : null;

  const filters = {} as Record<TFilterKey, string | null>;
  for (const key of options.filterKeys ?? []) filters[key] = searchParams.get(key);

  const update = (changes: Record<string, string | null>, resetPage = true) =>
    replaceSearchParams(resetPage ? { ...changes, page: null } : changes, pathname);
  const setPage = (next: number) => update({ page: next > 0 ? String(next + 1) : null }, false);
  const setPageSize = (next: number) => update({ size: next === (options.defaultPageSize ?? DEFAULT_PAGE_SIZE) ? null : String(next) });
  const setSearch = (next: string) => update({ q: next.trim() });
  const setSort = (next: TListSort | null) => update({ sort: next ? `${next.desc ? "-" : ""}${next.id}` : null });
  const pagingProps = { page, pageSize, onPageChange: setPage, onPageSizeChange: setPageSize };

  return {
    page,
    pageSize,
    search,
    sort,
    filters,
    /** The paging part of a list procedure's input. */
    pageInput: { page, pageSize, search, sort },
    /** Spread onto a DataTable that pages through this list but has no search box. */
    pagingProps,
    /**
     * Spread onto the DataTable of this list: paging, sort and search follow the URL. A list
     * paged in the browser passes its own `page` after it (clamped to the filtered rows).
     */
    tableProps: { ...pagingProps, sort, onSortChange: setSort, search, onSearchChange: setSearch },
    /** Any query parameter (e.g. the id of an open dialog). */
    searchParams,
    update,
    setPage,
    setPageSize,
    setSearch,
    setSort,
    setFilter: (key: TFilterKey, value: string | null) => update({ [key]: value }),
    clearFilters: () => {
      const changes: Record<string, string | null> = { q: null };
      for (const key of options.filterKeys ?? []) changes[key] = null;
      update(changes);
    },
    hasFilters: search !== "" || (options.filterKeys ?? []).some((key) => filters[key]),
  };
}
