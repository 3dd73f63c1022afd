import { InvalidArgumentError } from 'commander';
import { UsageError } from '../domain/errors.js';
import { EMPTY_LIST } from './usage-message.js';
import { expiryAfter, parseDays, parseDuration, parseTimestamp } from '../domain/time.js';

/** `-i a,b -i c` → ['a', 'b', 'c']. Lists of references are comma-separated and repeatable. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  const items = splitList(value);
  // `-u "$UNSET"` is a mistake, never an empty grant (SPEC section 6).
  if (items.length === 0) throw new InvalidArgumentError(EMPTY_LIST);
  return [...(previous ?? []), ...items];
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function toArgError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof UsageError) throw new InvalidArgumentError(err.hint ? `${err.message} (${err.hint})` : err.message);
    throw err;
  }
}

export const durationArg = (value: string) => toArgError(() => parseDuration(value));
export const timestampArg = (value: string) => toArgError(() => parseTimestamp(value));

export function nonNegativeIntArg(value: string): number {
  if (!/^[0-9]{1,9}$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return Number(value);
}

/** Required references must name at least one thing. */
export function requireList(what: string, list: string[] | undefined, flag: string): string[] {
  if (!list || list.length === 0) throw new UsageError(`missing ${what}`, `pass ${flag}`);
  return list;
}

/** `--ttl` and `--expires-at` are two spellings of one expiry; at most one may be given. */
export function expiryFrom(opts: { ttl?: number; expiresAt?: number }, now: number): number | null {
  if (opts.ttl !== undefined && opts.expiresAt !== undefined) {
    throw new UsageError('--ttl and --expires-at cannot be used together', 'pick one');
  }
  if (opts.ttl !== undefined) return expiryAfter(now, opts.ttl);
  if (opts.expiresAt !== undefined) {
    if (opts.expiresAt <= now) {
      throw new UsageError(`--expires-at ${new Date(opts.expiresAt).toISOString()} is not in the future`, 'give a later time, or use --ttl');
    }
    return opts.expiresAt;
  }
  return null;
}

/** Verbs that act on exactly one object. */
export function single(list: string[] | undefined, flag: string): string {
  const items = requireList('reference', list, flag);
  if (items.length > 1) throw new UsageError(`expected one reference, got ${items.length}`, `pass a single ${flag}`);
  return items[0]!;
}


/** A flag that counts days: `90` = `90d`; durations such as `36h` or `2w` too. */
export const daysArg = (value: string) => toArgError(() => parseDays(value));

/** `key create|rotate -e`: days (or a duration) until the key expires; 0 = never; at most ten years. */
export function expirationArg(value: string): number {
  const ms = toArgError(() => parseDays(value, 'expiration'));
  if (ms > 3650 * 86_400_000) throw new InvalidArgumentError('at most 3650 days; use 0 for a key that never expires');
  return ms;
}

/** `--limit N`: at most N records. */
export function limitArg(value: string): number {
  if (!/^[0-9]{1,9}$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number, 1 or more');
  return Number(value);
}
