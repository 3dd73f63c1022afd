import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

/** A group's request policy (SPEC section 15): set by `group update`, shown, kept by export/apply. */
let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['group', 'create', '-g', 'prod-admins']);
  await h.ok(['group', 'create', '-g', 'sre-leads']);
});
afterEach(() => h.cleanup());

const DEFAULTS = { approvers: 'sre-leads', approvals: 1, maxDuration: '8h', pendingTtl: '1d', requireReason: true, breakGlass: false };
const policyOf = async (group = 'prod-admins') => (await h.json(['group', 'show', group]))[0]!.requestPolicy;
const update = (...flags: string[]) => h.run(['group', 'update', 'prod-admins', ...flags]);
const file = (name: string, text: string) => {
  const path = join(h.dir, name);
  writeFileSync(path, text);
  return path;
};

describe('group update --requestable', () => {
  it('sets the policy with its defaults, changes single fields, and removes it; each change one group.update event', async () => {
    expect(await policyOf()).toBeNull();
    await h.ok(['group', 'update', 'prod-admins', '--requestable', '--approvers', 'sre-leads']);
    expect(await policyOf()).toEqual(DEFAULTS);
    await h.ok(['group', 'update', 'prod-admins', '--approvals', '2', '--max-duration', '4h', '--no-require-reason', '--break-glass', '--pending-ttl', '2h']);
    expect(await policyOf()).toEqual({ ...DEFAULTS, approvals: 2, maxDuration: '4h', pendingTtl: '2h', requireReason: false, breakGlass: true });
    await h.ok(['group', 'update', 'prod-admins', '--require-reason']);
    expect(((await policyOf()) as Record<string, unknown>).requireReason).toBe(true);
    const [last] = (await h.json<{ action: string; details: { changes: Array<{ table: string; from: Record<string, unknown>; to: Record<string, unknown> }> } }>(['audit', 'list'])).slice(-1);
    expect(last!.action).toBe('group.update');
    expect(last!.details.changes[0]!.table).toBe('groups');
    expect(Object.keys(last!.details.changes[0]!.to)).toContain('request_policy');

    const table = await h.ok(['group', 'show', 'prod-admins']);
    expect(table).toMatch(/\nrequest +approvers sre-leads, 2 approvals, up to 4h, pending 2h, reason required, break-glass\n/);
    await h.ok(['group', 'update', 'prod-admins', '--not-requestable']);
    expect(await policyOf()).toBeNull();
    expect((await h.json(['db', 'check'])).every((c) => c.ok)).toBe(true);
  });

  it.each([
    [['--approvals', '2'], 2, 'accessctl: group prod-admins is not requestable, so --approvals has nothing to change (make it requestable: accessctl group update prod-admins --requestable --approvers GROUP)'],
    [['--requestable'], 2, 'accessctl: --requestable needs --approvers GROUP (the group whose members approve requests)'],
    [['--requestable', '--approvers', 'prod-admins'], 2, 'accessctl: group prod-admins cannot approve requests for itself (name another group with --approvers; its members approve)'],
    [['--requestable', '--approvers', 'nobody'], 3, 'accessctl: group "nobody" not found'],
    [['--requestable', '--approvers', 'sre-leads', '--max-duration', '367d'], 2, 'accessctl: invalid --max-duration "367d": longer than 366 days'],
    [['--requestable', '--approvers', 'sre-leads', '--max-duration', '0s'], 2, 'accessctl: invalid --max-duration'],
    [['--requestable', '--approvers', 'sre-leads', '--pending-ttl', '31d'], 2, 'accessctl: invalid --pending-ttl "31d": longer than 30 days'],
    [['--requestable', '--approvers', 'sre-leads', '--approvals', '21'], 2, 'accessctl: invalid --approvals "21" (a whole number from 1 to 20)'],
    [['--requestable', '--approvers', 'sre-leads', '--approvals', 'two'], 2, 'accessctl: invalid --approvals "two"'],
    [['--requestable', '--not-requestable'], 2, 'accessctl: --requestable and --not-requestable contradict each other'],
    [['--not-requestable', '--approvals', '2'], 2, 'accessctl: --not-requestable takes no policy options (got --approvals)'],
  ])('%j is refused with exit %i and changes nothing', async (flags, code, message) => {
    const events = (await h.json(['audit', 'list'])).length;
    const r = await update(...flags);
    expect(r.code).toBe(code);
    expect(r.stderr.startsWith(message)).toBe(true);
    expect(r.stderr.split('\n').length).toBe(2);
    expect((await h.json(['audit', 'list'])).length).toBe(events);
  });

  it('a group that approves another group\'s requests cannot be deleted (exit 4), unless both go', async () => {
    await h.ok(['group', 'update', 'prod-admins', '--requestable', '--approvers', 'sre-leads']);
    const r = await h.run(['-y', 'group', 'delete', 'sre-leads']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      'accessctl: group sre-leads approves the requests of group prod-admins (name other approvers first (accessctl group update prod-admins --approvers GROUP) or make it not requestable (accessctl group update prod-admins --not-requestable))\n',
    );
    expect(await h.json(['group', 'show', 'sre-leads'])).toHaveLength(1);
    await h.ok(['-y', 'group', 'delete', 'sre-leads,prod-admins']);
    expect(await h.json(['group', 'list'])).toEqual([]);
  });
});

