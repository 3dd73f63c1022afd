import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

describe('user noun', () => {
  it('create, show by id or email, list with filters, update, disable, delete', async () => {
    const [ada] = await h.json(['user', 'create', '-e', 'ada@example.com', '--first', 'Ada', '--role', 'devops']);
    expect(ada).toMatchObject({ email: 'ada@example.com', firstName: 'Ada', role: 'DEVOPS', state: 'ACTIVE', type: 'MANUAL', createdAt: '2026-11-22T23:00:00.000Z' });
    await h.ok(['user', 'create', '-e', 'bob@example.com']);
    expect(await h.json(['user', 'show', '-i', 'ADA@example.com'])).toEqual([ada]);
    expect(await h.json(['user', 'show', '-i', String(ada!.id)])).toEqual([ada]);
    expect((await h.json(['user', 'list', '--role', 'MEMBER'])).map((u) => u.email)).toEqual(['bob@example.com']);
    expect((await h.json(['user', 'list', '--search', 'ADA'])).map((u) => u.email)).toEqual(['ada@example.com']);
    expect((await h.json(['user', 'list', '--search', '%'])).length).toBe(0);
    h.advance(1000);
    const [updated] = await h.json(['user', 'update', '-i', 'ada@example.com', '--last', 'Lovelace']);
    expect(updated).toMatchObject({ lastName: 'Lovelace', updatedAt: '2026-11-22T23:00:01.000Z' });
    await h.ok(['user', 'disable', '-i', 'ada@example.com,bob@example.com']);
    expect((await h.json(['user', 'list', '--state', 'disabled'])).length).toBe(2);
    await h.ok(['user', 'delete', '-i', 'bob@example.com']);
    const r = await h.run(['-f', 'csv', 'user', 'show', '-i', 'bob@example.com']);
    expect(r).toEqual({ code: 3, stdout: 'id,email,firstName,lastName,role,state,type,login,createdAt,updatedAt\n', stderr: 'accessctl: user "bob@example.com" not found (see accessctl user list)\n' });
  });

  it('duplicate emails conflict case-insensitively (exit 4) and change nothing', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    const before = await h.ok(['-f', 'json', 'audit', 'list']);
    const r = await h.run(['user', 'create', '-e', 'ADA@EXAMPLE.COM']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^accessctl: a user with email ADA@EXAMPLE.COM already exists/);
    expect(await h.ok(['-f', 'json', 'audit', 'list'])).toBe(before);
  });

  it('a failed multi-object mutation leaves the store unchanged', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    const before = await h.ok(['-f', 'json', 'user', 'list']);
    const r = await h.run(['user', 'disable', '-i', 'ada@example.com,nobody@example.com']);
    expect(r.code).toBe(3);
    expect(await h.ok(['-f', 'json', 'user', 'list'])).toBe(before);
    expect((await h.json(['audit', 'list', '--actor', 'tester'])).length).toBe(1);
  });

  it.each([
    [['user', 'create', '-e', 'not-an-email'], 2],
    [['user', 'create', '-e', 'ada@example.com', '--role', 'ROOT'], 2],
    [['user', 'create'], 2],
    [['user', 'update', '-i', 'nobody@example.com', '--role', 'ADMIN'], 3],
    [['user', 'update', '-i', 'usr_short', '--role', 'ADMIN'], 2],
    [['user', 'update', '-i', 'nobody@example.com'], 2],
  ])('%j exits %i', async (argv, code) => {
    const r = await h.run(argv as string[]);
    expect(r.code).toBe(code);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});

describe('resource noun', () => {
  it('creates with canonical port rules and validates addresses', async () => {
    const [r] = await h.json(['resource', 'create', '-n', 'prod-db', '-a', 'DB.Prod.Internal', '--tcp', '5432,22', '--udp', 'deny_all', '--no-icmp']);
    expect(r).toMatchObject({ name: 'prod-db', address: 'db.prod.internal', tcp: '22,5432', udp: 'DENY_ALL', icmp: false, isActive: true, alias: null });
    expect((await h.run(['resource', 'create', '-n', 'PROD-DB', '-a', '10.0.0.1'])).code).toBe(4);
    expect((await h.run(['resource', 'create', '-n', 'x', '-a', '10.0.0.0/40'])).code).toBe(2);
    expect((await h.run(['resource', 'create', '-n', 'x', '-a', 'ok.example.com', '--tcp', '70000'])).code).toBe(2);
    const [u] = await h.json(['resource', 'update', '-i', 'prod-db', '--icmp', '--alias', 'db.corp']);
    expect(u).toMatchObject({ icmp: true, alias: 'db.corp' });
    await h.ok(['resource', 'disable', '-i', 'prod-db']);
    expect(await h.json(['resource', 'list', '--inactive'])).toHaveLength(1);
    await h.ok(['resource', 'delete', '-i', 'prod-db']);
    expect(await h.json(['resource', 'list'])).toEqual([]);
  });
});

describe('output options', () => {
  it('--columns selects and orders; an unknown column exits 2 before anything changes', async () => {
    expect(await h.ok(['-f', 'csv', '--columns', 'email,role', 'user', 'create', '-e', 'ada@example.com'])).toBe('email,role\nada@example.com,MEMBER\n');
    const r = await h.run(['--columns', 'email,nope', 'user', 'create', '-e', 'bob@example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('valid columns: id,email,firstName');
    expect(await h.json(['user', 'list'])).toHaveLength(1);
  });
  it('--no-header, ndjson, -q', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    expect(await h.ok(['-f', 'csv', '--no-header', '--columns', 'email', 'user', 'list'])).toBe('ada@example.com\n');
    const line = JSON.parse(await h.ok(['-f', 'ndjson', 'user', 'list']));
    expect(line.email).toBe('ada@example.com');
    expect(await h.ok(['-q', 'user', 'list'])).toMatch(/^usr_[0-9A-Za-z]{16}\n$/);
  });
  it('JSON errors on stderr with -f json', async () => {
    const r = await h.run(['-f', 'json', 'user', 'show', '-i', 'nobody@example.com']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('[]\n');
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'NOT_FOUND', message: 'user "nobody@example.com" not found' } });
  });
});
