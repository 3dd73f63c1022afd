import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIntoClientConfig } from 'pg-connection-string';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPlan, shouldFallBack } from '../../src/store/postgres/client-config.js';
import { redactUrl } from '../../src/store/postgres/url.js';

/** The URL → driver translation with libpq's sslmode meanings (src/store/postgres/client-config.ts). */

const dir = mkdtempSync(join(tmpdir(), 'accessctl-sslplan-'));
const ca = join(dir, 'ca.crt');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const parse = (u: string) => parseIntoClientConfig(u);
const plan = (query: string, env: Record<string, string> = {}) => connectPlan(`postgres://ops@db.internal:5432/store${query}`, parse, env);

describe('sslmode as libpq', () => {
  it('prefer by default: TLS unverified, then plain; allow the other way round', () => {
    expect(plan('').attempts).toEqual([{ rejectUnauthorized: false }, false]);
    expect(plan('?sslmode=allow').attempts).toEqual([false, { rejectUnauthorized: false }]);
    expect(plan('?sslmode=disable').attempts).toEqual([false]);
    expect(plan('?sslmode=require').attempts).toEqual([{ rejectUnauthorized: false }]);
  });

  it('require with a root certificate is verify-ca; verify-* need one', () => {
    const p = plan(`?sslmode=require&sslrootcert=${ca}`);
    expect(p.mode).toBe('verify-ca');
    expect(p.attempts[0]).toMatchObject({ rejectUnauthorized: true, ca: expect.stringContaining('BEGIN CERTIFICATE') });
    expect(() => plan('?sslmode=verify-full')).toThrow(/needs a root certificate/);
    expect(plan('?sslmode=verify-full&sslrootcert=system').attempts[0]).toEqual({ rejectUnauthorized: true });
  });

  it('PGSSLMODE applies when the URL does not say; an unknown mode is refused', () => {
    expect(plan('', { PGSSLMODE: 'disable' }).attempts).toEqual([false]);
    expect(plan('?sslmode=require', { PGSSLMODE: 'disable' }).mode).toBe('require');
    expect(() => plan('?sslmode=maybe')).toThrow(/invalid sslmode "maybe"/);
  });

  it('the driver never sees the ssl parameters; a Unix socket never uses TLS', () => {
    const p = plan(`?sslmode=require&sslpassword=x&sslrootcert=${ca}&application_name=gate`);
    expect(Object.keys(p.base).filter((k) => k.startsWith('ssl'))).toEqual([]);
    expect(connectPlan('postgres://ops@localhost/store?host=/var/run/postgresql', parse, {}).attempts).toEqual([false]);
  });

  it('falls back only on what the mode allows', () => {
    expect(shouldFallBack(plan(''), new Error('The server does not support SSL connections'))).toBe(true);
    expect(shouldFallBack(plan('?sslmode=require'), new Error('The server does not support SSL connections'))).toBe(false);
    expect(shouldFallBack(plan('?sslmode=allow'), Object.assign(new Error('no pg_hba.conf entry'), { code: '28000' }))).toBe(true);
    expect(shouldFallBack(plan(''), Object.assign(new Error('password authentication failed'), { code: '28P01' }))).toBe(false);
  });

  it('every secret-bearing parameter is redacted', () => {
    expect(redactUrl('postgres://u:pw@h/d?sslpassword=a&passfile=/p&client_secret=b&sslmode=require')).toBe('postgres://u:***@h/d?sslpassword=***&passfile=***&client_secret=***&sslmode=require');
  });
});
