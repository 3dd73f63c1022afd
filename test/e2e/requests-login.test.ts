import { chmodSync, chownSync, existsSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestWorld, type RequestWorld } from '../helpers/request-world.js';
import { cli } from '../helpers/spawn.js';

/**
 * Who is acting on a SQLite store, from outside the test process's own account: SUDO_USER counts
 * only for the account that owns the store (the bastion's service account), never for another.
 */
const isRoot = process.getuid?.() === 0;
const OTHER = 65534;

let w: RequestWorld;
beforeEach(() => {
  w = requestWorld();
});
afterEach(() => rmSync(w.dir, { recursive: true, force: true }));

const asOther = (sudoUser: string, args: string[], env: Record<string, string> = {}) =>
  cli(['--db', w.db, ...args], { env: { SUDO_USER: sudoUser, ...env }, as: { uid: OTHER, gid: OTHER } });
const storeFiles = () => [w.dir, w.db, `${w.db}-wal`, `${w.db}-shm`].filter((f) => existsSync(f));

describe.skipIf(!isRoot)('SUDO_USER and the store\'s owner (needs root to play two accounts)', () => {
  it('for the account that owns the store, SUDO_USER is who acts; for root on that store, nothing runs', async () => {
    await w.policy('prod', 'approvers');
    const id = String(w.json('ada', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x']).id);
    for (const f of storeFiles()) chownSync(f, OTHER, OTHER);
    expect(asOther('ada', ['request', 'approve', id])).toMatchObject({ code: 5, stderr: `accessctl: you may not approve request ${id}: you are the user this access is for (another approver must decide)\n` });
    // Root does not own this store: refused before anyone is asked who they are.
    const root = w.as('bob', ['request', 'approve', id]);
    expect(root.code).toBe(6);
    expect(root.stderr).toMatch(/belongs to another user \(uid 65534\)/);
    const approved = asOther('bob', ['-f', 'json', 'request', 'approve', id]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)[0]).toMatchObject({ state: 'APPROVED', decidedBy: 'bob' });
  });

  it('for an account that does not own the store, SUDO_USER is ignored: it acts as itself', async () => {
    await w.policy('prod', 'approvers');
    const id = String(w.json('bob', ['request', 'create', '-g', 'prod', '--for', '1h', '--reason', 'x', '--user', 'dave@example.com']).id);
    // Root's store, readable by others: the other account may read it, and is not bob.
    for (const f of storeFiles()) chmodSync(f, f === w.dir ? 0o755 : 0o644);
    const theirs = asOther('bob', ['-f', 'json', 'request', 'list', '--mine']);
    expect(theirs).toMatchObject({ code: 0, stdout: '[]\n' });
    // Nor do LOGNAME, USER or ACCESSCTL_ACTOR name anyone: the account is the passwd entry of its uid.
    expect(asOther('bob', ['-f', 'json', 'request', 'list', '--mine'], { LOGNAME: 'bob', USER: 'bob', ACCESSCTL_ACTOR: 'bob' })).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(JSON.parse(w.as('bob', ['-f', 'json', 'request', 'list', '--mine']).stdout)).toMatchObject([{ id, requestedBy: 'bob' }]);
    expect(asOther('carol', ['request', 'approve', id]).code).toBe(6);
    expect(w.json('root', ['request', 'show', id])).toMatchObject({ state: 'PENDING', approvals: [] });
  });
});
