import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, harness, HOUR, MINUTE, T0, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['user', 'create', '-e', 'ada@example.com']);
  await h.ok(['user', 'create', '-e', 'bob@example.com']);
  await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal']);
  await h.ok(['resource', 'create', '-n', 'wiki', '-a', 'wiki.example.com']);
  await h.ok(['service', 'create', '-n', 'ci-pipeline']);
});
afterEach(() => h.cleanup());

const names = (rows: Array<Record<string, unknown>>) => rows.map((r) => r.name);
const auditCount = async () => (await h.json(['audit', 'list'])).length;
const at = (ms: number) => new Date(ms).toISOString();

describe('lists: sorted by name, --limit', () => {
  it('groups by name, not by their random id', async () => {
    for (const g of ['zeta', 'alpha', 'Mid']) await h.ok(['group', 'create', '-g', g]);
    expect(names(await h.json(['group', 'list']))).toEqual(['alpha', 'Mid', 'zeta']);
    expect(names(await h.json(['group', 'list', '--limit', '2']))).toEqual(['alpha', 'Mid']);
    expect((await h.run(['group', 'list', '--limit', '0'])).code).toBe(2);
  });

  it('keys by service, then name; users by email; audit by seq', async () => {
    await h.ok(['service', 'create', '-n', 'a-service']);
    await h.ok(['key', 'create', '-i', 'ci-pipeline', '-n', 'zz']);
    await h.ok(['key', 'create', '-i', 'ci-pipeline', '-n', 'aa']);
    await h.ok(['key', 'create', '-i', 'a-service', '-n', 'mm']);
    expect((await h.json(['key', 'list'])).map((k) => `${k.serviceName}/${k.name}`)).toEqual(['a-service/mm', 'ci-pipeline/aa', 'ci-pipeline/zz']);
    expect((await h.json(['key', 'list', '--limit', '1'])).map((k) => k.name)).toEqual(['mm']);
    expect((await h.json(['user', 'list', '--limit', '1'])).map((u) => u.email)).toEqual(['ada@example.com']);
    const seqs = (await h.json(['audit', 'list', '--limit', '3'])).map((e) => e.seq);
    expect(seqs).toEqual([1, 2, 3]);
  });
});

describe('references as positional arguments', () => {
  it('show, update, enable/disable, rename, revoke and delete take them', async () => {
    expect((await h.json(['user', 'show', 'ada@example.com']))[0]!.email).toBe('ada@example.com');
    expect((await h.json(['user', 'show', 'ada@example.com', 'bob@example.com'])).length).toBe(2);
    expect((await h.json(['user', 'update', 'ada@example.com', '--role', 'ADMIN']))[0]!.role).toBe('ADMIN');
    expect((await h.json(['user', 'disable', 'bob@example.com']))[0]!.state).toBe('DISABLED');
    await h.ok(['key', 'create', '-i', 'ci-pipeline', '-n', 'deploy']);
    expect((await h.json(['key', 'rename', 'deploy', '-n', 'deploy-bot']))[0]!.name).toBe('deploy-bot');
    expect((await h.json(['key', 'revoke', 'deploy-bot']))[0]!.status).toBe('REVOKED');
    await h.ok(['resource', 'delete', 'wiki']);
    expect(names(await h.json(['resource', 'list']))).toEqual(['prod-db']);
    // -i and positional references add up
    expect((await h.json(['user', 'show', '-i', 'ada@example.com', 'bob@example.com'])).length).toBe(2);
  });
});

