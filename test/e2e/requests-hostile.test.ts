import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
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

describe('revoke ends the access the request added, even when it was merged into a later grant', () => {
  const HOUR = 3_600_000;
  // In the past on the hour: ACCESSCTL_NOW moves the clock (the store opted in), and no event lies in db check's future.
  const T0 = Math.floor((Date.now() - 2 * 24 * HOUR) / HOUR) * HOUR;
  const at = (hours: number) => ({ ACCESSCTL_NOW: new Date(T0 + hours * HOUR).toISOString() });
  const iso = (hours: number) => new Date(T0 + hours * HOUR).toISOString();

  it('a grant for now that met a grant for later is taken back to the later one: no access is left in between', async () => {
    await w.policy('prod', 'approvers', { maxDuration: '8h' });
    const later = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '2h', '--reason', 'maintenance', '--start', iso(6)], at(0)).id);
    expect(w.json('bob', ['request', 'approve', later], at(0))).toMatchObject({ startsAt: iso(6), expiresAt: iso(8) });
    const now = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '4h', '--reason', 'INC-9'], at(3)).id);
    // The membership becomes the union, 3h to 8h.
    expect(w.json('carol', ['request', 'approve', now], at(3))).toMatchObject({ startsAt: iso(3), expiresAt: iso(7) });
    expect(canReach(w, 'ada', at(4))).toBe(0);
    const revoked = w.as('bob', ['-q', 'request', 'revoke', now], at(4));
    expect(revoked).toMatchObject({ code: 0, stderr: '' });
    // Revoked at 4h: nothing until the later grant starts at 6h, which stays as it was approved.
    expect(canReach(w, 'ada', at(4.5))).toBe(5);
    expect(canReach(w, 'ada', at(5.99))).toBe(5);
    expect(canReach(w, 'ada', at(6))).toBe(0);
    expect(canReach(w, 'ada', at(7.99))).toBe(0);
    expect(canReach(w, 'ada', at(8))).toBe(5);
    expectCleanStore(w);
  });

  it('a grant for later that met one for now is taken back too, leaving the one for now as approved', async () => {
    await w.policy('prod', 'approvers', { maxDuration: '8h' });
    const now = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '4h', '--reason', 'INC-9'], at(0)).id);
    expect(w.json('bob', ['request', 'approve', now], at(0))).toMatchObject({ startsAt: iso(0), expiresAt: iso(4) });
    const later = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '4h', '--reason', 'follow-up', '--start', iso(3)], at(1)).id);
    expect(w.json('carol', ['request', 'approve', later], at(1))).toMatchObject({ startsAt: iso(3), expiresAt: iso(7) });
    expect(w.as('bob', ['-q', 'request', 'revoke', later], at(2))).toMatchObject({ code: 0, stderr: '' });
    expect(canReach(w, 'ada', at(3.99))).toBe(0);
    expect(canReach(w, 'ada', at(4))).toBe(5);
    expectCleanStore(w);
  });
});

describe('a request row edited by hand', () => {
  it('malformed approvals are named by db check, break neither show nor list, and never count', async () => {
    await w.policy('prod', 'approvers', { approvals: 2 });
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    expect(w.as('bob', ['-q', 'request', 'approve', id]).code).toBe(0);
    const db = new Database(w.db);
    try {
      const row = db.prepare('select approvals from requests where id = ?').get(id) as { approvals: string };
      const forged = [null, 1, 'x', { login: 'carol' }, { login: 'dave', userId: 'usr_x', at: 'yesterday', reason: null }, ...(JSON.parse(row.approvals) as unknown[])];
      db.prepare('update requests set approvals = ? where id = ?').run(JSON.stringify(forged), id);
    } finally {
      db.close();
    }
    const check = w.as('root', ['-f', 'json', 'db', 'check']);
    expect(check.code).toBe(6);
    expect(check.stdout).toContain(`requests ${id} approvals: approvals is`);
    const shown = w.json('root', ['request', 'show', id]);
    expect((shown.approvals as Array<{ login: string }>).map((a) => a.login)).toEqual(['bob']);
    expect(w.as('root', ['request', 'list']).code).toBe(0);
    // carol's forged entry is not hers: she may approve, and with bob's that is two.
    expect(w.json('carol', ['request', 'approve', id])).toMatchObject({ state: 'APPROVED' });
  });

  it('control and bidi characters put in by hand are shown as code points, never sent to the terminal', async () => {
    await w.policy('prod', 'approvers');
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    const db = new Database(w.db);
    try {
      db.prepare('update requests set reason = ? where id = ?').run('ok\u001b[2J\u001b]0;owned\u0007 \u202egnp.exe', id);
    } finally {
      db.close();
    }
    for (const args of [['request', 'show', id], ['request', 'list', '--columns', 'id,reason'], ['db', 'check']]) {
      const out = w.as('root', args).stdout;
      expect(out).not.toMatch(/[\u001b\u0007\u202e]/);
    }
    expect(w.as('root', ['request', 'show', id]).stdout).toMatch(/^reason +ok<U\+001B>\[2J<U\+001B>\]0;owned<U\+0007> <U\+202E>gnp\.exe$/m);
    // The data formats keep the value as stored (JSON escapes it); db check names the edit.
    expect((w.json('root', ['request', 'show', id]) as { reason: string }).reason).toBe('ok\u001b[2J\u001b]0;owned\u0007 \u202egnp.exe');
  });
});

describe('a request asked on someone\'s behalf does not block them', () => {
  it('a pending request the user cannot cancel does not stand between them and break-glass', async () => {
    await w.policy('prod', 'approvers', { breakGlass: true });
    // Anyone who can ask may ask on ada's behalf; only the asker cancels it.
    const other = String(w.json('zed', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x', '--user', 'ada@example.com']).id);
    expect(w.as('ada', ['request', 'cancel', other]).code).toBe(5);
    expect(w.as('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x'])).toMatchObject({ code: 4 });
    const glass = w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'outage', '--break-glass']);
    expect(glass).toMatchObject({ state: 'APPROVED', breakGlass: true });
    expect(canReach(w, 'ada')).toBe(0);
    expect(w.json('root', ['request', 'show', other])).toMatchObject({ state: 'PENDING' });
    expectCleanStore(w);
  });
});
