import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, DIALECT, harness, HOUR, MINUTE, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal', '--tcp', '5432']);
  await h.ok(['service', 'create', '-n', 'ci-pipeline', '--description', 'deploys', '-r', 'prod-db']);
});
afterEach(() => h.cleanup());

const newKey = async (args: string[] = []) => {
  const [k] = await h.json(['key', 'create', '-i', 'ci-pipeline', ...args]);
  return k as { id: string; token: string; expiresAt: string | null; status: string; hint: string };
};
const verify = (token: string) => h.run(['-f', 'json', 'key', 'verify'], { stdin: `${token}\n` });
const tokenCheck = (token: string, extra: string[] = []) => h.run(['-f', 'json', 'access', 'check', '--token-stdin', '-r', 'prod-db', ...extra], { stdin: token });

describe('service noun', () => {
  it('create, show with key counts, rename, the account alias', async () => {
    await newKey();
    const [s] = await h.json(['account', 'show', '-i', 'ci-pipeline']);
    expect(s).toMatchObject({ name: 'ci-pipeline', description: 'deploys', state: 'ACTIVE', keys: 1, activeKeys: 1, revokedKeys: 0, expiredKeys: 0 });
    expect((s!.resources as string[]).length).toBe(1);
    await h.ok(['service', 'rename', '-i', 'ci-pipeline', '-n', 'ci-deployer']);
    expect((await h.json(['service', 'list'])).map((x) => x.name)).toEqual(['ci-deployer']);
    expect((await h.run(['service', 'create', '-n', 'bad name'])).code).toBe(2);
    expect((await h.run(['service', 'create', '-n', 'CI-DEPLOYER'])).code).toBe(4);
  });

  it('disable invalidates every key and token at once; enable restores ACTIVE keys, never the short-lived tokens', async () => {
    const k = await newKey();
    const short = (await h.json(['key', 'exchange'], { stdin: k.token }))[0]!.token as string;
    await h.ok(['service', 'disable', '-i', 'ci-pipeline']);
    expect(JSON.parse((await verify(k.token)).stdout)[0].reason).toBe('service ci-pipeline is DISABLED');
    expect((await verify(short)).code).toBe(5);
    expect((await tokenCheck(k.token)).code).toBe(5);
    await h.ok(['service', 'enable', '-i', 'ci-pipeline']);
    expect((await verify(k.token)).code).toBe(0);
    // SPEC section 5: the act_ tokens issued before the disable died with it.
    const after = await verify(short);
    expect(after.code).toBe(5);
    expect(JSON.parse(after.stdout)[0].reason).toBe('unknown token');
    expect((await tokenCheck(short)).code).toBe(5);
    const events = await h.json(['audit', 'list', '--action', 'service.disable*']);
    expect(events.map((e) => e.action)).toEqual(['service.disable.token', 'service.disable']);
    // A token exchanged after the enable works.
    const fresh = (await h.json(['key', 'exchange'], { stdin: k.token }))[0]!.token as string;
    expect((await verify(fresh)).code).toBe(0);
  });

  it('delete cascades to keys, tokens and links, and audits each key', async () => {
    const k1 = await newKey();
    const k2 = await newKey();
    await h.ok(['group', 'create', '-g', 'g', '--services', 'ci-pipeline']);
    await h.ok(['service', 'delete', '-i', 'ci-pipeline']);
    expect((await verify(k1.token)).code).toBe(5);
    expect(await h.json(['key', 'list'])).toEqual([]);
    expect((await h.json(['group', 'show', '-i', 'g']))[0]!.services).toEqual([]);
    // SPEC section 10: every event about a key is key.*, with the cause in details.
    const events = await h.json(['audit', 'list', '--action', '*.delete']);
    expect(events.map((e) => [e.action, e.targetId, (e.details as { cause?: string }).cause])).toEqual([
      ['key.delete', k1.id, 'service.delete'],
      ['key.delete', k2.id, 'service.delete'],
      ['service.delete', expect.stringMatching(/^svc_/), undefined],
    ]);
  });

  it('a service reaches resources directly, through groups, and temporarily', async () => {
    expect((await h.run(['access', 'check', '--service', 'ci-pipeline', '-r', 'prod-db'])).code).toBe(0);
    await h.ok(['resource', 'create', '-n', 'cache', '-a', '10.0.0.5']);
    await h.ok(['service', 'add-resources', '-i', 'ci-pipeline', '-r', 'cache', '--ttl', '30m']);
    await h.ok(['group', 'create', '-g', 'builders', '--services', 'ci-pipeline', '-r', 'cache']);
    const list = await h.json(['access', 'list', '--service', 'ci-pipeline']);
    expect(list.map((r) => [r.resourceName, r.via, r.expiresAt])).toEqual([
      ['cache', 'group', null],
      ['cache', 'direct', '2026-11-22T23:30:00.000Z'],
      ['prod-db', 'direct', null],
    ]);
    await h.ok(['service', 'remove-resources', '-i', 'ci-pipeline', '-r', 'prod-db']);
    expect((await h.run(['access', 'check', '--service', 'ci-pipeline', '-r', 'prod-db'])).code).toBe(5);
  });
});

