import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canReach, expectCleanStore, requestWorld, type RequestWorld } from '../helpers/request-world.js';

let w: RequestWorld;
beforeEach(() => {
  w = requestWorld();
});
afterEach(() => rmSync(w.dir, { recursive: true, force: true }));

const HOUR = 3_600_000;
// Two days ago on the hour: ACCESSCTL_NOW moves the clock (the store opted in), and every moment
// used stays in the past, so no event lies in the future of the db check that follows.
const T0 = Math.floor((Date.now() - 2 * 24 * HOUR) / HOUR) * HOUR;
const at = (hours: number) => ({ ACCESSCTL_NOW: new Date(T0 + hours * HOUR).toISOString() });
const iso = (hours: number) => new Date(T0 + hours * HOUR).toISOString();

describe('the clock starts at approval (SPEC section 15)', () => {
  it('asked at T0, approved three hours later: the two hours run from the approval, and end by themselves without sweep', async () => {
    await w.policy('prod', 'approvers');
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '2h', '--reason', 'x'], at(0)).id);
    const approved = w.json('bob', ['request', 'approve', id], at(3));
    expect(approved).toMatchObject({ state: 'APPROVED', createdAt: iso(0), startsAt: iso(3), expiresAt: iso(5), decidedAt: iso(3) });
    expect(canReach(w, 'ada', at(4.99))).toBe(0);
    expect(canReach(w, 'ada', at(5))).toBe(5);
    const ended = w.json('root', ['request', 'show', id], at(5));
    expect(ended.state).toBe('ENDED');
    expect(JSON.parse(w.as('root', ['-f', 'json', 'request', 'list', '--state', 'ENDED'], at(5)).stdout)).toHaveLength(1);
    expect(JSON.parse(w.as('root', ['-f', 'json', 'request', 'list', '--state', 'APPROVED'], at(5)).stdout)).toEqual([]);
    expect(w.as('ada', ['request', 'revoke', id], at(6))).toMatchObject({ code: 4, stderr: `accessctl: cannot revoke request ${id}: it is ENDED (the grant is over; make a new request)\n` });
    expectCleanStore(w);
  });

  it('a pending request past its TTL is EXPIRED: it cannot be approved, and a new one may be made', async () => {
    await w.policy('prod', 'approvers', { pendingTtl: '1h' });
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '2h', '--reason', 'x'], at(0)).id);
    expect(w.json('root', ['request', 'show', id], at(0.5)).state).toBe('PENDING');
    expect(w.json('root', ['request', 'show', id], at(1)).state).toBe('EXPIRED');
    expect(JSON.parse(w.as('root', ['-f', 'json', 'request', 'list', '--pending'], at(2)).stdout)).toEqual([]);
    expect(JSON.parse(w.as('root', ['-f', 'json', 'request', 'list', '--state', 'expired'], at(2)).stdout).map((r: { id: string; state: string }) => [r.id, r.state])).toEqual([[id, 'EXPIRED']]);
    expect(w.as('bob', ['request', 'approve', id], at(2))).toMatchObject({ code: 4, stderr: `accessctl: cannot approve request ${id}: it is EXPIRED (it waited past its pending time; make a new request)\n` });
    expect(w.as('ada', ['request', 'cancel', id], at(2)).code).toBe(4);
    const again = w.json('ada', ['request', 'create', '-g', 'prod', '--for', '2h', '--reason', 'x'], at(2));
    expect(again.state).toBe('PENDING');
    expect(canReach(w, 'ada', at(2))).toBe(5);
    expectCleanStore(w);
  });

  it('a future --start: approved early, the grant runs from the start for its duration', async () => {
    await w.policy('prod', 'approvers');
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '2h', '--reason', 'x', '--start', iso(10)], at(0)).id);
    expect(w.json('root', ['request', 'show', id], at(0))).toMatchObject({ requestedStart: iso(10), startsAt: null });
    const approved = w.json('bob', ['request', 'approve', id], at(1));
    expect(approved).toMatchObject({ state: 'APPROVED', startsAt: iso(10), expiresAt: iso(12), decidedAt: iso(1) });
    expect(canReach(w, 'ada', at(11))).toBe(0);
    expect(canReach(w, 'ada', at(12))).toBe(5);
    // A start already past counts from the approval.
    const late = String(w.json('dave', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x', '--start', iso(0)], at(1)).id);
    expect(w.json('carol', ['request', 'approve', late], at(2))).toMatchObject({ startsAt: iso(2), expiresAt: iso(3) });
    expectCleanStore(w);
  });

  it('an approval never shortens a membership the user already has that covers the window', async () => {
    await w.policy('prod', 'approvers');
    expect(w.as('root', ['-q', 'group', 'add-users', '-g', 'prod', '-u', 'ada@example.com'], at(0)).code).toBe(0);
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '2h', '--reason', 'x'], at(0)).id);
    const r = w.as('bob', ['-f', 'json', 'request', 'approve', id], at(1));
    expect(r.stderr).toBe('note: ada@example.com already holds a membership of prod that covers this window; it was left as it is\n');
    expect(canReach(w, 'ada', at(30))).toBe(0);
    // Revoking the request leaves the membership it did not make.
    expect(w.as('bob', ['request', 'revoke', id], at(1.5)).stderr).toBe("note: ada@example.com's membership of prod was not made by this request; it was left as it is\n");
    expect(canReach(w, 'ada', at(30))).toBe(0);
    expectCleanStore(w);
  });
});

