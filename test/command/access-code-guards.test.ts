import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

// SPEC section 12, "Guards": what an access file may not do, on either dialect.
let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['user', 'create', '-e', 'ada@example.com']);
  await h.ok(['resource', 'create', '-n', 'wiki', '-a', 'wiki.internal']);
  await h.ok(['service', 'create', '-n', 'ci-deploy']);
  await h.ok(['group', 'create', '-g', 'oncall', '-u', 'ada@example.com', '-r', 'wiki']);
});
afterEach(() => h.cleanup());

const file = (name: string, text: string | Buffer) => {
  const path = join(h.dir, name);
  writeFileSync(path, text);
  return path;
};
const auditCount = async () => (await h.json(['audit', 'list'])).length;

/** Runs, expects `code` with one line on stderr matching `message`, nothing on stdout, nothing changed. */
async function refused(argv: string[], code: number, message: RegExp, opts: { stdin?: string } = {}) {
  const before = await h.ok(['export']);
  const events = await auditCount();
  const r = await h.run(argv, opts);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stdout).toBe('');
  expect(await h.ok(['export'])).toBe(before);
  expect(await auditCount()).toBe(events);
  return r;
}

const DECLARED = 'users:\n  - email: ada@example.com\nresources:\n  - name: wiki\n    address: wiki.internal\nservices:\n  - name: ci-deploy\ngroups:\n  - name: oncall\n    members: [ada@example.com]\n    resources: [wiki]\n';

describe('a file that declares nothing is refused', () => {
  const empties: Array<[string, string]> = [
    ['0 bytes', ''],
    ['whitespace only', '  \n\n\t\n'],
    ['comments only', '# access for prod\n# (to be filled in)\n'],
    ['a bare document marker', '---\n'],
    ['a YAML null', 'null\n'],
    ['an empty mapping', '{}'],
    ['a version and nothing else', 'version: 1\n'],
    ['empty lists', 'users: []\ngroups: []\n'],
  ];
  it.each(empties)('%s: apply --prune from stdin deletes nothing (exit 2)', async (_what, text) => {
    await refused(['apply', '--prune', '-f', '-'], 2, /^accessctl: <stdin>: the file declares nothing \(empty, only comments, or \{\}\)/, { stdin: text });
    await refused(['plan', '--prune', '-f', file('empty.yaml', text)], 2, /^accessctl: empty\.yaml: the file declares nothing/);
  });
});

describe('--prune deletes at most 10 objects, and never every object of a kind, without --max-delete', () => {
  it('more than 10: plan says it is held, apply refuses (exit 4) until --max-delete allows that many', async () => {
    for (let i = 0; i < 11; i++) await h.ok(['user', 'create', '-e', `temp${i}@example.com`]);
    const path = file('a.yaml', DECLARED);
    const plan = await h.run(['plan', '-f', path, '--prune']);
    expect(plan.code).toBe(7);
    expect(plan.stdout).toContain('Held: --prune would delete 11 objects, more than 10; apply refuses it unless --max-delete 11 allows it.');
    expect(plan.stderr).toMatch(/--prune would delete 11 objects, more than 10 \(if that is meant, apply them with: accessctl apply -f \S+ --prune --max-delete 11 --plan [0-9a-f]{16}\)/);
    expect(JSON.parse((await h.run(['-f', 'json', 'plan', '-f', path, '--prune'])).stdout).pruneGuard).toEqual({ deletes: 11, reason: '11 objects, more than 10', needs: 11 });
    expect((await h.run(['-f', 'ndjson', 'plan', '-f', path, '--prune'])).stdout).toContain('"section":"guard"');
    await refused(['apply', '-f', path, '--prune'], 4, /^accessctl: --prune would delete 11 objects, more than 10; nothing was applied \(.*add --max-delete 11\)/);
    await refused(['apply', '-f', path, '--prune', '--max-delete', '10'], 4, /11 objects, more than --max-delete 10/);
    await h.ok(['apply', '-f', path, '--prune', '--max-delete', '11']);
    expect(await h.json(['user', 'list'])).toHaveLength(1);
  });

  it('every object of a kind: a file without resources would delete the one there is', async () => {
    const path = file('a.yaml', 'users:\n  - email: ada@example.com\nservices:\n  - name: ci-deploy\ngroups:\n  - name: oncall\n    members: [ada@example.com]\n');
    expect((await h.run(['plan', '-f', path, '--prune'])).stdout).toContain('Held: --prune would delete every resource (1)');
    await refused(['apply', '-f', path, '--prune'], 4, /^accessctl: --prune would delete every resource \(1\); nothing was applied/);
    await h.ok(['apply', '-f', path, '--prune', '--max-delete', '1']);
    expect(await h.json(['resource', 'list'])).toEqual([]);
  });

  it('a few deletions go through as before; --max-delete without --prune is a usage error', async () => {
    await h.ok(['user', 'create', '-e', 'temp@example.com']);
    const path = file('a.yaml', DECLARED);
    expect((await h.run(['plan', '-f', path, '--prune'])).stdout).not.toContain('Held');
    await h.ok(['apply', '-f', path, '--prune']);
    await refused(['apply', '-f', path, '--max-delete', '3'], 2, /^accessctl: --max-delete is only for --prune/);
    await refused(['plan', '-f', path, '--max-delete', 'x'], 2, /max-delete/);
  });
});

