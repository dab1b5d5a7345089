/**
 * Longest-prefix rate lookup honouring effective dates, compiled once per deck.
 *
 * A deck is a digit trie. A lookup walks the number's digits once and remembers the
 * deepest node with a rate version in force at the call's start, which is the longest
 * prefix effective at that instant: a nested prefix that is not yet (or no longer)
 * effective falls back to its parent, as rule 2 of the rating semantics requires.
 *
 * A 300,000-prefix deck does not fit in the CPU's private caches, so lookups are bound by
 * cache misses rather than instructions (a small deck does ~25M lookups/s, a big one ~10×
 * fewer). The layout therefore minimises the bytes touched per lookup:
 * - nodes are 16 bytes (4 per cache line), numbered breadth-first so every node's
 *   children are consecutive and the short prefixes all lookups pass through share a few
 *   hot lines; a child is found from a 10-bit child mask and a popcount instead of ten
 *   child pointers per node;
 * - a prefix's effective window is stored in its node (in whole minutes, which is exact
 *   for windows on minute boundaries), so the common case of one version is checked on
 *   the way down without touching any other memory;
 * - the matched rate is then one read in an array indexed by node.
 * Typed arrays also keep the deck out of the garbage collector's way (no per-node objects).
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
  /** Like {@link lookup}, but the index into the array given to {@link compileRateMatcher}, or -1. */
  lookupIndex(numberDigits: string, atEpochMs: number): number;
  /** Number of rate versions compiled. */
  readonly rateCount: number;
  /** Number of distinct prefixes. */
  readonly prefixCount: number;
  /** Trie nodes (16 bytes each). */
  readonly nodeCount: number;
}

const PREFIX_PATTERN = /^\d{0,15}$/;

/*
 * Node record: 16 bytes = 4 × Int32, four nodes per cache line.
 *   [0]  bits 0–9: child mask (bit d set = a child for digit d); bits 10+: kind
 *   [1]  id of the first child (children are consecutive, in digit order)
 *   kind NO_RATE:       [2], [3] unused
 *   kind MINUTE_WINDOW: one version whose window falls on whole minutes (virtually every
 *                       rate): [2] = effectiveFrom in minutes since the epoch, [3] =
 *                       effectiveTo in minutes (OPEN_ENDED when null). Checked in place.
 *   kind EXACT:         several versions, or a window with seconds or beyond the Int32
 *                       minute range (year 6053): [2] = first entry in `versions`, [3] =
 *                       number of entries. Checked in milliseconds.
 * For a window on whole minutes, `from <= t` ⟺ `fromMinute <= floor(t / 60000)` and
 * `t < to` ⟺ `floor(t / 60000) < toMinute`, so the minute test is exact, not an
 * approximation.
 * Version entry (kind EXACT): 3 × Float64 = from ms, to ms (Infinity = open), rate index.
 */
const NODE_STRIDE = 4;
const KIND_SHIFT = 10;
const KIND_NO_RATE = 0;
const KIND_MINUTE_WINDOW = 1;
const KIND_EXACT = 2;
const MS_PER_MINUTE = 60_000;
const OPEN_ENDED = 2_147_483_647; // Int32 max
const VERSION_STRIDE = 3;

/** Number of set bits of every 10-bit child mask. */
const POPCOUNT_10 = new Uint8Array(1024);
for (let mask = 1; mask < 1024; mask++) POPCOUNT_10[mask] = (mask & 1) + POPCOUNT_10[mask >> 1]!;

function describeRate(rate: Rate): string {
  const to = rate.effectiveTo ? rate.effectiveTo.toISOString() : "open-ended";
  return `prefix ${rate.prefix || "(empty)"} from ${rate.effectiveFrom.toISOString()} to ${to}`;
}

/** `ms` as whole minutes if it is a whole minute that fits the Int32 record, else null. */
function wholeMinute(ms: number): number | null {
  if (ms % MS_PER_MINUTE !== 0) return null;
  const minute = ms / MS_PER_MINUTE;
  return minute >= -2_147_483_648 && minute < OPEN_ENDED ? minute : null;
}

