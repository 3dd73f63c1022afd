import { describe, expect, it } from 'vitest';
import { randomIds, looksLikeId } from '../../src/domain/ids.js';
import { base62, checkTokenShape, crc32, hashToken, newToken, tokenHint } from '../../src/domain/tokens.js';
import { ALLOWED_ACTIONS, assertKeyAction, keyStatus } from '../../src/domain/key-lifecycle.js';

describe('ids', () => {
  it('prefix + 16 base62, never - or _ in the random part', () => {
    const ids = randomIds();
    for (let i = 0; i < 200; i++) {
      const id = ids.id('user');
      expect(id).toMatch(/^usr_[0-9A-Za-z]{16}$/);
      expect(looksLikeId('user', id)).toBe(true);
    }
  });
});

describe('tokens', () => {
  const ids = randomIds();
  it('ack_ + 32 base62 + 6-char base62 CRC32', () => {
    const t = newToken('key', ids);
    expect(t).toMatch(/^ack_[0-9A-Za-z]{38}$/);
    expect(t.slice(-6)).toBe(base62(crc32(t.slice(0, -6)), 6));
    expect(checkTokenShape(t)).toEqual({ ok: true, kind: 'key' });
    expect(checkTokenShape(newToken('exchange', ids))).toEqual({ ok: true, kind: 'exchange' });
  });
  it('CRC32 matches the standard check value', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });
  it('a one-character typo anywhere fails the checksum', () => {
    const t = newToken('key', ids);
    for (let i = 4; i < t.length; i++) {
      const c = t[i] === 'a' ? 'b' : 'a';
      const typo = t.slice(0, i) + c + t.slice(i + 1);
      expect(checkTokenShape(typo).ok).toBe(false);
    }
  });
  it('rejects malformed tokens before any lookup', () => {
    for (const bad of ['', 'ack_', 'ack_short', `xyz_${'a'.repeat(38)}`, `ack_${'a'.repeat(37)}-`]) expect(checkTokenShape(bad).ok).toBe(false);
  });
  it('hash and hint never contain the secret part', () => {
    const t = newToken('key', ids);
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenHint(t)).toBe(`ack_…${t.slice(-4)}`);
    expect(tokenHint(t)).not.toContain(t.slice(4, 36));
  });
});

describe('key lifecycle (SPEC section 5)', () => {
  const T = 1_000_000;
  it('status is computed at read time, to the millisecond', () => {
    expect(keyStatus({ revokedAt: null, expiresAt: T }, T - 1)).toBe('ACTIVE');
    expect(keyStatus({ revokedAt: null, expiresAt: T }, T)).toBe('EXPIRED');
    expect(keyStatus({ revokedAt: T - 5, expiresAt: T }, T + 1)).toBe('REVOKED');
    expect(keyStatus({ revokedAt: null, expiresAt: null }, Number.MAX_SAFE_INTEGER)).toBe('ACTIVE');
  });
  it('allows exactly the table', () => {
    expect(ALLOWED_ACTIONS).toEqual({ ACTIVE: ['revoke', 'rename', 'rotate'], REVOKED: ['delete'], EXPIRED: ['delete'] });
  });
  it.each([
    ['ACTIVE', 'delete'],
    ['REVOKED', 'rename'],
    ['REVOKED', 'revoke'],
    ['EXPIRED', 'rename'],
    ['EXPIRED', 'revoke'],
    ['REVOKED', 'rotate'],
  ] as const)('refuses %s → %s with exit 4 naming state and allowed actions', (status, action) => {
    try {
      assertKeyAction('key_x', status, action);
      expect.unreachable();
    } catch (err) {
      const e = err as { exitCode: number; message: string; hint: string };
      expect(e.exitCode).toBe(4);
      expect(e.message).toContain(status);
      expect(e.hint).toContain(ALLOWED_ACTIONS[status].join(', '));
    }
  });
});
