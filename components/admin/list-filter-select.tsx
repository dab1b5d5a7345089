"use client";

import { Select, type SelectOption } from "@/components/ui/select";

/**
 * A toolbar filter of a list kept in the URL (see useListState): one query parameter, "" for
 * all. A value in the URL that is not one of the options shows as "all", as the list's query
 * ignores it.
 */
export function ListFilterSelect<TFilterKey extends string>({
  list,
  name,
  label,
  placeholder,
  options,
  className,
}: {
  list: { filters: Record<TFilterKey, string | null>; setFilter: (key: TFilterKey, value: string | null) => void };
  name: TFilterKey;
  /** For screen readers, e.g. "Status filter". */
  label: string;
  /** The "all" choice, e.g. "All statuses". */
  placeholder: string;
  options: readonly SelectOption[];
  className?: string;
}) {
  const value = list.filters[name] ?? "";
  return (
    <Select
      size="sm"
      aria-label={label}
      value={options.some((option) => option.value === value) ? value : ""}
      onChange={(event) => list.setFilter(name, event.target.value || null)}
      placeholder={placeholder}
      options={options}
      className={className}
    />
  );
}