class TrieRateMatcher<TRate extends Rate> implements RateMatcher<TRate> {
  constructor(
    private readonly nodes: Int32Array,
    private readonly versions: Float64Array,
    /** Rate per node of kind MINUTE_WINDOW (null elsewhere), so a hit costs one more read. */
    private readonly rateByNode: (TRate | null)[],
    /** Index into the compiled array per node of kind MINUTE_WINDOW (-1 elsewhere). */
    private readonly rateIndexByNode: Int32Array,
    private readonly rates: readonly TRate[],
    readonly prefixCount: number,
    readonly nodeCount: number,
  ) {}

  get rateCount(): number {
    return this.rates.length;
  }

  /** Entry in `versions` in force at `at` (entries sorted by from), or -1. */
  private exactVersion(first: number, count: number, at: number): number {
    const versions = this.versions;
    // Latest version starting at or before the call; versions never overlap, so if that
    // one has already ended, no earlier one is in force either.
    for (let version = first + count - 1; version >= first; version--) {
      const offset = version * VERSION_STRIDE;
      if (versions[offset]! <= at) return at < versions[offset + 1]! ? version : -1;
    }
    return -1;
  }

  /**
   * The deepest match: a node id (kind MINUTE_WINDOW), or −2 − entry for an entry of
   * `versions`, or −1 for none. Kept as one integer so the walk allocates nothing.
   */
  private walk(numberDigits: string, atEpochMs: number): number {
    const nodes = this.nodes;
    const length = numberDigits.length;
    // Clamped so that open-ended windows still match instants past the Int32 minute range.
    const atMinute = Math.min(Math.floor(atEpochMs / MS_PER_MINUTE), OPEN_ENDED - 1);
    let best = -1;
    let node = 0;
    let index = 0;
    for (;;) {
      const base = node * NODE_STRIDE;
      const header = nodes[base]!;
      const kind = header >>> KIND_SHIFT;
      if (kind === KIND_MINUTE_WINDOW) {
        // The window is in the record just read: checking it costs no extra memory access.
        if (nodes[base + 2]! <= atMinute && atMinute < nodes[base + 3]!) best = node;
      } else if (kind === KIND_EXACT) {
        const version = this.exactVersion(nodes[base + 2]!, nodes[base + 3]!, atEpochMs);
        if (version !== -1) best = -2 - version;
      }
      if (index === length) break;
      const digit = numberDigits.charCodeAt(index++) - 48;
      if (digit < 0 || digit > 9) break;
      const bit = 1 << digit;
      if ((header & bit) === 0) break;
      node = nodes[base + 1]! + POPCOUNT_10[header & (bit - 1)]!;
    }
    return best;
  }

  lookupIndex(numberDigits: string, atEpochMs: number): number {
    const found = this.walk(numberDigits, atEpochMs);
    if (found >= 0) return this.rateIndexByNode[found]!;
    return found === -1 ? -1 : this.versions[(-2 - found) * VERSION_STRIDE + 2]!;
  }

