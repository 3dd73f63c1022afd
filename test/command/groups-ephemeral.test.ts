import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, HOUR, MINUTE, type Harness } from '../helpers/harness.js';

let h: Harness;
let ada: string;
let bob: string;
let db: string;
beforeEach(async () => {
  h = harness();
  ada = await h.id(['user', 'create', '-e', 'ada@example.com']);
  bob = await h.id(['user', 'create', '-e', 'bob@example.com']);
  db = await h.id(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal', '--tcp', '5432']);
});
afterEach(() => h.cleanup());

const check = (user: string, resource = 'prod-db', extra: string[] = []) => h.run(['-f', 'json', 'access', 'check', '--user', user, '-r', resource, ...extra]);

describe('group noun', () => {
  it('creates with members and an expiry; show, list, update, delete', async () => {
    const [g] = await h.json(['group', 'create', '-g', 'My Ephemeral Group', '-u', `${ada},${bob}`, '-r', db, '--ttl', '2h']);
    expect(g).toMatchObject({ name: 'My Ephemeral Group', type: 'MANUAL', isActive: true, expiresAt: '2026-11-23T01:00:00.000Z', users: [ada, bob].sort(), resources: [db], services: [] });
    expect(await h.json(['group', 'list', '--ephemeral'])).toHaveLength(1);
    const [u] = await h.json(['group', 'update', '-i', 'my ephemeral group', '--ttl', '4h', '--name', 'incident-42']);
    expect(u).toMatchObject({ name: 'incident-42', expiresAt: '2026-11-23T03:00:00.000Z' });
    expect((await h.json(['group', 'update', '-i', 'incident-42', '--permanent']))[0]!.expiresAt).toBeNull();
    await h.ok(['group', 'delete', '-i', 'incident-42']);
    expect((await h.run(['group', 'show', '-i', String(g!.id)])).code).toBe(3);
  });

  it('refuses an expiry in the past, both --ttl and --expires-at, and unknown members', async () => {
    expect((await h.run(['group', 'create', '-g', 'g', '--expires-at', '2026-11-22T22:59:59Z'])).code).toBe(2);
    expect((await h.run(['group', 'create', '-g', 'g', '--expires-at', '2026-11-22T23:00:00Z'])).code).toBe(2);
    expect((await h.run(['group', 'create', '-g', 'g', '--ttl', '1h', '--expires-at', '2026-11-23T23:00:00Z'])).code).toBe(2);
    expect((await h.run(['group', 'create', '-g', 'g', '--ttl', '0h'])).code).toBe(2);
    expect((await h.run(['group', 'create', '-g', 'g', '-u', 'nobody@example.com'])).code).toBe(3);
    expect(await h.json(['group', 'list'])).toEqual([]);
    expect((await h.json(['audit', 'list', '--action', 'group.*'])).length).toBe(0);
  });

  it('accepts tgcli verb spellings', async () => {
    await h.ok(['group', 'create', '-g', 'ops']);
    await h.ok(['group', 'addUsers', '-g', 'ops', '-u', ada]);
    await h.ok(['group', 'addResources', '-g', 'ops', '-r', db]);
    expect((await check(ada)).code).toBe(0);
    await h.ok(['group', 'removeUsers', '-g', 'ops', '-u', ada]);
    expect((await check(ada)).code).toBe(5);
  });

  it('list hides expired groups unless --expired', async () => {
    await h.ok(['group', 'create', '-g', 'short', '--ttl', '30m']);
    await h.ok(['group', 'create', '-g', 'long']);
    h.advance(HOUR);
    expect((await h.json(['group', 'list'])).map((g) => g.name)).toEqual(['long']);
    expect((await h.json(['group', 'list', '--expired'])).map((g) => g.name)).toEqual(['short']);
    const r = await h.run(['group', 'add-users', '-g', 'short', '-u', ada]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/expired at 2026-11-22T23:30:00.000Z/);
  });
});

describe('the three ephemeral approaches', () => {
  it('(1) a new group with users and resources, expiring at the millisecond', async () => {
    await h.ok(['group', 'create', '-g', 'temp', '-u', `${ada},${bob}`, '-r', 'prod-db', '--ttl', '2h']);
    h.advance(2 * HOUR - 1);
    const allowed = await check('ada@example.com');
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)[0]).toMatchObject({ allowed: true, via: 'group', groupName: 'temp', expiresAt: '2026-11-23T01:00:00.000Z', limitedBy: 'group' });
    h.advance(1);
    const denied = await check('ada@example.com');
    expect(denied.code).toBe(5);
    expect(JSON.parse(denied.stdout)[0]).toMatchObject({ allowed: false, reason: 'grant expired at 2026-11-23T01:00:00.000Z' });
    expect(denied.stderr).toBe('{"error":{"code":"DENIED","exitCode":5,"message":"access denied: grant expired at 2026-11-23T01:00:00.000Z","hint":null}}\n');
  });

  it('(1b) ... or deleted when the work is done', async () => {
    const g = await h.id(['group', 'create', '-g', 'temp', '-u', ada, '-r', db]);
    expect((await check(ada)).code).toBe(0);
    await h.ok(['group', 'delete', '-i', g]);
    expect((await check(ada)).code).toBe(5);
  });

  it('(2) a resource added to an existing group for a while', async () => {
    await h.ok(['group', 'create', '-g', 'engineering', '-u', `${ada},${bob}`]);
    await h.ok(['group', 'add-resources', '-g', 'engineering', '-r', 'prod-db', '--ttl', '30m']);
    h.advance(30 * MINUTE - 1);
    expect(JSON.parse((await check(bob)).stdout)[0]).toMatchObject({ allowed: true, limitedBy: 'assignment', expiresAt: '2026-11-22T23:30:00.000Z' });
    h.advance(1);
    expect((await check(bob)).code).toBe(5);
    // the group itself stays
    expect((await h.json(['group', 'show', '-i', 'engineering']))[0]!.users).toHaveLength(2);
  });

  it('(3) users added to a pre-created group for a while', async () => {
    await h.ok(['group', 'create', '-g', 'prod-access', '-r', 'prod-db']);
    await h.ok(['group', 'add-users', '-g', 'prod-access', '-u', 'ada@example.com', '--ttl', '90s']);
    await h.ok(['group', 'add-users', '-g', 'prod-access', '-u', 'bob@example.com']);
    h.advance(90_000);
    expect((await check(ada)).code).toBe(5);
    expect((await check(bob)).code).toBe(0);
    // re-adding extends; adding without --ttl makes it permanent
    await h.ok(['group', 'add-users', '-g', 'prod-access', '-u', ada, '--ttl', '1h']);
    expect((await check(ada)).code).toBe(0);
    const events = await h.json(['audit', 'list', '--action', 'group.add-user']);
    // Format 2 details (docs/audit-events.md): the link re-timed, old and new expiry.
    expect(events.at(-1)!.details).toMatchObject({
      changes: [{ op: 'update', table: 'group_users', key: { user_id: ada }, from: { expires_at: Date.parse('2026-11-22T23:01:30.000Z') }, to: { expires_at: Date.parse('2026-11-23T00:01:30.000Z') } }],
    });
  });
});

