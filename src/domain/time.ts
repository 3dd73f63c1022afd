import { UsageError } from './errors.js';

/** The one source of "now". Nothing else reads the wall clock. */
export interface Clock {
  now(): number;
  /**
   * True when "now" is not the machine's time (ACCESSCTL_NOW, a test's fixed clock). Reads answer
   * as of it; writes are refused unless the store opts in (clock.allowOverride), see mutate().
   */
  readonly overridden: boolean;
}

/** A pinned instant: an override of the machine's time. */
export function fixedClock(ms: number, overridden = true): Clock {
  return { now: () => ms, overridden };
}

/** `ACCESSCTL_NOW` pins the whole process to one instant: a what-if, not the store's time. */
export function clockFromEnv(env: Record<string, string | undefined>, wall: () => number): Clock {
  const pinned = env.ACCESSCTL_NOW;
  if (pinned === undefined || pinned === '') return { now: wall, overridden: false };
  const ms = parseTimestamp(pinned, 'ACCESSCTL_NOW');
  return fixedClock(ms, true);
}

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Largest duration accepted anywhere: 100 years keeps every sum far inside safe integers. */
export const MAX_DURATION_MS = 100 * 365 * UNIT_MS.d!;

const DURATION_RE = /^(?:([0-9]{1,12})w)?(?:([0-9]{1,12})d)?(?:([0-9]{1,12})h)?(?:([0-9]{1,12})m)?(?:([0-9]{1,12})s)?$/;
const DURATION_HINT = 'use a number and a unit: 90s, 30m, 2h, 7d, 2w, or a compound such as 1h30m';

/**
 * `90s`, `30m`, `2h`, `7d`, `2w` and compounds such as `1h30m` or `1d12h` (units largest first,
 * each once, as in Go's durations) → milliseconds. Zero and negatives are refused.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const trimmed = text.trim();
  const m = DURATION_RE.exec(trimmed);
  if (!m || trimmed === '') throw new UsageError(`invalid ${what} ${JSON.stringify(clip(text))}`, DURATION_HINT);
  const units = ['w', 'd', 'h', 'm', 's'] as const;
  let ms = 0;
  units.forEach((unit, i) => {
    if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * UNIT_MS[unit]!;
  });
  if (ms <= 0) throw new UsageError(`invalid ${what} ${JSON.stringify(text)}: must be more than zero`, 'for example 2h');
  if (ms > MAX_DURATION_MS) throw new UsageError(`invalid ${what} ${JSON.stringify(clip(text))}: longer than 100 years`);
  return ms;
}

/**
 * For flags that count days (`key create -e`, `--expiring-within`): a bare number means days and
 * a duration is accepted too, so `90` = `90d`. `0` is returned as 0 (callers decide what it means).
 */
export function parseDays(text: string, what = 'duration'): number {
  const trimmed = text.trim();
  if (/^[0-9]{1,9}$/.test(trimmed)) {
    const ms = Number(trimmed) * UNIT_MS.d!;
    if (ms > MAX_DURATION_MS) throw new UsageError(`invalid ${what} ${JSON.stringify(clip(text))}: longer than 100 years`);
    return ms;
  }
  try {
    return parseDuration(trimmed, what);
  } catch (err) {
    if (err instanceof UsageError && err.hint === DURATION_HINT) {
      throw new UsageError(err.message, 'a number of days (90), or a duration: 36h, 2w, 1d12h');
    }
    throw err;
  }
}

export const isDuration = (text: string): boolean => text.trim() !== '' && DURATION_RE.test(text.trim());

/** A duration as its largest exact unit, e.g. 7200000 → "2h". */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

// RFC 3339 in full: `t` and `z` in either case, any number of fraction digits (kept to the
// millisecond, the store's precision: cut, never rounded into the next second).
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/**
 * ISO-8601 date or date-time → epoch ms. A time without a zone is UTC: the store and every
 * output are UTC, and a script's meaning must not depend on the machine's time zone.
 */
export function parseTimestamp(text: string, what = 'time'): number {
  const m = ISO_RE.exec(text.trim());
  const bad = () =>
    new UsageError(`invalid ${what} ${JSON.stringify(clip(text))}`, 'use ISO-8601, e.g. 2026-11-22T23:00:00Z');
  if (!m) throw bad();
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '0', zone = 'Z'] = m;
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0-99 as 1900-1999.
  const date = new Date(Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  const base = date.getTime();
  const check = new Date(base);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    throw bad();
  }
  let offset = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (Number(z[2]) > 23 || Number(z[3]) > 59) throw bad();
    offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  }
  return inTimeRange(base - offset, () => new UsageError(`invalid ${what} ${JSON.stringify(clip(text))}: outside the years 0001-9999 (UTC)`, 'every time is written back as YYYY-MM-DDTHH:MM:SS.sssZ, years 0001-9999'));
}

/** 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: what formatTimestamp writes and parseTimestamp reads back. */
export const MIN_TIME_MS = -62_135_596_800_000;
export const MAX_TIME_MS = 253_402_300_799_999;

/**
 * Every time the tool accepts is one it can write and read back (export, plan, apply): an offset
 * that carries 9999-12-31T23:59:59-14:00 into the year 10000 is refused, not stored.
 */
export function inTimeRange(ms: number, refuse: () => Error): number {
  if (!Number.isFinite(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS) throw refuse();
  return ms;
}

/** `now + ttl` for an expiry: refused past 9999 (only a clock moved near the end of time gets there). */
export function expiryAfter(now: number, ms: number, what = '--ttl'): number {
  return inTimeRange(now + ms, () => new UsageError(`${what} ends after 9999-12-31T23:59:59.999Z`, 'a time is at most 9999-12-31T23:59:59.999Z'));
}

/** `--since` accepts a duration back from now (`7d`) or a timestamp. */
export function parseSince(text: string, now: number, what = '--since'): number {
  if (isDuration(text)) return now - parseDuration(text, what);
  return parseTimestamp(text, what);
}

/**
 * `new Date(ms).toISOString()`, with the day's `YYYY-MM-DDT` kept from the previous call: a list
 * of a million events (in time order) formats each time in arithmetic instead of a Date.
 */
export function formatTimestamp(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  // Not a whole millisecond: as Date writes it (or refuses it).
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  if (!(ms >= dayStart && ms < dayStart + DAY_MS)) {
    // Outside 1970-9999: as Date writes it.
    if (ms < 0 || ms >= YEAR_10000_MS) return new Date(ms).toISOString();
    dayStart = ms - (ms % DAY_MS);
    dayPrefix = new Date(dayStart).toISOString().slice(0, 11);
  }
  const t = ms - dayStart;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor(t / 60_000) % 60;
  const sec = Math.floor(t / 1000) % 60;
  const milli = t % 1000;
  return `${dayPrefix}${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

const DAY_MS = 86_400_000;
const YEAR_10000_MS = 253_402_300_800_000;
let dayStart = Number.NaN;
let dayPrefix = '';

/**
 * Relative form for tables, rounded to the nearest unit: a 2h TTL read a few milliseconds later
 * is "in 2h", not "in 1h"; a 90-day key is "in 90d".
 */
export function formatRelative(ms: number, now: number): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  const s = Math.round(abs / 1000);
  if (s === 0) return 'now';
  let text: string;
  if (s < 60) text = `${s}s`;
  else if (Math.round(abs / 60_000) < 60) text = `${Math.round(abs / 60_000)}m`;
  else if (Math.round(abs / 3_600_000) < 24) text = `${Math.round(abs / 3_600_000)}h`;
  else text = `${Math.round(abs / 86_400_000)}d`;
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

export function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
