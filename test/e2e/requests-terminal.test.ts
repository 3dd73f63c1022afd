import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canReach, requestWorld, type RequestWorld } from '../helpers/request-world.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';

let w: RequestWorld;
const terminals: Terminal[] = [];
beforeEach(() => {
  w = requestWorld();
});
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
  rmSync(w.dir, { recursive: true, force: true });
});
const terminal = (login: string, args: string[]) => {
  const t = new Terminal(w.dir, ['--db', w.db, ...args], { SUDO_USER: login, TERM: 'xterm-256color', ACCESSCTL_ACTOR: 'e2e', PATH: process.env.PATH ?? '' });
  terminals.push(t);
  return t;
};

describe.skipIf(!hasTmux)('requests at a terminal', () => {
  it('revoke asks first: answered no, the grant stays (exit 130)', async () => {
    await w.policy('prod', 'approvers');
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    w.json('bob', ['request', 'approve', id]);
    const t = terminal('bob', ['request', 'revoke', id]);
    await t.waitFor(new RegExp(`Revoke request ${id} and end its access now\\?`));
    t.keys('n', 'Enter');
    expect(await t.exitCode()).toBe(130);
    expect(w.json('root', ['request', 'show', id]).state).toBe('APPROVED');
    expect(canReach(w, 'ada')).toBe(0);
  });

  it('create asks for a missing group and duration', async () => {
    await w.policy('prod', 'approvers');
    const t = terminal('ada', ['request', 'create', '--reason', 'x']);
    await t.waitFor(/Group to ask for/);
    t.keys('prod', 'Enter');
    await t.waitFor(/For how long/);
    t.keys('soon', 'Enter');
    await t.waitFor(/invalid --for/);
    t.keys('C-u', '2h', 'Enter');
    expect(await t.exitCode()).toBe(0);
    expect(JSON.parse(w.as('root', ['-f', 'json', 'request', 'list', '--pending']).stdout)[0]).toMatchObject({ groupName: 'prod', duration: '2h' });
  });
});
