import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canReach, expectCleanStore, requestWorld, type RequestWorld } from '../helpers/request-world.js';
import { cliAsync } from '../helpers/spawn.js';

let w: RequestWorld;
beforeEach(() => {
  w = requestWorld();
});
afterEach(() => rmSync(w.dir, { recursive: true, force: true }));

describe('request flows (SPEC section 15)', () => {
  it('two people: ada asks, bob approves, the grant starts at approval and is audited with logins', async () => {
    await w.policy('prod', 'approvers', { maxDuration: '8h' });
    const made = w.json('ada', ['request', 'create', '-g', 'prod', '--for', '2h', '--reason', 'INC-42', '--ticket', 'CHG-7']);
    expect(made).toMatchObject({ groupName: 'prod', userEmail: 'ada@example.com', requestedBy: 'ada', duration: '2h', state: 'PENDING', approvalsNeeded: 1, approvals: [], startsAt: null });
    expect(String(made.id)).toMatch(/^req_[0-9A-Za-z]{16}$/);
    expect(canReach(w, 'ada')).toBe(5);

    const pending = w.as('bob', ['-f', 'json', 'request', 'list', '--pending']);
    expect(JSON.parse(pending.stdout).map((r: { id: string }) => r.id)).toEqual([made.id]);

    const approved = w.json('bob', ['request', 'approve', String(made.id), '--reason', 'on call']);
    expect(approved).toMatchObject({ state: 'APPROVED', decidedBy: 'bob', decisionReason: 'on call' });
    expect(Date.parse(String(approved.expiresAt)) - Date.parse(String(approved.startsAt))).toBe(2 * 3_600_000);
    expect(approved.startsAt).toBe(approved.decidedAt);
    expect((approved.approvals as Array<{ login: string }>).map((a) => a.login)).toEqual(['bob']);
    expect(canReach(w, 'ada')).toBe(0);

    const shown = w.json('dave', ['request', 'show', String(made.id)]);
    expect(shown).toEqual(approved);
    const table = w.as('dave', ['request', 'show', String(made.id)]);
    expect(table.stdout).toMatch(/approvals\s+bob\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+on call/);

    const events = JSON.parse(w.as('root', ['-f', 'json', 'audit', 'list', '--action', 'request.*']).stdout) as Array<{ action: string; actor: string; details: { login: string; changes: Array<{ table: string }> } }>;
    expect(events.map((e) => [e.action, e.details.login])).toEqual([
      ['request.create', 'ada'],
      ['request.approve', 'bob'],
    ]);
    // The last approval carries the membership it made, so replay rebuilds both.
    expect(events[1]!.details.changes.map((c) => c.table)).toEqual(['requests', 'group_users']);
    expectCleanStore(w);
  });

  it('three people with --approvals 2: two distinct approvers, the same one twice is refused', async () => {
    await w.policy('prod', 'approvers', { approvals: 2 });
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'deploy']).id);
    const first = w.as('bob', ['-f', 'json', 'request', 'approve', id]);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe(`note: approval 1 of 2; request ${id} stays PENDING\n`);
    expect(JSON.parse(first.stdout)[0]).toMatchObject({ state: 'PENDING', approvalsNeeded: 2 });
    expect(canReach(w, 'ada')).toBe(5);

    const again = w.as('bob', ['request', 'approve', id]);
    expect(again).toMatchObject({ code: 4, stderr: `accessctl: request ${id} is already approved by you (it needs 2 distinct approvers)\n` });

    const second = w.json('carol', ['request', 'approve', id]);
    expect(second).toMatchObject({ state: 'APPROVED', decidedBy: 'carol' });
    expect((second.approvals as Array<{ login: string }>).map((a) => a.login)).toEqual(['bob', 'carol']);
    expect(canReach(w, 'ada')).toBe(0);
    expectCleanStore(w);
  });

  it('revoke by the user it is for ends the membership at once; a second revoke is exit 4', async () => {
    await w.policy('prod', 'approvers');
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    w.json('bob', ['request', 'approve', id]);
    expect(canReach(w, 'ada')).toBe(0);
    expect(w.as('dave', ['request', 'revoke', id]).stderr).toBe(
      `accessctl: you may not revoke request ${id}: not the user this access is for, nor a member of approvers group approvers (an approver of the group or the user it is for can)\n`,
    );
    expect(w.json('ada', ['request', 'revoke', id, '--reason', 'done early'])).toMatchObject({ state: 'REVOKED', decidedBy: 'ada', decisionReason: 'done early' });
    expect(canReach(w, 'ada')).toBe(5);
    expect(w.as('bob', ['request', 'revoke', id])).toMatchObject({ code: 4, stderr: `accessctl: cannot revoke request ${id}: it is REVOKED (a revoked request is final; make a new request)\n` });
    expectCleanStore(w);
  });

  it('on someone’s behalf: the asker is recorded, cannot approve, and can cancel', async () => {
    await w.policy('prod', 'approvers');
    const made = w.json('bob', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'pairing', '--user', 'ada@example.com']);
    expect(made).toMatchObject({ userEmail: 'ada@example.com', requestedBy: 'bob' });
    const id = String(made.id);
    expect(w.as('bob', ['request', 'approve', id]).stderr).toBe(`accessctl: you may not approve request ${id}: you asked for it (another approver must decide)\n`);
    expect(w.as('ada', ['request', 'cancel', id])).toMatchObject({ code: 5 });
    expect(w.json('bob', ['request', 'cancel', id])).toMatchObject({ state: 'CANCELLED', decidedBy: 'bob' });
    expect(w.as('carol', ['request', 'approve', id])).toMatchObject({ code: 4, stderr: `accessctl: cannot approve request ${id}: it is CANCELLED (a cancelled request is final; make a new request)\n` });
    expectCleanStore(w);
  });

  it('deny needs a reason and ends the request; list filters by state, group, user and --mine', async () => {
    await w.policy('prod', 'approvers');
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    expect(w.as('bob', ['request', 'deny', id])).toMatchObject({ code: 2, stderr: 'accessctl: request deny needs a reason (pass --reason TEXT)\n' });
    expect(w.json('bob', ['request', 'deny', id, '--reason', 'use the replica'])).toMatchObject({ state: 'DENIED', decisionReason: 'use the replica' });
    const other = String(w.json('dave', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'y']).id);
    const ids = (login: string, args: string[]) => (JSON.parse(w.as(login, ['-f', 'json', 'request', 'list', ...args]).stdout) as Array<{ id: string }>).map((r) => r.id);
    expect(ids('root', [])).toEqual([id, other]);
    expect(ids('root', ['--state', 'denied'])).toEqual([id]);
    expect(ids('root', ['--pending'])).toEqual([other]);
    expect(ids('root', ['--user', 'dave@example.com'])).toEqual([other]);
    expect(ids('root', ['-g', 'prod'])).toEqual([id, other]);
    expect(ids('ada', ['--mine'])).toEqual([id]);
    expect(w.as('root', ['request', 'list', '--pending', '--fail-if-any', '-q'])).toEqual({ code: 7, stdout: `${other}\n`, stderr: 'accessctl: request list found 1 request (approve, deny or review them, then run again)\n' });
    expect(w.as('root', ['request', 'list', '--state', 'REVOKED', '--fail-if-any']).code).toBe(0);
    expect(w.as('root', ['request', 'list', '--state', 'LATE'])).toMatchObject({ code: 2 });
    expectCleanStore(w);
  });
});

