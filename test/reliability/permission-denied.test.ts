import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, type SpawnResult } from '../helpers/spawn.js';

/**
 * Root's store (0600 in a 0700 directory), and a gate or cron account that tries it: every
 * command says "permission denied", the store and the account (exit 6), never "no store at …",
 * and db path never answers "exists false" for a file it could not look for. File modes do not
 * bind root, so the commands run as a throwaway system account made for this file.
 */
const isRoot = process.getuid?.() === 0;
if (!isRoot) process.stderr.write('permission-denied.test.ts: skipped: needs root (to add a system account; file modes do not bind root)\n');

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.skipIf(!isRoot)('a store this account may not open: permission denied, the store and the account (runs as root only)', () => {
  const name = `accessctl-perm-${randomBytes(4).toString('hex')}`;
  let account: { uid: number; gid: number };
  let dir: string;

  beforeAll(() => {
    const added = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
    if (added.status !== 0) throw new Error(`useradd ${name} failed: ${added.stderr}`);
    const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
    account = { uid: id('-u'), gid: id('-g') };
    dir = mkdtempSync(join(tmpdir(), 'accessctl-perm-'));
    // Traversable, so that each case decides what the account may see below it.
    chmodSync(dir, 0o755);
    copyFileSync(join(ROOT, 'examples', 'access.yaml'), join(dir, 'access.yaml'));
    chmodSync(join(dir, 'access.yaml'), 0o644);
  });
  afterAll(() => {
    spawnSync('userdel', [name]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A store of root's, made as other tests make one: in a directory of its own (0700), file 0600. */
  function rootStore(sub: string): string {
    const storeDir = join(dir, sub);
    mkdirSync(storeDir, { mode: 0o700 });
    const db = join(storeDir, 'store.db');
    const made = cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']);
    expect(made.code, made.stderr).toBe(0);
    return db;
  }
  const asAccount = (args: string[], env: Record<string, string> = {}) => cli(args, { as: account, env: { HOME: dir, ...env } });
  const denied = (db: string, verb = 'open') =>
    new RegExp(`^accessctl: permission denied: cannot ${verb} store ${escape(db)}, running as ${escape(name)} \\(uid ${account.uid}\\) \\(run accessctl as the account that owns the store`);
  function oneLine(r: SpawnResult, pattern: RegExp) {
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stdout).toBe('');
  }

  // `test` with no store tests the file alone: a store it may not look for must not pass for none.
  const reads = () => [['user', 'list'], ['audit', 'list'], ['db', 'check'], ['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db'], ['export'], ['test', '-f', join(dir, 'access.yaml')], ['db', 'path']];
  const writes = [['user', 'create', '-e', 'bob@example.com'], ['db', 'init'], ['sweep'], ['config', 'set', 'clock.allowOverride', 'false']];

  it('a directory the account may not search: reads, db path and writes say permission denied, not "no store"', () => {
    const db = rootStore('closed-dir');
    const before = readFileSync(db);
    for (const argv of [...reads(), ...writes]) oneLine(asAccount(['--db', db, ...argv]), denied(db));
    // The same through ACCESSCTL_DB, and as JSON under -f json.
    oneLine(asAccount(['user', 'list'], { ACCESSCTL_DB: db }), denied(db));
    const json = asAccount(['--db', db, '-f', 'json', 'db', 'path']);
    expect(json.code).toBe(6);
    expect(JSON.parse(json.stderr)).toEqual({
      error: { code: 'STORE', exitCode: 6, message: `permission denied: cannot open store ${db}, running as ${name} (uid ${account.uid})`, hint: expect.stringMatching(/account that owns the store/) },
    });
    expect(readFileSync(db).equals(before)).toBe(true);
    // Root, the owner, still reads it.
    expect(cli(['--db', db, '-q', 'user', 'list']).code).toBe(0);
  });

  it('a searchable directory, a file the account may not read (0600, root\'s): the same line', () => {
    const db = rootStore('open-dir');
    chmodSync(join(dir, 'open-dir'), 0o755);
    const before = readFileSync(db);
    for (const argv of [...reads(), ...writes]) oneLine(asAccount(['--db', db, ...argv]), denied(db));
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('a file the account may read but not write (0644, root\'s): reads answer, writes say permission denied', () => {
    const db = rootStore('readable');
    chmodSync(join(dir, 'readable'), 0o755);
    chmodSync(db, 0o644);
    const before = readFileSync(db);
    const list = asAccount(['--db', db, '-q', 'user', 'list']);
    expect([list.code, list.stderr]).toEqual([0, '']);
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(asAccount(['--db', db, '-f', 'json', 'db', 'path']).stdout)).toEqual([{ path: db, exists: true }]);
    oneLine(asAccount(['--db', db, 'user', 'create', '-e', 'bob@example.com']), denied(db, 'write'));
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('the rules stay as they were: a store writable by its group is refused as unsafe first; a missing store is still "no store"', () => {
    const db = rootStore('loose');
    chmodSync(join(dir, 'loose'), 0o755);
    chmodSync(db, 0o664);
    oneLine(asAccount(['--db', db, 'user', 'list']), new RegExp(`store file ${escape(db)} is writable by its group \\(mode 0664\\)`));
    const missing = join(dir, 'loose', 'typo.db');
    oneLine(asAccount(['--db', missing, 'user', 'list']), new RegExp(`no store at ${escape(missing)} `));
    expect(JSON.parse(asAccount(['--db', missing, '-f', 'json', 'db', 'path']).stdout)).toEqual([{ path: missing, exists: false }]);
  });

  it('a uid with no passwd entry is named by its number', () => {
    const db = rootStore('no-entry');
    let uid = 2_000_000_000 + Math.floor(Math.random() * 1_000_000);
    while (spawnSync('getent', ['passwd', String(uid)]).status === 0) uid++;
    const r = cli(['--db', db, 'user', 'list'], { as: { uid, gid: account.gid }, env: { HOME: dir } });
    oneLine(r, new RegExp(`^accessctl: permission denied: cannot open store ${escape(db)}, running as uid ${uid} \\(run accessctl`));
  });
});
