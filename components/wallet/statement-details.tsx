import type { ReactNode } from "react";
import { clsx } from "clsx";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Money } from "@/components/ui/money";
import { formatInstant } from "@/components/time/format-instant";
import type { TStatement } from "@/components/wallet/labels";
import { LEDGER_PRECISION } from "@/components/wallet/ledger-precision";

const TH = "h-8 border-b border-slate-200 bg-slate-50 px-3 text-xs font-medium whitespace-nowrap text-slate-600 first:pl-4 last:pr-4";
const TD = "h-9 border-b border-slate-100 px-3 first:pl-4 last:pr-4";

/**
 * A card holding one dense table, or its empty state. The table is labelled by the card's
 * title, so a screen reader announces "Activity, table".
 */
function DetailCard(props: {
  id: string;
  title: string;
  description: ReactNode;
  empty: string | null;
  head: { label: string; right?: boolean }[];
  children: ReactNode;
  foot?: ReactNode;
}) {
  return (
    <Card aria-labelledby={props.id} className="mt-4 max-w-3xl">
      <CardHeader>
        <CardTitle id={props.id}>{props.title}</CardTitle>
        <CardDescription>{props.description}</CardDescription>
      </CardHeader>
      <CardContent flush>
        {props.empty ? (
          <EmptyState compact title={props.empty} />
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full border-separate border-spacing-0 text-sm" aria-labelledby={props.id}>
              <thead>
                <tr>
                  {props.head.map((column) => (
                    <th key={column.label} scope="col" className={clsx(TH, column.right ? "text-right" : "text-left")}>
                      {column.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>{props.children}</tbody>
              {props.foot ? <tfoot>{props.foot}</tfoot> : null}
            </table>
          </div>
        )}
      </CardContent>
    </Card>
  );
}

/** An amount at the ledger's precision in a right-aligned cell; credits in green with their sign where `credit`. */
function MoneyCell({ micros, currency, credit = false }: { micros: bigint; currency: string; credit?: boolean }) {
  return (
    <td className={clsx(TD, "text-right")}>
      <Money micros={micros} currency={currency} precision={LEDGER_PRECISION} tonePositive={credit} signPositive={credit} />
    </td>
  );
}

/** The month's call charges by category; the footer is the statement's Call charges line. */
export function StatementUsageCard({ statement }: { statement: TStatement }) {
  const currency = statement.tenant.currency;
  const usage = statement.usage;
  return (
    <DetailCard
      id="statement-usage-title"
      title="Call usage"
      description={usage.note}
      empty={usage.rows.length === 0 ? "No call charges this month" : null}
      head={[{ label: "Category" }, { label: "Calls", right: true }, { label: "Billed minutes", right: true }, { label: "Amount", right: true }]}
      foot={
        <tr className="font-semibold">
          <th scope="row" colSpan={3} className={clsx(TD, "text-left")}>
            Call charges
          </th>
          <MoneyCell micros={usage.total} currency={currency} />
        </tr>
      }
    >
      {usage.rows.map((row) => (
        <tr key={row.key}>
          <th scope="row" className={clsx(TD, "text-left font-normal text-slate-700")}>
            {row.label}
          </th>
          <td className={clsx(TD, "numeric text-right")}>{row.calls ?? "—"}</td>
          <td className={clsx(TD, "numeric text-right")}>{row.billedMinutes ?? "—"}</td>
          <MoneyCell micros={row.amount} currency={currency} />
        </tr>
      ))}
    </DetailCard>
  );
}

/** Every entry of the month other than call charges, as the customer reads it, oldest first. */
export function StatementActivityCard({ statement, timeZone }: { statement: TStatement; timeZone: string }) {
  const currency = statement.tenant.currency;
  return (
    <DetailCard
      id="statement-activity-title"
      title="Activity"
      description="Top-ups, fees, adjustments, refunds and disputes. Call charges are summed under Call usage."
      empty={statement.activity.length === 0 ? "No top-ups, fees or adjustments this month" : null}
      head={[{ label: "Date" }, { label: "Description" }, { label: "Amount", right: true }, { label: "Balance after", right: true }]}
    >
      {statement.activity.map((entry) => (
        <tr key={entry.id.toString()}>
          <td className={clsx(TD, "whitespace-nowrap text-slate-600")}>{formatInstant(entry.at, timeZone, "date")}</td>
          <td className={clsx(TD, "text-slate-800")}>{entry.description}</td>
          <MoneyCell micros={entry.amount} currency={currency} credit />
          <MoneyCell micros={entry.balanceAfter} currency={currency} />
        </tr>
      ))}
    </DetailCard>
  );
}
