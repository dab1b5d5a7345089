import type { CSSProperties, ReactNode } from "react";
import { clsx } from "clsx";
import { Skeleton } from "@/components/ui/skeleton";

/**
 * Series colours in order (hex, because recharts writes them into SVG attributes).
 * Brand indigo first, then hues that stay distinguishable for common colour blindness.
 */
export const CHART_COLORS = [
  "#4f46e5", // indigo-600 (brand)
  "#0d9488", // teal-600
  "#d97706", // amber-600
  "#db2777", // pink-600
  "#0284c7", // sky-600
  "#7c3aed", // violet-600
  "#65a30d", // lime-600
  "#475569", // slate-600
] as const;

export function seriesColor(index: number, color: string | undefined): string {
  return color ?? CHART_COLORS[index % CHART_COLORS.length] ?? "#4f46e5";
}

export type ChartSeries<TDatum> = {
  /** Property of each datum holding this series' numeric value. */
  key: keyof TDatum & string;
  /** Legend and tooltip label. */
  label: string;
  /** Any CSS colour; default from CHART_COLORS. */
  color?: string;
};

export function seriesKey<TDatum>(series: ChartSeries<TDatum>): string {
  return series.key;
}

export type BaseChartProps<TDatum> = {
  data: readonly TDatum[];
  /** Property holding the category / x value (e.g. "day"). */
  xKey: keyof TDatum & string;
  series: readonly ChartSeries<TDatum>[];
  /** Formats values on the y axis and in the tooltip (e.g. money, minutes). */
  valueFormatter?: (value: number) => string;
  /** Formats x-axis ticks and the tooltip title (e.g. dates). */
  xFormatter?: (value: string | number) => string;
  /** Chart height in px (default 240). */
  height?: number;
  /** Accessible name of the chart. */
  label?: string;
  loading?: boolean;
  /** Text when `data` is empty (default "No data for this period"). */
  emptyMessage?: ReactNode;
  /** Show the legend (default: when there is more than one series). */
  showLegend?: boolean;
  /** Width reserved for y-axis labels (default 56). */
  yAxisWidth?: number;
  className?: string;
};

export const axisTick = { fill: "#64748b", fontSize: 12 } as const; // slate-500
export const axisLine = { stroke: "#e2e8f0" } as const; // slate-200
export const gridStroke = "#f1f5f9"; // slate-100

export const tooltipContentStyle: CSSProperties = {
  borderRadius: 8,
  border: "1px solid #e2e8f0",
  boxShadow: "0 4px 16px -2px rgb(15 23 42 / 0.12)",
  fontSize: 12,
  padding: "6px 10px",
};
export const tooltipLabelStyle: CSSProperties = { color: "#0f172a", fontWeight: 600, marginBottom: 2 };
export const tooltipItemStyle: CSSProperties = { padding: 0, fontVariantNumeric: "tabular-nums" };
export const legendWrapperStyle: CSSProperties = { fontSize: 12, color: "#475569", paddingTop: 4 };

export const defaultNumberFormatter = (value: number): string =>
  new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(value);

/** Tooltip value formatting shared by the charts. */
export function formatTooltipValue(value: unknown, format: (value: number) => string): string {
  if (typeof value === "number") return format(value);
  if (Array.isArray(value)) return value.map((item) => formatTooltipValue(item, format)).join(" – ");
  return String(value ?? "");
}

export function ChartFrame({
  height,
  label,
  loading,
  empty,
  emptyMessage,
  className,
  children,
}: {
  height: number;
  label: string | undefined;
  loading: boolean;
  empty: boolean;
  emptyMessage: ReactNode;
  className: string | undefined;
  children: ReactNode;
}) {
  return (
    <div role="figure" aria-label={label} aria-busy={loading || undefined} className={clsx("w-full", className)} style={{ height }}>
      {loading ? (
        <Skeleton className="size-full rounded-md" />
      ) : empty ? (
        <div className="flex size-full items-center justify-center rounded-md border border-dashed border-slate-200 text-sm text-slate-500">
          {emptyMessage}
        </div>
      ) : (
        children
      )}
    </div>
  );
}
