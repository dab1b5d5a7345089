"use client";

import {
  CartesianGrid,
  Legend,
  Line,
  LineChart as RechartsLineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import {
  axisLine,
  axisTick,
  ChartFrame,
  defaultNumberFormatter,
  formatTooltipValue,
  gridStroke,
  legendWrapperStyle,
  seriesColor,
  tooltipContentStyle,
  tooltipItemStyle,
  tooltipLabelStyle,
  seriesKey,
  type BaseChartProps,
} from "@/components/charts/chart-theme";

export type LineChartProps<TDatum extends object> = BaseChartProps<TDatum> & {
  /** Draw dots on each point (default: only when there are ≤ 31 points, and always for one). */
  showDots?: boolean;
  /**
   * How points are joined: "monotone" (default) for a measure that changes smoothly;
   * "stepAfter" for a level that holds until the next point (a balance), since a curve would
   * invent values between them; "linear" for straight segments.
   */
  curve?: "monotone" | "stepAfter" | "linear";
  /**
   * The x axis: "category" (default) spaces points evenly, one per datum (days of a period);
   * "time" places numeric `xKey` values (ms since the epoch) at their real distance, on
   * `xTicks` when given, over `xDomain` (default: first to last point).
   */
  xAxis?: "category" | "time";
  xDomain?: readonly [number, number];
  xTicks?: readonly number[];
  /** The y range and its ticks, e.g. from fitValueAxis (components/charts/scales.ts); default recharts' own. */
  yDomain?: readonly [number, number];
  yTicks?: readonly number[];
};

export function LineChart<TDatum extends object>({
  data,
  xKey,
  series,
  valueFormatter = defaultNumberFormatter,
  xFormatter,
  height = 240,
  label,
  loading = false,
  emptyMessage = "No data for this period",
  showLegend,
  yAxisWidth = 56,
  showDots,
  curve = "monotone",
  xAxis = "category",
  xDomain,
  xTicks,
  yDomain,
  yTicks,
  className,
}: LineChartProps<TDatum>) {
  // recharts cannot relate a generic `keyof TDatum` to its own key type; plain strings are fine.
  const xDataKey: string = xKey;
  const dots = showDots ?? data.length <= 31;
  const time = xAxis === "time";
  return (
    <ChartFrame
      height={height}
      label={label}
      loading={loading}
      empty={data.length === 0}
      emptyMessage={emptyMessage}
      className={className}
    >
      <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height }}>
        <RechartsLineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={gridStroke} vertical={false} />
          <XAxis
            dataKey={xDataKey}
            {...(time
              ? {
                  type: "number" as const,
                  scale: "time" as const,
                  domain: xDomain ? [xDomain[0], xDomain[1]] : ["dataMin", "dataMax"],
                  ticks: xTicks ? [...xTicks] : undefined,
                  // Room for the first and last dots, which sit on the domain's ends.
                  padding: { left: 12, right: 12 },
                }
              : {})}
            tick={axisTick}
            axisLine={axisLine}
            tickLine={false}
            tickMargin={8}
            minTickGap={16}
            tickFormatter={xFormatter}
          />
          <YAxis
            domain={yDomain ? [yDomain[0], yDomain[1]] : undefined}
            ticks={yTicks ? [...yTicks] : undefined}
            tick={axisTick}
            axisLine={false}
            tickLine={false}
            width={yAxisWidth}
            tickFormatter={(value: number) => valueFormatter(value)}
          />
          <Tooltip
            contentStyle={tooltipContentStyle}
            labelStyle={tooltipLabelStyle}
            itemStyle={tooltipItemStyle}
            cursor={{ stroke: "#cbd5e1", strokeDasharray: "3 3" }}
            labelFormatter={xFormatter ? (value) => xFormatter(value as string | number) : undefined}
            formatter={(value) => formatTooltipValue(value, valueFormatter)}
          />
          {(showLegend ?? series.length > 1) ? (
            <Legend wrapperStyle={legendWrapperStyle} iconType="plainline" iconSize={14} />
          ) : null}
          {series.map((item, index) => (
            <Line
              key={item.key}
              type={curve}
              dataKey={seriesKey(item)}
              name={item.label}
              stroke={seriesColor(index, item.color)}
              strokeWidth={2}
              dot={dots ? { r: 2.5, strokeWidth: 0, fill: seriesColor(index, item.color) } : false}
              activeDot={{ r: 4, strokeWidth: 2, stroke: "#fff" }}
              isAnimationActive={false}
            />
          ))}
        </RechartsLineChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
