import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, psql } from '../helpers/pg-cluster.js';
import type { Exported } from '../helpers/review-world.js';
import { cli, type SpawnResult } from '../helpers/spawn.js';

/**
 * Access reviews on PostgreSQL (SPEC section 16): the login is the session's role, so ada, bob,
 * carol and dave connect as LOGIN roles of their own (writers, by db grant) and decide as
 * themselves; ACCESSCTL_ACTOR, --actor and SUDO_USER label events and stand in for nobody. The
 * tests share one store and run in order: each starts from what the one before left.
 */

const base = inject('pgUrl');
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const login = { ada: `ada_${suffix}`, bob: `bob_${suffix}`, carol: `carol_${suffix}`, dave: `dave_${suffix}`, eve: `eve_${suffix}` };
const roles = Object.values(login);
const DAY = 86_400_000;
let url = '';

const as = (role: string) => {
  const u = new URL(url);
  u.username = role;
  return u.toString();
};
const run = (role: string, args: string[], env: Record<string, string> = {}): SpawnResult => cli(['--db', as(role), ...args], { env: { ACCESSCTL_ACTOR: role, ...env } });
const json = <T>(role: string, args: string[], env: Record<string, string> = {}): T => {
  const r = run(role, ['-f', 'json', ...args], env);
  expect(r.stderr.replace(/^(note|closed): .*\n/gm, ''), `${role}: ${args.join(' ')}`).toBe('');
  expect(r.code, `${role}: ${args.join(' ')}`).toBe(0);
  return JSON.parse(r.stdout) as T;
};
const owner = (args: string[]) => {
  const r = cli(['--db', url, ...args], { env: { ACCESSCTL_ACTOR: 'owner' } });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};
const start = (role: string, args: string[]) => String(json<Array<{ id: string }>>(role, ['review', 'start', ...args])[0]!.id);
const reach = (subject: string, resource: string) => {
  const who = subject.includes('@') ? ['--user', subject] : ['--service', subject];
  return run(login.dave, ['-q', 'access', 'check', ...who, '-r', resource]).code;
};
const dbCheck = () => cli(['--db', url, '-f', 'json', 'db', 'check']);

interface AuditEvent {
  seq: number;
  action: string;
  hash: string;
  details: { login: string; review?: string; cause?: string; changes: Array<{ op: string; table: string }> };
}

beforeAll(() => {
  url = createDatabase(base);
  for (const role of roles) psql(url, `create role ${role} login`);
  owner(['db', 'init', '--allow-clock-override']);
  // eve's role only reads (db grant --reader): the server refuses its writes, whoever she is.
  for (const role of roles) owner(['db', 'grant', role === login.eve ? '--reader' : '--writer', role, '--apply']);
  for (const [name, role] of Object.entries(login)) {
    owner(['user', 'create', '-e', `${name}@example.com`]);
    owner(['user', 'update', `${name}@example.com`, '--login', role]);
  }
  owner(['resource', 'create', '-n', 'db', '-a', 'db.internal']);
  owner(['resource', 'create', '-n', 'web', '-a', 'web.internal']);
  owner(['group', 'create', '-g', 'prod', '-r', 'db,web', '-u', 'ada@example.com,bob@example.com']);
  owner(['group', 'create', '-g', 'web-team', '-r', 'web', '-u', 'dave@example.com']);
  owner(['group', 'create', '-g', 'reviewers', '-u', 'carol@example.com']);
  owner(['service', 'create', '-n', 'ci', '-r', 'db']);
  owner(['group', 'add-services', '-g', 'prod', '--services', 'ci']);
});
afterAll(() => {
  if (url) dropDatabase(url);
  for (const role of roles) psql(base, `drop role if exists ${role}`);
});