const POLICY_FILE = `groups:
  - name: prod-admins
    request:
      approvers: sre-leads
      maxDuration: 4h
      approvals: 2
  - name: sre-leads
`;

describe('request: in access as code', () => {
  it('plan shows the policy changing, apply sets it, export writes it, and the export reproduces it in an empty store', async () => {
    const path = file('policy.yaml', POLICY_FILE);
    const plan = await h.run(['plan', '-f', path]);
    expect(plan.code).toBe(7);
    expect(plan.stdout).toContain('~ group prod-admins\n    request: not requestable → approvers sre-leads, 2 approvals, up to 4h, pending 1d, reason required, no break-glass\n');
    await h.ok(['apply', '-f', path]);
    expect(await policyOf()).toEqual({ ...DEFAULTS, approvals: 2, maxDuration: '4h' });
    expect((await h.run(['plan', '-f', path])).code).toBe(0);

    const exported = await h.ok(['export']);
    expect(exported).toContain('  - name: prod-admins\n    request:\n      approvers: sre-leads\n      approvals: 2\n      maxDuration: 4h\n      pendingTtl: 1d\n      requireReason: true\n      breakGlass: false\n');
    const other = harness();
    try {
      writeFileSync(join(other.dir, 'x.yaml'), exported);
      const created = await other.run(['plan', '-f', join(other.dir, 'x.yaml')]);
      expect(created.stdout).toContain('+ group prod-admins\n    isActive: true\n    request: approvers sre-leads, 2 approvals, up to 4h');
      await other.ok(['apply', '-f', join(other.dir, 'x.yaml')]);
      expect(await other.ok(['export'])).toBe(exported);
      expect((await other.json(['db', 'check'])).every((c) => c.ok)).toBe(true);
    } finally {
      other.cleanup();
    }

    // A declared group without request: is not requestable: the file is authoritative.
    const without = file('without.yaml', POLICY_FILE.replace(/    request:\n(      .*\n)+/, ''));
    expect((await h.run(['plan', '-f', without])).stdout).toContain('~ group prod-admins\n    request: approvers sre-leads, 2 approvals, up to 4h, pending 1d, reason required, no break-glass → not requestable\n');
    await h.ok(['apply', '-f', without]);
    expect(await policyOf()).toBeNull();
  });

  it('the approvers may be a group the store has and the file does not declare', async () => {
    await h.ok(['apply', '-f', file('one.yaml', 'groups:\n  - name: prod-admins\n    request: {approvers: sre-leads}\n')]);
    expect(await policyOf()).toEqual(DEFAULTS);
  });

  it.each([
    ['unknown approvers', '{approvers: nobody}', /groups\[0\]\.request\.approvers: unknown group "nobody"/],
    ['itself', '{approvers: prod-admins}', /groups\[0\]\.request\.approvers: group prod-admins cannot approve requests for itself/],
    ['no approvers', '{maxDuration: 4h}', /groups\[0\]\.request: missing approvers/],
    ['a bad duration', '{approvers: sre-leads, maxDuration: forever}', /groups\[0\]\.request\.maxDuration: invalid maxDuration "forever"/],
    ['a number for a duration', '{approvers: sre-leads, pendingTtl: 3600}', /groups\[0\]\.request\.pendingTtl: expected a duration/],
    ['too many approvals', '{approvers: sre-leads, approvals: 21}', /groups\[0\]\.request\.approvals: invalid approvals "21"/],
    ['a text for approvals', '{approvers: sre-leads, approvals: "2"}', /groups\[0\]\.request\.approvals: expected a whole number/],
    ['an unknown key', '{approvers: sre-leads, approver: x}', /groups\[0\]\.request\.approver: unknown key "approver"/],
    ['a non-boolean', '{approvers: sre-leads, breakGlass: yes please}', /groups\[0\]\.request\.breakGlass: expected true or false/],
  ])('%s: exit 2, nothing written', async (_name, request, message) => {
    const events = (await h.json(['audit', 'list'])).length;
    const r = await h.run(['apply', '-f', file('bad.yaml', `groups:\n  - name: prod-admins\n    request: ${request}\n  - name: sre-leads\n`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect((await h.json(['audit', 'list'])).length).toBe(events);
  });

  it('--prune may not delete the approvers of a group it keeps', async () => {
    await h.ok(['group', 'update', 'prod-admins', '--requestable', '--approvers', 'sre-leads']);
    await h.ok(['group', 'create', '-g', 'other']);
    const r = await h.run(['plan', '--prune', '-f', file('prune.yaml', 'groups:\n  - name: prod-admins\n    request: {approvers: sre-leads}\n  - name: other\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown group "sre-leads"|not declared, so --prune would delete it/);
  });
});
