/**
 * Wall-clock timestamps to UTC instants, for CDRs and rate decks written in a switch's
 * local time ("2026-10-14 23:59:50" in America/Toronto).
 *
 * Intl is the only source of time-zone rules in Node, and formatting one date through it
 * costs microseconds, far too much per CDR line. Offsets only change at DST transitions,
 * so each zone caches the offset per hour; an hour that contains a transition (or a wall
 * hour that falls in a DST gap or overlap) is resolved exactly every time.
 *
 * Ambiguous and missing local times follow the "compatible" rule of Temporal and most
 * switches: in the autumn overlap the earlier instant wins, and a time that does not exist
 * in the spring gap is moved forward by the size of the gap (02:30 → 03:30).
 */

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
/** Bound on cached hours per zone (about 23 years); a full cache is simply emptied. */
const CACHE_LIMIT = 200_000;

export class TimeZoneError extends Error {
  override name = "TimeZoneError";
}

function createFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
}

/** Canonical IANA name of `timeZone` ("america/toronto" → "America/Toronto"); throws a TimeZoneError if unknown. */
export function resolveTimeZone(timeZone: string): string {
  const trimmed = timeZone.trim();
  if (trimmed.length === 0) throw new TimeZoneError("time zone is empty; give an IANA zone such as UTC or America/Toronto");
  try {
    return createFormatter(trimmed).resolvedOptions().timeZone;
  } catch {
    throw new TimeZoneError(`unknown time zone ${JSON.stringify(timeZone)}; give an IANA zone such as UTC or America/Toronto`);
  }
}

export interface ZoneConverter {
  readonly timeZone: string;
  /** Offset (local − UTC) in ms in force at the UTC instant `utcMs`. */
  offsetAt(utcMs: number): number;
  /**
   * The UTC instant of a wall-clock time given as "ms since epoch as if the wall clock
   * were UTC" (i.e. `Date.UTC(y, m - 1, d, h, mi, s, ms)`).
   */
  wallClockToUtc(wallMs: number): number;
}

const UTC_CONVERTER: ZoneConverter = {
  timeZone: "UTC",
  offsetAt: () => 0,
  wallClockToUtc: (wallMs) => wallMs,
};

class IntlZoneConverter implements ZoneConverter {
  private readonly formatter: Intl.DateTimeFormat;
  /** UTC hour index → offset in ms, only for hours with one offset throughout. */
  private readonly offsetByUtcHour = new Map<number, number>();
  /** Wall hour index → offset in ms, only for wall hours that are neither in a gap nor an overlap. */
  private readonly offsetByWallHour = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.formatter = createFormatter(timeZone);
  }

  /** Exact offset through Intl; whole seconds, like the zone rules themselves. */
  private computeOffset(utcMs: number): number {
    const flooredToSecond = Math.floor(utcMs / 1000) * 1000;
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of this.formatter.formatToParts(flooredToSecond)) {
      switch (part.type) {
        case "year":
          year = Number(part.value);
          break;
        case "month":
          month = Number(part.value);
          break;
        case "day":
          day = Number(part.value);
          break;
        case "hour":
          // Some ICU versions print midnight as "24" even with h23.
          hour = Number(part.value) % 24;
          break;
        case "minute":
          minute = Number(part.value);
          break;
        case "second":
          second = Number(part.value);
          break;
        default:
          break;
      }
    }
    return Date.UTC(year, month - 1, day, hour, minute, second) - flooredToSecond;
  }

  offsetAt(utcMs: number): number {
    const hourIndex = Math.floor(utcMs / MS_PER_HOUR);
    const cached = this.offsetByUtcHour.get(hourIndex);
    if (cached !== undefined) return cached;
    const hourStart = hourIndex * MS_PER_HOUR;
    const atStart = this.computeOffset(hourStart);
    const atEnd = this.computeOffset(hourStart + MS_PER_HOUR - 1);
    if (atStart === atEnd) {
      if (this.offsetByUtcHour.size >= CACHE_LIMIT) this.offsetByUtcHour.clear();
      this.offsetByUtcHour.set(hourIndex, atStart);
      return atStart;
    }
    // A transition happens inside this hour: answer exactly and do not cache.
    return this.computeOffset(utcMs);
  }

  /** Exact resolution of one wall-clock time, with the "compatible" rule for gaps and overlaps. */
  private resolveWallClock(wallMs: number): { utcMs: number; unique: boolean } {
    // A day either side of the wall time (read as an instant) brackets any transition
    // that can affect it, since real offsets stay within ±14 h.
    const offsetBefore = this.offsetAt(wallMs - MS_PER_DAY);
    const offsetAfter = this.offsetAt(wallMs + MS_PER_DAY);
    const beforeFits = this.offsetAt(wallMs - offsetBefore) === offsetBefore;
    if (offsetBefore === offsetAfter) {
      if (beforeFits) return { utcMs: wallMs - offsetBefore, unique: true };
    } else {
      const afterFits = this.offsetAt(wallMs - offsetAfter) === offsetAfter;
      if (beforeFits && afterFits) {
        // Overlap (clocks went back): the earlier instant is the one with the larger offset.
        return { utcMs: wallMs - Math.max(offsetBefore, offsetAfter), unique: false };
      }
      if (beforeFits) return { utcMs: wallMs - offsetBefore, unique: true };
      if (afterFits) return { utcMs: wallMs - offsetAfter, unique: true };
    }
    // Gap (clocks went forward): read the time with the offset in force before the jump,
    // which lands the same distance past the transition.
    return { utcMs: wallMs - offsetBefore, unique: false };
  }

  // CDR files are in time order, so the previous line's hour is usually the next one's.
  private lastWallHour = NaN;
  private lastWallOffset = 0;

  wallClockToUtc(wallMs: number): number {
    const hourIndex = Math.floor(wallMs / MS_PER_HOUR);
    if (hourIndex === this.lastWallHour) return wallMs - this.lastWallOffset;
    const cached = this.offsetByWallHour.get(hourIndex);
    if (cached !== undefined) {
      this.lastWallHour = hourIndex;
      this.lastWallOffset = cached;
      return wallMs - cached;
    }
    const hourStart = hourIndex * MS_PER_HOUR;
    const first = this.resolveWallClock(hourStart);
    const last = this.resolveWallClock(hourStart + MS_PER_HOUR - 1);
    const firstOffset = hourStart - first.utcMs;
    const lastOffset = hourStart + MS_PER_HOUR - 1 - last.utcMs;
    if (first.unique && last.unique && firstOffset === lastOffset) {
      if (this.offsetByWallHour.size >= CACHE_LIMIT) this.offsetByWallHour.clear();
      this.offsetByWallHour.set(hourIndex, firstOffset);
      return wallMs - firstOffset;
    }
    return this.resolveWallClock(wallMs).utcMs;
  }
}

