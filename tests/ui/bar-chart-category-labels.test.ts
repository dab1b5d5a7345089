import { createRequire } from "node:module";
import { createElement as h, type ReactNode } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/**
 * recharts draws nothing but its wrapper on the server (the SVG comes after layout, in the
 * browser), so the chart's axes are caught as the props our BarChart gives recharts, and
 * recharts' own tick selection (`getTicks`, what XAxis runs in the browser) is run on them
 * with the page's geometry and text measured at 12 px.
 */
type TAxisProps = { interval?: number | string; minTickGap?: number; width?: number; type?: string; tickFormatter?: (value: string) => string };
type TChart = { data: Record<string, unknown>[]; xAxis: TAxisProps[]; yAxis: TAxisProps[] };
const charts: TChart[] = [];

vi.mock("recharts", () => {
  const passThrough = ({ children }: { children?: ReactNode }) => h("div", null, children);
  const nothing = () => null;
  return {
    ResponsiveContainer: passThrough,
    BarChart: ({ data, children }: { data: Record<string, unknown>[]; children?: ReactNode }) => {
      // The server renders depth first: this chart's axes render right after it.
      charts.push({ data, xAxis: [], yAxis: [] });
      return h("div", null, children);
    },
    XAxis: (props: TAxisProps) => {
      charts.at(-1)?.xAxis.push(props);
      return null;
    },
    YAxis: (props: TAxisProps) => {
      charts.at(-1)?.yAxis.push(props);
      return null;
    },
    Bar: nothing,
    CartesianGrid: nothing,
    Legend: nothing,
    Tooltip: nothing,
  };
});

const overviewData = {
  customers: { total: 9, byStatus: { ACTIVE: 6, SUSPENDED: 1, LOCKED: 1, CLOSED: 1 }, byBillingType: { PREPAID: 5, POSTPAID: 4 } },
  members: 3,
  openInvitations: 0,
  failedJobsLastDay: 0,
  recentAudit: [],
  figures: undefined,
};
vi.mock("@tanstack/react-query", () => ({ useQuery: () => ({ data: overviewData, isLoading: false, isError: false, refetch: () => {} }) }));
vi.mock("@/components/trpc/react", () => ({ useTRPC: () => ({ tenant: { overview: { queryOptions: () => ({}) } } }) }));

const { AdminOverview } = await import("@/components/dashboard/admin-overview");
const { BarChart } = await import("@/components/charts/bar-chart");
// recharts' own modules (not the mock above, which only replaces the package's entry point):
// the tick selection XAxis runs, and the flag that tells it whether it can measure text.
const requireRecharts = createRequire(import.meta.url);
const { getTicks } = requireRecharts("recharts/lib/cartesian/getTicks") as {
  getTicks: (props: Record<string, unknown>, fontSize?: number, letterSpacing?: number) => { value: string; coordinate: number }[];
};
const { Global } = requireRecharts("recharts/lib/util/Global") as { Global: { isSsr: boolean } };

// recharts measures labels in a hidden <span>; this one is as wide as DejaVu Sans at 12 px
// (~7.3 px a character: "Suspended" measured 66 px in the e2e screenshot).
const measuringSpan = {
  style: {},
  textContent: "",
  setAttribute() {},
  getBoundingClientRect() {
    return { width: String(this.textContent).length * 7.3, height: 15 };
  },
};
const savedDocument = (globalThis as { document?: unknown }).document;
const savedIsSsr = Global.isSsr;
beforeAll(() => {
  (globalThis as { document?: unknown }).document = { getElementById: () => measuringSpan, createElement: () => measuringSpan, body: { appendChild() {} } };
  Global.isSsr = false;
});
afterAll(() => {
  (globalThis as { document?: unknown }).document = savedDocument;
  Global.isSsr = savedIsSsr;
});

/** The labels recharts shows on a category x axis `width` px wide (the chart's right margin is 12 px). */
function shownLabels(chart: TChart, xKey: string, width: number): { label: string; left: number; right: number }[] {
  const xAxis = chart.xAxis[0]!;
  const yAxisWidth = chart.yAxis[0]?.width ?? 60;
  const start = yAxisWidth;
  const end = width - 12;
  const band = (end - start) / chart.data.length;
  const format = (value: string) => (xAxis.tickFormatter ? xAxis.tickFormatter(value) : value);
  const ticks = chart.data.map((datum, index) => ({ value: String(datum[xKey]), coordinate: start + band * (index + 0.5), index, offset: band / 2 }));
  const shown = getTicks(
    {
      tick: true,
      ticks,
      viewBox: { x: start, y: 0, width: end - start, height: 30 },
      // recharts' XAxis default when the prop is not given.
      interval: xAxis.interval ?? "preserveEnd",
      minTickGap: xAxis.minTickGap ?? 5,
      orientation: "bottom",
      tickFormatter: xAxis.tickFormatter,
      angle: 0,
    },
    12,
  );
  return shown.map((tick) => {
    const half = (format(tick.value).length * 7.3) / 2;
    return { label: format(tick.value), left: tick.coordinate - half, right: tick.coordinate + half };
  });
}

describe("bar chart category labels", () => {
  it("labels every customer status on the overview, apart, at a third of a 1280 or 1366 px page", () => {
    charts.length = 0;
    renderToStaticMarkup(h(AdminOverview, { tenantName: "Demo Telecom", denied: false }));
    const statusChart = charts.find((chart) => chart.data.some((datum) => "status" in datum));
    expect(statusChart).toBeDefined();
    expect(statusChart!.data.map((datum) => datum.status)).toEqual(["Active", "Suspended", "Locked", "Closed"]);
    // The card's chart: the page less the sidebar (240 px) and padding (64 px), a third of it
    // after two 16 px gaps, less the card's own padding (32 px).
    for (const viewport of [1280, 1366]) {
      const width = (viewport - 240 - 64 - 32) / 3 - 32;
      const labels = shownLabels(statusChart!, "status", width);
      expect(labels.map((label) => label.label), `at ${viewport} px`).toEqual(["Active", "Suspended", "Locked", "Closed"]);
      for (let index = 1; index < labels.length; index += 1) {
        expect(labels[index]!.left - labels[index - 1]!.right, `space before ${labels[index]!.label} at ${viewport} px`).toBeGreaterThan(0);
      }
    }
  });

  it("still thins a dense axis (30 days) rather than drawing its labels over each other", () => {
    charts.length = 0;
    const days = Array.from({ length: 30 }, (_, index) => ({ day: `2026-11-${String(index + 1).padStart(2, "0")}`, revenue: index }));
    renderToStaticMarkup(h(BarChart<(typeof days)[number]>, { data: days, xKey: "day", series: [{ key: "revenue", label: "Revenue" }] }));
    const labels = shownLabels(charts[0]!, "day", 700);
    expect(labels.length).toBeLessThan(30);
    expect(labels.at(-1)?.label).toBe("2026-11-30");
  });
});
