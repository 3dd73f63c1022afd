import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type SpawnResult } from '../helpers/spawn.js';

/**
 * "One file, one store" (SPEC section 2) on real files: hard links, the directories above the
 * store, an empty HOME, a lost -wal, a full disk. Each case fails on a build without its guard.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-sqlite-faults-'));
  chmodSync(dir, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function fresh(): string {
  const sub = join(dir, `s${++n}`);
  mkdirSync(sub, { mode: 0o700 });
  return join(sub, 'store.db');
}
function oneLine(r: SpawnResult, code: number, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.split('\n')).toHaveLength(2);
}
const isRoot = process.getuid?.() === 0;

describe('one file, one store', () => {
  it('a store with a second hard link is refused under either name, and nothing is written', () => {
    const db = fresh();
    expect(cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']).code).toBe(0);
    const other = join(dir, `s${n}`, 'other.db');
    linkSync(db, other);
    const before = readFileSync(db);
    for (const name of [db, other]) {
      oneLine(cli(['--db', name, 'user', 'create', '-e', 'eve@example.com']), 6, /has 2 hard links: two names mean two lock files/);
      oneLine(cli(['--db', name, 'user', 'list']), 6, /hard links/);
    }
    expect(readFileSync(db).equals(before)).toBe(true);
    rmSync(other);
    expect(cli(['--db', db, 'user', 'list']).code).toBe(0);
  });

  it('a write leaves its commits in the main file: a -wal deleted after a holder was killed loses nothing', async () => {
    const db = fresh();
    expect(cli(['--db', db, 'user', 'create', '-e', 'first@example.com']).code).toBe(0);
    // Another process keeps the store open, so no writer is ever the last to close it.
    const holder = spawn(process.execPath, ['-e', `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(db)}); d.prepare('select count(*) from users').get(); process.stdout.write('open\\n'); setInterval(() => {}, 1000);`], { cwd: process.cwd() });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(cli(['--db', db, '-q', 'user', 'create', '-e', `u${i}@example.com`]).stdout.trim());
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
    const listed = cli(['--db', db, '-q', 'user', 'list']).stdout;
    for (const id of ids) expect(listed).toContain(id);
    expect(cli(['--db', db, 'db', 'check']).code).toBe(0);
  });
});

describe('the directories above the store, as sshd judges them', () => {
  it('a world-writable parent that is not sticky is refused, naming it, with a chmod of that directory only', () => {
    const parent = join(dir, `open${++n}`);
    mkdirSync(join(parent, 'store'), { recursive: true, mode: 0o700 });
    chmodSync(parent, 0o777);
    const db = join(parent, 'store', 'store.db');
    oneLine(cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']), 6, new RegExp(`directory ${parent} above the store is writable by group and others \\(mode 0777\\) and not sticky.*\\(fix it with: chmod go-w ${parent}\\)`));
    expect(existsSync(db)).toBe(false);
    chmodSync(parent, 0o1777); // sticky: nobody can rename what another user put there
    expect(cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']).code).toBe(0);
    chmodSync(parent, 0o777);
    oneLine(cli(['--db', db, 'user', 'list']), 6, /above the store is writable/);
    chmodSync(parent, 0o755);
    expect(cli(['--db', db, 'user', 'list']).code).toBe(0);
  });

  it('a store directly in /tmp is refused with a private directory as the fix, never chmod of /tmp', () => {
    const db = join(tmpdir(), `accessctl-in-tmp-${process.pid}.db`);
    try {
      const r = cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']);
      oneLine(r, 6, /store directory \/tmp is writable by group and others/);
      expect(r.stderr).toMatch(/private directory/);
      expect(r.stderr).not.toMatch(/chmod/);
    } finally {
      rmSync(db, { force: true });
    }
  });
});

describe('HOME', () => {
  it('an empty HOME is an error, never a store under the current directory', () => {
    const cwd = join(dir, `cwd${++n}`);
    mkdirSync(cwd, { mode: 0o700 });
    const env = { HOME: '', ACCESSCTL_HOME: '', XDG_DATA_HOME: '' };
    oneLine(cli(['user', 'create', '-e', 'ada@example.com'], { env, cwd }), 6, /HOME is empty: there is no default store location/);
    oneLine(cli(['db', 'path'], { env, cwd }), 6, /HOME is empty/);
    expect(existsSync(join(cwd, '.local'))).toBe(false);
    oneLine(cli(['user', 'list'], { env: { HOME: 'relative/home' }, cwd }), 6, /HOME is not an absolute path/);
  });

  it('a relative ACCESSCTL_HOME is refused; a relative XDG_DATA_HOME is ignored, as the XDG rules say', () => {
    const cwd = join(dir, `cwd${++n}`);
    const home = join(dir, `home${n}`);
    mkdirSync(cwd, { mode: 0o700 });
    mkdirSync(home, { mode: 0o700 });
    oneLine(cli(['user', 'create', '-e', 'ada@example.com'], { env: { HOME: home, ACCESSCTL_HOME: 'stores' }, cwd }), 6, /ACCESSCTL_HOME is not an absolute path \("stores"\)/);
    expect(existsSync(join(cwd, 'stores'))).toBe(false);
    const r = cli(['db', 'path'], { env: { HOME: home, XDG_DATA_HOME: 'data' }, cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(home, '.local', 'share', 'accessctl', 'default.db'));
    expect(cli(['user', 'create', '-e', 'ada@example.com'], { env: { HOME: home, XDG_DATA_HOME: 'data' }, cwd }).code).toBe(0);
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    expect(existsSync(join(home, '.local', 'share', 'accessctl', 'default.db'))).toBe(true);
  });
});

describe.skipIf(!isRoot || process.platform !== 'linux')('a full disk (a tiny tmpfs)', () => {
  let mnt: string;
  let target: string;
  beforeAll(() => {
    mnt = join(dir, 'full');
    target = join(dir, 'fullbackup');
    mkdirSync(mnt, { mode: 0o700 });
    mkdirSync(target, { mode: 0o700 });
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=700', 'tmpfs', mnt]).status).toBe(0);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=32k,mode=700', 'tmpfs', target]).status).toBe(0);
  });
  afterAll(() => {
    spawnSync('umount', [mnt]);
    spawnSync('umount', [target]);
  });

  it('a write is exit 6 "disk full while writing STORE", changes nothing; db backup names its own target', () => {
    const db = join(mnt, 'store.db');
    expect(cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']).code).toBe(0);
    // Fill what is left of the disk.
    spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=4k']);
    const csv = ['email,firstName,lastName,role,state', ...Array.from({ length: 200 }, (_, i) => `u${i}@example.com,U,${i},DEVOPS,ACTIVE`)].join('\n');
    writeFileSync(join(dir, 'users.csv'), csv);
    oneLine(cli(['--db', db, 'user', 'import', join(dir, 'users.csv')]), 6, new RegExp(`disk full while writing ${db} \\(`));
    oneLine(cli(['--db', db, 'user', 'create', '-e', 'eve@example.com']), 6, new RegExp(`disk full while writing ${db} \\(`));
    rmSync(join(mnt, 'fill'));
    expect(cli(['--db', db, '-q', 'user', 'list']).stdout.trim().split('\n')).toHaveLength(1);
    expect(cli(['--db', db, 'db', 'check']).code).toBe(0);
    // The store is readable and has room; the backup's own disk is what is full.
    spawnSync('dd', ['if=/dev/zero', `of=${join(target, 'fill')}`, 'bs=4k']);
    const backup = join(target, 'copy.db');
    oneLine(cli(['--db', db, 'db', 'backup', backup]), 6, new RegExp(`disk full while writing ${backup} \\(`));
    expect(existsSync(backup)).toBe(false);
    expect(statSync(db).size).toBeGreaterThan(0);
  });
});
