import { createHash } from 'node:crypto';
import { BASE62, type IdGenerator } from './ids.js';
import { formatDuration, formatTimestamp, parseDuration } from './time.js';

/**
 * Secret tokens follow GitHub's scheme: a prefix naming the kind, 32 random base62 characters,
 * and a 6-character base62 CRC32 of everything before it, so a typo is caught without a lookup.
 */
export const TOKEN_KIND = {
  key: 'ack_',
  exchange: 'act_',
} as const;
export type TokenKind = keyof typeof TOKEN_KIND;

const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const TOKEN_RE = /^(ack|act)_[0-9A-Za-z]{38}$/;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function base62(value: number, width: number): string {
  let out = '';
  let v = value;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0');
}

export function newToken(kind: TokenKind, ids: IdGenerator): string {
  const body = TOKEN_KIND[kind] + ids.secret(RANDOM_LENGTH);
  return body + base62(crc32(body), CHECKSUM_LENGTH);
}

export type TokenShape = { ok: true; kind: TokenKind } | { ok: false; reason: string };

/** Format and checksum, checked before any lookup. */
export function checkTokenShape(token: string): TokenShape {
  if (!TOKEN_RE.test(token)) return { ok: false, reason: 'malformed token' };
  const body = token.slice(0, -CHECKSUM_LENGTH);
  if (base62(crc32(body), CHECKSUM_LENGTH) !== token.slice(-CHECKSUM_LENGTH)) {
    return { ok: false, reason: 'token checksum does not match (a typo?)' };
  }
  return { ok: true, kind: token.startsWith('ack_') ? 'key' : 'exchange' };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** What may be shown of a token: its prefix and last four characters. */
export function tokenHint(token: string): string {
  return `${token.slice(0, 4)}…${token.slice(-4)}`;
}

/** The largest value `config set token.maxTtl` accepts: the bound when the value at a token's creation is unknown. */
const MAX_TTL_CEILING_MS = 7 * 86_400_000;
const DEFAULT_MAX_TTL_MS = 12 * 3_600_000;

/**
 * Why a short-lived token's row cannot be one key exchange wrote, or null. The row is judged
 * against token.maxTtl as it stood at the token's creation: the stored setting when it was last
 * set at or before then (the default when never set); when it changed since, the table no longer
 * says what it was, and the ceiling config allows is the bound. A row made in the future (past the
 * log's clock tolerance) is refused too, so no forged row outlives the rule by its dates.
 */
export function exchangeTokenProblem(
  t: { created_at: number; expires_at: number },
  maxTtl: { value: string | null; setAt: number | null },
  now: number,
  futureToleranceMs: number,
): string | null {
  // Text in an INTEGER column (written behind accessctl's back) compares false both ways: a
  // lifetime of NaN exceeds nothing and `expires_at <= now` is never true. It is no token.
  if (!Number.isSafeInteger(t.created_at) || !Number.isSafeInteger(t.expires_at)) return 'token row holds no valid creation or expiry time';
  if (t.created_at > now + futureToleranceMs) return `token is dated ${safeTimestamp(t.created_at)}, in the future`;
  let bound = DEFAULT_MAX_TTL_MS;
  if (maxTtl.value !== null) bound = maxTtl.setAt !== null && maxTtl.setAt <= t.created_at ? durationOr(maxTtl.value, MAX_TTL_CEILING_MS) : MAX_TTL_CEILING_MS;
  const lifetime = t.expires_at - t.created_at;
  if (lifetime > bound) return `token lifetime ${formatDuration(lifetime)} exceeds token.maxTtl (${formatDuration(bound)}) as of its creation`;
  return null;
}

/** The stored value, never above what config set accepts (a row edited to 36500d bounds nothing). */
function durationOr(text: string, fallback: number): number {
  try {
    return Math.min(parseDuration(text, 'token.maxTtl'), MAX_TTL_CEILING_MS);
  } catch {
    return fallback;
  }
}

/** A forged row may hold a time no Date can print; the number itself is still worth showing. */
function safeTimestamp(ms: number): string {
  try {
    return formatTimestamp(ms) ?? String(ms);
  } catch {
    return String(ms);
  }
}