describe('access', () => {
  beforeEach(async () => {
    await h.ok(['group', 'create', '-g', 'ops', '-u', ada, '-r', db]);
  });
  it('every denial reason, with exit 5', async () => {
    expect(JSON.parse((await check(bob)).stdout)[0].reason).toBe('no grant: user bob@example.com has no path to resource prod-db');
    expect(JSON.parse((await check(ada, 'prod-db', ['--protocol', 'tcp', '--port', '22'])).stdout)[0].reason).toBe(
      'tcp port 22 is not allowed on resource prod-db (allowed: 5432)',
    );
    expect((await check(ada, 'prod-db', ['--protocol', 'TCP', '--port', '5432'])).code).toBe(0);
    expect(JSON.parse((await check(ada, 'prod-db', ['--protocol', 'icmp'])).stdout)[0].allowed).toBe(true);
    await h.ok(['group', 'update', '-i', 'ops', '--inactive']);
    expect(JSON.parse((await check(ada)).stdout)[0].reason).toBe('the only granting group, ops, is inactive');
    await h.ok(['group', 'update', '-i', 'ops', '--active']);
    await h.ok(['resource', 'disable', '-i', 'prod-db']);
    expect(JSON.parse((await check(ada)).stdout)[0].reason).toBe('resource prod-db is inactive');
    await h.ok(['resource', 'enable', '-i', 'prod-db']);
    await h.ok(['user', 'disable', '-i', ada]);
    expect(JSON.parse((await check(ada)).stdout)[0].reason).toBe('user ada@example.com is DISABLED');
  });
  it('usage errors for a bad request', async () => {
    expect((await h.run(['access', 'check', '-r', 'prod-db'])).code).toBe(2);
    expect((await h.run(['access', 'check', '--user', ada, '-r', 'prod-db', '--port', '70000'])).code).toBe(2);
    expect((await h.run(['access', 'check', '--user', ada, '-r', 'prod-db', '--protocol', 'sctp'])).code).toBe(2);
    expect((await h.run(['access', 'check', '--user', ada])).code).toBe(2);
    expect((await h.run(['access', 'check', '--user', ada, '-r', 'nope'])).code).toBe(3);
  });
  it('list by user and by resource shows path and expiry', async () => {
    await h.ok(['group', 'create', '-g', 'temp', '-u', ada, '-r', db, '--ttl', '1h']);
    const byUser = await h.json(['access', 'list', '--user', ada]);
    expect(byUser.map((r) => [r.resourceName, r.groupName, r.expiresAt])).toEqual([
      ['prod-db', 'ops', null],
      ['prod-db', 'temp', '2026-11-23T00:00:00.000Z'],
    ]);
    const byResource = await h.json(['access', 'list', '-r', 'prod-db']);
    expect(byResource.map((r) => r.subjectName)).toEqual(['ada@example.com', 'ada@example.com']);
    expect((await h.run(['access', 'list'])).code).toBe(2);
  });
});

