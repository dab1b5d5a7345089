import { clsx } from "clsx";

function stringify(value: unknown): string {
  if (value === undefined) return "—";
  try {
    return JSON.stringify(value, (_key, item: unknown) => (typeof item === "bigint" ? item.toString() : item), 2) ?? "—";
  } catch {
    return String(value);
  }
}

/** Pretty-printed JSON in a scrollable block. */
export function JsonView({ value, className, label }: { value: unknown; className?: string; label?: string }) {
  if (value === null || value === undefined) {
    return <p className={clsx("text-sm text-slate-400", className)}>None</p>;
  }
  return (
    <pre
      aria-label={label}
      className={clsx(
        "max-h-72 overflow-auto rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-xs leading-5 text-slate-800",
        className,
      )}
    >
      {stringify(value)}
    </pre>
  );
}

/** A short one-line rendering of any JSON value, for table cells and diffs. */
export function inlineJson(value: unknown): string {
  if (value === undefined) return "—";
  if (value === null) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  try {
    return JSON.stringify(value) ?? "—";
  } catch {
    return String(value);
  }
}

export type TDiffEntry = { key: string; before: unknown; after: unknown; changed: boolean };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return inlineJson(a) === inlineJson(b) && typeof a === typeof b;
}

/**
 * Field-by-field comparison of an audit event's before and after. Objects are compared by
 * key (a missing side is `undefined`); anything else is one "value" entry.
 */
export function diffEntries(before: unknown, after: unknown): TDiffEntry[] {
  const b = before ?? undefined;
  const a = after ?? undefined;
  if ((b === undefined || isRecord(b)) && (a === undefined || isRecord(a)) && (b !== undefined || a !== undefined)) {
    const keys = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])];
    return keys.map((key) => {
      const left = b?.[key];
      const right = a?.[key];
      return { key, before: left, after: right, changed: !sameJson(left, right) };
    });
  }
  if (b === undefined && a === undefined) return [];
  return [{ key: "value", before: b, after: a, changed: !sameJson(b, a) }];
}
