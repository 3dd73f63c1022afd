import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reviewWorld, type Exported, type ReviewWorld } from '../helpers/review-world.js';

let w: ReviewWorld;
beforeEach(() => {
  w = reviewWorld();
});
afterEach(() => rmSync(w.dir, { recursive: true, force: true }));

const DAY = 86_400_000;

describe('who may decide a review, and the refusals (SPEC section 16)', () => {
  it('nobody decides about themselves, outsiders and logins without a user may not decide or close', () => {
    const open = w.start('root', ['-g', 'prod']);
    expect(w.as('ada', ['review', 'decide', open, '1-2', '--keep'])).toMatchObject({
      code: 5,
      stderr: `accessctl: you may not decide item 1 of review ${open}: it is about you (ada@example.com in prod) (someone else decides it)\n`,
    });
    expect(w.as('mallory', ['review', 'decide', open, '2', '--keep'])).toMatchObject({
      code: 5,
      stderr: `accessctl: you may not decide review ${open}: no user is linked to login mallory (a user linked to a login decides)\n`,
    });
    // Nothing was decided by the refused commands: all or nothing.
    expect(w.json<{ review: { decided: number } }>('root', ['review', 'show', open]).review.decided).toBe(0);

    const gated = w.start('root', ['-g', 'prod', '--reviewers', 'reviewers']);
    expect(w.as('dave', ['review', 'decide', gated, '1', '--keep'])).toMatchObject({
      code: 5,
      stderr: `accessctl: you may not decide review ${gated}: not a member of reviewers group reviewers (a member of its reviewers group decides)\n`,
    });
    expect(w.as('dave', ['review', 'close', gated, '--default', 'keep'])).toMatchObject({
      code: 5,
      stderr: `accessctl: you may not close review ${gated}: not a member of reviewers group reviewers (a member of its reviewers group closes it)\n`,
    });
    // --actor labels events; it never stands in for the login.
    expect(w.as('dave', ['--actor', 'carol', 'review', 'decide', gated, '1', '--keep']).code).toBe(5);
    expect(w.as('carol', ['-q', 'review', 'decide', gated, '1', '--keep']).code).toBe(0);
  });

  it('unknown items are exit 2, an unknown review exit 3, nothing in scope exit 4', () => {
    const id = w.start('root', ['-g', 'prod']);
    expect(w.as('carol', ['review', 'decide', id, '2,4', '--keep'])).toMatchObject({ code: 2, stderr: 'accessctl: no item 4 in this review (its items are 1-3)\n' });
    expect(w.as('carol', ['review', 'decide', id, '1,x', '--keep']).code).toBe(2);
    expect(w.as('carol', ['review', 'decide', id, '3-1', '--keep']).code).toBe(2);
    expect(w.as('carol', ['review', 'decide', id, '1']).code).toBe(2);
    expect(w.as('carol', ['review', 'decide', id, '1', '--keep', '--revoke']).code).toBe(2);
    expect(w.as('carol', ['review', 'close', id, '--default', 'maybe']).code).toBe(2);
    expect(w.as('carol', ['review', 'decide', 'rev_0000000000000000', '1', '--keep'])).toMatchObject({ code: 3, stderr: 'accessctl: review "rev_0000000000000000" not found (pass a review id (rev_…); see accessctl review list)\n' });
    expect(w.as('carol', ['review', 'show', 'rev_0000000000000000']).code).toBe(3);
    expect(w.as('root', ['review', 'export', id, '-f', 'table']).code).toBe(2);
    expect(w.as('root', ['review', 'start'])).toMatchObject({ code: 2, stderr: 'accessctl: review start needs a scope (pass -g GROUP, -r RESOURCE or --all)\n' });
    expect(w.as('root', ['review', 'start', '-g', 'nope']).code).toBe(3);
    expect(w.as('root', ['-q', 'group', 'create', '-g', 'empty']).code).toBe(0);
    expect(w.as('root', ['review', 'start', '-g', 'empty'])).toMatchObject({ code: 4, stderr: 'accessctl: nothing to review: no grant gives access in group empty (a review needs at least one grant to decide about)\n' });
    expect(w.json<unknown[]>('root', ['review', 'list'])).toHaveLength(1);
  });

  it('review list --overdue --fail-if-any: exit 7 once an open review is past its due time, judged as of now', () => {
    const now = Date.now();
    const due = w.start('root', ['-g', 'prod', '--due', '1d']);
    const other = w.start('root', ['-r', 'web']);
    expect(w.as('root', ['-q', 'review', 'list', '--overdue', '--fail-if-any'])).toMatchObject({ code: 0, stdout: '' });
    const later = { ACCESSCTL_NOW: new Date(now + 2 * DAY).toISOString() };
    const found = w.as('root', ['-f', 'json', 'review', 'list', '--overdue', '--fail-if-any'], later);
    expect(found.code).toBe(7);
    expect((JSON.parse(found.stdout) as Array<{ id: string; overdue: boolean }>).map((r) => [r.id, r.overdue])).toEqual([[due, true]]);
    // With -f json the finding is a JSON error on stderr, as every error is in that format.
    expect(JSON.parse(found.stderr)).toMatchObject({ error: { code: 'FINDINGS', exitCode: 7, message: 'review list found 1 review' } });
    expect(w.as('root', ['review', 'list', '--overdue', '--fail-if-any'], later).stderr).toBe('accessctl: review list found 1 review (decide and close them, then run again)\n');
    expect(w.json<Array<{ id: string }>>('root', ['review', 'list', '--open']).map((r) => r.id)).toEqual([due, other]);
    w.json('carol', ['review', 'close', due, '--default', 'keep']);
    expect(w.as('root', ['-q', 'review', 'list', '--overdue', '--fail-if-any'], later).code).toBe(0);
    expect(w.json<Array<{ id: string }>>('root', ['review', 'list', '--open']).map((r) => r.id)).toEqual([other]);
  });
});

