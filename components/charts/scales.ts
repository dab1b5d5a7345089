/**
 * Axis arithmetic for the charts, kept apart from recharts so it can be tested: a value
 * domain fitted to the data, and round time ticks on a zone's clock.
 */

/**
 * The y range to draw `values` in: the data with a little room above and below, widened to
 * zero when zero is close (a balance of 20 to 30 is drawn from 0; one of 1,000 to 1,010 is
 * not) or crossed. A zero end gets no padding, so the axis does not start at a meaningless
 * -1.50. A single value is drawn against zero. Null for no finite values (let the chart decide).
 */
/** The share of the data's span left as room above and below it. */
const PADDING = 0.08;

export function fitValueDomain(values: readonly number[]): [number, number] | null {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return null;
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const spread = max - min;
  // Zero is "close" when it is no further from the data than the data's own spread; a single
  // value has only zero to be read against.
  const low = min > 0 && (spread === 0 || min <= spread) ? 0 : min;
  const high = max < 0 && (spread === 0 || -max <= spread) ? 0 : max;
  // All zero: a unit of room either side keeps the line off the frame.
  if (low === high) return [low - 1, high + 1];
  const room = (high - low) * PADDING;
  return [low === 0 && min >= 0 ? 0 : low - room, high === 0 && max <= 0 ? 0 : high + room];
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10) * power;
}

/**
 * fitValueDomain widened to round numbers, with its ticks: 4 to 6 of them, a round step
 * apart, the count that wastes the least height ($0 to $50 by 10 rather than $0 to $60 by 20).
 */
export function fitValueAxis(values: readonly number[]): { domain: [number, number]; ticks: number[] } | null {
  const fitted = fitValueDomain(values);
  if (!fitted) return null;
  const [low, high] = fitted;
  let best: { domain: [number, number]; ticks: number[] } | null = null;
  for (const count of [4, 5, 6]) {
    const step = niceStep((high - low) / (count - 1));
    // The epsilon keeps a bound that is already round (0, 50) from moving a step out.
    const from = Math.floor(low / step + 1e-9) * step;
    const to = Math.ceil(high / step - 1e-9) * step;
    const ticks: number[] = [];
    for (let index = 0; from + index * step <= to + step / 2; index += 1) ticks.push(Number((from + index * step).toPrecision(12)));
    const candidate = { domain: [ticks[0] ?? from, ticks[ticks.length - 1] ?? to] as [number, number], ticks };
    // Less wasted height wins; at equal height, the count nearer five (not 0, 50, 100).
    const waste = (axis: typeof candidate) => axis.domain[1] - axis.domain[0];
    const nearFive = (axis: typeof candidate) => Math.abs(axis.ticks.length - 5);
    if (!best || waste(candidate) < waste(best) || (waste(candidate) === waste(best) && nearFive(candidate) < nearFive(best))) best = candidate;
  }
  return best;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Tick spacings people read at a glance; the first that fits is used. */
const TIME_STEPS = [
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  91 * DAY,
  182 * DAY,
  365 * DAY,
] as const;

export type TTimeAxis = {
  /** [first, last] instant (ms), widened around a single instant so it sits mid-chart. */
  domain: [number, number];
  /** Tick instants (ms), round on the zone's clock, none sharing a label with its neighbour. */
  ticks: number[];
};

/**
 * A numeric time axis for instants `times` (ms since the epoch): the domain runs from the
 * first to the last, ticks fall on round times of the zone's clock (`offsetAt` gives the
 * zone's UTC offset at an instant) no closer than `minStepMs` (a minute for labels that show
 * minutes, a day for labels that show days), at most `maxTicks` of them, and a tick whose
 * label (`label`) would repeat the one before it is dropped. When no round time falls inside
 * a short span, the middle instant is the one tick.
 */
export function timeAxis(
  times: readonly number[],
  options: {
    offsetAt: (ms: number) => number;
    label: (ms: number) => string;
    minStepMs: number;
    maxTicks: number;
    /** Ticks closer than this fraction of the span to either end are left out (their labels would be cut). */
    edgeRoom?: number;
  },
): TTimeAxis | null {
  const finite = times.filter((time) => Number.isFinite(time));
  if (finite.length === 0) return null;
  const first = Math.min(...finite);
  const last = Math.max(...finite);
  if (first === last) {
    const room = Math.max(options.minStepMs, HOUR);
    return { domain: [first - room, last + room], ticks: [first] };
  }
  const span = last - first;
  const maxTicks = Math.max(2, options.maxTicks);
  const step =
    TIME_STEPS.find((candidate) => candidate >= options.minStepMs && span / candidate <= maxTicks - 1) ??
    Math.ceil(span / (maxTicks - 1) / DAY) * DAY;
  const firstOffset = options.offsetAt(first);
  const firstLocal = first + firstOffset;
  const candidates: number[] = [];
  for (let local = Math.ceil(firstLocal / step) * step; local - firstOffset <= last + DAY && candidates.length <= maxTicks * 2; local += step) {
    // Back from the zone's clock to an instant, with the offset in force near that instant.
    const instant = local - options.offsetAt(local - firstOffset);
    if (instant >= first && instant <= last) candidates.push(instant);
  }
  const edge = span * (options.edgeRoom ?? 0);
  const inside = candidates.filter((tick) => tick - first >= edge && last - tick >= edge);
  // No round time far enough from the ends (a short span): one tick mid-way.
  const ticks = inside.length > 0 ? dedupeByLabel(inside, options.label) : [first + Math.round(span / 2)];
  return { domain: [first, last], ticks };
}

function dedupeByLabel(ticks: readonly number[], label: (ms: number) => string): number[] {
  const kept: number[] = [];
  let previous: string | null = null;
  for (const tick of ticks) {
    const text = label(tick);
    if (text === previous) continue;
    kept.push(tick);
    previous = text;
  }
  return kept;
}