describe('access reviews on PostgreSQL', () => {
  it('a group review decided by a reviewer role, refused to outsiders whatever they call themselves, closed, the removal real and the evidence tied to the chain', () => {
    const id = start(login.ada, ['-g', 'prod', '--reviewers', 'reviewers', '--due', '14d']);
    const shown = json<{ review: Record<string, unknown>; items: Array<Record<string, unknown>> }>(login.dave, ['review', 'show', id]);
    expect(shown.review).toMatchObject({ scope: 'group', state: 'OPEN', items: 3, decided: 0, reviewersGroup: 'reviewers', startedBy: login.ada });
    expect(shown.items.map((i) => [i.item, i.kind, i.subject])).toEqual([
      [1, 'group_user', 'ada@example.com'],
      [2, 'group_user', 'bob@example.com'],
      [3, 'group_service', 'ci'],
    ]);

    // dave is not a reviewer: naming carol as the actor, in the environment or by flag, changes nothing.
    for (const refused of [
      run(login.dave, ['review', 'decide', id, '2', '--revoke'], { ACCESSCTL_ACTOR: login.carol }),
      run(login.dave, ['--actor', login.carol, 'review', 'decide', id, '2', '--revoke'], { SUDO_USER: login.carol }),
      run(login.dave, ['--actor', login.carol, 'review', 'close', id, '--default', 'revoke']),
    ]) {
      expect(refused.code, refused.stderr).toBe(5);
      expect(refused.stderr).toMatch(new RegExp(`^accessctl: you may not (decide|close) review ${id}: not a member of reviewers group reviewers \\(`));
    }
    expect(json<{ review: { decided: number } }>(login.carol, ['review', 'show', id]).review.decided).toBe(0);

    json(login.carol, ['review', 'decide', id, '1,3', '--keep']);
    const decided = json<Array<Record<string, unknown>>>(login.carol, ['--actor', 'someone-else', 'review', 'decide', id, '2', '--revoke', '--reason', 'left the team']);
    expect(decided[0]).toMatchObject({ decided: 3, state: 'OPEN' });
    expect(reach('bob@example.com', 'db')).toBe(0);

    const closed = run(login.carol, ['-f', 'json', 'review', 'close', id]);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stderr).toBe('closed: 2 kept, 1 removed, 0 changed since the freeze (left alone), 0 already gone\n');
    expect(reach('bob@example.com', 'db')).toBe(5);
    expect(reach('bob@example.com', 'web')).toBe(5);
    expect(reach('ada@example.com', 'db')).toBe(0);
    expect(reach('ci', 'web')).toBe(0);

    const ex = json<Exported>(login.bob, ['review', 'export', id, '-f', 'json']);
    expect(ex.review).toMatchObject({ state: 'CLOSED', closedBy: login.carol, startedBy: login.ada });
    expect(ex.items.map((i) => [i.decision, i.decidedBy, i.decider, i.outcome])).toEqual([
      ['KEEP', login.carol, 'carol@example.com', 'KEPT'],
      ['REVOKE', login.carol, 'carol@example.com', 'REMOVED'],
      ['KEEP', login.carol, 'carol@example.com', 'KEPT'],
    ]);
    const events = json<AuditEvent[]>(login.dave, ['audit', 'list']);
    const frozen = events.find((e) => e.seq === ex.review.frozenSeq)!;
    expect(frozen.hash).toBe(ex.review.frozenHash);
    expect(events[events.indexOf(frozen) + 1]).toMatchObject({ action: 'review.start' });
    const close = events.find((e) => e.seq === ex.review.closedSeq)!;
    expect(close).toMatchObject({ action: 'review.close', hash: ex.review.closedHash });
    expect(close.seq).toBe(events.at(-1)!.seq);
    expect(close.details).toMatchObject({ login: login.carol, review: id, cause: 'review' });
    expect(close.details.changes.filter((c) => c.op === 'delete').map((c) => c.table)).toEqual(['group_users']);
    expect(events.filter((e) => e.action.startsWith('review.')).map((e) => [e.action, e.details.login])).toEqual([
      ['review.start', login.ada],
      ['review.items', login.ada],
      ['review.decide', login.carol],
      ['review.decide', login.carol],
      ['review.close', login.carol],
    ]);
    const check = dbCheck();
    expect(check.stdout + check.stderr).not.toMatch(/"ok":false/);
    expect(check.code).toBe(0);
  });

  it('a review of all access: nobody decides about themselves, undecided items keep it open until a default closes it', () => {
    const id = start(login.dave, ['--all']);
    const items = json<{ review: { items: number }; items: Array<{ item: number; owner: string; subject: string }> }>(login.dave, ['review', 'show', id]);
    expect(items.items.map((i) => `${i.item} ${i.owner} ${i.subject}`)).toEqual(['1 prod ada@example.com', '2 web-team dave@example.com', '3 prod ci', '4 ci ci']);
    const self = `accessctl: you may not decide item 1 of review ${id}: it is about you (ada@example.com in prod) (someone else decides it)\n`;
    expect(run(login.ada, ['review', 'decide', id, '1', '--keep'])).toMatchObject({ code: 5, stderr: self });
    // bob's name as the actor does not make ada bob.
    expect(run(login.ada, ['--actor', login.bob, 'review', 'decide', id, '1', '--keep'], { ACCESSCTL_ACTOR: login.bob, SUDO_USER: login.bob })).toMatchObject({ code: 5, stderr: self });
    expect(run(login.dave, ['review', 'decide', id, '1-2', '--revoke']).code).toBe(5);
    expect(json<{ review: { decided: number } }>(login.dave, ['review', 'show', id]).review.decided).toBe(0);

    json(login.bob, ['review', 'decide', id, '1', '--keep']);
    json(login.ada, ['review', 'decide', id, '2', '--revoke', '--reason', 'moved on']);
    expect(run(login.bob, ['review', 'close', id])).toMatchObject({ code: 4, stderr: `accessctl: review ${id} has 2 undecided items (decide them, or close with --default keep|revoke)\n` });
    expect(reach('dave@example.com', 'web')).toBe(0);
    const closed = run(login.bob, ['-f', 'json', 'review', 'close', id, '--default', 'keep']);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stderr).toBe('closed: 3 kept, 1 removed, 0 changed since the freeze (left alone), 0 already gone\n');
    expect(reach('dave@example.com', 'web')).toBe(5);
    expect(reach('ci', 'db')).toBe(0);
    const ex = json<Exported>(login.carol, ['review', 'export', id, '-f', 'json']);
    expect(ex.items.map((i) => [i.decision, i.decidedBy, i.reason])).toEqual([
      ['KEEP', login.bob, null],
      ['REVOKE', login.ada, 'moved on'],
      ['KEEP', login.bob, 'default at close'],
      ['KEEP', login.bob, 'default at close'],
    ]);
    const events = json<AuditEvent[]>(login.carol, ['audit', 'list']);
    expect(events.find((e) => e.seq === ex.review.closedSeq)).toMatchObject({ action: 'review.close', hash: ex.review.closedHash, details: { login: login.bob } });
    expect(events.find((e) => e.seq === ex.review.frozenSeq)!.hash).toBe(ex.review.frozenHash);
    expect(dbCheck().code).toBe(0);
  });

  it('review list --overdue --fail-if-any: exit 7 once an open review is past due, as of ACCESSCTL_NOW', () => {
    const due = start(login.carol, ['-r', 'db', '--due', '1d']);
    expect(run(login.carol, ['-q', 'review', 'list', '--overdue', '--fail-if-any'])).toMatchObject({ code: 0, stdout: '' });
    const later = { ACCESSCTL_NOW: new Date(Date.now() + 2 * DAY).toISOString() };
    const found = run(login.carol, ['-f', 'json', 'review', 'list', '--overdue', '--fail-if-any'], later);
    expect(found.code, found.stderr).toBe(7);
    expect((JSON.parse(found.stdout) as Array<{ id: string; overdue: boolean }>).map((r) => [r.id, r.overdue])).toEqual([[due, true]]);
    expect(run(login.carol, ['review', 'list', '--overdue', '--fail-if-any'], later).stderr).toBe('accessctl: review list found 1 review (decide and close them, then run again)\n');
    // Closed now, not as of ACCESSCTL_NOW: an event two days ahead would be an auditTime finding.
    json(login.dave, ['review', 'close', due, '--default', 'keep']);
    expect(run(login.carol, ['-q', 'review', 'list', '--overdue', '--fail-if-any'], later).code).toBe(0);
    const check = dbCheck();
    expect(check.code, check.stdout).toBe(0);
  });

  it('a reader role sees reviews and their evidence; the server refuses its decisions', () => {
    const id = start(login.carol, ['-r', 'web']);
    expect(json<Array<{ id: string }>>(login.eve, ['review', 'list', '--open']).map((r) => r.id)).toContain(id);
    expect(json<Exported>(login.eve, ['review', 'export', id, '-f', 'json']).review).toMatchObject({ id, startedBy: login.carol });
    const csv = run(login.eve, ['review', 'export', id, '-f', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.trim().split('\n')).toHaveLength(1 + json<{ review: { items: number } }>(login.eve, ['review', 'show', id]).review.items);
    const refused = run(login.eve, ['review', 'decide', id, '1', '--keep']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^accessctl: PostgreSQL denied a statement on \S+ \(insufficient privilege\)/);
    expect(run(login.eve, ['review', 'start', '--all']).code).toBe(6);
    json(login.carol, ['review', 'close', id, '--default', 'keep']);
    expect(dbCheck().code).toBe(0);
  });

  it('a decision edited by hand in the database, bypassing accessctl, is a replay difference in db check', () => {
    const id = start(login.carol, ['-g', 'prod']);
    json(login.carol, ['review', 'decide', id, '1', '--revoke']);
    expect(dbCheck().code).toBe(0);
    psql(url, `update review_items set decision = 'KEEP' where review_id = '${id}' and item = 1`);
    const check = dbCheck();
    expect(check.code).toBe(6);
    const records = JSON.parse(check.stdout) as Array<{ check: string; ok: boolean; detail: string }>;
    expect(records.filter((r) => r.check === 'replay' && !r.ok).map((r) => r.detail)).toEqual([
      expect.stringMatching(/^1 difference\(s\) between the store and its audit log/),
      `review_items ${id} 1 decision: decision is "KEEP" in the store, "REVOKE" by the audit log`,
    ]);
    // Put back as the log has it, the store is clean again (and the next test starts from it).
    psql(url, `update review_items set decision = 'REVOKE' where review_id = '${id}' and item = 1`);
    expect(dbCheck().code).toBe(0);
  });

  it('a review larger than one event: items, decisions and removals in chunks, the close the last event and the store clean', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accessctl-pgrev-'));
    try {
      const n = 1100;
      const emails = Array.from({ length: n }, (_, i) => `p${String(i).padStart(4, '0')}@example.com`);
      const csv = join(dir, 'people.csv');
      writeFileSync(csv, `email,firstName,lastName,role,state\n${emails.map((e) => `${e},P,Q,MEMBER,ACTIVE`).join('\n')}\n`);
      owner(['-q', 'user', 'import', csv]);
      owner(['-q', 'group', 'create', '-g', 'bulk', '-r', 'db']);
      owner(['-q', 'group', 'add-users', '-g', 'bulk', '-u', emails.join(',')]);
      const id = start(login.carol, ['-g', 'bulk', '--reviewers', 'reviewers']);
      json(login.carol, ['review', 'decide', id, `1-${n}`, '--revoke']);
      const closed = run(login.carol, ['-f', 'json', 'review', 'close', id]);
      expect(closed.code, closed.stderr).toBe(0);
      expect(closed.stderr).toBe(`closed: 0 kept, ${n} removed, 0 changed since the freeze (left alone), 0 already gone\n`);
      expect(reach(emails[0]!, 'db')).toBe(5);
      expect(reach(emails[n - 1]!, 'db')).toBe(5);
      const ex = json<Exported>(login.carol, ['review', 'export', id, '-f', 'json']);
      expect(ex.items).toHaveLength(n);
      expect(new Set(ex.items.map((i) => i.outcome))).toEqual(new Set(['REMOVED']));
      const events = json<AuditEvent[]>(login.carol, ['audit', 'list']).filter((e) => e.details.review === id || e.action === 'review.start');
      const ours = events.slice(events.findIndex((e) => e.seq === ex.review.frozenSeq + 1));
      expect(ours.map((e) => e.action)).toEqual(['review.start', 'review.items', 'review.items', 'review.items', 'review.decide', 'review.items', 'review.close']);
      expect(ours.at(-1)).toMatchObject({ seq: ex.review.closedSeq, hash: ex.review.closedHash });
      const check = dbCheck();
      expect(check.code, check.stdout).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a review of a resource decided in a spreadsheet: the export csv filled in and sent back with --file, a bad sheet deciding nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accessctl-pgrev-'));
    try {
      owner(['-q', 'resource', 'create', '-n', 'vault', '-a', 'vault.internal']);
      owner(['-q', 'group', 'create', '-g', 'vault-team', '-r', 'vault', '-u', 'ada@example.com,dave@example.com']);
      owner(['-q', 'service', 'create', '-n', 'vault-backup', '-r', 'vault']);
      const id = start(login.bob, ['-r', 'vault']);
      const exported = run(login.carol, ['review', 'export', id, '-f', 'csv']);
      expect(exported.code, exported.stderr).toBe(0);
      const [header, ...rows] = exported.stdout.trimEnd().split('\n');
      const cols = header!.split(',');
      const at = (name: string) => cols.indexOf(name);
      expect(rows.map((r) => r.split(',')[at('subject')])).toEqual(['ada@example.com', 'dave@example.com', 'vault-backup']);
      // The sheet as a spreadsheet gives it back: every column kept, decision and reason filled in.
      const fill = (decisions: string[]) =>
        [header, ...rows.map((r, i) => {
          const cells = r.split(',');
          cells[at('decision')] = decisions[i]!;
          cells[at('reason')] = decisions[i] === 'revoke' ? 'left the vault team' : '';
          return cells.join(',');
        })].join('\n') + '\n';
      const bad = join(dir, 'bad.csv');
      writeFileSync(bad, fill(['keep', 'maybe', 'keep']));
      const refused = run(login.carol, ['review', 'decide', id, '--file', bad]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(`accessctl: 1 bad row, nothing decided: ${bad}:3: decision "maybe" is not keep or revoke (fix them and run it again)\n`);
      expect(json<{ review: { decided: number } }>(login.carol, ['review', 'show', id]).review.decided).toBe(0);
      // dave's own row: the whole sheet is refused when he sends it.
      const good = join(dir, 'decisions.csv');
      writeFileSync(good, fill(['keep', 'revoke', 'keep']));
      expect(run(login.dave, ['review', 'decide', id, '--file', good]).code).toBe(5);
      expect(json<Array<{ decided: number }>>(login.carol, ['review', 'decide', id, '--file', good])[0]!.decided).toBe(3);
      const closed = run(login.carol, ['-f', 'json', 'review', 'close', id]);
      expect(closed.code, closed.stderr).toBe(0);
      expect(closed.stderr).toBe('closed: 2 kept, 1 removed, 0 changed since the freeze (left alone), 0 already gone\n');
      expect(reach('dave@example.com', 'vault')).toBe(5);
      expect(reach('ada@example.com', 'vault')).toBe(0);
      expect(reach('vault-backup', 'vault')).toBe(0);
      const ex = json<Exported>(login.carol, ['review', 'export', id, '-f', 'json']);
      expect(ex.items.map((i) => [i.subject, i.decision, i.decidedBy, i.reason, i.outcome])).toEqual([
        ['ada@example.com', 'KEEP', login.carol, null, 'KEPT'],
        ['dave@example.com', 'REVOKE', login.carol, 'left the vault team', 'REMOVED'],
        ['vault-backup', 'KEEP', login.carol, null, 'KEPT'],
      ]);
      const check = dbCheck();
      expect(check.code, check.stdout).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a grant re-timed since the freeze is left alone and reported, one removed since is GONE, and the close removes nothing', () => {
    owner(['-q', 'resource', 'create', '-n', 'ledger', '-a', 'ledger.internal']);
    owner(['-q', 'group', 'create', '-g', 'ledger-team', '-r', 'ledger', '-u', 'ada@example.com,dave@example.com']);
    const id = start(login.bob, ['-g', 'ledger-team']);
    json(login.carol, ['review', 'decide', id, '1-2', '--revoke']);
    // ada's membership gets a new expiry, dave's is removed, both after the freeze.
    owner(['-q', 'group', 'add-users', '-g', 'ledger-team', '-u', 'ada@example.com', '--ttl', '30d']);
    owner(['-q', 'group', 'remove-users', '-g', 'ledger-team', '-u', 'dave@example.com']);
    const closed = run(login.carol, ['-f', 'json', 'review', 'close', id]);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stderr).toBe('closed: 0 kept, 0 removed, 1 changed since the freeze (left alone), 1 already gone\nnote: changed since the freeze, left alone: item 1 (ada@example.com in ledger-team)\n');
    expect(reach('ada@example.com', 'ledger')).toBe(0);
    const ex = json<Exported>(login.carol, ['review', 'export', id, '-f', 'json']);
    expect(ex.items.map((i) => i.outcome)).toEqual(['CHANGED', 'GONE']);
    const close = json<AuditEvent[]>(login.carol, ['audit', 'list']).find((e) => e.seq === ex.review.closedSeq)!;
    expect(close).toMatchObject({ action: 'review.close', hash: ex.review.closedHash });
    expect(close.details.changes.some((c) => c.op === 'delete')).toBe(false);
    const check = dbCheck();
    expect(check.code, check.stdout).toBe(0);
  });
});