describe('sweep', () => {
  it('removes what expired, one audit event each; dry run, grace, idempotence', async () => {
    await h.ok(['group', 'create', '-g', 'temp', '-u', ada, '-r', db, '--ttl', '1h']);
    await h.ok(['group', 'create', '-g', 'ops', '-r', db]);
    await h.ok(['group', 'add-users', '-g', 'ops', '-u', bob, '--ttl', '2h']);
    h.advance(90 * MINUTE);
    const dry = await h.json(['sweep', '--dry-run']);
    expect(dry.map((r) => r.what)).toEqual(['group']);
    expect(await h.json(['group', 'list', '--expired'])).toHaveLength(1);
    expect(await h.json(['sweep', '--grace', '1h'])).toEqual([]);
    const removed = await h.json(['sweep']);
    const grp = expect.stringMatching(/^grp_/);
    expect(removed).toEqual([
      { what: 'group', id: grp, name: 'temp', groupId: grp, serviceId: null, keyId: null, memberType: null, memberId: null, expiredAt: '2026-11-23T00:00:00.000Z' },
    ]);
    expect(await h.json(['sweep'])).toEqual([]);
    h.advance(HOUR);
    expect((await h.json(['sweep'])).map((r) => [r.what, r.memberType, r.memberId])).toEqual([['membership', 'user', bob]]);
    expect((await h.json(['audit', 'list', '--action', 'sweep.*'])).map((e) => e.action)).toEqual(['sweep.group.delete', 'sweep.membership.delete']);
    expect((await h.json(['audit', 'verify']))[0]!.ok).toBe(true);
  });
});
