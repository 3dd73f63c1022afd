import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, HOUR, type Harness } from '../helpers/harness.js';

/**
 * A membership approved for later (SPEC section 4: "a started, unexpired membership"): ada's
 * membership of prod starts at 01:00 and ends at 05:00; the store's clock starts at 23:00.
 */
let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['apply', '-f', file('start.yaml', START)]);
});
afterEach(() => h.cleanup());

const STARTS = '2026-11-23T01:00:00.000Z';
const ENDS = '2026-11-23T05:00:00.000Z';
const START = `users:
  - email: ada@example.com
  - email: bob@example.com
resources:
  - name: prod-db
    address: db.prod.internal
groups:
  - name: prod
    members:
      - email: ada@example.com
        startsAt: ${STARTS}
        expiresAt: ${ENDS}
      - bob@example.com
    resources: [prod-db]
`;

function file(name: string, text: string): string {
  const path = join(h.dir, name);
  writeFileSync(path, text);
  return path;
}

const check = (extra: string[] = []) => h.run(['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db', ...extra]);
const batch = async () => JSON.parse(await h.ok(['access', 'check', '--batch'], { stdin: '{"user":"ada@example.com","resource":"prod-db"}\n' })) as { allowed: boolean; reason: string | null };
const adaList = async () => (await h.json(['access', 'list', '--user', 'ada@example.com'])).map((r) => r.resourceName);

describe('a membership that starts later', () => {
  it('grants nothing before its start and everything from it: check, list, --all, --batch', async () => {
    const before = await check();
    expect(before.code).toBe(5);
    expect(before.stderr).toBe(`accessctl: access denied: the membership in group prod starts at ${STARTS}\n`);
    expect(await adaList()).toEqual([]);
    expect((await h.json(['access', 'list', '--all'])).map((r) => r.subjectName)).toEqual(['bob@example.com']);
    expect(await batch()).toMatchObject({ allowed: false, reason: `the membership in group prod starts at ${STARTS}` });

    h.setNow(STARTS);
    const at = await check(['-f', 'json']);
    expect(at.code).toBe(0);
    expect(JSON.parse(at.stdout)[0]).toMatchObject({ decision: 'allowed', groupName: 'prod', expiresAt: ENDS, limitedBy: 'membership' });
    expect(await adaList()).toEqual(['prod-db']);
    expect(await batch()).toMatchObject({ allowed: true });

    h.setNow(ENDS);
    expect((await check()).code).toBe(5);
    expect(await adaList()).toEqual([]);
  });

  it('--as-of and access diff: no access before the start, gained at it, lost at its end', async () => {
    h.setNow('2026-11-23T06:00:00Z');
    expect((await check(['--as-of', '2026-11-23T00:30:00Z'])).code).toBe(5);
    expect((await check(['--as-of', '2026-11-23T02:00:00Z'])).code).toBe(0);
    expect((await h.json(['access', 'list', '-g', 'prod', '--as-of', '2026-11-23T00:30:00Z'])).map((r) => r.subjectName)).toEqual(['bob@example.com']);
    expect((await h.json(['access', 'list', '-g', 'prod', '--as-of', '2026-11-23T02:00:00Z'])).map((r) => r.subjectName)).toEqual(['ada@example.com', 'bob@example.com']);
    const diff = await h.json(['access', 'diff', '--from', '2026-11-22T23:30:00Z']);
    expect(diff.map((r) => [r.change, r.subjectName, r.at, r.cause])).toEqual([
      ['gained', 'ada@example.com', STARTS, `started at ${STARTS}`],
      ['lost', 'ada@example.com', ENDS, `expired at ${ENDS}`],
    ]);
  });

  it('access expiring says it starts later; sweep leaves it; group show shows the start', async () => {
    const rows = await h.json(['access', 'expiring', '--within', '1d']);
    expect(rows.map((r) => [r.subjectName, r.gives, r.source, r.endsAt, r.startsAt])).toEqual([['ada@example.com', 'prod', 'membership', ENDS, STARTS]]);

    expect(await h.json(['sweep'])).toEqual([]);
    const [g] = await h.json<{ links: Array<{ name: string; startsAt: string; expiresAt: string | null }> }>(['group', 'show', 'prod']);
    expect(g!.links.find((l) => l.name === 'ada@example.com')).toMatchObject({ startsAt: STARTS, expiresAt: ENDS });
    const table = await h.ok(['group', 'show', 'prod']);
    expect(table).toContain('ada@example.com  starts 2026-11-23 01:00 UTC (in 2h), until 2026-11-23 05:00 UTC');

    h.setNow(STARTS);
    expect((await h.json(['access', 'expiring', '--within', '1d']))[0]).toMatchObject({ startsAt: null });
    h.advance(5 * HOUR);
    expect((await h.json(['sweep'])).map((r) => [r.what, r.memberId])).toEqual([['membership', 'usr_0000000000000001']]);
    expect((await h.json(['db', 'check'])).every((c) => c.ok)).toBe(true);
  });

  it('adding the member by hand starts the membership now', async () => {
    await h.ok(['group', 'add-users', '-g', 'prod', '-u', 'ada@example.com']);
    expect((await check()).code).toBe(0);
    expect((await h.json(['db', 'check'])).every((c) => c.ok)).toBe(true);
  });
});

