/**
 * Longest-prefix rate lookup honouring effective dates, compiled once per deck.
 *
 * A deck is a digit trie stored in typed arrays: `children[node * 10 + digit]` is the
 * child node (0 = none; the root is node 0 and is never anyone's child). Each node that
 * ends a prefix owns a contiguous run of rate versions sorted by `effectiveFrom`. A lookup
 * walks the number's digits once and remembers the deepest node with a version in force at
 * the call's start, which is the longest prefix effective at that instant: a newer nested
 * prefix that is not yet (or no longer) effective falls back to its parent, as rule 2 of
 * the rating semantics requires.
 *
 * Typed arrays keep a 300,000-prefix deck in a few flat buffers (no per-node objects for
 * the garbage collector to trace) and make a lookup a handful of array reads per digit.
 */

export const RATE_CATEGORIES = [
  "LOCAL",
  "LONG_DISTANCE",
  "TOLL_FREE",
  "INTERNATIONAL",
  "MOBILE",
  "PREMIUM",
  "OTHER",
] as const;
export type RateCategory = (typeof RATE_CATEGORIES)[number];

export interface Rate {
  id?: string;
  /** Destination prefix in E.164 digits without "+". */
  prefix: string;
  description: string;
  category: RateCategory;
  ratePerMinuteMicros: bigint;
  connectFeeMicros: bigint;
  /** First billing block in seconds ("60" of 60/6). */
  initialIncrement: number;
  /** Subsequent billing block in seconds ("6" of 60/6). */
  increment: number;
  /** Calls with billsec ≤ grace are free. */
  graceSeconds: number;
  /** Inclusive. */
  effectiveFrom: Date;
  /** Exclusive; null = open-ended. */
  effectiveTo: Date | null;
}

export interface CompileIssue {
  /** Indexes into the array given to {@link compileRateMatcher} (e.g. to map back to file lines). */
  rateIndexes: number[];
  message: string;
}

export class RateDeckCompileError extends Error {
  override name = "RateDeckCompileError";
  constructor(readonly issues: CompileIssue[]) {
    const shown = issues.slice(0, 10).map((issue) => issue.message);
    const more = issues.length > shown.length ? `; and ${issues.length - shown.length} more` : "";
    super(`rate deck is invalid: ${shown.join("; ")}${more}`);
  }
}

export interface RateMatcher<TRate extends Rate = Rate> {
  /** The rate for the longest prefix of `numberDigits` effective at `atEpochMs`, or null. */
  lookup(numberDigits: string, atEpochMs: number): TRate | null;
  /** Number of rate versions compiled. */
  readonly rateCount: number;
  /** Number of distinct prefixes. */
  readonly prefixCount: number;
  /** Trie nodes allocated (memory ≈ 48 bytes per node). */
  readonly nodeCount: number;
}

const NO_VERSION = -1;
const PREFIX_PATTERN = /^\d{0,15}$/;

function describeRate(rate: Rate): string {
  const to = rate.effectiveTo ? rate.effectiveTo.toISOString() : "open-ended";
  return `prefix ${rate.prefix || "(empty)"} from ${rate.effectiveFrom.toISOString()} to ${to}`;
}

class TrieRateMatcher<TRate extends Rate> implements RateMatcher<TRate> {
  constructor(
    private readonly rates: readonly TRate[],
    private readonly children: Int32Array,
    /** Per node: first version index, or NO_VERSION. */
    private readonly versionStart: Int32Array,
    /** Per node: number of versions. */
    private readonly versionCount: Int32Array,
    /** Per version: effectiveFrom in epoch ms. */
    private readonly versionFrom: Float64Array,
    /** Per version: effectiveTo in epoch ms (Infinity when open-ended). */
    private readonly versionTo: Float64Array,
    /** Per version: index into `rates`. */
    private readonly versionRate: Int32Array,
    readonly prefixCount: number,
    readonly nodeCount: number,
  ) {}

  get rateCount(): number {
    return this.rates.length;
  }

  /** Version of `node` in force at `at`, or -1. Versions are sorted and never overlap. */
  private effectiveVersion(node: number, at: number): number {
    const start = this.versionStart[node]!;
    if (start === NO_VERSION) return -1;
    const end = start + this.versionCount[node]!;
    // Latest version starting at or before `at`; decks hold few versions per prefix,
    // so a backwards scan beats a binary search.
    for (let version = end - 1; version >= start; version--) {
      if (this.versionFrom[version]! <= at) return at < this.versionTo[version]! ? version : -1;
    }
    return -1;
  }

  lookup(numberDigits: string, atEpochMs: number): TRate | null {
    const children = this.children;
    let best = this.effectiveVersion(0, atEpochMs);
    let node = 0;
    for (let index = 0; index < numberDigits.length; index++) {
      const digit = numberDigits.charCodeAt(index) - 48;
      if (digit < 0 || digit > 9) break;
      node = children[node * 10 + digit]!;
      if (node === 0) break;
      if (this.versionStart[node] !== NO_VERSION) {
        const version = this.effectiveVersion(node, atEpochMs);
        if (version !== -1) best = version;
      }
    }
    return best === -1 ? null : this.rates[this.versionRate[best]!]!;
  }
}

