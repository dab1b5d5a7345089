import { getZoneConverter } from "@/server/rating/time-zone";

/**
 * Instants for CSV downloads, as the tenant's wall time with the UTC offset in force then:
 * "2026-10-01 09:00:00-04:00". People compare these files with the portal, their statement
 * and their own records, which all speak the tenant's time; the offset keeps the text one
 * instant (the repeated hour of a DST fall-back stays distinct) and lets PostgreSQL,
 * pandas or a script read it back exactly. The space rather than "T" is RFC 3339's allowed
 * variant, and what spreadsheets and PostgreSQL print themselves.
 *
 * An export writes millions of these, so nothing per value goes through Intl: the zone's
 * offset comes from the shared converter (cached per UTC hour, exact in an hour with a
 * transition), the date part is cached per local day and the rest is table lookups.
 */

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

const TWO_DIGITS = Array.from({ length: 60 }, (_, value) => String(value).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, value) => String(value).padStart(3, "0"));

export type TLocalTimestampOptions = {
  /**
   * Keep the milliseconds (".250", always three digits so a column has one shape), for
   * instants that carry them; without, the time is cut to the second (never rounded up into
   * the next second, or the next day).
   */
  milliseconds: boolean;
};

export type TLocalTimestampFormatter = {
  /** The canonical IANA name of the zone ("america/toronto" → "America/Toronto"). */
  readonly timeZone: string;
  format(instant: Date): string;
};

/** "+05:30", "-04:00", "+00:00"; seconds only for historical offsets that have them. */
export function offsetText(offsetMs: number): string {
  const sign = offsetMs < 0 ? "-" : "+";
  const totalSeconds = Math.round(Math.abs(offsetMs) / MS_PER_SECOND);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return `${sign}${String(hours).padStart(2, "0")}:${TWO_DIGITS[minutes]}${seconds === 0 ? "" : `:${TWO_DIGITS[seconds]}`}`;
}

/**
 * A formatter for one zone (throws a TimeZoneError for a zone Intl does not know). Make one
 * per download, not per row: its caches are what make it cheap.
 */
export function createLocalTimestampFormatter(timeZone: string, options: TLocalTimestampOptions): TLocalTimestampFormatter {
  const converter = getZoneConverter(timeZone);
  const offsets = new Map<number, string>();
  let cachedDay = NaN;
  let cachedDatePrefix = "";

  return {
    timeZone: converter.timeZone,
    format(instant: Date): string {
      const utcMs = instant.getTime();
      if (Number.isNaN(utcMs)) throw new RangeError("Invalid time value");
      const offsetMs = converter.offsetAt(utcMs);
      let offset = offsets.get(offsetMs);
      if (offset === undefined) {
        offset = offsetText(offsetMs);
        offsets.set(offsetMs, offset);
      }
      const localMs = utcMs + offsetMs;
      const day = Math.floor(localMs / MS_PER_DAY);
      if (day !== cachedDay) {
        cachedDay = day;
        const iso = new Date(day * MS_PER_DAY).toISOString();
        cachedDatePrefix = `${iso.slice(0, iso.indexOf("T"))} `;
      }
      let rest = localMs - day * MS_PER_DAY;
      const hour = Math.floor(rest / MS_PER_HOUR);
      rest -= hour * MS_PER_HOUR;
      const minute = Math.floor(rest / MS_PER_MINUTE);
      rest -= minute * MS_PER_MINUTE;
      const second = Math.floor(rest / MS_PER_SECOND);
      const time = `${cachedDatePrefix}${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}`;
      return options.milliseconds ? `${time}.${THREE_DIGITS[rest - second * MS_PER_SECOND]}${offset}` : `${time}${offset}`;
    },
  };
}