describe('a decisions sheet sent back (review decide --file)', () => {
  it('a sheet from another review, rows outside the review, all named, nothing decided; a reason with spaces round-trips; a missing review shows an empty list', () => {
    const first = w.start('root', ['-g', 'prod']);
    const second = w.start('root', ['-g', 'prod']);
    const sheet = (id: string) => w.as('root', ['review', 'export', id, '-f', 'csv']).stdout;
    const [header, ...rows] = sheet(first).trimEnd().split('\n');
    const cols = header!.split(',');
    const filled = [header, ...rows.map((r) => {
      const c = r.split(',');
      c[cols.indexOf('decision')] = 'keep';
      return c.join(',');
    })].join('\n') + '\n';
    const file = join(w.dir, 'last-quarter.csv');
    writeFileSync(file, filled);
    const refused = w.as('carol', ['review', 'decide', second, '--file', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`accessctl: 3 bad rows, nothing decided: ${file}:2: the row is from review "${first}", not ${second}; ${file}:3: the row is from review "${first}", not ${second}; ${file}:4: the row is from review "${first}", not ${second} (fix them and run it again)\n`);

    const outside = join(w.dir, 'outside.csv');
    writeFileSync(outside, 'item,decision\n1,keep\n7,keep\n9,revoke\n');
    expect(w.as('carol', ['review', 'decide', second, '--file', outside])).toMatchObject({
      code: 2,
      stderr: `accessctl: 2 bad rows, nothing decided: ${outside}:3: no item 7 in this review; ${outside}:4: no item 9 in this review (its items are 1-3)\n`,
    });
    expect(w.json<{ review: { decided: number } }>('root', ['review', 'show', second]).review.decided).toBe(0);

    // A reason typed with a trailing space is the reason the sheet gives back: sent back by
    // someone else, the decision stays theirs.
    w.json('carol', ['review', 'decide', second, '1', '--keep', '--reason', 'still on call ']);
    const back = join(w.dir, 'back.csv');
    writeFileSync(back, sheet(second));
    expect(w.as('dave', ['review', 'decide', second, '--file', back])).toMatchObject({ code: 0, stderr: 'note: every decision in the file is already taken; nothing changed\n' });
    expect(w.json<Exported>('root', ['review', 'export', second, '-f', 'json']).items[0]).toMatchObject({ decidedBy: 'carol', reason: 'still on call' });

    const missing = w.as('root', ['-f', 'json', 'review', 'show', 'rev_0000000000000000']);
    expect(missing).toMatchObject({ code: 3, stdout: '[]\n' });
  });
});