/**
 * Compiles rates into a matcher. Throws {@link RateDeckCompileError} listing every
 * problem: a prefix that is not 0–15 digits, an empty or inverted effective window, or two
 * versions of one prefix whose windows overlap (the price would be ambiguous). The empty
 * prefix is allowed and acts as a catch-all.
 */
export function compileRateMatcher<TRate extends Rate>(rates: readonly TRate[]): RateMatcher<TRate> {
  const issues: CompileIssue[] = [];

  // Pass 1: build the trie shape and record, per rate, the node its prefix ends at.
  let capacity = 1024;
  let children = new Int32Array(capacity * 10);
  let nodeCount = 1;
  const rateNode = new Int32Array(rates.length);
  for (let rateIndex = 0; rateIndex < rates.length; rateIndex++) {
    const rate = rates[rateIndex]!;
    const prefix = rate.prefix;
    if (!PREFIX_PATTERN.test(prefix)) {
      issues.push({ rateIndexes: [rateIndex], message: `prefix ${JSON.stringify(prefix)} must be up to 15 digits` });
      rateNode[rateIndex] = -1;
      continue;
    }
    const from = rate.effectiveFrom.getTime();
    const to = rate.effectiveTo === null ? Infinity : rate.effectiveTo.getTime();
    if (Number.isNaN(from) || Number.isNaN(to) || !(to > from)) {
      issues.push({ rateIndexes: [rateIndex], message: `${describeRate(rate)}: effective window is empty or invalid` });
      rateNode[rateIndex] = -1;
      continue;
    }
    let node = 0;
    for (let index = 0; index < prefix.length; index++) {
      const slot = node * 10 + (prefix.charCodeAt(index) - 48);
      let child = children[slot]!;
      if (child === 0) {
        if (nodeCount === capacity) {
          capacity *= 2;
          const grown = new Int32Array(capacity * 10);
          grown.set(children);
          children = grown;
        }
        child = nodeCount++;
        children[slot] = child;
      }
      node = child;
    }
    rateNode[rateIndex] = node;
  }

  // Pass 2: group versions by node (counting sort), then order each group by effectiveFrom.
  const versionCount = new Int32Array(nodeCount);
  let validRates = 0;
  for (let rateIndex = 0; rateIndex < rates.length; rateIndex++) {
    const node = rateNode[rateIndex]!;
    if (node >= 0) {
      versionCount[node]!++;
      validRates++;
    }
  }
  const versionStart = new Int32Array(nodeCount).fill(NO_VERSION);
  let prefixCount = 0;
  let offset = 0;
  for (let node = 0; node < nodeCount; node++) {
    if (versionCount[node]! > 0) {
      versionStart[node] = offset;
      offset += versionCount[node]!;
      prefixCount++;
    }
  }
  const versionRate = new Int32Array(validRates);
  const fill = new Int32Array(nodeCount);
  for (let rateIndex = 0; rateIndex < rates.length; rateIndex++) {
    const node = rateNode[rateIndex]!;
    if (node < 0) continue;
    versionRate[versionStart[node]! + fill[node]!] = rateIndex;
    fill[node]!++;
  }

  const versionFrom = new Float64Array(validRates);
  const versionTo = new Float64Array(validRates);
  for (let node = 0; node < nodeCount; node++) {
    const count = versionCount[node]!;
    if (count === 0) continue;
    const start = versionStart[node]!;
    if (count > 1) {
      const group = Array.from(versionRate.subarray(start, start + count));
      group.sort((a, b) => rates[a]!.effectiveFrom.getTime() - rates[b]!.effectiveFrom.getTime());
      versionRate.set(group, start);
    }
    for (let version = start; version < start + count; version++) {
      const rate = rates[versionRate[version]!]!;
      versionFrom[version] = rate.effectiveFrom.getTime();
      versionTo[version] = rate.effectiveTo === null ? Infinity : rate.effectiveTo.getTime();
      if (version > start && versionTo[version - 1]! > versionFrom[version]!) {
        const previousIndex = versionRate[version - 1]!;
        const currentIndex = versionRate[version]!;
        issues.push({
          rateIndexes: [previousIndex, currentIndex],
          message: `overlapping versions: ${describeRate(rates[previousIndex]!)} and ${describeRate(rate)}`,
        });
      }
    }
  }

  if (issues.length > 0) throw new RateDeckCompileError(issues);

  return new TrieRateMatcher(
    rates,
    // Trim the spare capacity so a long-lived matcher holds only what it uses.
    children.slice(0, nodeCount * 10),
    versionStart,
    versionCount,
    versionFrom,
    versionTo,
    versionRate,
    prefixCount,
    nodeCount,
  );
}
