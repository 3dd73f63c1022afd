import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenFingerprint } from '../../src/domain/audit-events.js';
import { canonicalJson } from '../../src/domain/canonical-json.js';
import { base62, crc32 } from '../../src/domain/tokens.js';
import { DAY, harness, HOUR, MINUTE, type Harness } from '../helpers/harness.js';
import { raw, rechain, type RawEvent } from '../helpers/raw-log.js';

/** Short-lived tokens are replayed state (SPEC section 5), on either dialect. */
let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal', '--tcp', '5432']);
  await h.ok(['service', 'create', '-n', 'ci', '-r', 'prod-db']);
});
afterEach(() => h.cleanup());

const keyToken = async () => (await h.json(['key', 'create', '-i', 'ci']))[0]!.token as string;
const exchange = async (token: string, args: string[] = []) => (await h.json(['key', 'exchange', ...args], { stdin: token }))[0] as { id: string; token: string; expiresAt: string };
const verify = (token: string) => h.run(['-f', 'json', 'key', 'verify'], { stdin: token });
const tokenCheck = (token: string) => h.run(['-f', 'json', 'access', 'check', '--token-stdin', '-r', 'prod-db'], { stdin: token });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function dbCheck() {
  const r = await h.run(['-f', 'json', 'db', 'check']);
  const checks = JSON.parse(r.stdout || '[]') as Array<{ check: string; ok: boolean; detail: string }>;
  return { code: r.code, failures: checks.filter((c) => !c.ok).map((c) => c.detail) };
}

/** A token accessctl never issued, written straight into the store with a valid shape and checksum. */
function forgedToken(): string {
  const body = `act_${'F'.repeat(32)}`;
  return body + base62(crc32(body), 6);
}

async function plant(token: string, createdAt: number, expiresAt: number, id = 'tok_planted') {
  await raw(h, (db) => db.run('insert into exchange_tokens (id, key_id, token_hash, created_at, expires_at) select ?, id, ?, ?, ? from service_keys limit 1', id, sha256(token), createdAt, expiresAt));
}

describe('key.exchange records the token as state', () => {
  it('the event inserts the row with a fingerprint of its hash and its expiry; never the token or its hash', async () => {
    const short = await exchange(await keyToken(), ['--ttl', '2h']);
    const [e] = await h.json(['audit', 'list', '--action', 'key.exchange']);
    const details = e!.details as { changes: Array<{ op: string; table: string; row: Record<string, unknown> }> };
    expect(details.changes).toEqual([
      { op: 'insert', table: 'exchange_tokens', row: { id: short.id, key_id: e!.targetId, token_fingerprint: tokenFingerprint(sha256(short.token)), created_at: h.now, expires_at: h.now + 2 * HOUR } },
    ]);
    const text = JSON.stringify(e);
    expect(text).not.toContain(short.token);
    expect(text).not.toContain(sha256(short.token));
    expect(await dbCheck()).toEqual({ code: 0, failures: [] });
  });

  it('sweep, service disable and enable, key and service deletion replay consistently', async () => {
    const k = await keyToken();
    await exchange(k, ['--ttl', '1h']);
    const long = await exchange(k, ['--ttl', '5h']);
    h.advance(2 * HOUR);
    await h.ok(['sweep']);
    expect((await h.json(['audit', 'list', '--action', 'sweep.token.delete'])).length).toBe(1);
    expect(await dbCheck()).toEqual({ code: 0, failures: [] });
    await h.ok(['service', 'disable', '-i', 'ci']);
    expect(await dbCheck()).toEqual({ code: 0, failures: [] });
    await h.ok(['service', 'enable', '-i', 'ci']);
    expect((await verify(long.token)).code).toBe(5);
    const again = await exchange(k);
    expect((await verify(again.token)).code).toBe(0);
    // Revoked and deleted, the key takes its token with it (the store's cascade; replay does the same).
    const [key] = await h.json(['key', 'list']);
    await h.ok(['key', 'revoke', '-i', key!.id as string]);
    await h.ok(['key', 'delete', '-i', key!.id as string]);
    expect(await dbCheck()).toEqual({ code: 0, failures: [] });
    await exchange(await keyToken());
    await h.ok(['service', 'delete', '-i', 'ci']);
    expect(await dbCheck()).toEqual({ code: 0, failures: [] });
  });
});