describe('approvals at the same moment', () => {
  it('two approvers at once on a request that needs one: one grants, the other is told it is APPROVED', async () => {
    await w.policy('prod', 'approvers');
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    const both = await Promise.all(['bob', 'carol'].map((login) => cliAsync(['--db', w.db, 'request', 'approve', id], { env: { SUDO_USER: login } })));
    expect(both.map((r) => r.code).sort()).toEqual([0, 4]);
    expect(both.find((r) => r.code === 4)!.stderr).toBe(`accessctl: cannot approve request ${id}: it is APPROVED (an approved request can be revoked)\n`);
    expect((w.json('root', ['request', 'show', id]).approvals as unknown[]).length).toBe(1);
    expectCleanStore(w);
  });

  it('two approvers at once on a request that needs two: both count, and the second grants', async () => {
    await w.policy('prod', 'approvers', { approvals: 2 });
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    const both = await Promise.all(['bob', 'carol'].map((login) => cliAsync(['--db', w.db, 'request', 'approve', id], { env: { SUDO_USER: login } })));
    expect(both.map((r) => r.code)).toEqual([0, 0]);
    const shown = w.json('root', ['request', 'show', id]);
    expect(shown.state).toBe('APPROVED');
    expect((shown.approvals as Array<{ login: string }>).map((a) => a.login).sort()).toEqual(['bob', 'carol']);
    expect(canReach(w, 'ada')).toBe(0);
    expectCleanStore(w);
  });
});

describe('request help', () => {
  it('request and each verb: --help fits 80 columns', () => {
    for (const verb of ['', 'create', 'list', 'show', 'approve', 'deny', 'cancel', 'revoke', 'review']) {
      const r = w.as('root', ['request', ...(verb ? [verb] : []), '--help']);
      expect(r.code).toBe(0);
      for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    }
  });
});