  lookup(numberDigits: string, atEpochMs: number): TRate | null {
    const found = this.walk(numberDigits, atEpochMs);
    if (found >= 0) return this.rateByNode[found]!;
    return found === -1 ? null : this.rates[this.versions[(-2 - found) * VERSION_STRIDE + 2]!]!;
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

  // Pass 1: build the trie with ten child slots per node, and note per rate the node its
  // prefix ends at (-1 for an invalid rate).
  let capacity = 1024;
  let children = new Int32Array(capacity * 10);
  let nodeCount = 1;
  const rateNode = new Int32Array(rates.length);
  for (let rateIndex = 0; rateIndex < rates.length; rateIndex++) {
    const rate = rates[rateIndex]!;
    const prefix = rate.prefix;
    rateNode[rateIndex] = -1;
    if (!PREFIX_PATTERN.test(prefix)) {
      issues.push({ rateIndexes: [rateIndex], message: `prefix ${JSON.stringify(prefix)} must be up to 15 digits` });
      continue;
    }
    const from = rate.effectiveFrom.getTime();
    const to = rate.effectiveTo === null ? Infinity : rate.effectiveTo.getTime();
    if (Number.isNaN(from) || Number.isNaN(to) || !(to > from)) {
      issues.push({ rateIndexes: [rateIndex], message: `${describeRate(rate)}: effective window is empty or invalid` });
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

  // Pass 2: group versions by node (counting sort), order each group by effectiveFrom and
  // reject overlapping windows.
  const versionCount = new Int32Array(nodeCount);
  let validRates = 0;
  for (let rateIndex = 0; rateIndex < rates.length; rateIndex++) {
    const node = rateNode[rateIndex]!;
    if (node >= 0) {
      versionCount[node]!++;
      validRates++;
    }
  }
  const versionStart = new Int32Array(nodeCount);
  let prefixCount = 0;
  let offset = 0;
  for (let node = 0; node < nodeCount; node++) {
    versionStart[node] = offset;
    offset += versionCount[node]!;
    if (versionCount[node]! > 0) prefixCount++;
  }
  const versionRate = new Int32Array(validRates);
  const fill = new Int32Array(nodeCount);
  for (let rateIndex = 0; rateIndex < rates.length; rateIndex++) {
    const node = rateNode[rateIndex]!;
    if (node < 0) continue;
    versionRate[versionStart[node]! + fill[node]!] = rateIndex;
    fill[node]!++;
  }
  const fromOf = (rateIndex: number): number => rates[rateIndex]!.effectiveFrom.getTime();
  const toOf = (rateIndex: number): number => rates[rateIndex]!.effectiveTo?.getTime() ?? Infinity;
  for (let node = 0; node < nodeCount; node++) {
    const count = versionCount[node]!;
    if (count < 2) continue;
    const start = versionStart[node]!;
    const group = Array.from(versionRate.subarray(start, start + count)).sort((a, b) => fromOf(a) - fromOf(b));
    versionRate.set(group, start);
    for (let position = 1; position < group.length; position++) {
      const previous = group[position - 1]!;
      const current = group[position]!;
      if (toOf(previous) > fromOf(current)) {
        issues.push({
          rateIndexes: [previous, current],
          message: `overlapping versions: ${describeRate(rates[previous]!)} and ${describeRate(rates[current]!)}`,
        });
      }
    }
  }

  if (issues.length > 0) throw new RateDeckCompileError(issues);

  // Pass 3: renumber nodes breadth-first (so each node's children get consecutive ids)
  // and write the compact node records.
  const nodes = new Int32Array(nodeCount * NODE_STRIDE);
  const rateByNode: (TRate | null)[] = new Array<TRate | null>(nodeCount).fill(null);
  const rateIndexByNode = new Int32Array(nodeCount).fill(-1);
  const exactEntries: number[] = []; // from, to, rate index, …
  const order = new Int32Array(nodeCount); // breadth-first id → pass-1 node
  let assigned = 1; // the root keeps id 0
  for (let id = 0; id < nodeCount; id++) {
    const node = order[id]!;
    let mask = 0;
    const firstChild = assigned;
    for (let digit = 0; digit < 10; digit++) {
      const child = children[node * 10 + digit]!;
      if (child !== 0) {
        mask |= 1 << digit;
        order[assigned++] = child;
      }
    }
    const base = id * NODE_STRIDE;
    nodes[base + 1] = firstChild;
    const count = versionCount[node]!;
    const start = versionStart[node]!;
    if (count === 0) {
      nodes[base] = mask | (KIND_NO_RATE << KIND_SHIFT);
      continue;
    }
    if (count === 1) {
      const rateIndex = versionRate[start]!;
      const fromMinute = wholeMinute(fromOf(rateIndex));
      const to = toOf(rateIndex);
      const toMinute = to === Infinity ? OPEN_ENDED : wholeMinute(to);
      if (fromMinute !== null && toMinute !== null) {
        nodes[base] = mask | (KIND_MINUTE_WINDOW << KIND_SHIFT);
        nodes[base + 2] = fromMinute;
        nodes[base + 3] = toMinute;
        rateByNode[id] = rates[rateIndex]!;
        rateIndexByNode[id] = rateIndex;
        continue;
      }
    }
    nodes[base] = mask | (KIND_EXACT << KIND_SHIFT);
    nodes[base + 2] = exactEntries.length / VERSION_STRIDE;
    nodes[base + 3] = count;
    for (let version = start; version < start + count; version++) {
      const rateIndex = versionRate[version]!;
      exactEntries.push(fromOf(rateIndex), toOf(rateIndex), rateIndex);
    }
  }

  // A private copy: a caller reusing its array must not change what an index refers to.
  return new TrieRateMatcher(
    nodes,
    Float64Array.from(exactEntries),
    rateByNode,
    rateIndexByNode,
    rates.slice(),
    prefixCount,
    nodeCount,
  );
}
