import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, psql } from '../helpers/pg-cluster.js';
import { cli } from '../helpers/spawn.js';

/**
 * Access reviews on PostgreSQL (SPEC section 16): the decider is the session's role, items are
 * written, decided and closed through the same read-back as on SQLite, and db check agrees.
 */

const base = inject('pgUrl');
const suffix = `${process.pid}_${Date.now().toString(36)}`;
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

beforeAll(() => {
  url = createDatabase(base);
  psql(url, `create role ${bob} login`);
  owner(['db', 'init']);
  owner(['db', 'grant', '--writer', bob, '--apply']);
  owner(['user', 'create', '-e', 'ada@example.com']);
  owner(['user', 'create', '-e', 'bob@example.com']);
  owner(['user', 'update', 'bob@example.com', '--login', bob]);
  owner(['resource', 'create', '-n', 'db', '-a', 'db.internal']);
  owner(['group', 'create', '-g', 'prod', '-r', 'db', '-u', 'ada@example.com']);
  owner(['group', 'create', '-g', 'reviewers', '-u', 'bob@example.com']);
  owner(['service', 'create', '-n', 'ci', '-r', 'db']);
});
afterAll(() => {
  dropDatabase(url);
  psql(base, `drop role if exists ${bob}`);
});

describe('access reviews on PostgreSQL', () => {
  it('start, decide by flags and by file, close, export, list: the role decides and db check agrees', () => {
    const rev = owner(['-q', 'review', 'start', '-r', 'db', '--reviewers', 'reviewers', '--due', '14d']).trim();
    expect(rev).toMatch(/^rev_/);
    expect(owner(['-f', 'csv', '--columns', 'id,reviewersGroup', 'review', 'list', '--open'])).toBe(`id,reviewersGroup\n${rev},reviewers\n`);
    expect(owner(['-f', 'csv', '--columns', 'item,subject', 'review', 'show', rev])).toBe('item,subject\n1,ada@example.com\n2,ci\n');

    const byFlag = run(bob, ['-q', 'review', 'decide', rev, '2', '--keep'], { SUDO_USER: 'ada' });
    expect(byFlag.code, byFlag.stderr).toBe(0);
    const byFile = cli(['--db', as(bob), '-q', 'review', 'decide', rev, '--file', '-'], { stdin: 'item,decision,reason\n1,revoke,left the team\n' });
    expect(byFile.code, byFile.stderr).toBe(0);
    // The owner's role is linked to no user: it may not decide.
    expect(cli(['--db', url, 'review', 'decide', rev, '1', '--keep']).code).toBe(5);

    const closed = run(bob, ['-y', 'review', 'close', rev]);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stderr).toBe('closed: 1 kept, 1 removed, 0 changed since the freeze (left alone), 0 already gone\n');
    expect(run(bob, ['-q', 'access', 'check', '--user', 'ada@example.com', '-r', 'db']).code).toBe(5);

    const rows = owner(['-f', 'csv', '--columns', 'item,decision,decidedBy,decider,reason,outcome', 'review', 'show', rev]);
    expect(rows).toBe(`item,decision,decidedBy,decider,reason,outcome\n1,REVOKE,${bob},bob@example.com,left the team,REMOVED\n2,KEEP,${bob},bob@example.com,,KEPT\n`);
    const evidence = JSON.parse(owner(['review', 'export', rev, '-f', 'json'])) as { review: { closedSeq: number; closedHash: string } };
    const events = JSON.parse(owner(['-f', 'json', 'audit', 'list', '--target', rev])) as Array<{ seq: number; action: string; hash: string }>;
    expect(events.at(-1)).toMatchObject({ seq: evidence.review.closedSeq, action: 'review.close', hash: evidence.review.closedHash });
    expect(cli(['--db', url, 'db', 'check']).code).toBe(0);
  });
});
