import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCleanStore, reach, reviewWorld, type Exported, type ReviewWorld } from '../helpers/review-world.js';

let w: ReviewWorld;
beforeEach(() => {
  w = reviewWorld();
});
afterEach(() => rmSync(w.dir, { recursive: true, force: true }));

interface AuditEvent {
  seq: number;
  at: string;
  action: string;
  hash: string;
  details: { login: string; review?: string; cause?: string; changes: Array<{ op: string; table: string }> };
}
const audit = (): AuditEvent[] => w.json<AuditEvent[]>('root', ['audit', 'list']);

describe('access reviews (SPEC section 16)', () => {
  it('a review of a resource: every grant that gives it, decided by flags, closed, and the evidence tied to the chain', () => {
    const headBefore = audit().at(-1)!;
    const id = w.start('root', ['-r', 'db', '--reviewers', 'reviewers', '--due', '14d']);
    expect(id).toMatch(/^rev_[0-9A-Za-z]{16}$/);
    const shown = w.json<{ review: Record<string, unknown>; items: Array<Record<string, unknown>> }>('dave', ['review', 'show', id]);
    expect(shown.review).toMatchObject({ name: 'review of resource db', scope: 'resource', state: 'OPEN', items: 4, decided: 0, reviewersGroup: 'reviewers', startedBy: 'root' });
    expect(shown.review).toMatchObject({ frozenSeq: headBefore.seq, frozenHash: headBefore.hash });
    // Item order: kind, owner, subject; each shows everything it gives.
    expect(shown.items.map((i) => [i.item, i.kind, i.owner, i.subject, i.gives])).toEqual([
      [1, 'group_user', 'prod', 'ada@example.com', 'db;web'],
      [2, 'group_user', 'prod', 'bob@example.com', 'db;web'],
      [3, 'group_service', 'prod', 'ci', 'db;web'],
      [4, 'service_resource', 'ci', 'ci', 'db'],
    ]);

    w.json('carol', ['review', 'decide', id, '1,3-4', '--keep']);
    const decided = w.json<Array<Record<string, unknown>>>('carol', ['review', 'decide', id, '2', '--revoke', '--reason', 'left the team']);
    expect(decided[0]).toMatchObject({ decided: 4, state: 'OPEN' });
    expect(reach(w, 'bob@example.com', 'db')).toBe(0);

    const closed = w.as('carol', ['-f', 'json', 'review', 'close', id]);
    expect(closed.code).toBe(0);
    expect(closed.stderr).toBe('closed: 3 kept, 1 removed, 0 changed since the freeze (left alone), 0 already gone\n');
    expect(reach(w, 'bob@example.com', 'db')).toBe(5);
    expect(reach(w, 'ada@example.com', 'db')).toBe(0);
    expect(reach(w, 'ci', 'db')).toBe(0);

    const ex = w.json<Exported>('root', ['review', 'export', id, '-f', 'json']);
    expect(ex.review).toMatchObject({ state: 'CLOSED', closedBy: 'carol' });
    expect(ex.items[1]).toMatchObject({ item: 2, decision: 'REVOKE', decidedBy: 'carol', decider: 'carol@example.com', reason: 'left the team', outcome: 'REMOVED' });
    expect(ex.items[1]!.gives.map((g) => g.name)).toEqual(['db', 'web']);
    const events = audit();
    expect(events.find((e) => e.seq === ex.review.frozenSeq)!.hash).toBe(ex.review.frozenHash);
    const close = events.find((e) => e.seq === ex.review.closedSeq)!;
    expect(close).toMatchObject({ action: 'review.close', hash: ex.review.closedHash });
    expect(close.seq).toBe(events.at(-1)!.seq);
    // The membership removed at close is in the close event, with the review as its cause.
    expect(close.details).toMatchObject({ login: 'carol', review: id, cause: 'review' });
    expect(close.details.changes.filter((c) => c.op === 'delete').map((c) => c.table)).toEqual(['group_users']);
    const reviewEvents = events.filter((e) => e.action.startsWith('review.'));
    expect(reviewEvents.map((e) => [e.action, e.details.login])).toEqual([
      ['review.start', 'root'],
      ['review.items', 'root'],
      ['review.decide', 'carol'],
      ['review.decide', 'carol'],
      ['review.close', 'carol'],
    ]);

    const csv = w.as('root', ['review', 'export', id, '-f', 'csv']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'reviewId,reviewName,scope,scopeName,reviewersGroup,frozenAt,frozenSeq,frozenHash,closedAt,closedBy,closedSeq,closedHash,item,kind,owner,subject,gives,startsAt,expiresAt,decision,decidedBy,decider,decidedAt,reason,outcome',
    );
    expect(lines).toHaveLength(5);
    // Each row states the population, who could decide, and both moments with the seq and hash that tie them to the log.
    const { frozenAt, frozenSeq, frozenHash, closedAt, closedSeq, closedHash } = ex.review;
    expect(lines[2]).toContain(
      `${id},review of resource db,resource,db,reviewers,${String(frozenAt)},${frozenSeq},${frozenHash},${String(closedAt)},carol,${closedSeq},${closedHash},2,group_user,prod,bob@example.com,db;web,`,
    );
    expect(events.find((e) => e.seq === closedSeq)!.at).toBe(closedAt);
    expect(lines[2]).toMatch(/,REVOKE,carol,carol@example\.com,[^,]+,left the team,REMOVED$/);

    expect(w.as('carol', ['review', 'decide', id, '1', '--revoke'])).toMatchObject({ code: 4, stderr: `accessctl: review ${id} is CLOSED (a closed review changes no more; start a new one)\n` });
    expect(w.as('carol', ['review', 'close', id]).code).toBe(4);
    expectCleanStore(w);
  });

  it('review list shows a review with a reviewers group, in every format, by the group\'s current name; review show picks item columns', () => {
    const id = w.start('root', ['-g', 'prod', '--reviewers', 'reviewers']);
    const other = w.start('root', ['-r', 'web']);
    const listed = () => w.json<Array<{ id: string; reviewersGroup: string | null }>>('root', ['review', 'list']).map((r) => [r.id, r.reviewersGroup]);
    expect(listed()).toEqual([
      [id, 'reviewers'],
      [other, null],
    ]);
    expect(w.as('root', ['-q', 'review', 'list', '--open'])).toMatchObject({ code: 0, stdout: `${id}\n${other}\n` });
    expect(w.as('root', ['-f', 'csv', '--columns', 'id,reviewersGroup', 'review', 'list']).stdout).toBe(`id,reviewersGroup\n${id},reviewers\n${other},\n`);
    w.json('root', ['group', 'update', 'reviewers', '--name', 'auditors']);
    expect(listed()[0]).toEqual([id, 'auditors']);
    // review show's --columns are the items' columns: they are its list.
    expect(w.as('root', ['-f', 'csv', '--columns', 'item,subject,decision', 'review', 'show', id])).toMatchObject({
      code: 0,
      stdout: 'item,subject,decision\n1,ada@example.com,\n2,bob@example.com,\n3,ci,\n',
    });
    expect(w.as('root', ['--columns', 'id', 'review', 'show', id])).toMatchObject({ code: 2, stdout: '' });
  });

  it('a review of a group decided in a spreadsheet: export csv, fill decisions, --file; a bad file decides nothing', () => {
    const id = w.start('root', ['-g', 'prod', '--name', '2026 Q4 prod']);
    const items = w.json<{ items: Array<{ item: number; subject: string }> }>('root', ['review', 'show', id]).items;
    expect(items.map((i) => i.subject)).toEqual(['ada@example.com', 'bob@example.com', 'ci']);
    const sheet = w.as('root', ['review', 'export', id, '-f', 'csv']).stdout.trim().split('\n');
    const header = sheet[0]!.split(',');
    const col = (name: string) => header.indexOf(name);
    const fill = (rows: string[], decisions: string[]) =>
      [
        rows[0]!,
        ...rows.slice(1).map((line, i) => {
          const cells = line.split(',');
          cells[col('decision')] = decisions[i]!;
          cells[col('reason')] = decisions[i] === 'revoke' ? 'no longer needed' : '';
          return cells.join(',');
        }),
      ].join('\n') + '\n';
    const bad = join(w.dir, 'bad.csv');
    writeFileSync(bad, fill(sheet, ['keep', 'Revoke', 'maybe']));
    const refused = w.as('dave', ['review', 'decide', id, '--file', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`accessctl: 1 bad row, nothing decided: ${bad}:4: decision "maybe" is not keep or revoke (fix them and run it again)\n`);
    expect(w.json<{ review: { decided: number } }>('root', ['review', 'show', id]).review.decided).toBe(0);

    const good = join(w.dir, 'decisions.csv');
    writeFileSync(good, fill(sheet, ['KEEP', 'revoke', 'keep']));
    const decided = w.json<Array<{ decided: number }>>('dave', ['review', 'decide', id, '--file', good]);
    expect(decided[0]!.decided).toBe(3);
    // Sending the same sheet again changes nothing: the decisions are already taken.
    const again = w.as('dave', ['review', 'decide', id, '--file', good]);
    expect(again).toMatchObject({ code: 0, stderr: 'note: every decision in the file is already taken; nothing changed\n' });
    // A plain item,decision,reason file works too, and re-deciding overwrites.
    const plain = join(w.dir, 'plain.csv');
    writeFileSync(plain, 'item,decision,reason\n3,revoke,ci moves to its own group\n');
    w.json('ada', ['review', 'decide', id, '--file', plain]);
    const after = w.json<Exported>('root', ['review', 'export', id, '-f', 'json']).items;
    expect(after.map((i) => [i.decision, i.decidedBy, i.reason])).toEqual([
      ['KEEP', 'dave', null],
      ['REVOKE', 'dave', 'no longer needed'],
      ['REVOKE', 'ada', 'ci moves to its own group'],
    ]);
    w.json('dave', ['-y', 'review', 'close', id]);
    expect(reach(w, 'ci', 'web')).toBe(5);
    expect(reach(w, 'ci', 'db')).toBe(0);
    expect(readFileSync(good, 'utf8')).toContain('no longer needed');
    expectCleanStore(w);
  });

  it('a review of everything closed with a default; without one, undecided items are exit 4', () => {
    const id = w.start('root', ['--all']);
    const items = w.json<{ review: { name: string; items: number } }>('root', ['review', 'show', id]).review;
    expect(items).toMatchObject({ name: 'review of all access', items: 5 });
    w.json('carol', ['review', 'decide', id, '2', '--revoke']);
    expect(w.as('carol', ['review', 'close', id])).toMatchObject({ code: 4, stderr: `accessctl: review ${id} has 4 undecided items (decide them, or close with --default keep|revoke)\n` });
    const closed = w.as('carol', ['-f', 'json', 'review', 'close', id, '--default', 'keep']);
    expect(closed.code).toBe(0);
    expect(closed.stderr).toBe('closed: 4 kept, 1 removed, 0 changed since the freeze (left alone), 0 already gone\n');
    const ex = w.json<Exported>('root', ['review', 'export', id, '-f', 'json']);
    expect(ex.review).toMatchObject({ decided: 5, state: 'CLOSED' });
    expect(ex.items.filter((i) => i.reason === 'default at close').map((i) => [i.decision, i.decidedBy])).toEqual([
      ['KEEP', 'carol'],
      ['KEEP', 'carol'],
      ['KEEP', 'carol'],
      ['KEEP', 'carol'],
    ]);
    expect(reach(w, 'dave@example.com', 'web')).toBe(0);
    expectCleanStore(w);
  });

  it('a grant re-timed since the freeze is left alone and reported; one already gone is GONE', () => {
    const id = w.start('root', ['-g', 'prod']);
    w.json('carol', ['review', 'decide', id, '1-2', '--revoke']);
    w.json('carol', ['review', 'decide', id, '3', '--keep']);
    // ada's membership is re-timed (a new expiry), bob's removed, both after the freeze.
    w.json('root', ['group', 'add-users', '-g', 'prod', '-u', 'ada@example.com', '--ttl', '30d']);
    w.json('root', ['group', 'remove-users', '-g', 'prod', '-u', 'bob@example.com']);
    const closed = w.as('carol', ['-f', 'json', 'review', 'close', id]);
    expect(closed.code).toBe(0);
    expect(closed.stderr).toBe(
      'closed: 1 kept, 0 removed, 1 changed since the freeze (left alone), 1 already gone\nnote: changed since the freeze, left alone: item 1 (ada@example.com in prod)\n',
    );
    expect(reach(w, 'ada@example.com', 'db')).toBe(0);
    const ex = w.json<Exported>('root', ['review', 'export', id, '-f', 'json']);
    expect(ex.items.map((i) => i.outcome)).toEqual(['CHANGED', 'GONE', 'KEPT']);
    const close = audit().find((e) => e.seq === ex.review.closedSeq)!;
    expect(close.details.changes.some((c) => c.op === 'delete')).toBe(false);
    expectCleanStore(w);
  });
});
