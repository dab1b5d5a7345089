"use client";

import { LineChart } from "@/components/charts/line-chart";
import { fitValueAxis, timeAxis } from "@/components/charts/scales";
import { formatMicros, MICROS_PER_UNIT } from "@/components/ui/money-format";
import type { TLedgerRow } from "@/components/wallet/labels";
import { wallClock } from "@/components/time/format-instant";
import { useInstantFormat } from "@/components/time/time-zone-provider";

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Balance after each entry of the ledger page on screen, oldest first, as the step function
 * it is: each balance holds until the next entry, on a real time axis in the tenant's zone.
 * Micro-units become numbers only here, for drawing; labels go back through formatMicros.
 */
export function BalanceChart({ rows, currency, loading }: { rows: readonly TLedgerRow[]; currency: string; loading: boolean }) {
  const instantFormat = useInstantFormat();
  const data = [...rows]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((row) => ({ at: row.createdAt.getTime(), balance: Number(row.balanceAfter) / Number(MICROS_PER_UNIT) }));
  // Entries within two days of each other: their times tell them apart; further: the day is enough.
  const times = data.map((point) => point.at);
  const span = times.length > 0 ? Math.max(...times) - Math.min(...times) : 0;
  const style = span <= 2 * DAY ? "datetime" : "date";
  const label = (value: number) => instantFormat.format(new Date(value), style);
  const axis = timeAxis(times, {
    offsetAt: (ms) => wallClock(new Date(ms), instantFormat.timeZone).offsetMs,
    label,
    minStepMs: style === "datetime" ? MINUTE : DAY,
    maxTicks: style === "datetime" ? 4 : 5,
    // A "03 Dec 2026, 11:05" label is a quarter of the chart wide: centred on a tick near an
    // end, it would be cut.
    edgeRoom: style === "datetime" ? 0.15 : 0.08,
  });
  const values = fitValueAxis(data.map((point) => point.balance));
  return (
    <LineChart
      data={data}
      xKey="at"
      xAxis="time"
      xDomain={axis?.domain}
      xTicks={axis?.ticks}
      curve="stepAfter"
      yDomain={values?.domain}
      yTicks={values?.ticks}
      series={[{ key: "balance", label: "Balance" }]}
      label="Balance over time"
      loading={loading && rows.length === 0}
      height={200}
      yAxisWidth={72}
      emptyMessage="No transactions on this page"
      valueFormatter={(value) => formatMicros(BigInt(Math.round(value * 1_000_000)), currency)}
      xFormatter={(value) => (typeof value === "number" ? label(value) : String(value))}
    />
  );
}
