import { closeSync, openSync, readSync } from 'node:fs';
import { UsageError } from '../../../domain/errors.js';
import { keyStatus } from '../../../domain/key-lifecycle.js';
import { FUTURE_TOLERANCE_MS } from '../../../domain/log-time.js';
import { checkTokenShape, exchangeTokenProblem, hashToken } from '../../../domain/tokens.js';
import { formatTimestamp } from '../../../domain/time.js';
import { exchangeTokenByHash, keyById, keyByTokenHash, type ExchangeTokenRow, type KeyRow } from '../../../store/keys.js';
import { LAST_USED_RESOLUTION_MS, recordKeyUse } from '../../../store/telemetry.js';
import type { Ctx } from '../../context.js';

export type TokenSource = { stdin: true } | { file: string };

const MAX_TOKEN_INPUT = 4096;

/** Secrets come from stdin or a file, never from argv (where `ps` and shell history would see them). */
export async function readToken(ctx: Ctx, source: TokenSource): Promise<string> {
  let text: string;
  if ('file' in source) {
    text = readTokenFile(source.file);
  } else {
    // At a terminal the token is read like a password: a pasted secret never shows on screen
    // (or in a screen recording, a shared tmux pane, a terminal's scrollback).
    // A pipe or a file is read at once, synchronously: no stream is built for a few bytes.
    const piped = ctx.io.readStdinSync?.(MAX_TOKEN_INPUT);
    if (piped !== undefined) text = piped.toString('utf8');
    else text = ctx.io.stdinIsTTY ? await ctx.prompter.password('Paste the token (it is not shown), then press Enter:') : await readBounded(ctx.io.stdin, MAX_TOKEN_INPUT);
    if (text.length > MAX_TOKEN_INPUT) throw new UsageError('input is too large to be a token');
  }
  const token = text.trim();
  if (token === '') throw new UsageError('no token on stdin', 'pipe it in: accessctl key verify < token.txt');
  return token;
}

/**
 * Reads at most one byte past the cap, as stdin is read: the size stat reports says nothing for
 * a device or a FIFO (`--token-file /dev/zero` would otherwise grow without end).
 */
function readTokenFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UsageError(`cannot read token file ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  try {
    const buf = Buffer.alloc(MAX_TOKEN_INPUT + 1);
    let size = 0;
    for (;;) {
      const n = readSync(fd, buf, size, buf.length - size, null);
      if (n === 0) break;
      size += n;
      if (size > MAX_TOKEN_INPUT) throw new UsageError(`${path} is too large to hold a token`, `a token file holds one token, at most ${MAX_TOKEN_INPUT} bytes`);
    }
    return buf.subarray(0, size).toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read token file ${path}: ${(err as NodeJS.ErrnoException).code}`);
  } finally {
    closeSync(fd);
  }
}

async function readBounded(stream: NodeJS.ReadableStream, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > max) throw new UsageError('input on stdin is too large to be a token');
    parts.push(buf);
  }
  return Buffer.concat(parts).toString('utf8');
}

export interface Authentication {
  valid: boolean;
  reason: string | null;
  keyId: string | null;
  serviceId: string | null;
  serviceName: string | null;
  status: string | null;
  expiresAt: number | null;
  kind: 'key' | 'exchange' | null;
}

/**
 * Checks a key token (ack_) or an exchanged token (act_). The shape and checksum are checked
 * before any lookup; the lookup is by SHA-256 only, so unknown and revoked tokens take one path.
 */
/** How a check finds keys: the store's queries, or the same ones compiled once (a batch of checks). */
export interface KeyFinder {
  keyByTokenHash(hash: string): Promise<KeyRow | undefined>;
  keyById(id: string): Promise<KeyRow | undefined>;
  exchangeTokenByHash(hash: string): Promise<ExchangeTokenRow | undefined>;
}

export async function authenticateToken(ctx: Ctx, token: string, finder?: KeyFinder): Promise<Authentication> {
  const none: Authentication = { valid: false, reason: null, keyId: null, serviceId: null, serviceName: null, status: null, expiresAt: null, kind: null };
  const shape = checkTokenShape(token);
  if (!shape.ok) return { ...none, reason: shape.reason };
  const db = ctx.store().db;
  const find: KeyFinder = finder ?? {
    keyByTokenHash: (h) => keyByTokenHash(db, h),
    keyById: (id) => keyById(db, id),
    exchangeTokenByHash: (h) => exchangeTokenByHash(db, h),
  };
  const now = ctx.clock.now();
  const hash = hashToken(token);
  let key: KeyRow | undefined;
  let tokenExpiresAt: number | null = null;
  if (shape.kind === 'key') {
    key = await find.keyByTokenHash(hash);
  } else {
    const t = await find.exchangeTokenByHash(hash);
    if (t) {
      // Whatever its row says, a lifetime key exchange could not have given is no token (SPEC section 5).
      const problem = exchangeTokenProblem(t, { value: t.max_ttl, setAt: t.max_ttl_set_at }, now, FUTURE_TOLERANCE_MS);
      if (problem !== null) return { ...none, kind: shape.kind, reason: problem };
      tokenExpiresAt = t.expires_at;
      key = await find.keyById(t.key_id);
    }
  }
  if (!key) return { ...none, kind: shape.kind, reason: 'unknown token' };
  const status = keyStatus({ revokedAt: key.revoked_at, expiresAt: key.expires_at }, now);
  const found = { ...none, kind: shape.kind, keyId: key.id, serviceId: key.service_id, serviceName: key.service_name, status, expiresAt: key.expires_at };
  if (status === 'REVOKED') return { ...found, reason: `key ${key.id} is REVOKED` };
  if (status === 'EXPIRED' && !Number.isSafeInteger(key.expires_at)) return { ...found, expiresAt: null, reason: `key ${key.id} is EXPIRED: its expiry is not a valid time` };
  if (status === 'EXPIRED') return { ...found, reason: `key ${key.id} EXPIRED at ${formatTimestamp(key.expires_at)}` };
  if (key.service_state !== 'ACTIVE') return { ...found, reason: `service ${key.service_name} is ${key.service_state}` };
  if (tokenExpiresAt !== null && tokenExpiresAt <= now) return { ...found, reason: `token expired at ${formatTimestamp(tokenExpiresAt)}` };
  // Usage telemetry, not a change an operator made: at most once a minute, not audited, never
  // waited for. Under a clock override the check is a what-if, and a what-if records nothing.
  if (!ctx.clock.overridden && (key.last_used_at === null || now - key.last_used_at >= LAST_USED_RESOLUTION_MS)) {
    await recordKeyUse(ctx.store(), key.id, now);
  }
  return { ...found, valid: true, expiresAt: tokenExpiresAt ?? key.expires_at };
}
