"use client";

import {
  Bar,
  BarChart as RechartsBarChart,
  CartesianGrid,
  Legend,
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

export type BarChartProps<TDatum extends object> = BaseChartProps<TDatum> & {
  /** Stack the series on one bar per category (default false: side by side). */
  stacked?: boolean;
  /** Horizontal bars with categories on the y axis (good for long labels, e.g. destinations). */
  horizontal?: boolean;
  /** Values are counts: the value axis never ticks at 0.5 (default false). */
  wholeNumbers?: boolean;
  /**
   * Label every category (default false). By default recharts (`interval="preserveEnd"`) drops
   * the x-axis labels that would overlap their neighbours, which suits a dense axis such as
   * 30 days but hides whole categories on a short one ("Suspended" among four statuses at a
   * third of the page). Horizontal charts always label every category.
   */
  allCategoryLabels?: boolean;
};

export function BarChart<TDatum extends object>({
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
  yAxisWidth,
  stacked = false,
  horizontal = false,
  wholeNumbers = false,
  allCategoryLabels = false,
  className,
}: BarChartProps<TDatum>) {
  // recharts cannot relate a generic `keyof TDatum` to its own key type; plain strings are fine.
  const xDataKey: string = xKey;
  const valueAxisProps = {
    tick: axisTick,
    axisLine: false,
    tickLine: false,
    tickFormatter: (value: number) => valueFormatter(value),
    allowDecimals: !wholeNumbers,
  } as const;
  const categoryAxisProps = {
    dataKey: xDataKey,
    tick: axisTick,
    axisLine: axisLine,
    tickLine: false,
    tickMargin: 8,
    tickFormatter: xFormatter,
  } as const;

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
        <RechartsBarChart
          data={data}
          layout={horizontal ? "vertical" : "horizontal"}
          margin={{ top: 8, right: 12, bottom: 0, left: 0 }}
          barCategoryGap="20%"
          barGap={2}
        >
          <CartesianGrid stroke={gridStroke} vertical={horizontal} horizontal={!horizontal} />
          {horizontal ? (
            <>
              <XAxis type="number" {...valueAxisProps} />
              <YAxis type="category" width={yAxisWidth ?? 120} interval={0} {...categoryAxisProps} />
            </>
          ) : (
            <>
              <XAxis type="category" minTickGap={8} interval={allCategoryLabels ? 0 : "preserveEnd"} {...categoryAxisProps} />
              <YAxis type="number" width={yAxisWidth ?? 56} {...valueAxisProps} />
            </>
          )}
          <Tooltip
            contentStyle={tooltipContentStyle}
            labelStyle={tooltipLabelStyle}
            itemStyle={tooltipItemStyle}
            cursor={{ fill: "#f1f5f9" }}
            labelFormatter={xFormatter ? (value) => xFormatter(value as string | number) : undefined}
            formatter={(value) => formatTooltipValue(value, valueFormatter)}
          />
          {(showLegend ?? series.length > 1) ? (
            <Legend wrapperStyle={legendWrapperStyle} iconType="square" iconSize={10} />
          ) : null}
          {series.map((item, index) => {
            const last = index === series.length - 1;
            const radius: [number, number, number, number] = horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0];
            return (
              <Bar
                key={item.key}
                dataKey={seriesKey(item)}
                name={item.label}
                fill={seriesColor(index, item.color)}
                stackId={stacked ? "stack" : undefined}
                radius={!stacked || last ? radius : 0}
                maxBarSize={48}
                isAnimationActive={false}
              />
            );
          })}
        </RechartsBarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
