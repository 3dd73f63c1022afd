import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/spawn.js';

/**
 * What an attacker's trial of the store found, on real files: objects planted under SQLite's own
 * name prefix, a refused backup that still replaced the store, a read verb that migrated, an empty
 * --db, reads on a full disk. Each case fails on a build without its fix.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-store-trial-'));
  chmodSync(dir, 0o700);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function fresh(): string {
  const sub = join(dir, `s${++n}`);
  mkdirSync(sub, { mode: 0o700 });
  const db = join(sub, 'store.db');
  expect(cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']).code).toBe(0);
  expect(cli(['--db', db, 'service', 'create', '-n', 'ci']).code).toBe(0);
  return db;
}
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const isRoot = process.getuid?.() === 0;

function plant(db: string, sql: string): void {
  const raw = new BetterSqlite3(db);
  try {
    raw.unsafeMode(true);
    raw.pragma('writable_schema = ON');
    raw.exec(sql);
  } finally {
    raw.close();
  }
}

describe('objects named like SQLite\'s own are ours to judge', () => {
  it('a trigger named sqlite_* is refused at open and listed by db check', () => {
    const db = fresh();
    plant(db, "CREATE TRIGGER sqlite_keep BEFORE UPDATE OF revoked_at ON service_keys BEGIN SELECT RAISE(IGNORE); END;");
    const r = cli(['--db', db, 'user', 'list']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/sqlite_keep/);
    const check = cli(['--db', db, '-f', 'json', 'db', 'check']);
    expect(check.code).toBe(6);
    expect(check.stdout).toMatch(/sqlite_keep/);
  });

  it('a view and an index named sqlite_* are refused too', () => {
    const db = fresh();
    plant(db, 'CREATE VIEW sqlite_v AS SELECT 1; CREATE INDEX sqlite_i ON users (email);');
    const r = cli(['--db', db, 'user', 'list']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/sqlite_[vi]/);
  });
});

describe('db restore of a backup it refuses changes nothing', () => {
  it('a backup with a planted trigger is refused before the store is moved', () => {
    const db = fresh();
    const backup = join(dir, `planted-${n}.db`);
    expect(cli(['--db', db, 'db', 'backup', backup]).code).toBe(0);
    const raw = new BetterSqlite3(backup);
    raw.exec('CREATE TRIGGER t BEFORE UPDATE ON service_keys BEGIN SELECT RAISE(IGNORE); END;');
    raw.close();
    const before = sha(db);
    const r = cli(['--db', db, 'db', 'restore', backup]);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/trigger t/);
    expect(sha(db)).toBe(before);
    expect(cli(['--db', db, 'db', 'check']).code).toBe(0);
  });
});

describe('every read verb leaves the store alone', () => {
  it('access expiring on a 0644 copy keeps its bytes and mode', () => {
    const db = fresh();
    const copy = join(dir, `copy-${n}.db`);
    const raw = new BetterSqlite3(db, { readonly: true });
    raw.exec(`VACUUM INTO '${copy}'`);
    raw.close();
    chmodSync(copy, 0o644);
    const before = sha(copy);
    const r = cli(['--db', copy, 'access', 'expiring', '--within', '30d']);
    expect(r.code, r.stderr).toBe(0);
    expect(sha(copy)).toBe(before);
    expect(statSync(copy).mode & 0o777).toBe(0o644);
  });
});

describe('an empty store name is an unset variable, never the default store', () => {
  it('--db "" and ACCESSCTL_DB="" are exit 2', () => {
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const a = cli(['--db', '', 'db', 'path'], { env: { HOME: home } });
    expect(a.code, a.stderr).toBe(2);
    expect(a.stderr).toMatch(/--db is empty/);
    const b = cli(['db', 'path'], { env: { HOME: home, ACCESSCTL_DB: '' } });
    expect(b.code, b.stderr).toBe(2);
    expect(b.stderr).toMatch(/ACCESSCTL_DB is set but empty/);
    expect(existsSync(join(home, '.local'))).toBe(false);
  });
});

describe.skipIf(!isRoot || process.platform !== 'linux')('reads on a full disk', () => {
  let mnt: string;
  beforeAll(() => {
    mnt = join(dir, 'full');
    mkdirSync(mnt, { mode: 0o700 });
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=400k,mode=700', 'tmpfs', mnt]).status).toBe(0);
  });
  afterAll(() => {
    spawnSync('umount', [mnt]);
  });

  it('a token check and a list answer, and leave no -shm behind', () => {
    const src = fresh();
    const token = cli(['--db', src, '-q', 'key', 'create', '-i', 'ci', '-n', 'deploy']).stdout.trim();
    expect(token).toMatch(/^ack_/);
    const db = join(mnt, 'store.db');
    copyFileSync(src, db);
    chmodSync(db, 0o600);
    spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=4k']);
    const before = sha(db);
    for (let i = 0; i < 2; i++) {
      const v = cli(['--db', db, 'key', 'verify'], { stdin: token });
      expect(v.code, v.stderr).toBe(0);
      const l = cli(['--db', db, '-q', 'user', 'list']);
      expect(l.code, l.stderr).toBe(0);
      expect(l.stdout.trim().split('\n')).toHaveLength(1);
    }
    expect(sha(db)).toBe(before);
    expect(existsSync(`${db}-shm`)).toBe(false);
  });
});
