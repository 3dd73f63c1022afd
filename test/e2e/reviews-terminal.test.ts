import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reach, reviewWorld, type ReviewWorld } from '../helpers/review-world.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';

/** review close removes access: at a terminal it asks first (SPEC section 9), whatever stdout is. */
let w: ReviewWorld;
const terminals: Terminal[] = [];
beforeEach(() => {
  w = reviewWorld();
});
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
  rmSync(w.dir, { recursive: true, force: true });
});
const terminal = (login: string, args: string[]) => {
  const t = new Terminal(w.dir, ['--db', w.db, ...args], { SUDO_USER: login, TERM: 'xterm-256color', PATH: process.env.PATH ?? '' });
  terminals.push(t);
  return t;
};

describe.skipIf(!hasTmux)('review close at a terminal', () => {
  it('asks first: answered no, the review stays open and nobody loses access (exit 130); answered yes, it closes', async () => {
    const id = w.start('root', ['-g', 'prod']);
    w.json('carol', ['review', 'decide', id, '1-3', '--revoke']);
    const no = terminal('carol', ['review', 'close', id]);
    await no.waitFor(new RegExp(`Close review ${id} and remove the grants it revokes\\?`));
    no.keys('n', 'Enter');
    expect(await no.exitCode()).toBe(130);
    expect(w.json<{ review: { state: string } }>('root', ['review', 'show', id]).review.state).toBe('OPEN');
    expect(reach(w, 'ada@example.com', 'db')).toBe(0);

    const yes = terminal('carol', ['review', 'close', id]);
    await yes.waitFor(/Close review/);
    yes.keys('y', 'Enter');
    expect(await yes.exitCode()).toBe(0);
    expect(w.json<{ review: { state: string } }>('root', ['review', 'show', id]).review.state).toBe('CLOSED');
    expect(reach(w, 'ada@example.com', 'db')).toBe(5);
  });
});
