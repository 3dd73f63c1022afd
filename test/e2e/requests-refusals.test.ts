import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canReach, expectCleanStore, requestWorld, type RequestWorld } from '../helpers/request-world.js';

let w: RequestWorld;
beforeEach(async () => {
  w = requestWorld();
  await w.policy('prod', 'approvers', { maxDuration: '8h' });
});
afterEach(() => rmSync(w.dir, { recursive: true, force: true }));

const line = (text: string) => `accessctl: ${text}\n`;

describe('request create refusals', () => {
  it('exit 2 for the policy, 3 for an unknown group, 4 for a duplicate or a disabled user, 5 for a login linked to nobody', async () => {
    const create = (login: string, ...args: string[]) => w.as(login, ['request', 'create', ...args]);
    expect(create('ada', '-g', 'approvers', '--for', '1h', '--reason', 'x')).toEqual({
      code: 2,
      stdout: '',
      stderr: line('group approvers is not requestable (an admin makes it so: accessctl group update approvers --requestable --approvers GROUP)'),
    });
    expect(create('ada', '-g', 'prod', '--for', '9h', '--reason', 'x')).toMatchObject({ code: 2, stderr: line('--for 9h is over the 8h group prod allows (ask for less with --for)') });
    expect(create('ada', '-g', 'prod', '--for', '1h')).toMatchObject({ code: 2, stderr: line('group prod requires a reason (pass --reason TEXT)') });
    expect(create('ada', '-g', 'prod', '--for', '1h', '--reason', 'x', '--break-glass')).toMatchObject({
      code: 2,
      stderr: line('group prod does not allow break-glass requests (ask without --break-glass, for approval)'),
    });
    expect(create('ada', '-g', 'prod', '--reason', 'x')).toMatchObject({ code: 2, stderr: line('missing duration (pass --for DURATION, for example --for 2h)') });
    expect(create('ada', '-g', 'prod', '--for', 'soon', '--reason', 'x').code).toBe(2);
    expect(create('ada', '-g', 'nope', '--for', '1h', '--reason', 'x').code).toBe(3);
    expect(create('zed', '-g', 'prod', '--for', '1h', '--reason', 'x')).toMatchObject({
      code: 5,
      stderr: line('no user is linked to login zed (an admin links it: accessctl user update USER --login zed; or pass --user)'),
    });

    const first = w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']);
    expect(create('ada', '-g', 'prod', '--for', '2h', '--reason', 'again')).toMatchObject({
      code: 4,
      stderr: line(`ada@example.com already has a pending request for prod: ${String(first.id)} (wait for its decision, or cancel it first)`),
    });
    // Someone asking on ada's behalf is the same request.
    expect(create('bob', '-g', 'prod', '--for', '1h', '--reason', 'x', '--user', 'ada@example.com').code).toBe(4);
    expect(w.as('root', ['-q', 'user', 'disable', 'dave@example.com']).code).toBe(0);
    expect(create('dave', '-g', 'prod', '--for', '1h', '--reason', 'x')).toMatchObject({ code: 4, stderr: line('user dave@example.com is disabled (a disabled user reaches nothing; enable the user first)') });
    // A zed account asking for a linked user is recorded as zed.
    expect(w.json('zed', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x', '--user', 'carol@example.com'])).toMatchObject({ requestedBy: 'zed', userEmail: 'carol@example.com' });
    expectCleanStore(w);
  });
});

describe('who may approve (exit 5 naming why)', () => {
  it('never the user it is for, whatever --actor or ACCESSCTL_ACTOR say; not a non-member; not a login linked to nobody; not a disabled approver', async () => {
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    const approve = (login: string, args: string[] = [], env: Record<string, string> = {}) => w.as(login, [...args, 'request', 'approve', id], env);
    const self = line(`you may not approve request ${id}: you are the user this access is for (another approver must decide)`);
    expect(approve('ada')).toEqual({ code: 5, stdout: '', stderr: self });
    expect(approve('ada', ['--actor', 'bob'])).toMatchObject({ code: 5, stderr: self });
    expect(approve('ada', [], { ACCESSCTL_ACTOR: 'bob' })).toMatchObject({ code: 5, stderr: self });
    // Even made an approver, the user it is for cannot approve it.
    expect(w.as('root', ['-q', 'group', 'add-users', '-g', 'approvers', '-u', 'ada@example.com']).code).toBe(0);
    expect(approve('ada')).toMatchObject({ code: 5, stderr: self });
    expect(approve('dave')).toMatchObject({ code: 5, stderr: line(`you may not approve request ${id}: not a member of approvers group approvers (another approver must decide)`) });
    expect(approve('zed')).toMatchObject({ code: 5, stderr: line(`you may not approve request ${id}: no user is linked to login zed (another approver must decide)`) });
    expect(w.as('root', ['-q', 'user', 'disable', 'bob@example.com']).code).toBe(0);
    expect(approve('bob')).toMatchObject({ code: 5, stderr: line(`you may not approve request ${id}: your user bob@example.com is disabled (another approver must decide)`) });
    // Unlinking a login takes its rights with it; relinking it to another user gives that user's.
    expect(w.as('root', ['-q', 'user', 'update', 'carol@example.com', '--no-login']).code).toBe(0);
    expect(approve('carol')).toMatchObject({ code: 5, stderr: line(`you may not approve request ${id}: no user is linked to login carol (another approver must decide)`) });
    expect(w.as('root', ['-q', 'user', 'update', 'dave@example.com', '--login', 'carol']).code).toBe(0);
    expect(approve('carol')).toMatchObject({ code: 5, stderr: line(`you may not approve request ${id}: not a member of approvers group approvers (another approver must decide)`) });
    expect(canReach(w, 'ada')).toBe(5);
    expect(JSON.parse(w.as('root', ['-f', 'json', 'request', 'show', id]).stdout)[0]).toMatchObject({ state: 'PENDING', approvals: [] });
    expectCleanStore(w);
  });

  it('an approver whose membership has expired may not approve', async () => {
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    expect(w.as('root', ['-q', 'group', 'add-users', '-g', 'approvers', '-u', 'dave@example.com', '--ttl', '1h']).code).toBe(0);
    const later = { ACCESSCTL_NOW: new Date(Date.now() + 2 * 3_600_000).toISOString() };
    expect(w.as('dave', ['request', 'approve', id], later)).toMatchObject({ code: 5, stderr: line(`you may not approve request ${id}: not a member of approvers group approvers (another approver must decide)`) });
    expect(w.json('dave', ['request', 'approve', id])).toMatchObject({ state: 'APPROVED', decidedBy: 'dave' });
    expectCleanStore(w);
  });

  it('the current policy decides: approvals raised after the request, or the group no longer requestable', async () => {
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    await w.policy('prod', 'approvers', { approvals: 2 });
    expect(w.json('bob', ['request', 'approve', id])).toMatchObject({ state: 'PENDING', approvalsNeeded: 2 });
    await w.policy('prod', null);
    const expires = String(w.json('root', ['request', 'show', id]).pendingUntil);
    for (const verb of ['approve', 'deny']) {
      expect(w.as('carol', ['request', verb, id, '--reason', 'r'])).toMatchObject({
        code: 4,
        stderr: line(`group prod is no longer requestable (its asker can cancel the request; otherwise it expires at ${expires})`),
      });
    }
    expect(w.json('ada', ['request', 'cancel', id])).toMatchObject({ state: 'CANCELLED' });
    expectCleanStore(w);
  });

  it('unknown and malformed ids, review of a request that is not break-glass, cancel by someone else', () => {
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    expect(w.as('bob', ['request', 'approve', 'req_0000000000000000'])).toMatchObject({ code: 3, stderr: line('request "req_0000000000000000" not found (pass a request id (req_…); see accessctl request list)') });
    expect(w.as('bob', ['request', 'approve', 'req_123']).code).toBe(2);
    expect(w.as('bob', ['request', 'approve']).code).toBe(2);
    expect(w.as('root', ['-f', 'csv', 'request', 'show', 'req_0000000000000000'])).toMatchObject({ code: 3 });
    expect(w.as('bob', ['request', 'review', id, '--reason', 'ok'])).toMatchObject({ code: 4, stderr: line(`request ${id} is not a break-glass request (only break-glass grants are reviewed after the fact)`) });
    expect(w.as('bob', ['request', 'cancel', id])).toMatchObject({ code: 5, stderr: line(`you may not cancel request ${id}: you did not ask for it (only its asker (ada) can; an approver can deny it)`) });
    expect(w.as('bob', ['request', 'revoke', id])).toMatchObject({ code: 4, stderr: line(`cannot revoke request ${id}: it is PENDING (a pending request can be approved, denied or cancelled)`) });
    expect(w.as('ada', ['request', 'deny', id, '--reason', 'no'])).toMatchObject({ code: 5 });
    expectCleanStore(w);
  });
});

describe('user update --login', () => {
  it('links, refuses a login another user holds (exit 4 naming who), validates the text, unlinks; audited as user.update', () => {
    expect(w.as('root', ['user', 'update', 'dave@example.com', '--login', 'ada'])).toEqual({
      code: 4,
      stdout: '',
      stderr: line('login "ada" is already linked to ada@example.com (a login belongs to one user; run accessctl user update ada@example.com --no-login first)'),
    });
    expect(w.as('root', ['user', 'update', 'dave@example.com', '--login', '']).code).toBe(2);
    expect(w.as('root', ['user', 'update', 'dave@example.com', '--login', '-x']).code).toBe(2);
    expect(w.as('root', ['user', 'update', 'dave@example.com', '--login', 'a\u200bb']).code).toBe(2);
    expect(w.json('root', ['user', 'update', 'dave@example.com', '--login', 'Dave.Smith'])).toMatchObject({ login: 'Dave.Smith' });
    expect(w.json('root', ['user', 'show', 'dave@example.com'])).toMatchObject({ login: 'Dave.Smith' });
    // Compared exactly: another case is another login.
    expect(w.as('root', ['-q', 'user', 'update', 'carol@example.com', '--login', 'dave.smith']).code).toBe(0);
    expect(w.json('root', ['user', 'update', 'dave@example.com', '--no-login'])).toMatchObject({ login: null });
    const dave = String(w.json('root', ['user', 'show', 'dave@example.com']).id);
    const events = JSON.parse(w.as('root', ['-f', 'json', 'audit', 'list', '--action', 'user.update']).stdout) as Array<{ targetId: string; details: { changes: Array<{ to: { login?: unknown } }> } }>;
    expect(events.filter((e) => e.targetId === dave).map((e) => e.details.changes[0]!.to.login)).toEqual(['dave', 'Dave.Smith', null]);
    const listed = w.as('root', ['-f', 'csv', 'user', 'list']).stdout.split('\n');
    expect(listed[0]).toBe('id,email,firstName,lastName,role,state,type,login,createdAt,updatedAt');
    expectCleanStore(w);
  });
});
