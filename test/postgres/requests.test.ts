import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, psql } from '../helpers/pg-cluster.js';
import { setRequestPolicy } from '../helpers/request-policy.js';
import { cli } from '../helpers/spawn.js';

/**
 * On PostgreSQL the login is the session's role (SPEC section 15): ada and bob connect as roles
 * of their own (writers, by db grant), and SUDO_USER means nothing.
 */

const base = inject('pgUrl');
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const ada = `ada_${suffix}`;
const bob = `bob_${suffix}`;
let url = '';

const as = (role: string) => {
  const u = new URL(url);
  u.username = role;
  return u.toString();
};
const run = (role: string, args: string[], env: Record<string, string> = {}) => cli(['--db', as(role), ...args], { env: { ACCESSCTL_ACTOR: role, ...env } });
const owner = (args: string[]) => {
  const r = cli(['--db', url, ...args], { env: { ACCESSCTL_ACTOR: 'owner' } });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};

beforeAll(async () => {
  url = createDatabase(base);
  for (const role of [ada, bob]) psql(url, `create role ${role} login`);
  owner(['db', 'init']);
  for (const role of [ada, bob]) owner(['db', 'grant', '--writer', role, '--apply']);
  owner(['user', 'create', '-e', 'ada@example.com']);
  owner(['user', 'create', '-e', 'bob@example.com']);
  owner(['user', 'update', 'ada@example.com', '--login', ada]);
  owner(['user', 'update', 'bob@example.com', '--login', bob]);
  owner(['resource', 'create', '-n', 'db', '-a', 'db.internal']);
  owner(['group', 'create', '-g', 'prod', '-r', 'db']);
  owner(['group', 'create', '-g', 'approvers', '-u', 'bob@example.com']);
  await setRequestPolicy(url, 'prod', 'approvers');
});
afterAll(() => {
  dropDatabase(url);
  for (const role of [ada, bob]) psql(base, `drop role if exists ${role}`);
});

describe('requests on PostgreSQL', () => {
  it('the role is the login: ada asks, bob approves, SUDO_USER and --actor change nothing', () => {
    const made = run(ada, ['-f', 'json', 'request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x'], { SUDO_USER: bob });
    expect(made.code, made.stderr).toBe(0);
    const req = JSON.parse(made.stdout)[0] as { id: string; requestedBy: string; userEmail: string };
    expect(req).toMatchObject({ requestedBy: ada, userEmail: 'ada@example.com' });
    expect(run(ada, ['--actor', bob, 'request', 'approve', req.id], { SUDO_USER: bob })).toMatchObject({
      code: 5,
      stderr: `accessctl: you may not approve request ${req.id}: you are the user this access is for (another approver must decide)\n`,
    });
    expect(run(bob, ['-q', 'access', 'check', '--user', 'ada@example.com', '-r', 'db']).code).toBe(5);
    const approved = run(bob, ['-f', 'json', 'request', 'approve', req.id]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)[0]).toMatchObject({ state: 'APPROVED', decidedBy: bob });
    expect(run(bob, ['-q', 'access', 'check', '--user', 'ada@example.com', '-r', 'db']).code).toBe(0);
    expect(JSON.parse(run(ada, ['-f', 'json', 'request', 'list', '--mine']).stdout).map((r: { id: string }) => r.id)).toEqual([req.id]);
    const check = cli(['--db', url, 'db', 'check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('a revoke gives a joined membership back its earlier times, read from the approval\'s event', () => {
    owner(['user', 'create', '-e', 'dave@example.com']);
    const HOUR = 3_600_000;
    const t = Math.ceil(Date.now() / 1000) * 1000;
    const ask = (args: string[]) => {
      const r = run(ada, ['-f', 'json', 'request', 'create', '-g', 'prod', '--reason', 'x', '--user', 'dave@example.com', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout)[0] as { id: string }).id;
    };
    const approve = (id: string) => expect(run(bob, ['-q', 'request', 'approve', id]).code).toBe(0);
    const later = ask(['--for', '2h', '--start', new Date(t + 6 * HOUR).toISOString()]);
    approve(later);
    const now = ask(['--for', '7h']);
    approve(now);
    const reach = (at: number) => run(bob, ['-q', 'access', 'check', '--user', 'dave@example.com', '-r', 'db'], { ACCESSCTL_NOW: new Date(at).toISOString() }).code;
    expect(reach(t + 3 * HOUR)).toBe(0);
    expect(run(bob, ['-q', '-y', 'request', 'revoke', now]).code).toBe(0);
    expect(reach(t + 3 * HOUR)).toBe(5);
    expect(reach(t + 7 * HOUR)).toBe(0);
    expect(reach(t + 8 * HOUR + 1000)).toBe(5);
    const check = cli(['--db', url, 'db', 'check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });
});