describe('keys', () => {
  it('prints the token once, stores only its hash, and never prints it again', async () => {
    const k = await newKey(['-n', 'gh', '-e', '30']);
    expect(k.token).toMatch(/^ack_[0-9A-Za-z]{38}$/);
    expect(k.expiresAt).toBe('2026-12-22T23:00:00.000Z');
    expect(k.hint).toBe(`ack_…${k.token.slice(-4)}`);
    const everything = [
      await h.ok(['-f', 'json', 'key', 'list']),
      await h.ok(['-f', 'csv', 'key', 'show', '-i', k.id]),
      await h.ok(['key', 'list']),
      await h.ok(['-f', 'ndjson', 'audit', 'list']),
      await h.ok(['-f', 'json', 'service', 'show', '-i', 'ci-pipeline']),
    ].join('\n');
    expect(everything).not.toContain(k.token.slice(4, 36));
    expect(await h.ok(['-q', 'key', 'create', '-i', 'ci-pipeline'])).toMatch(/^ack_[0-9A-Za-z]{38}\n$/);
    expect(await h.ok(['-f', 'csv', '--columns', 'token', 'key', 'create', '-i', 'ci-pipeline'])).toMatch(/^token\nack_/);
  });

  // The file and WAL bytes are SQLite's; test/postgres/store.test.ts checks every PostgreSQL row.
  it.skipIf(DIALECT === 'postgres')('no token in the store file or its WAL', async () => {
    const holder = new Database(h.db); // holds the WAL open so its bytes can be read
    holder.prepare('select count(*) from service_keys').get();
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const k = await newKey();
      tokens.push(k.token);
      tokens.push(((await h.json(['key', 'exchange'], { stdin: k.token }))[0]!.token as string));
    }
    const k = await newKey();
    tokens.push(k.token);
    const rotated = (await h.json(['key', 'rotate', '-i', k.id, '--overlap', '1h']))[0]!.token as string;
    tokens.push(rotated);
    const bytes = Buffer.concat([readFileSync(h.db), existsSync(`${h.db}-wal`) ? readFileSync(`${h.db}-wal`) : Buffer.alloc(0)]);
    expect(existsSync(`${h.db}-wal`)).toBe(true);
    holder.close();
    for (const t of tokens) {
      expect(bytes.includes(Buffer.from(t.slice(4, 36)))).toBe(false);
      expect(bytes.includes(Buffer.from(t))).toBe(false);
    }
  });

  it('-e 0 never expires; the default comes from config', async () => {
    expect((await newKey(['-e', '0'])).expiresAt).toBeNull();
    expect((await newKey()).expiresAt).toBe('2027-11-22T23:00:00.000Z');
    await h.ok(['config', 'set', 'key.defaultExpirationDays', '90']);
    expect((await newKey()).expiresAt).toBe('2027-02-20T23:00:00.000Z');
    expect((await h.run(['key', 'create', '-i', 'ci-pipeline', '-e', '-1'])).code).toBe(2);
    expect((await h.run(['key', 'create', '-i', 'ci-pipeline', '-e', 'soon'])).code).toBe(2);
  });

  it('every cell of the lifecycle table', async () => {
    const active = await newKey(['-e', '1']);
    // ACTIVE: rename ok, delete refused
    expect((await h.json(['key', 'rename', '-i', active.id, '-n', 'renamed']))[0]!.name).toBe('renamed');
    const del = await h.run(['key', 'delete', '-i', active.id]);
    expect(del.code).toBe(4);
    expect(del.stderr).toBe(`accessctl: cannot delete key ${active.id}: it is ACTIVE (ACTIVE keys allow only: revoke, rename, rotate; revoke it first)\n`);
    // REVOKED: rename and revoke refused, delete ok, never active again
    const revoked = await newKey();
    expect((await h.json(['key', 'revoke', '-i', revoked.id]))[0]!.status).toBe('REVOKED');
    expect((await verify(revoked.token)).code).toBe(5);
    for (const verb of [['rename', '-n', 'x'], ['revoke'], ['rotate']]) {
      const r = await h.run(['key', verb[0]!, '-i', revoked.id, ...verb.slice(1)]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('it is REVOKED (REVOKED keys allow only: delete');
    }
    // EXPIRED at the millisecond: rename/revoke refused, delete ok
    h.advance(DAY - 1);
    expect((await verify(active.token)).code).toBe(0);
    h.advance(1);
    const v = await verify(active.token);
    expect(v.code).toBe(5);
    expect(JSON.parse(v.stdout)[0]).toMatchObject({ valid: false, status: 'EXPIRED', reason: `key ${active.id} EXPIRED at 2026-11-23T23:00:00.000Z` });
    expect((await h.run(['key', 'revoke', '-i', active.id])).code).toBe(4);
    expect((await h.run(['key', 'rename', '-i', active.id, '-n', 'y'])).code).toBe(4);
    expect((await h.json(['key', 'list', '--status', 'EXPIRED'])).map((k) => k.id)).toEqual([active.id]);
    await h.ok(['key', 'delete', '-i', `${active.id},${revoked.id}`]);
    expect(await h.json(['key', 'list'])).toEqual([]);
    const r = await h.run(['key', 'show', '-i', active.id]);
    expect(r.code).toBe(3);
    expect((await h.json(['audit', 'list', '--target', active.id])).map((e) => e.action)).toEqual(['key.create', 'key.rename', 'key.delete']);
  });

  it('caps ACTIVE keys per service', async () => {
    await h.ok(['config', 'set', 'key.maxActivePerService', '2']);
    const a = await newKey();
    await newKey();
    const r = await h.run(['key', 'create', '-i', 'ci-pipeline']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/already holds 2 ACTIVE keys \(the cap is 2\)/);
    await h.ok(['key', 'revoke', '-i', a.id]);
    await newKey();
  });

  it('rotation without overlap revokes at once; with overlap the old key lives min(expiry, now+overlap)', async () => {
    const old = await newKey(['-e', '30']);
    const [fresh] = await h.json(['key', 'rotate', '-i', old.id]);
    expect(fresh!.token).toMatch(/^ack_/);
    expect((await verify(old.token)).code).toBe(5);
    expect((await verify(fresh!.token as string)).code).toBe(0);

    const [next] = await h.json(['key', 'rotate', '-i', String(fresh!.id), '--overlap', '1h']);
    h.advance(HOUR - 1);
    expect((await verify(fresh!.token as string)).code).toBe(0);
    h.advance(1);
    expect(JSON.parse((await verify(fresh!.token as string)).stdout)[0].status).toBe('EXPIRED');
    expect((await verify(next!.token as string)).code).toBe(0);

    const shortLived = await newKey(['-e', '1']);
    h.advance(DAY - 10 * MINUTE);
    await h.ok(['key', 'rotate', '-i', shortLived.id, '--overlap', '1w']);
    expect((await h.json(['key', 'show', '-i', shortLived.id]))[0]!.expiresAt).toBe(shortLived.expiresAt);
  });

  it('exchange: default 1h, capped by token.maxTtl, dies with its key', async () => {
    const k = await newKey();
    const [t] = await h.json(['key', 'exchange'], { stdin: k.token });
    expect(t).toMatchObject({ keyId: k.id, expiresAt: '2026-11-23T00:00:00.000Z' });
    expect(String(t!.token)).toMatch(/^act_[0-9A-Za-z]{38}$/);
    expect((await h.run(['key', 'exchange', '--ttl', '13h'], { stdin: k.token })).code).toBe(2);
    expect((await h.run(['key', 'exchange'], { stdin: String(t!.token) })).code).toBe(2);
    expect((await tokenCheck(String(t!.token))).code).toBe(0);
    h.advance(HOUR);
    expect(JSON.parse((await verify(String(t!.token))).stdout)[0].reason).toBe('token expired at 2026-11-23T00:00:00.000Z');
    h.advance(-HOUR);
    await h.ok(['key', 'revoke', '-i', k.id]);
    expect(JSON.parse((await verify(String(t!.token))).stdout)[0].reason).toBe(`key ${k.id} is REVOKED`);
    expect((await h.run(['key', 'exchange'], { stdin: k.token })).code).toBe(5);
  });

  it('verify: checksum typo rejected, lastUsedAt written at most once a minute', async () => {
    const k = await newKey();
    const typo = k.token.slice(0, 10) + (k.token[10] === 'x' ? 'y' : 'x') + k.token.slice(11);
    expect(JSON.parse((await verify(typo)).stdout)[0].reason).toBe('token checksum does not match (a typo?)');
    expect((await h.run(['key', 'verify'], { stdin: '' })).code).toBe(2);
    // lastUsedAt is written only by the machine's own clock: the harness clock is an override.
    const wallVerify = (token: string) => h.run(['-f', 'json', 'key', 'verify'], { stdin: `${token}\n`, wallClock: true });
    await wallVerify(k.token);
    h.advance(30_000);
    await wallVerify(k.token);
    expect((await h.json(['key', 'show', '-i', k.id]))[0]!.lastUsedAt).toBe('2026-11-22T23:00:00.000Z');
    h.advance(30_000);
    await wallVerify(k.token);
    expect((await h.json(['key', 'show', '-i', k.id]))[0]!.lastUsedAt).toBe('2026-11-22T23:01:00.000Z');
  });

  it('under a clock override a good token is still good, and its use is not recorded (a what-if)', async () => {
    const k = await newKey();
    h.advance(5 * 60_000);
    expect(JSON.parse((await verify(k.token)).stdout)[0]).toMatchObject({ valid: true });
    expect((await tokenCheck(k.token)).code).toBe(0);
    expect((await h.json(['key', 'show', '-i', k.id]))[0]!.lastUsedAt).toBe(null);
  });

  it('tokens are never read from argv', async () => {
    const k = await newKey();
    for (const argv of [
      ['key', 'verify', k.token],
      ['key', 'verify', '--token', k.token],
      ['key', 'exchange', k.token],
      ['access', 'check', '--token', k.token, '-r', 'prod-db'],
      ['access', 'check', '--token-stdin', k.token, '-r', 'prod-db'],
    ]) {
      const r = await h.run(argv, { stdin: '' });
      expect(r.code).toBe(2);
      expect(r.stderr).not.toContain(k.token);
    }
  });

  it('access check by token honours port rules and the key lifecycle', async () => {
    const k = await newKey();
    expect(JSON.parse((await tokenCheck(k.token, ['--port', '5432'])).stdout)[0]).toMatchObject({ allowed: true, subjectName: 'ci-pipeline', via: 'direct' });
    expect((await tokenCheck(k.token, ['--port', '22'])).code).toBe(5);
    expect((await tokenCheck('ack_nonsense')).code).toBe(5);
  });

  it('sweep --keys deletes keys dead longer than the grace', async () => {
    const k = await newKey();
    await h.ok(['key', 'revoke', '-i', k.id]);
    h.advance(DAY);
    expect(await h.json(['sweep', '--keys', '--grace', '2d'])).toEqual([]);
    expect((await h.json(['sweep', '--keys', '--grace', '1d'])).map((r) => [r.what, r.id])).toEqual([['key', k.id]]);
    // SPEC section 10: a swept key is key.delete with cause sweep.
    expect((await h.json(['audit', 'list', '--action', 'key.delete'])).at(-1)!.details).toMatchObject({ cause: 'sweep' });
  });
});

describe('config', () => {
  it('validates, audits, and keeps defaultTtl <= maxTtl', async () => {
    expect((await h.json(['config', 'get', 'token.maxTtl']))[0]).toMatchObject({ value: '12h', default: '12h' });
    expect((await h.run(['config', 'set', 'key.maxActivePerService', '0'])).code).toBe(2);
    expect((await h.run(['config', 'set', 'nope', '1'])).code).toBe(2);
    expect((await h.run(['config', 'set', 'token.defaultTtl', '13h'])).code).toBe(2);
    await h.ok(['config', 'set', 'token.defaultTtl', '120m']);
    expect((await h.json(['config', 'get', 'token.defaultTtl']))[0]!.value).toBe('2h');
    expect((await h.json(['audit', 'list', '--action', 'config.set', '--actor', 'tester']))[0]!.details).toEqual({
      v: 2,
      changes: [{ op: 'insert', table: 'settings', row: { key: 'token.defaultTtl', value: '2h', updated_at: Date.parse('2026-11-22T23:00:00.000Z') } }],
    });
  });
});
