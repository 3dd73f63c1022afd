import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, HOUR, MINUTE, type Harness } from '../helpers/harness.js';
import { raw, rechain } from '../helpers/raw-log.js';

/** Time only moves forward in the log (SPEC section 10), on either dialect. */
let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['user', 'create', '-e', 'ada@example.com']);
  await h.ok(['resource', 'create', '-n', 'production', '-a', 'prod.internal']);
  await h.ok(['group', 'create', '-g', 'oncall', '-u', 'ada@example.com', '-r', 'production']);
});
afterEach(() => h.cleanup());

const iso = (ms: number) => new Date(ms).toISOString();
const FUTURE = Date.parse('2036-01-01T00:00:00Z');
const seqOf = async (action: string) => (await h.json(['audit', 'list', '--action', action])).at(-1)!.seq as number;
const atOf = async (seq: number) => (await h.json(['audit', 'list', '--after-seq', String(seq - 1), '--limit', '1']))[0]!.at as string;

async function dbCheck() {
  const r = await h.run(['-f', 'json', 'db', 'check']);
  const checks = JSON.parse(r.stdout || '[]') as Array<{ check: string; ok: boolean; detail: string }>;
  return { code: r.code, failures: checks.filter((c) => !c.ok) };
}

/** Hand-edits one event's time and re-chains, so the hash chain alone verifies. */
async function setEventTime(seq: number, at: number) {
  await raw(h, async (db) => {
    await db.run('update audit_events set at = ? where seq = ?', at, seq);
    await rechain(db);
  });
}

describe('a write records time that never decreases', () => {
  it('a clock that reads earlier than the last event records that event time', async () => {
    const before = await seqOf('group.create');
    h.advance(-HOUR);
    await h.ok(['user', 'create', '-e', 'bob@example.com']);
    const after = await seqOf('user.create');
    expect(after).toBe(before + 1);
    expect(await atOf(after)).toBe(await atOf(before));
    // The row keeps the clock's own time; only the log's order of time is kept.
    expect((await h.json(['user', 'show', '-i', 'bob@example.com']))[0]!.createdAt).toBe(iso(h.now));
    // Read from a clock an hour behind the log, every event lies ahead of it: a finding.
    expect((await h.run(['audit', 'verify'])).code).toBe(1);
    h.advance(HOUR);
    expect((await h.run(['audit', 'verify'])).code).toBe(0);
    expect(await dbCheck()).toEqual({ code: 0, failures: [] });
  });
});

describe('one event dated ahead (a clock that ran ahead once)', () => {
  it('no longer hides a later removal: --as-of and access diff refuse, verify and db check name it', async () => {
    await h.ok(['user', 'create', '-e', 'bob@example.com']);
    const planted = await seqOf('user.create');
    await setEventTime(planted, FUTURE);
    expect((await h.run(['audit', 'verify'])).code).toBe(1);
    h.advance(MINUTE);
    await h.ok(['group', 'remove-users', '-g', 'oncall', '-u', 'ada@example.com']);
    const removal = await seqOf('group.remove-user');
    // Recorded no earlier than its predecessor: the removal is not placed before the planted event.
    expect(await atOf(removal)).toBe(iso(FUTURE));

    const list = await h.run(['access', 'list', '--all', '--as-of', iso(h.now + MINUTE)]);
    expect(list.code).toBe(6);
    expect(list.stdout).toBe('');
    expect(list.stderr).toContain(`seq ${planted}: at ${iso(FUTURE)} is more than 5 minutes after now`);
    const diff = await h.run(['access', 'diff', '--from', iso(h.now - HOUR)]);
    expect(diff.code).toBe(6);
    expect(diff.stderr).toContain(`seq ${planted}:`);
    expect((await h.run(['access', 'check', '--user', 'ada@example.com', '-r', 'production', '--as-of', iso(h.now)])).code).toBe(6);

    const verify = await h.run(['-f', 'json', 'audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(JSON.parse(verify.stdout)[0]).toMatchObject({ ok: false, brokenSeq: planted });
    expect(verify.stderr).toContain(`seq ${planted}: at ${iso(FUTURE)} is more than 5 minutes after now`);
    const check = await dbCheck();
    expect(check.code).toBe(6);
    expect(check.failures).toEqual([{ check: 'auditTime', ok: false, detail: `seq ${planted}: at ${iso(FUTURE)} is more than 5 minutes after now (${iso(h.now)})` }]);
    // The chain itself is intact: a checkpoint can still be taken and kept.
    expect((await h.run(['audit', 'checkpoint'])).code).toBe(0);
  });

  it('an event stamped within 5 minutes ahead is no finding', async () => {
    await h.ok(['user', 'create', '-e', 'bob@example.com']);
    await setEventTime(await seqOf('user.create'), h.now + 4 * MINUTE);
    expect((await h.run(['audit', 'verify'])).code).toBe(0);
    expect((await dbCheck()).code).toBe(0);
    expect((await h.run(['access', 'list', '--all', '--as-of', iso(h.now)])).code).toBe(0);
  });
});

describe('an event whose time decreases', () => {
  it('is named by verify and db check; --as-of and access diff refuse the log', async () => {
    h.advance(HOUR);
    await h.ok(['user', 'create', '-e', 'bob@example.com']);
    h.advance(HOUR);
    await h.ok(['group', 'add-users', '-g', 'oncall', '-u', 'bob@example.com']);
    const edited = await seqOf('group.add-user');
    await setEventTime(edited, h.now - 3 * HOUR);
    const verify = await h.run(['audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain(`seq ${edited}: at ${iso(h.now - 3 * HOUR)} is earlier than seq ${edited - 1}'s ${iso(h.now - HOUR)}`);
    const check = await dbCheck();
    expect(check.code).toBe(6);
    expect(check.failures.map((f) => f.detail)).toEqual([`seq ${edited}: at ${iso(h.now - 3 * HOUR)} is earlier than seq ${edited - 1}'s ${iso(h.now - HOUR)}`]);
    // Even a moment before the odd event: the log cannot say where its events belong.
    const asOf = await h.run(['access', 'list', '--all', '--as-of', iso(h.now - 90 * MINUTE)]);
    expect(asOf.code).toBe(6);
    expect(asOf.stderr).toContain(`seq ${edited}:`);
    expect((await h.run(['access', 'diff', '--from', iso(h.now - 4 * HOUR)])).code).toBe(6);
  });
});
