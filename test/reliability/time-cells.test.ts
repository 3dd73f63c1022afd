import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base62, crc32 } from '../../src/domain/tokens.js';
import { harness, type Harness } from '../helpers/harness.js';
import { raw } from '../helpers/raw-log.js';

/**
 * A time column holding text. SQLite's INTEGER affinity keeps text that is no number as text, and
 * in JavaScript `'forever' <= now` and `'forever' - createdAt > maxTtl` are both false: a token
 * row planted with `expires_at = 'forever'` passed the lifetime rule that key verify applies
 * "whatever db check says" (SPEC section 5) and never expired (access check --token-stdin allowed
 * it; key verify failed with exit 1), and a key whose expiry was set to text never expired.
 * A time that is not one now fails closed; db check still reports the rows.
 */
let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal']);
  await h.ok(['service', 'create', '-n', 'ci', '-r', 'prod-db']);
});
afterEach(() => h.cleanup());

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function forgedToken(): string {
  const body = `act_${'F'.repeat(32)}`;
  return body + base62(crc32(body), 6);
}

async function dbCheckFails(table: string) {
  const r = await h.run(['-f', 'json', 'db', 'check']);
  expect(r.code).toBe(6);
  const failures = (JSON.parse(r.stdout) as Array<{ ok: boolean; detail: string }>).filter((c) => !c.ok).map((c) => c.detail);
  expect(failures.join('\n')).toContain(table);
}

describe('a time column holding text fails closed', () => {
  it("a planted short-lived token with expires_at 'forever' is no token", async () => {
    await h.ok(['key', 'create', '-i', 'ci']);
    const token = forgedToken();
    await raw(h, (db) => db.run("insert into exchange_tokens (id, key_id, token_hash, created_at, expires_at) select 'tok_planted', id, ?, ?, 'forever' from service_keys", sha256(token), h.now));
    for (const args of [['key', 'verify'], ['access', 'check', '--token-stdin', '-r', 'prod-db']]) {
      const r = await h.run(['-f', 'json', ...args], { stdin: token });
      expect(r.code, args.join(' ')).toBe(5);
      expect(r.stderr).toContain('no valid creation or expiry time');
    }
    const batch = await h.run(['access', 'check', '--batch'], { stdin: `${JSON.stringify({ token, resource: 'prod-db' })}\n` });
    expect(batch.code).toBe(0);
    expect(JSON.parse(batch.stdout)).toMatchObject({ allowed: false });
    await dbCheckFails('exchange_tokens');
  });

  it("a key whose expires_at was set to text is EXPIRED, not everlasting", async () => {
    const token = (await h.json(['key', 'create', '-i', 'ci']))[0]!.token as string;
    await raw(h, (db) => db.run("update service_keys set expires_at = 'never'"));
    const r = await h.run(['-f', 'json', 'key', 'verify'], { stdin: token });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('its expiry is not a valid time');
    expect((await h.run(['access', 'check', '--token-stdin', '-r', 'prod-db'], { stdin: token })).code).toBe(5);
    await dbCheckFails('service_keys');
  });

  it("a membership whose expires_at was set to text grants nothing, even under a group that expires later", async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    await h.ok(['group', 'create', '-g', 'dba', '-u', 'ada@example.com', '-r', 'prod-db', '--ttl', '8h']);
    expect((await h.run(['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db'])).code).toBe(0);
    await raw(h, (db) => db.run("update group_users set expires_at = 'never'"));
    const r = await h.run(['-f', 'json', 'access', 'check', '--user', 'ada@example.com', '-r', 'prod-db']);
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ allowed: false });
    await dbCheckFails('group_users');
  });
});

/**
 * token.maxTtl is at most 1w through config set. A settings row edited to 36500d (dated 0, so it
 * "stood" when any token was made) raised the bound the lifetime rule judges a planted row by: a
 * token forged to live ten years verified, and key exchange would mint a 30-day token. The stored
 * value now bounds nothing above what config set accepts.
 */
describe('a setting edited beyond what config set accepts', () => {
  it('token.maxTtl = 36500d neither lets a planted ten-year token verify nor lets key exchange mint one', async () => {
    const keyToken = (await h.json(['key', 'create', '-i', 'ci']))[0]!.token as string;
    const token = forgedToken();
    await raw(h, async (db) => {
      await db.run("insert into settings (key, value, updated_at) values ('token.maxTtl', '36500d', 0) on conflict (key) do update set value = excluded.value, updated_at = 0");
      await db.run("insert into exchange_tokens (id, key_id, token_hash, created_at, expires_at) select 'tok_planted', id, ?, ?, ? from service_keys", sha256(token), h.now, h.now + 3650 * 86_400_000);
    });
    const r = await h.run(['-f', 'json', 'key', 'verify'], { stdin: token });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('exceeds token.maxTtl (1w)');
    const ex = await h.run(['key', 'exchange', '--ttl', '30d'], { stdin: keyToken });
    expect(ex.code).toBe(2);
    expect(ex.stdout).toBe('');
    await dbCheckFails('settings');
  });
});
