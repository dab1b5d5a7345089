/**
 * The items a picker offers, with the selected one first when the list lacks it (a capped list,
 * another search, options still loading): a control must never show "All" or nothing while a
 * value is applied or about to be submitted.
 */
export function withSelected<T>(items: readonly T[], selected: T | null, key: (item: T) => string): T[] {
  if (selected === null) return [...items];
  const selectedKey = key(selected);
  return items.some((item) => key(item) === selectedKey) ? [...items] : [selected, ...items];
}
