import { UsageError } from './errors.js';
import { formatDuration, parseDuration } from './time.js';

/** The settings `config` manages: their defaults, and how a value is checked. */
export const SETTINGS = {
  'key.defaultExpirationDays': {
    default: '365',
    describe: 'days a new key lives when -e is not given (0 = never)',
    parse: (v: string) => intIn(v, 0, 3650, 'key.defaultExpirationDays'),
  },
  'key.maxActivePerService': {
    default: '10',
    describe: 'most ACTIVE keys one service may hold',
    parse: (v: string) => intIn(v, 1, 1000, 'key.maxActivePerService'),
  },
  'token.defaultTtl': {
    default: '1h',
    describe: 'life of a token from key exchange when --ttl is not given',
    parse: (v: string) => durationIn(v, 'token.defaultTtl'),
  },
  'token.maxTtl': {
    default: '12h',
    describe: 'longest life key exchange may give a token',
    parse: (v: string) => durationIn(v, 'token.maxTtl'),
  },
  'clock.allowOverride': {
    default: 'false',
    describe: 'let ACCESSCTL_NOW move the clock of commands that write (test and sandbox stores only)',
    parse: (v: string) => bool(v, 'clock.allowOverride'),
  },
} as const;
export type SettingName = keyof typeof SETTINGS;
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

function intIn(v: string, min: number, max: number, what: string): string {
  if (!/^[0-9]{1,6}$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`invalid ${what} ${JSON.stringify(v.slice(0, 40))}`, `a whole number from ${min} to ${max}`);
  }
  return String(Number(v));
}

function bool(v: string, what: string): string {
  const t = v.trim().toLowerCase();
  if (t !== 'true' && t !== 'false') throw new UsageError(`invalid ${what} ${JSON.stringify(v.slice(0, 40))}`, 'true or false');
  return t;
}

const WEEK = 7 * 86_400_000;
function durationIn(v: string, what: string): string {
  const ms = parseDuration(v, what);
  if (ms > WEEK) throw new UsageError(`invalid ${what} ${JSON.stringify(v)}: at most 1w`);
  return formatDuration(ms);
}

/** Exact names only: `Clock.AllowOverride` is not `clock.allowOverride` (one name, one row). */
export function parseSettingName(name: string): SettingName {
  const hit = SETTING_NAMES.find((n) => n === name);
  if (hit) return hit;
  const near = SETTING_NAMES.find((n) => n.toLowerCase() === name.trim().toLowerCase());
  throw new UsageError(`unknown setting ${JSON.stringify(name.slice(0, 60))}`, near ? `setting names are exact: did you mean ${near}?` : `settings: ${SETTING_NAMES.join(', ')}`);
}

/**
 * The one check of settings taken together, for `config set` and access files alike: `stored`
 * is every setting as it would be (values already parsed by SETTINGS[name].parse).
 */
export function validateSettings(stored: ReadonlyMap<string, { value: string }>): void {
  const next = effectiveSettings(stored);
  if (next.tokenDefaultTtlMs > next.tokenMaxTtlMs) {
    throw new UsageError(
      `token.defaultTtl (${formatDuration(next.tokenDefaultTtlMs)}) would exceed token.maxTtl (${formatDuration(next.tokenMaxTtlMs)})`,
      'keep token.defaultTtl <= token.maxTtl (with config set, change them in an order that keeps it so)',
    );
  }
}

/** The effective settings, typed: stored values over defaults. */
export interface Settings {
  keyDefaultExpirationDays: number;
  keyMaxActivePerService: number;
  tokenDefaultTtlMs: number;
  tokenMaxTtlMs: number;
  clockAllowOverride: boolean;
}

export function effectiveSettings(stored: ReadonlyMap<string, { value: string }>): Settings {
  const get = (n: SettingName) => stored.get(n)?.value ?? SETTINGS[n].default;
  return {
    keyDefaultExpirationDays: Number(get('key.defaultExpirationDays')),
    keyMaxActivePerService: Number(get('key.maxActivePerService')),
    // No more than config set accepts, whatever a row edited behind accessctl's back says.
    tokenDefaultTtlMs: Math.min(parseDuration(get('token.defaultTtl')), WEEK),
    tokenMaxTtlMs: Math.min(parseDuration(get('token.maxTtl')), WEEK),
    clockAllowOverride: get('clock.allowOverride') === 'true',
  };
}