describe('startsAt in access as code', () => {
  it('export writes it next to expiresAt; plan shows it changing; apply re-times it; db check agrees', async () => {
    const exported = await h.ok(['export']);
    expect(exported).toContain(`      - email: ada@example.com\n        startsAt: ${STARTS}\n        expiresAt: ${ENDS}\n`);
    expect((await h.run(['plan', '-f', file('same.yaml', exported)])).code).toBe(0);

    const moved = file('moved.yaml', START.replace(`startsAt: ${STARTS}`, 'startsAt: 2026-11-23T02:00:00Z'));
    const plan = await h.run(['plan', '-f', moved]);
    expect(plan.code).toBe(7);
    expect(plan.stdout).toContain(`~ group prod\n    members: ~ ada@example.com (from ${STARTS} until ${ENDS} → from 2026-11-23T02:00:00.000Z until ${ENDS})\n`);
    const json = JSON.parse((await h.run(['-f', 'json', 'plan', '-f', moved])).stdout) as { changes: Array<{ fields: Array<Record<string, unknown>> }> };
    expect(json.changes[0]!.fields[0]).toMatchObject({ field: 'members', item: 'ada@example.com', op: '~', startsFrom: STARTS, startsTo: '2026-11-23T02:00:00.000Z' });
    const csv = (await h.run(['-f', 'csv', 'plan', '-f', moved])).stdout;
    expect(csv).toContain(`field,~,group,prod,members,ada@example.com,${ENDS},${ENDS},,,starts ${STARTS} → 2026-11-23T02:00:00.000Z\n`);
    await h.ok(['apply', '-f', moved]);
    h.setNow('2026-11-23T01:30:00Z');
    expect((await check()).code).toBe(5);
    expect((await h.run(['plan', '-f', moved])).code).toBe(0);

    // Dropping the start makes the membership start now.
    const now = file('now.yaml', START.replace(`        startsAt: ${STARTS}\n`, ''));
    expect((await h.run(['plan', '-f', now])).stdout).toContain(`members: ~ ada@example.com (from 2026-11-23T02:00:00.000Z until ${ENDS} → until ${ENDS})`);
    await h.ok(['apply', '-f', now]);
    expect((await check()).code).toBe(0);
    expect((await h.json(['db', 'check'])).every((c) => c.ok)).toBe(true);
  });

  it('export then apply into an empty store reproduces the start', async () => {
    const exported = await h.ok(['export']);
    const other = harness();
    try {
      writeFileSync(join(other.dir, 'x.yaml'), exported);
      await other.ok(['apply', '-f', join(other.dir, 'x.yaml')]);
      expect(await other.ok(['export'])).toBe(exported);
      const r = await other.run(['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db']);
      expect(r.code).toBe(5);
    } finally {
      other.cleanup();
    }
  });

  it.each([
    ['a relative start', 'startsAt: 2h', /members\[0\]\.startsAt: relative time "2h"/],
    ['a start at its end', `startsAt: ${ENDS}`, /members\[0\]\.startsAt: startsAt is not before expiresAt/],
    ['not a time', 'startsAt: tomorrow', /members\[0\]\.startsAt: .*startsAt/],
  ])('%s is refused, exit 2, nothing written', async (_name, line, message) => {
    const events = (await h.json(['audit', 'list'])).length;
    const r = await h.run(['apply', '-f', file('bad.yaml', START.replace(`startsAt: ${STARTS}`, line))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect((await h.json(['audit', 'list'])).length).toBe(events);
  });

  it('the file\'s tests honour the start: cannot before it, can from it', async () => {
    const tests = `tests:
  - user: ada@example.com
    cannot: [prod-db]
    at: 2026-11-23T00:59:59Z
  - user: ada@example.com
    can: [prod-db]
    at: ${STARTS}
`;
    const path = file('tests.yaml', START + tests);
    expect((await h.run(['test', '-f', path])).code).toBe(0);
    const wrong = await h.run(['test', '-f', file('wrong.yaml', START + tests.replace('cannot: [prod-db]', 'can: [prod-db]'))]);
    expect(wrong.code).toBe(5);
    expect(wrong.stdout).toContain(`FAIL user ada@example.com can prod-db at 2026-11-23T00:59:59.000Z: denied: the membership in group prod starts at ${STARTS}`);
  });

  it('only a user member may carry startsAt', async () => {
    const r = await h.run(['plan', '-f', file('res.yaml', START.replace('resources: [prod-db]', `resources:\n      - name: prod-db\n        startsAt: ${STARTS}`))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown key "startsAt"/);
  });
});
