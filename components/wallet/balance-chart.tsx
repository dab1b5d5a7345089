"use client";

import { LineChart } from "@/components/charts/line-chart";
import { formatMicros, MICROS_PER_UNIT } from "@/components/ui/money-format";
import type { TLedgerRow } from "@/components/wallet/labels";
import { useInstantFormat } from "@/components/time/time-zone-provider";

/**
 * Balance after each entry of the ledger page on screen, oldest first. Micro-units become
 * numbers only here, for drawing; labels go back through formatMicros.
 */
export function BalanceChart({ rows, currency, loading }: { rows: readonly TLedgerRow[]; currency: string; loading: boolean }) {
  const instantFormat = useInstantFormat();
  // A month or less of entries: each one's time tells them apart; more: the day is enough.
  const style = rows.length <= 31 ? "datetime" : "date";
  const data = [...rows]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((row) => ({ at: row.createdAt.getTime(), balance: Number(row.balanceAfter) / Number(MICROS_PER_UNIT) }));
  return (
    <LineChart
      data={data}
      xKey="at"
      series={[{ key: "balance", label: "Balance" }]}
      label="Balance over time"
      loading={loading && rows.length === 0}
      height={200}
      yAxisWidth={72}
      emptyMessage="No transactions on this page"
      valueFormatter={(value) => formatMicros(BigInt(Math.round(value * 1_000_000)), currency)}
      xFormatter={(value) => (typeof value === "number" ? instantFormat.format(new Date(value), style) : String(value))}
    />
  );
}
