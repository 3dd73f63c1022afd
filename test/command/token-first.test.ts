import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base62, crc32 } from '../../src/domain/tokens.js';
import { harness, type Harness } from '../helpers/harness.js';

/** A token with a valid shape and checksum that no key ever issued. */
function forged(prefix: 'ack_' | 'act_'): string {
  const body = prefix + 'Q7w'.repeat(10) + 'zz';
  return body + base62(crc32(body), 6);
}

let h: Harness;
let secretHost: { id: string; address: string };
let revokedToken: string;
beforeEach(async () => {
  h = harness();
  const [r] = await h.json(['resource', 'create', '-n', 'secret-host', '-a', 'vault.corp.internal']);
  secretHost = { id: r!.id as string, address: r!.address as string };
  await h.ok(['service', 'create', '-n', 'ci', '-r', 'secret-host']);
  const [k] = await h.json(['key', 'create', '-i', 'ci']);
  revokedToken = k!.token as string;
  await h.ok(['key', 'revoke', '-i', k!.id as string]);
});
afterEach(() => h.cleanup());

const check = (token: string, resource: string, global: string[] = []) => h.run([...global, 'access', 'check', '--token-stdin', '-r', resource], { stdin: token });

describe('access check --token-stdin judges the token before anything else (SPEC section 5)', () => {
  const invalid = () => [
    ['forged key token (valid checksum)', forged('ack_')],
    ['forged short-lived token (valid checksum)', forged('act_')],
    ['token of a revoked key', revokedToken],
    ['malformed token', 'ack_short'],
  ];

  it('an invalid token is exit 5 whether the resource exists or not, with the same output in every format', async () => {
    for (const [label, token] of invalid()) {
      for (const format of ['table', 'csv', 'json', 'ndjson']) {
        const known = await check(token!, 'secret-host', ['-f', format]);
        const unknown = await check(token!, 'no-such-host', ['-f', format]);
        const byId = await check(token!, secretHost.id, ['-f', format]);
        for (const r of [known, unknown, byId]) {
          expect(r.code, `${label} ${format}: ${r.stderr}`).toBe(5);
          expect(r.stdout + r.stderr, `${label} ${format}`).not.toContain(secretHost.id);
          expect(r.stdout + r.stderr, `${label} ${format}`).not.toContain(secretHost.address);
        }
        expect(unknown.stdout, `${label} ${format}`).toBe(known.stdout);
        expect(unknown.stderr, `${label} ${format}`).toBe(known.stderr);
        expect(byId.stdout, `${label} ${format}`).toBe(known.stdout);
      }
    }
  });

  it('the denial record carries the reason and no resource fields; -q prints nothing', async () => {
    const [record] = JSON.parse((await check(forged('ack_'), 'secret-host', ['-f', 'json'])).stdout);
    expect(record).toMatchObject({ allowed: false, resourceId: null, resourceName: null, address: null, reason: 'unknown token' });
    for (const resource of ['secret-host', 'no-such-host']) {
      const q = await check(forged('ack_'), resource, ['-q']);
      expect(q.code).toBe(5);
      expect(q.stdout).toBe('');
    }
  });

  it('a malformed token is exit 5 before the store is even opened', async () => {
    const r = await h.run(['--db', `${h.dir}/missing.db`, 'access', 'check', '--token-stdin', '-r', 'secret-host'], { stdin: 'ack_short' });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/malformed token/);
  });

  it('a valid token still gets its answer: allowed, denied, or a resource that does not exist', async () => {
    const [k] = await h.json(['key', 'create', '-i', 'ci']);
    const token = k!.token as string;
    expect((await check(token, 'secret-host')).code).toBe(0);
    expect((await check(token, 'no-such-host')).code).toBe(3);
    await h.ok(['resource', 'create', '-n', 'other', '-a', 'other.internal']);
    const denied = await check(token, 'other', ['-q']);
    expect(denied.code).toBe(5);
    expect(denied.stdout).toBe('');
  });

  it('key verify: an invalid token is exit 5, and -q prints nothing', async () => {
    for (const token of [forged('ack_'), revokedToken]) {
      const r = await h.run(['-q', 'key', 'verify'], { stdin: token });
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
    }
  });
});