describe('--plan', () => {
  it("'' and a malformed id are usage errors (exit 2)", async () => {
    const path = file('a.yaml', DECLARED.replace('ada@example.com\nresources', 'ada@example.com\n  - email: bob@example.com\nresources'));
    await refused(['apply', '-f', path, '--plan', ''], 2, /^accessctl: invalid --plan "" \(the 16 hex digits plan prints last/);
    await refused(['apply', '-f', path, '--plan', 'latest'], 2, /^accessctl: invalid --plan "latest"/);
  });

  it('the stale-plan refusal does not print the new, unreviewed plan id', async () => {
    const path = file('a.yaml', DECLARED.replace('ada@example.com\nresources', 'ada@example.com\n  - email: bob@example.com\nresources'));
    const old = (await h.run(['-q', 'plan', '-f', path])).stdout.trim();
    await h.ok(['user', 'create', '-e', 'eve@example.com']);
    const fresh = (await h.run(['-q', 'plan', '-f', path])).stdout.trim();
    expect(fresh).toMatch(/^[0-9a-f]{16}$/);
    const r = await refused(['apply', '-f', path, '--plan', old], 4, /^accessctl: plan [0-9a-f]{16} is stale: the store or the file changed since it was made \(run accessctl plan/);
    expect(r.stderr).not.toContain(fresh);
  });
});

describe('settings in a file pass the validator config set uses', () => {
  it('token.defaultTtl over token.maxTtl is refused in a file as by config set', async () => {
    await refused(['config', 'set', 'token.defaultTtl', '13h'], 2, /token\.defaultTtl \(13h\) would exceed token\.maxTtl \(12h\)/);
    const path = file('s.yaml', `${DECLARED}settings:\n  token.defaultTtl: 13h\n`);
    for (const verb of ['plan', 'apply']) await refused([verb, '-f', path], 2, /^accessctl: s\.yaml:13: settings\.token\.defaultTtl: token\.defaultTtl \(13h\) would exceed token\.maxTtl \(12h\)/);
    // Together with a larger maxTtl, the file is consistent and applies.
    await h.ok(['apply', '-f', file('ok.yaml', `${DECLARED}settings:\n  token.maxTtl: 1d\n  token.defaultTtl: 13h\n`)]);
    expect((await h.json(['config', 'get', 'token.defaultTtl']))[0]).toMatchObject({ value: '13h' });
  });

  it('names are exact: Clock.AllowOverride is unknown, in a file and to config set', async () => {
    await refused(['config', 'set', 'Clock.AllowOverride', 'true'], 2, /^accessctl: unknown setting "Clock\.AllowOverride" \(setting names are exact: did you mean clock\.allowOverride\?\)/);
    await refused(['config', 'get', 'TOKEN.MAXTTL'], 2, /unknown setting/);
    const path = file('s.yaml', `${DECLARED}settings:\n  clock.allowOverride: true\n  Clock.AllowOverride: false\n`);
    await refused(['apply', '-f', path], 2, /^accessctl: s\.yaml:14: settings\.Clock\.AllowOverride: unknown setting "Clock\.AllowOverride"/);
  });

  it('a key given twice is refused, in YAML and in JSON (which JSON.parse would keep silently)', async () => {
    await refused(['apply', '-f', file('d.yaml', 'settings:\n  token.defaultTtl: 2h\n  token.defaultTtl: 3h\n')], 2, /^accessctl: d\.yaml:3: not valid YAML: Map keys must be unique/);
    await refused(['apply', '-f', file('d.json', '{"settings": {\n "token.defaultTtl": "2h",\n "token.defaultTtl": "3h"}}')], 2, /^accessctl: d\.json:3: duplicate key "token\.defaultTtl"/);
    await refused(['apply', '-f', file('u.json', '{"users": [{"email": "x@example.com"}],\n"users": []}')], 2, /^accessctl: u\.json:2: duplicate key "users"/);
  });
});

describe('names and emails are text, ports decimal', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['name: 007', 'groups:\n  - name: 007\n', /^accessctl: f\.yaml:2: groups\[0\]\.name: expected text, got number 7 \(quote it/],
    ['name: 0x1F', 'groups:\n  - name: 0x1F\n', /^accessctl: f\.yaml:2: groups\[0\]\.name: expected text, got number 31/],
    ['email: 12', 'users:\n  - email: 12\n', /^accessctl: f\.yaml:2: users\[0\]\.email: expected text, got number 12/],
    ['a member 007', 'groups:\n  - name: g\n    members: [007]\n', /^accessctl: f\.yaml:3: groups\[0\]\.members\[0\]: expected a user name, got number 7/],
    ['a resource name true', 'resources:\n  - name: true\n    address: a.internal\n', /^accessctl: f\.yaml:2: resources\[0\]\.name: expected text, got boolean true/],
    ['tcp: 0x1F', 'resources:\n  - name: r\n    address: a.internal\n    tcp: 0x1F\n', /^accessctl: f\.yaml:4: resources\[0\]\.tcp: "0x1F" is not a decimal number/],
    ['tcp: 0o17', 'resources:\n  - name: r\n    address: a.internal\n    tcp: 0o17\n', /^accessctl: f\.yaml:4: resources\[0\]\.tcp: "0o17" is not a decimal number/],
    ['udp: 5.3e1', 'resources:\n  - name: r\n    address: a.internal\n    udp: 5.3e1\n', /^accessctl: f\.yaml:4: resources\[0\]\.udp: "5\.3e1" is not a decimal number/],
    ['a setting 0x10', 'settings:\n  key.maxActivePerService: 0x10\n', /^accessctl: f\.yaml:2: settings\.key\.maxActivePerService: "0x10" is not a decimal number/],
  ];
  it.each(cases)('%s: exit 2 with FILE:LINE, through either YAML reader', async (_what, text, message) => {
    await refused(['apply', '-f', file('f.yaml', text)], 2, message);
    // A `&` in a comment sends the file to the full YAML reader: the same verdict, the same line.
    await refused(['apply', '-f', file('f.yaml', `${text}# R&D\n`)], 2, message);
  });

  it('a decimal port and a quoted name apply', async () => {
    await h.ok(['apply', '-f', file('f.yaml', 'resources:\n  - name: "007"\n    address: a.internal\n    tcp: 443\n')]);
    expect((await h.json(['resource', 'show', '-i', '007']))[0]).toMatchObject({ name: '007', tcp: '443' });
  });
});

describe('limits: size, depth, aliases, field length, encoding', () => {
  it('an alias bomb is exit 2 naming the line of its first alias', async () => {
    let text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    let prev = 'a';
    for (let i = 0; i < 9; i++) {
      text += `b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
      prev = `b${i}`;
    }
    await refused(['plan', '-f', file('bomb.yaml', `${text}users: *${prev}\n`)], 2, /^accessctl: bomb\.yaml:2: aliases expand too far \(an alias bomb\)/);
  });

  it('nesting deeper than 64 levels is exit 2 with the line, JSON and YAML alike', async () => {
    const deepJson = `{"users": [\n${'['.repeat(70)}${']'.repeat(70)}]}`;
    await refused(['plan', '-f', file('deep.json', deepJson)], 2, /^accessctl: deep\.json:2: nested deeper than 64 levels/);
    await refused(['plan', '-f', file('deep.yaml', `users:\n  - ${'['.repeat(70)}${']'.repeat(70)}\n`)], 2, /^accessctl: deep\.yaml:2: nested deeper than 64 levels/);
    const block = Array.from({ length: 70 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    await refused(['plan', '-f', file('block.yaml', `${block} x\n`)], 2, /^accessctl: block\.yaml:\d+: nested deeper than 64 levels/);
  });

  it('a field over 64 KiB is refused with its line, on one line or folded over many', async () => {
    const long = 'a'.repeat(2 * 1024 * 1024);
    await refused(['plan', '-f', file('big.yaml', `resources:\n  - name: x\n    address: a.internal\n    alias: "${long}"\n`)], 2, /^accessctl: big\.yaml:4: a line of \d+ characters \(a field holds at most 65536 characters/);
    await refused(['plan', '-f', file('big.json', `{"services": [{"name": "x",\n "description": "${long}"}]}`)], 2, /^accessctl: big\.json:2: a string of 2097152 characters/);
    const folded = `services:\n  - name: x\n    description: >\n${'      aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n'.repeat(2000)}`;
    await refused(['plan', '-f', file('folded.yaml', folded)], 2, /^accessctl: folded\.yaml:3: a text of more than 65536 characters/);
  });

  it('a file or stdin over 64 MiB is refused before it is parsed', async () => {
    const big = Buffer.alloc(64 * 1024 * 1024 + 1, 0x20);
    await refused(['plan', '-f', file('huge.yaml', big)], 2, /^accessctl: huge\.yaml: larger than 64 MiB/);
    await refused(['apply', '-f', '-'], 2, /^accessctl: <stdin>: larger than 64 MiB/, { stdin: big.toString() });
  });

  it('bad encoding is exit 2 naming the line', async () => {
    const bytes = Buffer.concat([Buffer.from('users:\n  - email: ada@example.com\n  - email: b'), Buffer.from([0xff, 0xfe]), Buffer.from('@example.com\n')]);
    await refused(['plan', '-f', file('latin.yaml', bytes)], 2, /^accessctl: latin\.yaml:3: not valid UTF-8/);
  });
});

describe('test -f tests the world the file declares', () => {
  const PR = `${DECLARED.replace('ada@example.com\nresources', 'ada@example.com\n  - email: newhire@example.com\nresources').replace('members: [ada@example.com]', 'members: [ada@example.com, newhire@example.com]')}tests:\n  - user: newhire@example.com\n    can: [wiki]\n`;

  it('a pull request adding a user passes its own can; --live tests the store, where that user is not yet', async () => {
    const path = file('pr.yaml', PR);
    const r = await h.run(['test', '-f', path]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('PASS user newhire@example.com can wiki: allowed via group oncall permanent\n');
    const live = await h.run(['test', '-f', path, '--live']);
    expect(live.code).toBe(5);
    expect(live.stdout).toMatch(/^FAIL user newhire@example\.com can wiki: unknown user: it exists nowhere$/m);
    expect(await h.json(['user', 'list'])).toHaveLength(1);
  });

  it('needs no store: with none the file alone is the world, and none is created', async () => {
    const missing = join(h.dir, 'ci-runner', 'none.db');
    const r = await h.run(['--db', missing, 'test', '-f', file('pr.yaml', PR)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('PASS user newhire@example.com can wiki');
    expect(existsSync(missing)).toBe(false);
    expect((await h.run(['--db', missing, 'test', '-f', file('pr.yaml', PR), '--live'])).code).toBe(6);
  });

  it('a subject or resource that exists nowhere fails its test, never passes a cannot', async () => {
    const path = file('t.yaml', `${DECLARED}tests:\n  - user: nobody@example.com\n    cannot: [wiki]\n  - user: ada@example.com\n    cannot: [wikki]\n`);
    for (const argv of [['test', '-f', path], ['test', '-f', path, '--live'], ['plan', '-f', path]]) {
      const r = await h.run(argv);
      expect(r.code, argv.join(' ')).toBe(5);
      expect(r.stdout).toContain('FAIL user nobody@example.com cannot wiki: unknown user: it exists nowhere');
      expect(r.stdout).toContain('FAIL user ada@example.com cannot wikki: unknown resource "wikki": it exists nowhere');
    }
    await refused(['apply', '-f', path], 5, /^accessctl: 2 of 2 access tests fail against the planned state; nothing was applied/);
  });
});

describe('every time accepted can be written and read back', () => {
  it('an offset that carries 9999-12-31 into the year 10000 is refused, at the command line and in a file', async () => {
    await refused(['group', 'create', '-g', 'late', '--expires-at', '9999-12-31T23:59:59-14:00'], 2, /invalid time "9999-12-31T23:59:59-14:00": outside the years 0001-9999 \(UTC\)/);
    const path = file('late.yaml', `${DECLARED}  - name: late\n    expiresAt: 9999-12-31T23:59:59-14:00\n`);
    await refused(['apply', '-f', path], 2, /^accessctl: late\.yaml:13: groups\[1\]\.expiresAt: invalid expiresAt "9999-12-31T23:59:59-14:00": outside the years 0001-9999/);
  });

  it('a --ttl that would end after 9999 is refused (a clock moved near the end of time)', async () => {
    h.setNow('9999-12-31T00:00:00Z');
    await refused(['group', 'create', '-g', 'late', '--ttl', '2d'], 2, /--ttl ends after 9999-12-31T23:59:59\.999Z/);
    await refused(['group', 'add-users', '-g', 'oncall', '-u', 'ada@example.com', '--ttl', '2d'], 2, /--ttl ends after 9999-12-31T23:59:59\.999Z/);
    await refused(['service', 'add-resources', '-i', 'ci-deploy', '-r', 'wiki', '--ttl', '2d'], 2, /--ttl ends after 9999-12-31T23:59:59\.999Z/);
  });

  it('the last moment accepted round-trips through export, plan and apply', async () => {
    await h.ok(['group', 'create', '-g', 'late', '-u', 'ada@example.com', '--expires-at', '9999-12-31T23:59:59+14:00']);
    const exported = await h.ok(['export']);
    expect(exported).toContain('expiresAt: 9999-12-31T09:59:59.000Z');
    const path = file('export.yaml', exported);
    expect((await h.run(['plan', '-f', path])).code).toBe(0);
    expect((await h.run(['apply', '-f', path])).code).toBe(0);
    expect(await h.ok(['export'])).toBe(exported);
  });
});