describe('db check reports a token row the log does not explain', () => {
  it('a planted token: denied by its lifetime, named by db check', async () => {
    await keyToken();
    const forged = forgedToken();
    await plant(forged, h.now, Date.parse('9999-12-31T00:00:00Z'));
    for (const r of [await tokenCheck(forged), await verify(forged)]) {
      expect(r.code).toBe(5);
      expect(r.stdout + r.stderr).toContain('exceeds token.maxTtl');
    }
    const check = await dbCheck();
    expect(check.code).toBe(6);
    expect(check.failures).toContain('exchange_tokens tok_planted: in the store but not in the audit log');
  });

  it('an altered expiry or hash, and a missing row, each named with table, id and field', async () => {
    const k = await keyToken();
    const a = await exchange(k);
    const b = await exchange(k);
    const c = await exchange(k);
    await raw(h, async (db) => {
      await db.run('update exchange_tokens set expires_at = expires_at + 1 where id = ?', a.id);
      await db.run('update exchange_tokens set token_hash = ? where id = ?', sha256('act_something_else'), b.id);
      await db.run('delete from exchange_tokens where id = ?', c.id);
    });
    const check = await dbCheck();
    expect(check.code).toBe(6);
    expect(check.failures).toContain(`exchange_tokens ${a.id} expires_at: expires_at is ${h.now + HOUR + 1} in the store, ${h.now + HOUR} by the audit log`);
    expect(check.failures.some((f) => f.startsWith(`exchange_tokens ${b.id} token_hash:`))).toBe(true);
    expect(check.failures).toContain(`exchange_tokens ${c.id}: in the audit log but missing from the store`);
  });

  it('service enable never brings back a token deleted by the disable; put back by hand, db check names it', async () => {
    const short = await exchange(await keyToken());
    let row: Record<string, unknown> | undefined;
    await raw(h, async (db) => void ([row] = await db.all('select * from exchange_tokens')));
    await h.ok(['service', 'disable', '-i', 'ci']);
    await h.ok(['service', 'enable', '-i', 'ci']);
    expect(JSON.parse((await verify(short.token)).stdout)[0].reason).toBe('unknown token');
    // What a re-inserting trigger did: the row comes back behind accessctl's back.
    await raw(h, (db) => db.run('insert into exchange_tokens (id, key_id, token_hash, created_at, expires_at) values (?, ?, ?, ?, ?)', row!.id, row!.key_id, row!.token_hash, row!.created_at, row!.expires_at));
    const check = await dbCheck();
    expect(check.code).toBe(6);
    expect(check.failures).toContain(`exchange_tokens ${short.id}: in the store but not in the audit log`);
  });
});

describe('a lifetime over token.maxTtl is no token', () => {
  it('judged by the setting as of the token creation; a row dated ahead is refused', async () => {
    await keyToken();
    await h.ok(['config', 'set', 'token.maxTtl', '2h']);
    h.advance(MINUTE);
    const forged = forgedToken();
    await plant(forged, h.now, h.now + 3 * HOUR);
    expect(JSON.parse((await verify(forged)).stdout)[0].reason).toBe('token lifetime 3h exceeds token.maxTtl (2h) as of its creation');
    await raw(h, (db) => db.run('update exchange_tokens set expires_at = ?', h.now + 2 * HOUR));
    expect((await verify(forged)).code).toBe(0);
    await raw(h, (db) => db.run('update exchange_tokens set created_at = ?, expires_at = ?', h.now + DAY, h.now + DAY + HOUR));
    expect(JSON.parse((await verify(forged)).stdout)[0].reason).toMatch(/^token is dated .* in the future$/);
  });

  it('a token issued before token.maxTtl was lowered keeps its life', async () => {
    const short = await exchange(await keyToken(), ['--ttl', '6h']);
    h.advance(MINUTE);
    await h.ok(['config', 'set', 'token.maxTtl', '1h']);
    expect((await verify(short.token)).code).toBe(0);
  });
});

describe('events written before tokens were replayed state', () => {
  it('replay rebuilds their tokens by id, key and expiry', async () => {
    const k = await keyToken();
    const a = await exchange(k, ['--ttl', '2h']);
    const b = await exchange(k, ['--ttl', '10m']);
    h.advance(HOUR);
    await h.ok(['sweep']);
    // Rewrite the token events as the earlier format wrote them (no rows, only context), re-chained.
    await raw(h, async (db) => {
      for (const e of await db.all<RawEvent>("select * from audit_events where action in ('key.exchange', 'sweep.token.delete') order by seq")) {
        const d = JSON.parse(e.details) as Record<string, unknown>;
        await db.run('update audit_events set details = ? where seq = ?', canonicalJson({ ...d, changes: [] }), e.seq);
      }
      await rechain(db);
    });
    expect((await h.run(['audit', 'verify'])).code).toBe(0);
    expect(await dbCheck()).toEqual({ code: 0, failures: [] });
    // By expiry: an extended one is found; by id: a swept one put back is found.
    await raw(h, (db) => db.run('update exchange_tokens set expires_at = expires_at + ? where id = ?', DAY, a.id));
    let check = await dbCheck();
    expect(check.failures).toContain(`exchange_tokens ${a.id} expires_at: expires_at is ${h.now + HOUR + DAY} in the store, ${h.now + HOUR} by the audit log`);
    await raw(h, (db) => db.run('insert into exchange_tokens (id, key_id, token_hash, created_at, expires_at) select ?, key_id, ?, created_at, expires_at from exchange_tokens', b.id, sha256('x')));
    check = await dbCheck();
    expect(check.failures).toContain(`exchange_tokens ${b.id}: in the store but not in the audit log`);
  });
});