describe('-q prints nothing when the command fails or the answer is "denied"', () => {
  it('access check denied: empty stdout, exit 5; allowed by two paths: the resource once', async () => {
    const denied = await h.run(['-q', 'access', 'check', '--user', 'ada@example.com', '-r', 'prod-db']);
    expect(denied).toMatchObject({ code: 5, stdout: '' });
    await h.ok(['group', 'create', '-g', 'one', '-u', 'ada@example.com', '-r', 'prod-db']);
    await h.ok(['group', 'create', '-g', 'two', '-u', 'ada@example.com', '-r', 'prod-db']);
    const allowed = await h.run(['-q', 'access', 'check', '--user', 'ada@example.com', '-r', 'prod-db']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('show with a missing reference: nothing on stdout, exit 3', async () => {
    const r = await h.run(['-q', 'user', 'show', 'ada@example.com', 'nobody@example.com']);
    expect(r).toMatchObject({ code: 3, stdout: '' });
  });
});

describe('idempotent scripts', () => {
  it('create --if-not-exists prints the existing object, exit 0, no audit event', async () => {
    const cases: Array<[string[], string]> = [
      [['user', 'create', '-e', 'ADA@example.com'], 'user'],
      [['resource', 'create', '-n', 'prod-db', '-a', 'elsewhere.internal'], 'resource'],
      [['service', 'create', '-n', 'ci-pipeline'], 'service'],
      [['group', 'create', '-g', 'on-call', '-u', 'ada@example.com'], 'group'],
    ];
    await h.ok(['group', 'create', '-g', 'on-call']);
    for (const [argv, noun] of cases) {
      expect((await h.run(argv)).code, argv.join(' ')).toBe(4);
      const before = await auditCount();
      const first = await h.json([...argv, '--if-not-exists']);
      const again = await h.run(['-q', ...argv, '--if-not-exists']);
      expect(again.code).toBe(0);
      expect(again.stdout.trim()).toBe(first[0]!.id);
      // -q silences notes (SPEC section 7); without it the note says why nothing changed.
      expect(again.stderr).toBe('');
      expect((await h.run([...argv, '--if-not-exists'])).stderr).toContain(`note: ${noun} `);
      expect(await auditCount()).toBe(before);
    }
    // nothing was changed by the ignored values
    expect((await h.json(['resource', 'show', 'prod-db']))[0]!.address).toBe('db.prod.internal');
    expect((await h.json(['group', 'show', 'on-call']))[0]!.users).toEqual([]);
  });

  it('delete --ignore-not-found exits 0 for what does not exist, and still deletes what does', async () => {
    for (const noun of ['user', 'resource', 'group', 'service', 'key']) {
      expect((await h.run(['-y', noun, 'delete', 'nothing-here'])).code).toBe(3);
      const r = await h.run(['-y', '-f', 'json', noun, 'delete', 'nothing-here', '--ignore-not-found']);
      expect(r.code, noun).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([]);
    }
    const r = await h.json(['-y', 'user', 'delete', 'ada@example.com,ghost@example.com', '--ignore-not-found']);
    expect(r.map((u) => u.email)).toEqual(['ada@example.com']);
    // a malformed id is still a usage error, not "not found"
    expect((await h.run(['-y', 'user', 'delete', 'usr_bad', '--ignore-not-found'])).code).toBe(2);
  });

  it('an expired group frees its name: re-created in one transaction, removed exactly as sweep would', async () => {
    const old = await h.id(['group', 'create', '-g', 'jit-daily', '-u', 'ada@example.com', '-r', 'prod-db', '--ttl', '8h']);
    h.advance(24 * HOUR);
    const fresh = await h.id(['group', 'create', '-g', 'jit-daily', '-u', 'ada@example.com', '-r', 'prod-db', '--ttl', '8h']);
    expect(fresh).not.toBe(old);
    const events = await h.json(['audit', 'list', '--since', '1m']);
    expect(events.map((e) => [e.action, e.targetId])).toEqual([
      ['sweep.group.delete', old],
      ['group.create', fresh],
    ]);
    // Exactly the sweep's event: the group and its links removed, cause sweep.
    expect(events[0]!.details).toMatchObject({ cause: 'sweep', changes: expect.arrayContaining([expect.objectContaining({ op: 'delete', table: 'groups', row: expect.objectContaining({ id: old, name: 'jit-daily', expires_at: Date.parse(T0) + 8 * HOUR }) })]) });
    expect(events[0]!.at).toBe(events[1]!.at);
    expect(await h.json(['sweep', '--dry-run'])).toEqual([]);
    // an unexpired one still conflicts
    expect((await h.run(['group', 'create', '-g', 'jit-daily'])).code).toBe(4);
  });
});

describe('one duration grammar', () => {
  it('compounds such as 1h30m, and days flags where a bare number means days', async () => {
    const [g] = await h.json(['group', 'create', '-g', 'g', '--ttl', '1h30m']);
    expect(g!.expiresAt).toBe(at(h.now + 90 * MINUTE));
    const [a] = await h.json(['key', 'create', '-i', 'ci-pipeline', '-e', '30d']);
    const [b] = await h.json(['key', 'create', '-i', 'ci-pipeline', '-e', '30']);
    expect(a!.expiresAt).toBe(at(h.now + 30 * DAY));
    expect(b!.expiresAt).toBe(a!.expiresAt);
    const [c] = await h.json(['key', 'create', '-i', 'ci-pipeline', '-e', '1d12h']);
    expect(c!.expiresAt).toBe(at(h.now + 36 * HOUR));
    expect((await h.json(['key', 'list', '--expiring-within', '2'])).map((k) => k.id)).toEqual([c!.id]);
    expect((await h.json(['key', 'list', '--expiring-within', '30d'])).length).toBe(3);
    for (const bad of ['1h1h', '30m1h', '2 days', '1.5d']) {
      const r = await h.run(['group', 'create', '-g', 'x', '--ttl', bad]);
      expect(r.code, bad).toBe(2);
    }
    expect((await h.run(['key', 'create', '-i', 'ci-pipeline', '-e', '3651'])).code).toBe(2);
  });
});

describe('rotation keeps the key identity', () => {
  it('the new key takes the name and the original lifetime; the old one steps aside', async () => {
    const [old] = await h.json(['key', 'create', '-i', 'ci-pipeline', '-n', 'deploy', '-e', '90']);
    h.advance(10 * DAY);
    const [next] = await h.json(['-y', 'key', 'rotate', 'deploy']);
    expect(next).toMatchObject({ name: 'deploy', expiresAt: at(h.now + 90 * DAY) });
    const keys = await h.json(['key', 'list']);
    expect(keys.map((k) => [k.name, k.status])).toEqual([
      ['deploy', 'ACTIVE'],
      ['deploy-rotated-1', 'REVOKED'],
    ]);
    expect(keys[1]!.id).toBe(old!.id);
    const [renamed] = await h.json(['audit', 'list', '--action', 'key.rotate']);
    expect(renamed).toMatchObject({ targetId: old!.id, details: { cause: 'rotate', changes: [{ op: 'update', table: 'service_keys', from: { name: 'deploy' }, to: { name: 'deploy-rotated-1' } }] } });
    // -e still wins, and a key that never expires stays so
    expect((await h.json(['-y', 'key', 'rotate', 'deploy', '-e', '7']))[0]!.expiresAt).toBe(at(h.now + 7 * DAY));
    await h.ok(['key', 'create', '-i', 'ci-pipeline', '-n', 'forever', '-e', '0']);
    expect((await h.json(['-y', 'key', 'rotate', 'forever']))[0]!.expiresAt).toBeNull();
  });

  it('a key winding down after --overlap cannot be rotated again: exit 4, rotate its successor', async () => {
    await h.ok(['key', 'create', '-i', 'ci-pipeline', '-n', 'deploy']);
    const [next] = await h.json(['-y', 'key', 'rotate', 'deploy', '--overlap', '1h']);
    const r = await h.run(['-y', 'key', 'rotate', 'deploy-rotated-1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('already winding down');
    expect(r.stderr).toContain(`rotate its successor: accessctl key rotate -i ${next!.id}`);
    expect((await h.json(['-y', 'key', 'rotate', 'deploy', '--overlap', '1h']))[0]!.name).toBe('deploy');
    expect((await h.json(['key', 'list'])).map((k) => k.name)).toEqual(['deploy', 'deploy-rotated-1', 'deploy-rotated-2']);
    // people cannot pick the reserved suffix
    expect((await h.run(['key', 'create', '-i', 'ci-pipeline', '-n', 'x-rotated-1'])).code).toBe(2);
  });
});

describe('sweep output', () => {
  it('typed records, and one -q line per thing removed', async () => {
    await h.ok(['group', 'create', '-g', 'ops', '-r', 'prod-db']);
    await h.ok(['group', 'add-users', '-g', 'ops', '-u', 'ada@example.com,bob@example.com', '--ttl', '1h']);
    await h.ok(['service', 'add-resources', '-i', 'ci-pipeline', '-r', 'wiki', '--ttl', '1h']);
    h.advance(2 * HOUR);
    const dry = await h.json(['sweep', '--dry-run']);
    expect(dry.map((r) => [r.what, r.memberType])).toEqual([
      ['membership', 'user'],
      ['membership', 'user'],
      ['assignment', 'resource'],
    ]);
    expect(dry[0]).toMatchObject({ id: null, groupId: expect.stringMatching(/^grp_/), memberId: expect.stringMatching(/^usr_/) });
    expect(dry[2]).toMatchObject({ serviceId: expect.stringMatching(/^svc_/), groupId: null });
    const quiet = (await h.ok(['-q', 'sweep'])).trim().split('\n');
    expect(quiet).toHaveLength(3);
    expect(new Set(quiet).size).toBe(3);
    expect(quiet[0]).toMatch(/^grp_\w+:usr_\w+$/);
  });
});

describe('filters', () => {
  it('group list --user/--service/--resource/--search/--expiring-within', async () => {
    await h.ok(['group', 'create', '-g', 'incident-42', '-u', 'ada@example.com', '-r', 'prod-db', '--ttl', '2h']);
    await h.ok(['group', 'create', '-g', 'readers', '-u', 'bob@example.com', '-r', 'wiki', '--services', 'ci-pipeline']);
    await h.ok(['group', 'create', '-g', 'weekly', '--ttl', '5d']);
    expect(names(await h.json(['group', 'list', '--user', 'ada@example.com']))).toEqual(['incident-42']);
    expect(names(await h.json(['group', 'list', '--service', 'ci-pipeline']))).toEqual(['readers']);
    expect(names(await h.json(['group', 'list', '--resource', 'wiki']))).toEqual(['readers']);
    expect(names(await h.json(['group', 'list', '--search', 'INCIDENT']))).toEqual(['incident-42']);
    expect(names(await h.json(['group', 'list', '--expiring-within', '1']))).toEqual(['incident-42']);
    expect(names(await h.json(['group', 'list', '--expiring-within', '7d']))).toEqual(['incident-42', 'weekly']);
    expect((await h.run(['group', 'list', '--user', 'nobody@example.com'])).code).toBe(3);
  });

  it('resource list --search matches name, address or alias', async () => {
    expect(names(await h.json(['resource', 'list', '--search', 'prod']))).toEqual(['prod-db']);
    expect(names(await h.json(['resource', 'list', '--search', 'example.com']))).toEqual(['wiki']);
  });

  it('key list --unused-for, --never-used; key report with findings and --fail-on (exit 7)', async () => {
    const [used] = await h.json(['key', 'create', '-i', 'ci-pipeline', '-n', 'used', '-e', '5']);
    await h.ok(['key', 'create', '-i', 'ci-pipeline', '-n', 'idle', '-e', '0']);
    // A what-if records nothing (SPEC section 2): the check that counts as a use runs on the real clock.
    expect((await h.run(['key', 'verify'], { stdin: used!.token as string, wallClock: true })).code).toBe(0);
    expect((await h.json(['key', 'list', '--never-used'])).map((k) => k.name)).toEqual(['idle']);
    expect(await h.json(['key', 'list', '--unused-for', '90'])).toEqual([]);
    h.advance(100 * DAY);
    expect((await h.json(['key', 'list', '--unused-for', '90'])).map((k) => k.name)).toEqual(['idle', 'used']);
    expect((await h.json(['key', 'list', '--unused-for', '90', '--status', 'ACTIVE'])).map((k) => k.name)).toEqual(['idle']);
    h.setNow(T0);
    h.advance(DAY);
    await h.ok(['-y', 'service', 'disable', 'ci-pipeline']);
    const report = await h.json(['key', 'report']);
    expect(report.map((r) => [r.name, r.status, r.daysLeft, r.findings])).toEqual([
      ['idle', 'ACTIVE', null, ['NO_EXPIRY', 'NEVER_USED', 'SERVICE_DISABLED']],
      ['used', 'ACTIVE', 4, ['EXPIRING_7D', 'SERVICE_DISABLED']],
    ]);
    expect((await h.run(['key', 'report', '--fail-on', 'UNUSED_90D'])).code).toBe(0);
    const hit = await h.run(['-f', 'csv', 'key', 'report', '--fail-on', 'no_expiry,OVERLAP_OPEN']);
    expect(hit.code).toBe(7);
    expect(hit.stdout.split('\n')[0]).toBe('id,serviceId,serviceName,name,status,createdAt,expiresAt,daysLeft,lastUsedAt,findings');
    expect(hit.stderr).toBe('accessctl: key report found 1 key(s) NO_EXPIRY (see the findings column)\n');
    expect((await h.run(['key', 'report', '--fail-on', 'STALE'])).code).toBe(2);
  });
});

describe('tables for people', () => {
  const tty = (argv: string[], columns: string) => h.run(argv, { tty: true, env: { COLUMNS: columns, NO_COLOR: '1', LANG: 'C.UTF-8' } });

  it('on a terminal: a short column set fitted to COLUMNS; --wide and --columns; piped: every column, uncut', async () => {
    await h.ok(['group', 'create', '-g', 'a-rather-long-group-name-for-an-incident-review', '-u', 'ada@example.com,bob@example.com', '-r', 'prod-db,wiki']);
    const narrow = await tty(['group', 'list'], '80');
    const lines = narrow.stdout.trimEnd().split('\n');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines[1]).toMatch(/^│ name +│ expiresAt +│ users +│$/);
    expect(lines[2]).toMatch(/^│ a-rather-long-group-name-for-an-incident-review │ +│ 2 +│$/);
    expect(lines.at(-1)).toBe('(not shown: resources; --wide shows every column)');
    expect(narrow.stdout).not.toMatch(/grp_\w{16}/);
    const wide = await tty(['group', 'list', '--wide'], '400');
    expect(wide.stdout).toContain('createdAt');
    expect(wide.stdout).toContain('a-rather-long-group-name-for-an-incident-review');
    expect((await tty(['group', 'list', '--columns', 'name'], '80')).stdout).not.toContain('expiresAt');
    const piped = await h.ok(['group', 'list']);
    expect(piped).toContain('a-rather-long-group-name-for-an-incident-review');
    expect(piped).toContain('updatedAt');
    expect(piped).not.toContain('…');
  });

  it('show prints field  value lines; a list row is one line', async () => {
    const show = await tty(['user', 'show', 'ada@example.com'], '80');
    expect(show.stdout).toMatch(/^id +usr_\w+\nemail +ada@example.com\n/);
    expect(show.stdout).toMatch(/\nstate +ACTIVE\n/);
    expect(show.stdout).not.toContain('┌');
    const audit = await tty(['audit', 'list'], '80');
    const rows = audit.stdout.split('\n').filter((l) => /^│ \d+ /.test(l));
    expect(rows).toHaveLength(await auditCount());
  });

  it('a new token stands alone on its line, and stderr says once it will not be shown again', async () => {
    const r = await tty(['key', 'create', '-i', 'ci-pipeline', '-n', 'deploy', '-e', '90'], '80');
    const token = r.stdout.trimEnd().split('\n').pop()!;
    expect(token).toMatch(/^ack_[0-9A-Za-z]{38}$/);
    expect(r.stdout).toMatch(/\nexpiresAt +\S+ \(in 90d\)\n/);
    expect(r.stderr.match(/will not be shown again/g)).toHaveLength(1);
    expect((await h.run(['-q', 'key', 'create', '-i', 'ci-pipeline'])).stderr).toBe('');
  });
});