const converters = new Map<string, ZoneConverter>();
const MAX_REMEMBERED_SPELLINGS = 2_000;

/** A converter for an IANA zone, shared per process so its caches are reused. Throws TimeZoneError if unknown. */
export function getZoneConverter(timeZone: string): ZoneConverter {
  const existing = converters.get(timeZone);
  if (existing) return existing;
  const canonical = resolveTimeZone(timeZone);
  let converter = converters.get(canonical);
  if (!converter) {
    converter = canonical === "UTC" || canonical === "Etc/UTC" ? UTC_CONVERTER : new IntlZoneConverter(canonical);
    converters.set(canonical, converter);
  }
  // Spellings other than the canonical one ("america/toronto") are remembered only up to a
  // bound: they come from input (deck imports, settings), and each would otherwise stay forever.
  if (converters.size < MAX_REMEMBERED_SPELLINGS) converters.set(timeZone, converter);
  return converter;
}

// ---------------------------------------------------------------------------------------
// Timestamp text → epoch ms
// ---------------------------------------------------------------------------------------

const CHAR_0 = 48;
const CHAR_9 = 57;

/** Value of `length` ASCII digits at `start`, or -1 if any is not a digit. */
function readDigits(text: string, start: number, length: number): number {
  if (start + length > text.length) return -1;
  let value = 0;
  for (let index = start; index < start + length; index++) {
    const code = text.charCodeAt(index);
    if (code < CHAR_0 || code > CHAR_9) return -1;
    value = value * 10 + (code - CHAR_0);
  }
  return value;
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil);
 * plain arithmetic, several times cheaper than Date.UTC on the per-line path.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const shiftedYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(shiftedYear / 400);
  const yearOfEra = shiftedYear - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export interface TimestampParserOptions {
  /** IANA zone for timestamps that carry no offset. Default UTC. */
  timeZone?: string;
  /** Accept a bare date ("2026-10-15") as local midnight. Default false (CDRs need a time). */
  allowDateOnly?: boolean;
}

/**
 * Returns a parser from timestamp text to epoch ms (NaN when the text is not a valid
 * timestamp). Accepted: `YYYY-MM-DD[T| ]HH:MM[:SS[.fff…]]` optionally followed by `Z` or an
 * offset `±HH`, `±HHMM`, `±HH:MM` (a space before the zone is tolerated); with
 * `allowDateOnly`, also `YYYY-MM-DD`. Times without a zone are read in `timeZone`.
 * Calendar fields are range-checked: "2026-13-45T99:00:00Z" is invalid, not rolled over.
 */
