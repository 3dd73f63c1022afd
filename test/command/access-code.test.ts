import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, harness, HOUR, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['user', 'create', '-e', 'ada@example.com', '--first', 'Ada', '--role', 'ADMIN']);
  await h.ok(['user', 'create', '-e', 'bob@example.com']);
  await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal', '--tcp', '5432']);
  await h.ok(['resource', 'create', '-n', 'wiki', '-a', 'wiki.internal']);
  await h.ok(['service', 'create', '-n', 'ci-deploy', '--description', 'deploys from CI', '-r', 'wiki']);
  await h.ok(['group', 'create', '-g', 'oncall', '-u', 'ada@example.com', '-r', 'prod-db', '--services', 'ci-deploy']);
  await h.ok(['group', 'add-users', '-g', 'oncall', '-u', 'bob@example.com', '--ttl', '8h']);
});
afterEach(() => h.cleanup());

const file = (name: string, text: string) => {
  const path = join(h.dir, name);
  writeFileSync(path, text);
  return path;
};
const auditCount = async (x: Harness = h) => (await x.json(['audit', 'list'])).length;

const BASE = `users:
  - email: ada@example.com
    firstName: Ada
    role: ADMIN
  - email: bob@example.com
resources:
  - name: prod-db
    address: db.prod.internal
    tcp: 5432
  - name: wiki
    address: wiki.internal
services:
  - name: ci-deploy
    description: deploys from CI
    resources: [wiki]
groups:
  - name: oncall
    members:
      - ada@example.com
      - email: bob@example.com
        expiresAt: 2026-11-23T07:00:00Z
    resources: [prod-db]
    services: [ci-deploy]
`;

describe('export', () => {
  it('writes the store by name, without ids or secrets, byte-identical twice', async () => {
    await h.ok(['key', 'create', '-i', 'ci-deploy']);
    const a = await h.ok(['export']);
    const b = await h.ok(['export']);
    expect(a).toBe(b);
    expect(a).not.toMatch(/usr_|res_|grp_|svc_|key_|ack_/);
    expect(a).toContain('- email: bob@example.com\n        expiresAt: 2026-11-23T07:00:00.000Z');
    const json = JSON.parse(await h.ok(['export', '-f', 'json']));
    expect(json.groups[0]).toMatchObject({ name: 'oncall', resources: ['prod-db'], services: ['ci-deploy'] });
    expect(await h.ok(['-f', 'json', 'export'])).toBe(await h.ok(['export', '-f', 'json']));
  });

  it('is a read: a missing store is exit 6 and is not created', async () => {
    const missing = join(h.dir, 'nope.db');
    const r = await h.run(['--db', missing, 'export']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^accessctl: no store at .*nope\.db/);
    expect(existsSync(missing)).toBe(false);
  });

  it('refuses csv', async () => {
    expect((await h.run(['export', '-f', 'csv'])).code).toBe(2);
  });
});

describe('round trip', () => {
  it('export → apply into an empty store → export gives the same bytes, and plan against the source says no changes', async () => {
    for (const format of ['yaml', 'json']) {
      const exported = await h.ok(['export', '-f', format]);
      const path = file(`access.${format}`, exported);
      const other = harness();
      try {
        other.now = h.now;
        await other.ok(['apply', '-f', path]);
        expect(await other.ok(['export', '-f', format])).toBe(exported);
        // Effective access is the same too.
        const access = async (x: Harness, r: string) => (await x.json(['access', 'list', '-r', r])).map((a) => [a.subjectName, a.resourceName, a.via, a.groupName, a.expiresAt]);
        for (const r of ['prod-db', 'wiki']) expect(await access(other, r)).toEqual(await access(h, r));
        const again = await other.run(['apply', '-f', path]);
        expect(again.code).toBe(0);
        expect(again.stdout).toContain('No changes');
      } finally {
        other.cleanup();
      }
      const plan = await h.run(['plan', '-f', path]);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toMatch(/^No changes: the store matches access\.(yaml|json)\./);
    }
  });

  it('applying the same file twice changes nothing the second time', async () => {
    const path = file('a.yaml', BASE.replace('role: ADMIN', 'role: DEVOPS'));
    await h.ok(['apply', '-f', path]);
    const events = await auditCount();
    expect((await h.run(['apply', '-f', path])).stdout).toContain('No changes');
    expect(await auditCount()).toBe(events);
  });
});

