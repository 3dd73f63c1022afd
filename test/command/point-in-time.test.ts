import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, HOUR, MINUTE, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

/**
 * An ephemeral group is created at 23:00 for 2h, expires at 01:00, and is swept at 03:00.
 * A permanent group grants bob throughout; ada is deleted at 02:00.
 */
async function story() {
  await h.ok(['user', 'create', '-e', 'ada@example.com']);
  await h.ok(['user', 'create', '-e', 'bob@example.com']);
  await h.ok(['resource', 'create', '-n', 'production', '-a', 'prod.internal']);
  await h.ok(['group', 'create', '-g', 'oncall', '-u', 'bob@example.com', '-r', 'production']);
  h.advance(10 * MINUTE); // 23:10
  await h.ok(['group', 'create', '-g', 'incident-42', '-u', 'ada@example.com,bob@example.com', '-r', 'production', '--ttl', '2h']);
  h.advance(3 * HOUR); // 02:10
  await h.ok(['user', 'delete', '-i', 'ada@example.com']);
  h.advance(HOUR); // 03:10
  await h.ok(['sweep']);
  expect(await h.json(['group', 'list', '--expired'])).toEqual([]);
}

const population = (asOf: string) => h.ok(['-f', 'csv', 'access', 'list', '--all', '--as-of', asOf]);

describe('access as of a past moment', () => {
  it('the population before, during and after an ephemeral group, after it was swept and its member deleted', async () => {
    await story();
    const header = 'subjectType,subjectId,subjectName,resourceId,resourceName,address,allowed,via,groupId,groupName,expiresAt,limitedBy,reason\n';
    expect(await population('2026-11-22T23:05:00Z')).toBe(
      `${header}user,usr_0000000000000003,bob@example.com,res_0000000000000005,production,prod.internal,true,group,grp_0000000000000007,oncall,,,\n`,
    );
    expect(await population('2026-11-23T00:00:00Z')).toBe(
      header +
        'user,usr_0000000000000001,ada@example.com,res_0000000000000005,production,prod.internal,true,group,grp_0000000000000009,incident-42,2026-11-23T01:10:00.000Z,group,\n' +
        'user,usr_0000000000000003,bob@example.com,res_0000000000000005,production,prod.internal,true,group,grp_0000000000000009,incident-42,2026-11-23T01:10:00.000Z,group,\n' +
        'user,usr_0000000000000003,bob@example.com,res_0000000000000005,production,prod.internal,true,group,grp_0000000000000007,oncall,,,\n',
    );
    expect(await population('2026-11-23T01:30:00Z')).toBe(await population('2026-11-22T23:05:00Z'));
    // Today's tables no longer know ada or incident-42; the log does.
    expect(await h.ok(['-f', 'csv', 'access', 'list', '--all'])).toBe(await population('2026-11-22T23:05:00Z'));
    const during = await h.run(['access', 'check', '--user', 'ada@example.com', '-r', 'production', '--as-of', '2026-11-23T00:00:00Z']);
    expect(during.code).toBe(0);
    const after = await h.run(['access', 'check', '--user', 'ada@example.com', '-r', 'production', '--as-of', '2026-11-23T01:30:00Z']);
    expect(after).toMatchObject({ code: 5, stderr: 'accessctl: access denied at 2026-11-23T01:30:00.000Z: grant expired at 2026-11-23T01:10:00.000Z\n' });
    const gone = await h.run(['access', 'check', '--user', 'ada@example.com', '-r', 'production', '--as-of', '2026-11-23T03:00:00Z']);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toBe('accessctl: user "ada@example.com" did not exist at 2026-11-23T03:00:00.000Z (check the time, or the name it had then)\n');
    expect((await h.json(['access', 'list', '-g', 'incident-42', '--as-of', '2026-11-23T00:00:00Z'])).map((r) => r.subjectName)).toEqual(['ada@example.com', 'bob@example.com']);
    expect((await h.json(['access', 'list', '--user', 'bob@example.com', '--as-of', '2026-11-23T00:00:00Z'])).map((r) => r.groupName)).toEqual(['incident-42', 'oncall']);
  });

  it('access diff names the create and the expiry', async () => {
    await story();
    const csv = await h.ok(['-f', 'csv', 'access', 'diff', '--from', '2026-11-22T23:05:00Z', '--to', '2026-11-23T02:00:00Z']);
    expect(csv).toBe(
      'change,subjectType,subjectId,subjectName,resourceId,resourceName,via,groupId,groupName,at,seq,actor,action,cause\n' +
        'gained,user,usr_0000000000000001,ada@example.com,res_0000000000000005,production,group,grp_0000000000000009,incident-42,2026-11-22T23:10:00.000Z,6,tester,group.create,seq 6 group.create by tester\n' +
        'gained,user,usr_0000000000000003,bob@example.com,res_0000000000000005,production,group,grp_0000000000000009,incident-42,2026-11-22T23:10:00.000Z,6,tester,group.create,seq 6 group.create by tester\n' +
        'lost,user,usr_0000000000000001,ada@example.com,res_0000000000000005,production,group,grp_0000000000000009,incident-42,2026-11-23T01:10:00.000Z,,,,expired at 2026-11-23T01:10:00.000Z\n' +
        'lost,user,usr_0000000000000003,bob@example.com,res_0000000000000005,production,group,grp_0000000000000009,incident-42,2026-11-23T01:10:00.000Z,,,,expired at 2026-11-23T01:10:00.000Z\n',
    );
    // Over the whole story ada's access through incident-42 came and went; a revocation by an event names it.
    await h.ok(['group', 'remove-users', '-g', 'oncall', '-u', 'bob@example.com']);
    const lost = await h.json(['access', 'diff', '--from', '2026-11-23T03:00:00Z']);
    expect(lost.map((r) => [r.change, r.subjectName, r.groupName, r.action])).toEqual([['lost', 'bob@example.com', 'oncall', 'group.remove-user']]);
    expect((await h.run(['access', 'diff', '--from', '2026-11-23T03:00:00Z', '--to', '2026-11-22T00:00:00Z'])).code).toBe(2);
  });
});

describe('an expired name is free', () => {
  it('creating a group under an expired group\'s name sweeps the old one in the same transaction, and the log still replays', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    await h.ok(['group', 'create', '-g', 'incident', '-u', 'ada@example.com', '--ttl', '1h']);
    expect((await h.run(['group', 'create', '-g', 'incident'])).code).toBe(4);
    h.advance(HOUR);
    await h.ok(['group', 'create', '-g', 'Incident']);
    // seq 1 is the fixture's own config.set; 2 and 3 the user and the first group.
    const events = await h.json(['audit', 'list', '--after-seq', '3']);
    expect(events.map((e) => [e.action, (e.details as { cause?: string }).cause])).toEqual([
      ['sweep.group.delete', 'sweep'],
      ['group.create', undefined],
    ]);
    expect((await h.run(['db', 'check'])).code).toBe(0);
    expect((await h.json(['access', 'list', '-g', 'incident', '--as-of', '2026-11-22T23:30:00Z'])).map((r) => r.subjectName)).toEqual([]);
  });
});