export function createTimestampParser(options: TimestampParserOptions = {}): (text: string) => number {
  const converter = getZoneConverter(options.timeZone ?? "UTC");
  const allowDateOnly = options.allowDateOnly ?? false;

  return function parseTimestamp(rawText: string): number {
    const text = rawText.length > 0 && (rawText.charCodeAt(0) <= 32 || rawText.charCodeAt(rawText.length - 1) <= 32) ? rawText.trim() : rawText;
    const year = readDigits(text, 0, 4);
    // Years before 1000 are typos ("0026"), not CDRs.
    if (year < 1000 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return NaN;
    const month = readDigits(text, 5, 2);
    const day = readDigits(text, 8, 2);
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;

    if (text.length === 10) {
      if (!allowDateOnly) return NaN;
      return converter.wallClockToUtc(daysFromCivil(year, month, day) * MS_PER_DAY);
    }
    const separator = text.charCodeAt(10);
    if (separator !== 84 /* T */ && separator !== 32 /* space */ && separator !== 116 /* t */) return NaN;
    const hour = readDigits(text, 11, 2);
    if (hour < 0 || hour > 23 || text.charCodeAt(13) !== 58 /* : */) return NaN;
    const minute = readDigits(text, 14, 2);
    if (minute < 0 || minute > 59) return NaN;
    let index = 16;
    let second = 0;
    let millisecond = 0;
    if (text.charCodeAt(index) === 58) {
      second = readDigits(text, index + 1, 2);
      if (second < 0 || second > 59) return NaN;
      index += 3;
      const decimal = text.charCodeAt(index);
      if (decimal === 46 /* . */ || decimal === 44 /* , */) {
        index++;
        let digits = 0;
        while (index < text.length) {
          const code = text.charCodeAt(index);
          if (code < CHAR_0 || code > CHAR_9) break;
          // Keep milliseconds; finer digits are truncated (Date has no finer resolution).
          if (digits < 3) millisecond = millisecond * 10 + (code - CHAR_0);
          digits++;
          index++;
        }
        if (digits === 0) return NaN;
        for (; digits < 3; digits++) millisecond *= 10;
      }
    }

    const wallMs = daysFromCivil(year, month, day) * MS_PER_DAY + hour * MS_PER_HOUR + minute * 60_000 + second * 1000 + millisecond;
    if (index === text.length) return converter.wallClockToUtc(wallMs);

    if (text.charCodeAt(index) === 32) index++;
    const zoneChar = text.charCodeAt(index);
    if ((zoneChar === 90 /* Z */ || zoneChar === 122 /* z */) && index + 1 === text.length) return wallMs;
    if (zoneChar !== 43 /* + */ && zoneChar !== 45 /* - */) return NaN;
    const offsetHours = readDigits(text, index + 1, 2);
    if (offsetHours < 0 || offsetHours > 18) return NaN;
    index += 3;
    let offsetMinutes = 0;
    if (index < text.length) {
      if (text.charCodeAt(index) === 58) index++;
      offsetMinutes = readDigits(text, index, 2);
      if (offsetMinutes < 0 || offsetMinutes > 59) return NaN;
      index += 2;
    }
    if (index !== text.length) return NaN;
    const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000;
    return zoneChar === 43 ? wallMs - offsetMs : wallMs + offsetMs;
  };
}

// ---------------------------------------------------------------------------------------
// Epoch ms → ISO 8601 text
// ---------------------------------------------------------------------------------------

const TWO_DIGITS = Array.from({ length: 60 }, (_, value) => String(value).padStart(2, "0"));
/** Day numbers whose dates toISOString prints with a 4-digit year (0000–9999). */
const FIRST_FOUR_DIGIT_DAY = -719_528;
const LAST_FOUR_DIGIT_DAY = 2_932_896;
let cachedDay = NaN;
let cachedDayPrefix = "";

/**
 * ISO 8601 in UTC, without milliseconds when they are zero: "2026-10-15T03:59:50Z".
 * Output writers call this per row; toISOString costs several times more, so the date part
 * is cached per day and the time is assembled from a table of two-digit strings.
 */
export function formatUtcInstant(date: Date): string {
  const ms = date.getTime();
  const day = Math.floor(ms / MS_PER_DAY);
  if (Number.isNaN(day) || day < FIRST_FOUR_DIGIT_DAY || day > LAST_FOUR_DIGIT_DAY) {
    const iso = date.toISOString(); // throws RangeError for an invalid date, as it should
    return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
  }
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayPrefix = new Date(day * MS_PER_DAY).toISOString().slice(0, 11);
  }
  let rest = ms - day * MS_PER_DAY;
  const hour = Math.floor(rest / MS_PER_HOUR);
  rest -= hour * MS_PER_HOUR;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const millisecond = rest - second * 1000;
  const time = `${cachedDayPrefix}${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}`;
  return millisecond === 0 ? `${time}Z` : `${time}.${String(millisecond).padStart(3, "0")}Z`;
}
