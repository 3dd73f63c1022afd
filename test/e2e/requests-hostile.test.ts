import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canReach, expectCleanStore, requestWorld, type RequestWorld } from '../helpers/request-world.js';

/** A requester trying to get access without someone else's genuine approval, and an operator's slips. */

let w: RequestWorld;
beforeEach(() => {
  w = requestWorld();
});
afterEach(() => rmSync(w.dir, { recursive: true, force: true }));

const line = (text: string) => `accessctl: ${text}\n`;
const admin = (args: string[]) => expect(w.as('root', ['-q', ...args]).code).toBe(0);

describe('approvals count only while their approver may still approve', () => {
  it('an approval from someone removed from the approvers since does not count towards the grant', async () => {
    await w.policy('prod', 'approvers', { approvals: 2 });
    admin(['group', 'add-users', '-g', 'approvers', '-u', 'dave@example.com']);
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    expect(w.as('dave', ['-q', 'request', 'approve', id]).code).toBe(0);
    // dave is found to be ada's accomplice and taken out of the approvers.
    admin(['group', 'remove-users', '-g', 'approvers', '-u', 'dave@example.com']);
    const second = w.as('bob', ['request', 'approve', id]);
    expect(second).toMatchObject({ code: 0, stderr: `note: approval 1 of 2 (1 earlier approval no longer counts: not an approver now); request ${id} stays PENDING\n` });
    expect(canReach(w, 'ada')).toBe(5);
    expect(w.json('root', ['request', 'show', id])).toMatchObject({ state: 'PENDING' });
    expect(w.json('carol', ['request', 'approve', id])).toMatchObject({ state: 'APPROVED', decidedBy: 'carol' });
    expect(canReach(w, 'ada')).toBe(0);
    expectCleanStore(w);
  });

  it('approvals given under the old approvers group do not count once the policy names another', async () => {
    await w.policy('prod', 'approvers', { approvals: 2 });
    admin(['group', 'create', '-g', 'dba', '-u', 'dave@example.com']);
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    expect(w.as('bob', ['-q', 'request', 'approve', id]).code).toBe(0);
    await w.policy('prod', 'dba', { approvals: 1 });
    // bob's approval was given as a member of approvers, who no longer decide: dave's is the one that grants.
    expect(w.as('carol', ['request', 'approve', id])).toMatchObject({ code: 5 });
    expect(w.json('dave', ['request', 'approve', id])).toMatchObject({ state: 'APPROVED' });
    expectCleanStore(w);
  });

  it('a disabled approver\'s earlier approval does not count', async () => {
    await w.policy('prod', 'approvers', { approvals: 2 });
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    expect(w.as('bob', ['-q', 'request', 'approve', id]).code).toBe(0);
    admin(['user', 'disable', 'bob@example.com']);
    expect(w.as('carol', ['request', 'approve', id]).stderr).toMatch(/^note: approval 1 of 2 \(1 earlier approval no longer counts/);
    expect(canReach(w, 'ada')).toBe(5);
    expectCleanStore(w);
  });
});

describe('--start near the end of time', () => {
  it('a window that would end after 9999 is refused at create (exit 2), so export and apply can read every membership back', async () => {
    await w.policy('prod', 'approvers', { maxDuration: '8h' });
    expect(w.as('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x', '--start', '9999-12-31T23:00:00Z'])).toEqual({
      code: 2,
      stdout: '',
      stderr: line('--for 1h from --start ends after 9999-12-31T23:59:59.999Z (a time is at most 9999-12-31T23:59:59.999Z)'),
    });
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '59m', '--reason', 'x', '--start', '9999-12-31T23:00:00Z']).id);
    expect(w.json('bob', ['request', 'approve', id])).toMatchObject({ state: 'APPROVED', expiresAt: '9999-12-31T23:59:00.000Z' });
    const exported = w.as('root', ['export']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).not.toMatch(/\+0\d{5}/);
    expectCleanStore(w);
  });
});

describe('break-glass on someone\'s behalf is decided by its asker', () => {
  it('a login linked to nobody, or to a disabled user, may not grant someone access at once (exit 5); an active one may', async () => {
    await w.policy('prod', 'approvers', { breakGlass: true });
    const glass = (login: string) => w.as(login, ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'outage', '--break-glass', '--user', 'dave@example.com']);
    const hint = "a break-glass grant on someone's behalf is decided by its asker; ask without --break-glass, for approval";
    expect(glass('zed')).toEqual({ code: 5, stdout: '', stderr: line(`no user is linked to login zed (${hint})`) });
    admin(['user', 'disable', 'carol@example.com']);
    expect(glass('carol')).toEqual({ code: 5, stdout: '', stderr: line(`your user carol@example.com is disabled (${hint})`) });
    expect(canReach(w, 'dave')).toBe(5);
    expect(w.as('root', ['-f', 'json', 'request', 'list']).stdout).toBe('[]\n');
    // Without --break-glass a login linked to nobody still asks on someone's behalf, for approval.
    expect(w.json('zed', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x', '--user', 'dave@example.com'])).toMatchObject({ state: 'PENDING', requestedBy: 'zed' });
    const granted = w.as('bob', ['-f', 'json', 'request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'outage', '--break-glass', '--user', 'ada@example.com']);
    expect(granted.code, granted.stderr).toBe(0);
    const id = String((JSON.parse(granted.stdout) as Array<Record<string, unknown>>)[0]!.id);
    // Neither its user nor its asker reviews it.
    expect(w.as('ada', ['request', 'review', id, '--reason', 'ok']).code).toBe(5);
    expect(w.as('bob', ['request', 'review', id, '--reason', 'ok']).code).toBe(5);
    expectCleanStore(w);
  });
});

describe('the current policy\'s maximum decides at approval', () => {
  it('a request for longer than the group allows now is refused at approve (exit 4) and can still be denied', async () => {
    await w.policy('prod', 'approvers', { maxDuration: '8h' });
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '8h', '--reason', 'x']).id);
    await w.policy('prod', 'approvers', { maxDuration: '1h' });
    expect(w.as('bob', ['request', 'approve', id])).toEqual({
      code: 4,
      stdout: '',
      stderr: line(`request ${id} asks for 8h, over the 1h group prod allows now (deny it; its user can ask again for less)`),
    });
    expect(canReach(w, 'ada')).toBe(5);
    // A non-approver is still told why they may not act at all.
    expect(w.as('dave', ['request', 'approve', id]).code).toBe(5);
    expect(w.json('bob', ['request', 'deny', id, '--reason', 'too long'])).toMatchObject({ state: 'DENIED' });
    const again = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    expect(w.json('bob', ['request', 'approve', again])).toMatchObject({ state: 'APPROVED', duration: '1h' });
    expectCleanStore(w);
  });
});
