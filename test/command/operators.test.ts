import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['user', 'create', '-e', 'ada@example.com']);
  await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal']);
});
afterEach(() => h.cleanup());

describe('an empty reference list is a usage error everywhere', () => {
  it.each([
    [['group', 'create', '-g', 'X', '-u', '', '-r', ''], 'missing users'],
    [['group', 'create', '-g', 'X', '-r', ','], 'missing resources'],
    [['group', 'create', '-g', 'X', '--services', ' , '], 'missing services'],
    [['service', 'create', '-n', 'svc', '-r', ''], 'missing resources'],
    [['group', 'show', '-i', ''], 'missing reference'],
  ])('%j', async (argv, message) => {
    const r = await h.run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^accessctl: ${message} \\(`));
    expect(r.stdout).toBe('');
    expect((await h.json(['group', 'list'])).length).toBe(0);
    expect((await h.json(['service', 'list'])).length).toBe(0);
  });
});

describe('one message per option error', () => {
  it('a bad duration is said once, with its hint', async () => {
    const r = await h.run(['group', 'create', '-g', 'X', '--ttl', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('accessctl: --ttl: invalid duration "0" (use a number and a unit: 90s, 30m, 2h, 7d, 2w, or a compound such as 1h30m)\n');
    expect(r.stderr).not.toMatch(/is invalid\./);
  });
  it('an empty name says what to give', async () => {
    const r = await h.run(['group', 'create', '-g', '']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('accessctl: group name must not be empty (give the group a name of 1-255 characters)\n');
  });
  it('a bad --limit names the flag and the value', async () => {
    const r = await h.run(['user', 'list', '--limit', '0']);
    expect(r.stderr).toBe('accessctl: --limit "0": expected a whole number, 1 or more (see accessctl user list --help)\n');
  });
  it('under -f json the same error is one JSON object', async () => {
    const r = await h.run(['-f', 'json', 'group', 'create', '-g', 'X', '--ttl', '0']);
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'USAGE', exitCode: 2, message: '--ttl: invalid duration "0"', hint: expect.stringMatching(/^use a number/) } });
  });
});

describe('did you mean, for flags', () => {
  it('a mistyped global flag after the verb gets the nearest one', async () => {
    const r = await h.run(['group', 'list', '--wdie']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("accessctl: unknown option '--wdie' (did you mean '--wide'?)\n");
  });
  it("a verb's own flag, and a global flag before the noun", async () => {
    expect((await h.run(['group', 'list', '--expird'])).stderr).toMatch(/did you mean '--expired'\?/);
    expect((await h.run(['--qiuet', 'group', 'list'])).stderr).toMatch(/did you mean '--quiet'\?/);
  });
  it('nothing close: the help is pointed to', async () => {
    expect((await h.run(['group', 'list', '--zzzzzz'])).stderr).toMatch(/see accessctl group list --help/);
  });
});

describe('-q silences notes; warnings and errors stay', () => {
  it('create --if-not-exists of an existing object says nothing on stderr', async () => {
    const loud = await h.run(['user', 'create', '-e', 'ada@example.com', '--if-not-exists']);
    expect(loud.stderr).toMatch(/^note: user ada@example.com already exists/);
    const quiet = await h.run(['-q', 'user', 'create', '-e', 'ada@example.com', '--if-not-exists']);
    expect(quiet).toEqual({ code: 0, stdout: expect.stringMatching(/^usr_\w+\n$/), stderr: '' });
    expect((await h.run(['-q', 'resource', 'create', '-n', 'prod-db', '-a', 'x', '--if-not-exists'])).stderr).toBe('');
  });
  it('delete --ignore-not-found under -q is silent', async () => {
    const r = await h.run(['-q', 'user', 'delete', 'nobody@example.com', '--ignore-not-found']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });
  it('audit verify under -q prints nothing when the chain is whole', async () => {
    expect(await h.run(['-q', 'audit', 'verify'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });
  it('an error still prints under -q', async () => {
    const r = await h.run(['-q', 'user', 'show', 'nobody@example.com']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^accessctl: /);
  });
  it('a warning that needs action still prints under -q', async () => {
    await h.ok(['service', 'create', '-n', 'ci']);
    await h.ok(['service', 'disable', 'ci', '--yes']);
    const r = await h.run(['-q', 'key', 'create', '-i', 'ci', '-n', 'k1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/service ci is DISABLED/);
  });
});

describe('version', () => {
  it('names the build, the schema and the libraries', async () => {
    const [v] = await h.json(['version']);
    expect(v).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), schemaVersion: expect.any(Number), sqlite: expect.stringMatching(/^3\.\d+/), betterSqlite3: expect.stringMatching(/^\d+\./), pg: expect.stringMatching(/^\d+\./), node: process.versions.node });
  });
});

describe('answers you can see', () => {
  const tty = (argv: string[], columns = '80', env: Record<string, string> = {}) => h.run(argv, { tty: true, env: { COLUMNS: columns, NO_COLOR: '1', LANG: 'C.UTF-8', ...env } });

  it('access check at a terminal shows the decision, the path, and for a denial the reason', async () => {
    await h.ok(['group', 'create', '-g', 'eng', '-u', 'ada@example.com', '-r', 'prod-db']);
    const allowed = await tty(['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db']);
    expect(allowed.code).toBe(0);
    // The user and resource asked about would only repeat the question on every row.
    expect(allowed.stdout.split('\n')[1]).toMatch(/^│ decision │ via +│ groupName │ expiresAt +│$/);
    expect(allowed.stdout.split('\n')[2]).toMatch(/^│ allowed +│ group │ eng +│ +│$/);
    await h.ok(['resource', 'create', '-n', 'tty-db', '-a', 'tty.internal']);
    const denied = await tty(['access', 'check', '--user', 'ada@example.com', '-r', 'tty-db'], '120');
    expect(denied.code).toBe(5);
    expect(denied.stdout.split('\n')[1]).toMatch(/^│ decision │ reason +│$/);
    expect(denied.stdout.split('\n')[2]).toMatch(/^│ denied +│ no grant: user ada@example\.com has no path to resource tty-db │$/);
  });

  it('access check in every format carries the decision in a word', async () => {
    const r = await h.run(['-f', 'json', 'access', 'check', '--user', 'ada@example.com', '-r', 'prod-db']);
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ decision: 'denied', allowed: false, reason: expect.stringMatching(/^no grant/) });
    expect((await h.run(['-f', 'csv', 'access', 'check', '--user', 'ada@example.com', '-r', 'prod-db'])).stdout).toMatch(/^decision,subjectType,/);
  });

  it('group show and add-resources print each link with its own start and expiry, in JSON and in the table', async () => {
    await h.ok(['group', 'create', '-g', 'eng', '-u', 'ada@example.com']);
    const added = await h.json(['group', 'add-resources', '-g', 'eng', '-r', 'prod-db', '--ttl', '30m']);
    const link = { type: 'resource', id: expect.stringMatching(/^res_/), name: 'prod-db', startsAt: '2026-11-22T23:00:00.000Z', expiresAt: '2026-11-22T23:30:00.000Z' };
    expect(added[0]!.links).toEqual([{ type: 'user', id: expect.stringMatching(/^usr_/), name: 'ada@example.com', startsAt: '2026-11-22T23:00:00.000Z', expiresAt: null }, link]);
    const [shown] = await h.json(['group', 'show', 'eng']);
    expect(shown!.links).toEqual(added[0]!.links);
    const table = await tty(['group', 'show', 'eng']);
    expect(table.stdout).toContain('\nresources  prod-db  until 2026-11-22 23:30 UTC (in 30m), from 23:00\n');
    expect(table.stdout).toContain('\nusers      ada@example.com  since 2026-11-22 23:00 UTC\n');
    expect(table.stdout).not.toContain('links');
  });

  it('access list with no filter points to --all', async () => {
    const r = await h.run(['access', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--all/);
  });

  it('a check under a past ACCESSCTL_NOW points to --as-of', async () => {
    await h.ok(['group', 'create', '-g', 'eng', '-u', 'ada@example.com', '-r', 'prod-db']);
    h.setNow('2026-01-01T00:00:00.000Z');
    const r = await h.run(['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db'], { env: { ACCESSCTL_NOW: '2026-01-01T00:00:00Z' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^note: ACCESSCTL_NOW is before the store's last change .*--as-of 2026-01-01T00:00:00\.000Z\n$/);
    expect((await h.run(['-q', 'access', 'check', '--user', 'ada@example.com', '-r', 'prod-db'], { env: { ACCESSCTL_NOW: '2026-01-01T00:00:00Z' } })).stderr).toBe('');
  });

  it('audit list --last N: the newest N, in seq order', async () => {
    const all = (await h.json(['audit', 'list'])).map((e) => e.seq);
    expect((await h.json(['audit', 'list', '--last', '2'])).map((e) => e.seq)).toEqual(all.slice(-2));
    expect((await h.run(['audit', 'list', '--last', '2', '--limit', '1'])).code).toBe(2);
  });
});

describe('tables at a terminal are read by name', () => {
  const tty = (argv: string[], columns: string, env: Record<string, string> = {}) => h.run(argv, { tty: true, env: { COLUMNS: columns, NO_COLOR: '1', LANG: 'C.UTF-8', ...env } });
  beforeEach(async () => {
    await h.ok(['user', 'create', '-e', 'grace.hopper-with-a-long-address@example.com', '--last', 'Hopper']);
    await h.ok(['group', 'create', '-g', 'eng', '-u', 'ada@example.com,grace.hopper-with-a-long-address@example.com', '-r', 'prod-db', '--ttl', '2h']);
  });

  it('the naming column is never cut, ids are not shown, and what does not fit is named', async () => {
    const r = await tty(['user', 'list'], '50');
    expect(r.stdout).toContain('│ grace.hopper-with-a-long-address@example.com │');
    expect(r.stdout).not.toMatch(/usr_\w{16}/);
    expect(r.stdout).not.toContain('…');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\(not shown: [A-Za-z, ]+; --wide shows every column\)$/);
  });

  it('access list -r leaves out the resource it was asked about; times say UTC', async () => {
    const r = await tty(['access', 'list', '-r', 'prod-db'], '120');
    expect(r.stdout.split('\n')[1]).toMatch(/^│ subjectName +│ via +│ groupName │ expiresAt +│$/);
    expect(r.stdout).toContain('│ grace.hopper-with-a-long-address@example.com │');
    expect(r.stdout).toMatch(/in 2h \(2026-11-23 01:00 UTC\)/);
  });

  it('--wide: every column and every cell whole, past the edge', async () => {
    const r = await tty(['access', 'list', '-r', 'prod-db', '--wide'], '80');
    expect(r.stdout).not.toContain('…');
    expect(r.stdout).toMatch(/usr_\w{16}/);
    expect(Math.max(...r.stdout.split('\n').map((l) => l.length))).toBeGreaterThan(80);
  });

  it('ASCII borders under TERM=dumb or a locale that is not UTF-8', async () => {
    const plain: Array<Record<string, string>> = [{ TERM: 'dumb' }, { LANG: 'C' }, { LC_ALL: 'C', LANG: 'en_US.UTF-8' }];
    for (const env of plain) {
      const r = await tty(['user', 'list'], '80', env);
      expect(r.stdout, JSON.stringify(env)).toMatch(/^\+-+\+/);
      expect(r.stdout).not.toMatch(/[┌│└]/);
    }
  });

  it('colour per no-color.org: NO_COLOR non-empty, FORCE_COLOR=0', async () => {
    const coloured = (env: Record<string, string>) => h.run(['user', 'list'], { tty: true, env: { COLUMNS: '80', LANG: 'C.UTF-8', ...env } }).then((r) => r.stdout.includes('\u001b['));
    expect(await coloured({})).toBe(true);
    expect(await coloured({ NO_COLOR: '' })).toBe(true);
    expect(await coloured({ NO_COLOR: '1' })).toBe(false);
    expect(await coloured({ FORCE_COLOR: '0' })).toBe(false);
    expect(await h.run(['user', 'list'], { env: { FORCE_COLOR: '1' } }).then((r) => r.stdout.includes('\u001b['))).toBe(true);
  });
});

describe('access expiring --within D', () => {
  it('every grant ending within D, soonest first: memberships, assignments, groups and keys', async () => {
    await h.ok(['user', 'create', '-e', 'bob@example.com']);
    await h.ok(['service', 'create', '-n', 'ci']);
    await h.ok(['group', 'create', '-g', 'eng', '-u', 'ada@example.com']);
    await h.ok(['group', 'add-users', '-g', 'eng', '-u', 'bob@example.com', '--ttl', '2h']);
    await h.ok(['group', 'add-resources', '-g', 'eng', '-r', 'prod-db', '--ttl', '3d']);
    await h.ok(['group', 'create', '-g', 'incident', '-u', 'ada@example.com', '--ttl', '1d']);
    await h.ok(['service', 'add-resources', '-i', 'ci', '-r', 'prod-db', '--ttl', '6h']);
    await h.ok(['key', 'create', '-i', 'ci', '-n', 'deploy', '-e', '5']);
    await h.ok(['key', 'create', '-i', 'ci', '-n', 'far', '-e', '90']);
    const rows = await h.json(['access', 'expiring', '--within', '7d']);
    expect(rows.map((r) => [r.subjectType, r.subjectName, r.givesType, r.gives, r.source, r.endsAt])).toEqual([
      ['user', 'bob@example.com', 'group', 'eng', 'membership', '2026-11-23T01:00:00.000Z'],
      ['service', 'ci', 'resource', 'prod-db', 'assignment', '2026-11-23T05:00:00.000Z'],
      ['user', 'ada@example.com', 'group', 'incident', 'group', '2026-11-23T23:00:00.000Z'],
      ['group', 'eng', 'resource', 'prod-db', 'assignment', '2026-11-25T23:00:00.000Z'],
      ['service', 'ci', 'key', 'deploy', 'key', '2026-11-27T23:00:00.000Z'],
    ]);
    expect((await h.json(['access', 'expiring', '--within', '3h'])).map((r) => r.subjectName)).toEqual(['bob@example.com']);
    expect(await h.json(['access', 'expiring', '--within', '1'])).toHaveLength(3);
    expect((await h.run(['access', 'expiring'])).code).toBe(2);
  });
});

describe('time input: RFC 3339 in full', () => {
  it.each(['2026-12-01t08:00:00z', '2026-12-01T08:00:00.123456789Z', '2026-12-01T09:00:00.5+01:00'])('%s', async (at) => {
    const [g] = await h.json(['group', 'create', '-g', 'on-call', '--expires-at', at]);
    expect(g!.expiresAt).toMatch(/^2026-12-01T08:00:00\.(000|123|500)Z$/);
  });
});

describe('order is by code point, never the locale', () => {
  it('access list orders resources by their name key in code-point order, --all too', async () => {
    const names = ['zeta', 'åsa', 'ärla', 'öd', 'ch', 'Ångström'];
    for (const n of names) await h.ok(['resource', 'create', '-n', n, '-a', `${n.length}.example.com`]);
    await h.ok(['group', 'create', '-g', 'g', '-u', 'ada@example.com', '-r', ['prod-db', ...names].join(',')]);
    const expected = ['ch', 'prod-db', 'zeta', 'ärla', 'Ångström', 'åsa', 'öd'];
    expect((await h.json(['access', 'list', '--user', 'ada@example.com'])).map((r) => r.resourceName)).toEqual(expected);
    expect((await h.json(['access', 'list', '--all'])).map((r) => r.resourceName)).toEqual(expected);
  });
});

describe('search folds case as names do', () => {
  it('finds Öztürk, ÄRZTE and İzmir whatever the case typed', async () => {
    await h.ok(['user', 'create', '-e', 'oz@example.com', '--first', 'Ayşe', '--last', 'Öztürk']);
    await h.ok(['resource', 'create', '-n', 'ÄRZTE-db', '-a', 'aerzte.internal']);
    await h.ok(['group', 'create', '-g', 'İzmir ofisi']);
    const emails = async (term: string) => (await h.json(['user', 'list', '--search', term])).map((u) => u.email);
    expect(await emails('öztürk')).toEqual(['oz@example.com']);
    expect(await emails('ÖZTÜRK')).toEqual(['oz@example.com']);
    expect(await emails('AYŞE')).toEqual(['oz@example.com']);
    expect((await h.json(['resource', 'list', '--search', 'ärzte'])).map((r) => r.name)).toEqual(['ÄRZTE-db']);
    expect((await h.json(['group', 'list', '--search', 'İzmir'])).map((g) => g.name)).toEqual(['İzmir ofisi']);
    expect(await emails('50%')).toEqual([]);
  });
});

describe('a table of wide characters at a terminal', () => {
  it('measures CJK and emoji names as two cells each: every line fits the terminal, the naming column whole', async () => {
    const { default: width } = await import('string-width');
    await h.ok(['group', 'create', '-g', '日本語のグループ', '-u', 'ada@example.com', '-r', 'prod-db']);
    await h.ok(['group', 'create', '-g', '🚀 on-call', '-u', 'ada@example.com', '-r', 'prod-db']);
    const r = await h.run(['group', 'list'], { tty: true, env: { COLUMNS: '50', NO_COLOR: '1', LANG: 'C.UTF-8' } });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    for (const line of lines) expect(width(line), line).toBeLessThanOrEqual(50);
    expect(r.stdout).toContain('日本語のグループ');
    expect(r.stdout).toContain('🚀 on-call');
    // The table's frame lines up: every row as wide as its top border.
    const framed = lines.filter((l) => /^[┌│└├]/.test(l));
    expect(new Set(framed.map((l) => width(l))).size).toBe(1);
  });
});