describe('plan', () => {
  it('shows each change kind with its marker first: + create, ~ change field by field; exit 7', async () => {
    const path = file(
      'a.yaml',
      BASE.replace('role: ADMIN', 'role: DEVOPS').replace('  - email: bob@example.com\n', '  - email: bob@example.com\n  - email: carol@example.com\n    firstName: Carol\n') +
        `  - name: contractors
    expiresAt: 2026-12-31T00:00:00Z
    members:
      - email: carol@example.com
        expiresAt: 2026-12-01T00:00:00Z
    resources: [wiki]
`,
    );
    const r = await h.run(['plan', '-f', path]);
    expect(r.code).toBe(7);
    expect(r.stdout).toContain('~ user ada@example.com\n    role: ADMIN → DEVOPS\n');
    expect(r.stdout).toContain('+ user carol@example.com\n    firstName: Carol\n');
    expect(r.stdout).toContain('+ group contractors\n    expiresAt: 2026-12-31T00:00:00.000Z\n');
    expect(r.stdout).toContain('    members: + carol@example.com (until 2026-12-01T00:00:00.000Z)');
    expect(r.stdout).toContain('+ user carol@example.com → wiki via group contractors until 2026-12-01T00:00:00.000Z');
    expect(r.stdout).toMatch(/Plan id: [0-9a-f]{16}\n$/);
    expect(r.stderr).toMatch(/^accessctl: 3 object changes pending \(apply them with: accessctl apply -f .*a\.yaml --plan [0-9a-f]{16}\)\n$/);
    // plan wrote nothing
    expect(await h.run(['user', 'show', '-i', 'carol@example.com'])).toMatchObject({ code: 3 });
  });

  it('leaves undeclared objects alone, and deletes them with --prune (- marker, access lost)', async () => {
    const path = file('a.yaml', BASE.replace(/  - name: wiki\n    address: wiki.internal\n/, '').replace(/services:[\s\S]*?groups:/, 'groups:').replace('    services: [ci-deploy]\n', ''));
    const plain = await h.run(['plan', '-f', path]);
    expect(plain.stdout).not.toMatch(/^- (user|resource|group|service) \S+$/m);
    const pruned = await h.run(['plan', '-f', path, '--prune']);
    expect(pruned.code).toBe(7);
    expect(pruned.stdout).toMatch(/^- resource wiki$/m);
    expect(pruned.stdout).toMatch(/^- service ci-deploy$/m);
    expect(pruned.stdout).toContain('- service ci-deploy → prod-db (was group oncall permanent)');
    // Deleting the only service deletes every service: held unless --max-delete allows it (SPEC section 12, Guards).
    expect((await h.run(['apply', '-f', path, '--prune'])).code).toBe(4);
    await h.ok(['apply', '-f', path, '--prune', '--max-delete', '2']);
    expect((await h.run(['resource', 'show', '-i', 'wiki'])).code).toBe(3);
    expect((await h.run(['plan', '-f', path, '--prune'])).code).toBe(0);
  });

  it('shows a member added by hand as drift, and apply removes it', async () => {
    const path = file('a.yaml', BASE);
    expect((await h.run(['plan', '-f', path])).code).toBe(0);
    await h.ok(['user', 'create', '-e', 'mallory@example.com']);
    await h.ok(['group', 'add-users', '-g', 'oncall', '-u', 'mallory@example.com']);
    const r = await h.run(['plan', '-f', path]);
    expect(r.code).toBe(7);
    expect(r.stdout).toContain('~ group oncall\n    members: - mallory@example.com\n');
    expect(r.stdout).toContain('- user mallory@example.com → prod-db (was group oncall permanent)');
    await h.ok(['apply', '-f', path]);
    expect((await h.run(['plan', '-f', path])).code).toBe(0);
    expect((await h.run(['access', 'check', '--user', 'mallory@example.com', '-r', 'prod-db'])).code).toBe(5);
  });

  it('a link that expires is not drift: after its expiry the plan is still clean', async () => {
    const path = file('a.yaml', BASE);
    h.advance(9 * HOUR);
    const r = await h.run(['plan', '-f', path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No changes');
  });

  it('-f json gives one document for bots, -q the plan id alone', async () => {
    const path = file('a.yaml', BASE.replace('role: ADMIN', 'role: MEMBER'));
    const r = await h.run(['-f', 'json', 'plan', '-f', path]);
    expect(r.code).toBe(7);
    const doc = JSON.parse(r.stdout);
    expect(doc.changes).toEqual([{ op: '~', type: 'user', name: 'ada@example.com', fields: [{ field: 'role', from: 'ADMIN', to: 'MEMBER' }] }]);
    expect(doc.summary).toMatchObject({ create: 0, change: 1, delete: 0 });
    expect(doc.fileSha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
    const q = await h.run(['-q', 'plan', '-f', path]);
    expect(q.stdout).toBe(`${doc.planId}\n`);
    const nd = await h.run(['-f', 'ndjson', 'plan', '-f', path]);
    expect(nd.stdout.trim().split('\n').map((l) => JSON.parse(l).section)).toEqual(['object', 'field', 'plan']);
  });
});

describe('tests in the file', () => {
  const withTests = (tests: string) => `${BASE}tests:\n${tests}`;

  it('plan runs them against the planned state; a failing one is exit 5', async () => {
    const ok = file('ok.yaml', withTests('  - user: ada@example.com\n    can: [prod-db:5432/tcp]\n    cannot: [prod-db:22, wiki]\n'));
    const r = await h.run(['plan', '-f', ok]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PASS user ada@example.com can prod-db:5432/tcp: allowed via group oncall permanent');
    expect(r.stdout).toContain('PASS user ada@example.com cannot prod-db:22: denied: tcp port 22 is not allowed');
    const bad = file('bad.yaml', withTests('  - user: bob@example.com\n    cannot: [prod-db]\n'));
    const b = await h.run(['plan', '-f', bad]);
    expect(b.code).toBe(5);
    expect(b.stdout).toContain('FAIL user bob@example.com cannot prod-db: allowed via group oncall until 2026-11-23T07:00:00.000Z');
  });

  it('a test with `at` looks ahead: the contractor link is gone by then', async () => {
    const path = file('a.yaml', withTests('  - user: bob@example.com\n    cannot: [prod-db]\n    at: 2026-11-24T00:00:00Z\n'));
    expect((await h.run(['test', '-f', path])).code).toBe(0);
  });

  it('a failing cannot test blocks apply: exit 5 and nothing written', async () => {
    const path = file('a.yaml', withTests('  - user: carol@example.com\n    cannot: [prod-db]\n').replace('      - ada@example.com\n', '      - ada@example.com\n      - carol@example.com\n').replace('  - email: bob@example.com\n', '  - email: bob@example.com\n  - email: carol@example.com\n'));
    const before = await h.ok(['export']);
    const events = await auditCount();
    const r = await h.run(['apply', '-f', path]);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^accessctl: 1 of 1 access tests fail against the planned state; nothing was applied \(first failure: user carol@example.com cannot prod-db\)\n$/);
    expect(await h.ok(['export'])).toBe(before);
    expect(await auditCount()).toBe(events);
  });

  it('test --live runs only the tests against the current state, one line each', async () => {
    const path = file('a.yaml', withTests('  - user: ada@example.com\n    can: [prod-db]\n  - service: ci-deploy\n    can: [wiki, prod-db]\n    cannot: [prod-db:22]\n'));
    const r = await h.run(['test', '-f', path]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    await h.ok(['group', 'remove-users', '-g', 'oncall', '-u', 'ada@example.com']);
    const f = await h.run(['test', '-f', path, '--live']);
    expect(f.code).toBe(5);
    expect(f.stdout).toMatch(/^FAIL user ada@example.com can prod-db: denied: no grant/m);
    const csv = await h.run(['-f', 'csv', 'test', '-f', path]);
    expect(csv.stdout.split('\n')[0]).toBe('result,subjectType,subject,expect,target,at,detail');
  });
});

describe('apply', () => {
  it('refuses a stale --plan with exit 4 and writes nothing; a fresh id applies', async () => {
    const path = file('a.yaml', BASE.replace('role: ADMIN', 'role: DEVOPS'));
    const id = (await h.ok(['-q', 'plan', '-f', path]).catch(() => '')) || (await h.run(['-q', 'plan', '-f', path])).stdout.trim();
    await h.ok(['user', 'create', '-e', 'eve@example.com']);
    const events = await auditCount();
    const stale = await h.run(['apply', '-f', path, '--plan', id]);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/^accessctl: plan [0-9a-f]{16} is stale: the store or the file changed since it was made/);
    expect(await auditCount()).toBe(events);
    const fresh = (await h.run(['-q', 'plan', '-f', path])).stdout.trim();
    expect(fresh).not.toBe(id);
    expect((await h.run(['apply', '-f', path, '--plan', fresh])).code).toBe(0);
    expect((await h.json(['user', 'show', '-i', 'ada@example.com']))[0]!.role).toBe('DEVOPS');
  });

  it('audits every change through the usual actions, with cause apply and the file SHA-256', async () => {
    const text = BASE.replace('role: ADMIN', 'role: DEVOPS').replace('      - email: bob@example.com\n        expiresAt: 2026-11-23T07:00:00Z\n', '      - email: bob@example.com\n        expiresAt: 2026-11-24T07:00:00Z\n');
    const path = file('a.yaml', text);
    const before = await auditCount();
    await h.ok(['apply', '-f', path]);
    const events = (await h.json(['audit', 'list'])).slice(before);
    expect(events.map((e) => e.action)).toEqual(['user.update', 'group.add-user']);
    const sha = createHash('sha256').update(text).digest('hex');
    for (const e of events) expect(e.details).toMatchObject({ cause: 'apply', fileSha256: sha, v: 2 });
    expect((events[1]!.details as { changes: unknown[] }).changes).toEqual([
      { op: 'update', table: 'group_users', key: expect.anything(), from: { expires_at: Date.parse('2026-11-23T07:00:00Z') }, to: { expires_at: Date.parse('2026-11-24T07:00:00Z') } },
    ]);
    expect((await h.run(['audit', 'verify'])).code).toBe(0);
  });

  it('a declared group takes the name of an expired one; a group whose expiry passed is left to sweep', async () => {
    await h.ok(['group', 'create', '-g', 'incident-7', '-u', 'bob@example.com', '-r', 'prod-db', '--ttl', '1h']);
    h.advance(2 * HOUR);
    const path = file('a.yaml', `${BASE}  - name: incident-7\n    members: [ada@example.com]\n    resources: [wiki]\n    expiresAt: 2026-11-30T00:00:00Z\n`);
    await h.ok(['apply', '-f', path]);
    const [g] = await h.json(['group', 'show', '-i', 'incident-7']);
    expect(g).toMatchObject({ expiresAt: '2026-11-30T00:00:00.000Z', users: [expect.stringMatching(/^usr_/)] });
    expect((await h.json(['audit', 'list', '--action', 'sweep.*'])).map((e) => e.action)).toEqual(['sweep.group.delete']);
    h.advance(30 * DAY);
    expect((await h.run(['plan', '-f', path])).code).toBe(0);
  });

  it('creates the store when it does not exist yet, and settings come along', async () => {
    const db = join(h.dir, 'fresh.db');
    const path = file('s.yaml', 'settings:\n  key.defaultExpirationDays: 90\nusers:\n  - email: zoe@example.com\n');
    expect((await h.run(['--db', db, 'plan', '-f', path])).code).toBe(6);
    // A new store does not let ACCESSCTL_NOW move its clock: this write runs on the machine's clock.
    expect((await h.run(['--db', db, 'apply', '-f', path], { wallClock: true })).code).toBe(0);
    expect(await h.run(['--db', db, 'export'])).toMatchObject({ code: 0, stdout: expect.stringContaining('settings:\n  key.defaultExpirationDays: 90\n') });
  });
});

describe('a malformed file is one clear line, exit 2, and changes nothing', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['bad YAML', 'users:\n  - email: ada@example.com\n   role: [ADMIN\n', /^accessctl: f\.yaml:\d+: not valid YAML: /],
    ['an unknown key (a TTL)', 'groups:\n  - name: g\n    members:\n      - email: ada@example.com\n        ttl: 2h\n', /^accessctl: f\.yaml:5: groups\[0\]\.members\[0\]\.ttl: unknown key "ttl" \(a TTL in a file would restart at every apply/],
    ['a relative time', 'groups:\n  - name: g\n    expiresAt: 2h\n', /^accessctl: f\.yaml:3: groups\[0\]\.expiresAt: relative time "2h"/],
    ['an unknown reference', 'groups:\n  - name: g\n    members: [ada@example.com, nobody@example.com]\n', /^accessctl: f\.yaml:3: groups\[0\]\.members\[1\]: unknown user "nobody@example.com" \(declare it under users: or create it first\)\n$/],
    ['a duplicate name (case and NFKC)', 'resources:\n  - name: Prod-DB\n    address: a.internal\n  - name: ｐｒｏｄ-ｄｂ\n    address: b.internal\n', /^accessctl: f\.yaml:4: resources\[1\]: duplicate resource name "ｐｒｏｄ-ｄｂ" \(already declared at resources\[0\]/],
    ['a token-shaped string', 'services:\n  - name: ci\n    description: "token ack_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab"\n', /^accessctl: f\.yaml:3: services\[0\]\.description: a value shaped like a secret token/],
    ['an id where a name belongs', 'groups:\n  - name: g\n    members: [usr_0000000000000001]\n', /^accessctl: f\.yaml:3: groups\[0\]\.members\[0\]: an id where a user name belongs/],
    ['an invalid value', 'resources:\n  - name: x\n    address: "not an address!"\n', /^accessctl: f\.yaml:3: resources\[0\]\.address: invalid address/],
  ];
  it.each(cases)('%s', async (_what, text, message) => {
    const path = file('f.yaml', text);
    const before = await h.ok(['export']);
    const events = await auditCount();
    // `test` checks only the tests, so a declaration's reference is plan's and apply's to judge.
    for (const verb of _what === 'an unknown reference' ? ['plan', 'apply'] : ['plan', 'apply', 'test']) {
      const r = await h.run([verb, '-f', path]);
      expect(r.code, `${verb}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain('ack_AbCdEf');
      expect(r.stdout).toBe('');
    }
    expect(await h.ok(['export'])).toBe(before);
    expect(await auditCount()).toBe(events);
  });

  it('the fast YAML reader and the full one mean the same: a plain file, the same file with what only the full one reads, and its JSON plan alike', async () => {
    // Changes against the store, so that the plans have something to say.
    const doc = BASE.replace('firstName: Ada', 'firstName: Augusta').replace('  - email: bob@example.com\nresources:', '  - email: bob@example.com\n  - email: cy@example.com\n    role: DEVOPS\nresources:');
    const plain = await h.run(['plan', '-f', file('plain.yaml', doc)]);
    expect(plain.stdout).toContain('cy@example.com');
    // A `&` in a comment sends the file to the yaml library; anchors and aliases are read there.
    const full = await h.run(['plan', '-f', file('full.yaml', `# R&D\n${doc}`)]);
    const aliased = await h.run(['plan', '-f', file('aliased.yaml', doc.replace('    resources: [prod-db]\n    services', '    resources: &r [prod-db]\n    services'))]);
    const { parse } = await import('yaml');
    const json = await h.run(['plan', '-f', file('same.json', JSON.stringify(parse(doc)))]);
    // The same plan, but for the file's name and the plan id (a hash of the file's bytes).
    const same = (out: string) => out.replace(/\S+\.(yaml|json)/g, 'F').replace(/Plan id: \w+/, 'Plan id: X');
    for (const other of [full, aliased, json]) expect({ code: other.code, stdout: same(other.stdout) }).toEqual({ code: plain.code, stdout: same(plain.stdout) });
    // A key given twice, a tag, a directive: the full reader's verdict and line, whichever reads first.
    for (const [text, message] of [
      ['users:\n  - email: ada@example.com\n    email: bob@example.com\n', /^accessctl: f\.yaml:\d+: not valid YAML: Map keys must be unique/],
      ['users:\n  - email: !!str ada@example.com\n', null],
      ['%YAML 1.2\n---\nusers:\n  - email: ada@example.com\n', null],
    ] as Array<[string, RegExp | null]>) {
      const r = await h.run(['plan', '-f', file('f.yaml', text)]);
      if (message) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(message) });
      else {
        // Read, not refused: a plan with changes pending (exit 7), ada kept.
        expect(r.code, r.stderr).toBe(7);
        expect(r.stdout).toContain('Plan:');
        expect(r.stdout).not.toMatch(/^- user ada@example\.com/m);
      }
    }
  });

  it('a JSON file gets line numbers too', async () => {
    const path = file('f.json', '{\n  "users": [\n    {"email": "ada@example.com", "colour": "blue"}\n  ]\n}\n');
    const r = await h.run(['plan', '-f', path]);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringMatching(/^accessctl: f\.json:3: users\[0\]\.colour: unknown key "colour"/) });
  });
});
