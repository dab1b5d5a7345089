import { clsx } from "clsx";
import { formatDate, formatFullDate, type TDateStyle } from "@/components/admin/format";

/** A timestamp in a <time> element, with the full date and time as a tooltip. */
export function DateTime({
  value,
  style = "datetime",
  fallback = "—",
  className,
}: {
  value: Date | null | undefined;
  style?: TDateStyle;
  fallback?: string;
  className?: string;
}) {
  if (!value) return <span className={clsx("text-slate-400", className)}>{fallback}</span>;
  return (
    <time dateTime={value.toISOString()} title={formatFullDate(value)} className={clsx("numeric", className)}>
      {formatDate(value, style)}
    </time>
  );
}