describe('break-glass (SPEC section 15)', () => {
  it('granted at once, listed as unreviewed (exit 7) until another approver reviews it', async () => {
    await w.policy('prod', 'approvers', { breakGlass: true });
    const r = w.as('ada', ['-f', 'json', 'request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'outage', '--break-glass'], at(0));
    expect(r.code).toBe(0);
    const made = JSON.parse(r.stdout)[0];
    expect(made).toMatchObject({ state: 'APPROVED', breakGlass: true, startsAt: iso(0), expiresAt: iso(1), decidedBy: 'ada', reviewedBy: null });
    expect(r.stderr).toBe(`note: break-glass access granted until ${iso(1)}; it stays on request list --unreviewed until an approver reviews it\n`);
    expect(canReach(w, 'ada', at(0.5))).toBe(0);
    const unreviewed = w.as('root', ['-q', 'request', 'list', '--unreviewed', '--fail-if-any'], at(0.5));
    expect(unreviewed).toMatchObject({ code: 7, stdout: `${made.id}\n` });
    expect(w.as('ada', ['request', 'review', made.id, '--reason', 'fine'], at(0.5))).toMatchObject({
      code: 5,
      stderr: `accessctl: you may not review request ${made.id}: you are the user this access is for (another approver of the group must review it)\n`,
    });
    expect(w.as('bob', ['request', 'review', made.id], at(0.5))).toMatchObject({ code: 2, stderr: 'accessctl: request review needs a reason (pass --reason TEXT)\n' });
    expect(w.json('bob', ['request', 'review', made.id, '--reason', 'INC-7 checked'], at(2))).toMatchObject({ reviewedBy: 'bob', reviewedAt: iso(2), reviewReason: 'INC-7 checked', state: 'ENDED' });
    expect(w.as('root', ['request', 'list', '--unreviewed', '--fail-if-any'], at(2))).toMatchObject({ code: 0, stderr: '' });
    expect(w.as('carol', ['request', 'review', made.id, '--reason', 'again'], at(2)).code).toBe(4);
    const events = JSON.parse(w.as('root', ['-f', 'json', 'audit', 'list', '--action', 'request.*']).stdout) as Array<{ action: string; details: { login: string; changes: Array<{ table: string }> } }>;
    expect(events.map((e) => [e.action, e.details.login, e.details.changes.map((c) => c.table).join('+')])).toEqual([
      ['request.create', 'ada', 'requests+group_users'],
      ['request.review', 'bob', 'requests'],
    ]);
    expectCleanStore(w);
  });

  it('asked on someone’s behalf, the asker may not review it', async () => {
    await w.policy('prod', 'approvers', { breakGlass: true });
    const id = String(w.json('bob', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'outage', '--break-glass', '--user', 'ada@example.com'], at(0)).id);
    expect(w.as('bob', ['request', 'review', id, '--reason', 'ok'], at(0.5)).stderr).toBe(
      `accessctl: you may not review request ${id}: you asked for it (another approver of the group must review it)\n`,
    );
    expect(w.json('carol', ['request', 'review', id, '--reason', 'ok'], at(0.5))).toMatchObject({ reviewedBy: 'carol' });
    expectCleanStore(w);
  });
});
