import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

describe('audit log', () => {
  it('records one event per changed object with the actor, and filters', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    h.advance(60_000);
    await h.ok(['resource', 'create', '-n', 'db', '-a', 'db.internal']);
    const events = await h.json(['audit', 'list']);
    // seq 1 is the fixture's own opt-in to clock overrides (test/helpers/harness.ts).
    expect(events.map((e) => [e.seq, e.action, e.actor])).toEqual([
      [1, 'config.set', 'fixture'],
      [2, 'user.create', 'tester'],
      [3, 'resource.create', 'tester'],
    ]);
    expect((await h.json(['audit', 'list', '--action', 'user.*'])).length).toBe(1);
    expect((await h.json(['audit', 'list', '--since', '30s'])).length).toBe(1);
    expect((await h.json(['audit', 'list', '--until', '2026-11-22T23:00:30Z'])).length).toBe(2);
    expect((await h.json(['audit', 'list', '--actor', 'someone-else'])).length).toBe(0);
    expect((await h.json(['audit', 'list', '--target', String(events[1]!.targetId)])).length).toBe(1);
    expect((await h.run(['audit', 'list', '--action', "x' or 1=1"])).code).toBe(2);
  });

  it('verify passes, then names the first tampered seq (exit 1)', async () => {
    for (const e of ['a@example.com', 'b@example.com', 'c@example.com']) await h.ok(['user', 'create', '-e', e]);
    expect((await h.json(['audit', 'verify']))[0]).toMatchObject({ ok: true, events: 4 });
    h.sql("update audit_events set actor = 'mallory' where seq = 3");
    const r = await h.run(['audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('accessctl: audit chain broken at seq 3: hash does not match the event (the audit log was altered outside accessctl)\n');
    const check = await h.run(['-f', 'json', 'db', 'check']);
    expect(check.code).toBe(6);
    expect(JSON.parse(check.stdout).find((c: { check: string }) => c.check === 'auditChain').ok).toBe(false);
  });

  it('a deleted event breaks the chain too', async () => {
    for (const e of ['a@example.com', 'b@example.com', 'c@example.com']) await h.ok(['user', 'create', '-e', e]);
    h.sql('delete from audit_events where seq = 2');
    const r = await h.run(['-f', 'json', 'audit', 'verify']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ ok: false, brokenSeq: 3 });
  });
});
