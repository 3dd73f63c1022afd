import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, type SpawnResult } from '../helpers/spawn.js';

/**
 * A -wal from another store is refused before SQLite applies it, and `db restore` puts a backup
 * in place without ever pairing it with the old store's -wal. Real files, real processes.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-wal-'));
  chmodSync(dir, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function fresh(): string {
  const sub = join(dir, `s${++n}`);
  mkdirSync(sub, { mode: 0o700 });
  return sub;
}
function oneLine(r: SpawnResult, code: number, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.split('\n')).toHaveLength(2);
}
const ok = (r: SpawnResult) => {
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

/** Another process with the store open inside a read transaction: no checkpoint can empty its -wal. */
async function holder(db: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['-e', `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(db)}); d.prepare('begin').run(); d.prepare('select count(*) from users').get(); process.stdout.write('open\\n'); setInterval(() => {}, 1000);`], { cwd: ROOT });
  await new Promise<void>((resolve) => p.stdout!.once('data', () => resolve()));
  return p;
}
async function kill(p: ChildProcess): Promise<void> {
  p.kill('SIGKILL');
  await new Promise((resolve) => p.once('exit', resolve));
}

/** Store B with three committed users in a -wal that its holder keeps from being checkpointed. */
async function storeWithLiveWal(sub: string): Promise<{ db: string; hold: ChildProcess }> {
  const db = join(sub, 'b.db');
  ok(cli(['--db', db, 'user', 'create', '-e', 'b@example.com']));
  const hold = await holder(db);
  for (let i = 0; i < 3; i++) ok(cli(['--db', db, 'user', 'create', '-e', `b${i}@example.com`]));
  expect(statSync(`${db}-wal`).size).toBeGreaterThan(0);
  return { db, hold };
}

describe('a -wal from another store', () => {
  it('is refused, alone or with its -shm, and the store is left byte for byte', async () => {
    const sub = fresh();
    const a = join(sub, 'a.db');
    ok(cli(['--db', a, 'user', 'create', '-e', 'a@example.com']));
    const { db: b, hold } = await storeWithLiveWal(sub);
    try {
      copyFileSync(`${b}-wal`, `${a}-wal`);
      chmodSync(`${a}-wal`, 0o600);
      const before = readFileSync(a);
      oneLine(cli(['--db', a, 'user', 'list']), 6, new RegExp(`${a}-wal does not belong to store ${a} .*db restore`));
      oneLine(cli(['--db', a, 'user', 'create', '-e', 'eve@example.com']), 6, /does not belong to store/);
      copyFileSync(`${b}-shm`, `${a}-shm`);
      chmodSync(`${a}-shm`, 0o600);
      oneLine(cli(['--db', a, 'db', 'check']), 6, /does not belong to store/);
      expect(readFileSync(a).equals(before)).toBe(true);
      // Moved aside, the store is itself again.
      rmSync(`${a}-wal`);
      rmSync(`${a}-shm`);
      expect(ok(cli(['--db', a, '-q', 'user', 'list'])).trim().split('\n')).toHaveLength(1);
      ok(cli(['--db', a, 'db', 'check']));
    } finally {
      await kill(hold);
    }
    // B's own -wal, left by the killed holder, is B's: it opens and checks clean with all four users.
    expect(ok(cli(['--db', b, '-q', 'user', 'list'])).trim().split('\n')).toHaveLength(4);
    ok(cli(['--db', b, 'db', 'check']));
  });

  it("is not confused with the store's own -wal that a checkpoint copied only partly past a reader", async () => {
    // A writer's checkpoint while another process holds a read copies only the frames that reader
    // no longer needs, and skips every page that has a newer frame: such a page keeps an older
    // image in the main file. Left so (the reader gone, the writer done), the store is its own.
    const sub = fresh();
    const db = join(sub, 'c.db');
    ok(cli(['--db', db, 'user', 'create', '-e', 'c0@example.com']));
    const first = await holder(db); // reads at frame 0: no checkpoint can copy anything
    ok(cli(['--db', db, 'user', 'create', '-e', 'c1@example.com']));
    await kill(first);
    const second = await holder(db); // reads at the end of c1's frames
    ok(cli(['--db', db, 'user', 'create', '-e', 'c2@example.com'])); // its checkpoint stops at c1's frames
    await kill(second);
    const shm = readFileSync(`${db}-shm`);
    expect(shm.readUInt32LE(96), 'some frames were copied').toBeGreaterThan(0);
    expect(shm.readUInt32LE(96), 'not all of them').toBeLessThan(shm.readUInt32LE(16));
    expect(ok(cli(['--db', db, '-q', 'user', 'list'])).trim().split('\n')).toHaveLength(3);
    ok(cli(['--db', db, 'user', 'create', '-e', 'c3@example.com']));
    ok(cli(['--db', db, 'db', 'check']));
  });
});

describe('db restore FILE', () => {
  it('puts a backup in place beside a stale -wal: the old store, -wal and -shm renamed aside, the result checked', async () => {
    const sub = fresh();
    const a = join(sub, 'a.db');
    const backup = join(sub, 'a-backup.db');
    ok(cli(['--db', a, 'user', 'create', '-e', 'kept@example.com']));
    ok(cli(['--db', a, 'db', 'backup', backup]));
    ok(cli(['--db', a, 'user', 'create', '-e', 'after-backup@example.com']));
    // What a careless restore leaves: another store's -wal beside the store.
    const { db: b, hold } = await storeWithLiveWal(sub);
    copyFileSync(`${b}-wal`, `${a}-wal`);
    copyFileSync(`${b}-shm`, `${a}-shm`);
    chmodSync(`${a}-wal`, 0o600);
    chmodSync(`${a}-shm`, 0o600);
    await kill(hold);
    const out = ok(cli(['--db', a, '-f', 'json', 'db', 'restore', backup]));
    const records = JSON.parse(out) as Array<{ check: string; ok: boolean; detail: string }>;
    expect(records.map((r) => [r.check, r.ok])).toEqual([['restore', true], ['integrity', true], ['foreignKeys', true], ['schema', true], ['schemaObjects', true]]);
    const aside = readdirSync(sub).filter((f) => f.startsWith('a.db.before-restore-')).sort();
    expect(aside).toHaveLength(3);
    expect(aside[0]).toMatch(/^a\.db\.before-restore-\d{8}T\d{6}Z$/);
    expect(aside.slice(1)).toEqual([`${aside[0]}-shm`, `${aside[0]}-wal`]);
    expect(existsSync(`${a}-wal`) && statSync(`${a}-wal`).size > 0).toBe(false);
    expect(statSync(a).mode & 0o777).toBe(0o600);
    const users = JSON.parse(ok(cli(['--db', a, '-f', 'json', 'user', 'list']))) as Array<{ email: string }>;
    expect(users.map((u) => u.email)).toEqual(['kept@example.com']);
    ok(cli(['--db', a, 'db', 'check']));
  });

  it('refuses what is not an accessctl store, a missing file, and a store another process has open', async () => {
    const sub = fresh();
    const a = join(sub, 'a.db');
    const backup = join(sub, 'backup.db');
    ok(cli(['--db', a, 'user', 'create', '-e', 'ada@example.com']));
    ok(cli(['--db', a, 'db', 'backup', backup]));
    writeFileSync(join(sub, 'notes.txt'), 'hello\n'.repeat(100));
    const before = readFileSync(a);
    oneLine(cli(['--db', a, 'db', 'restore', join(sub, 'notes.txt')]), 6, /notes\.txt is not an accessctl store/);
    oneLine(cli(['--db', a, 'db', 'restore', join(sub, 'missing.db')]), 6, /no backup at/);
    const hold = await holder(a);
    try {
      oneLine(cli(['--db', a, 'db', 'restore', backup]), 6, /is open in another process/);
    } finally {
      await kill(hold);
    }
    expect(readFileSync(a).equals(before)).toBe(true);
    expect(readdirSync(sub).filter((f) => /restor/.test(f))).toEqual([]);
  });

  it('refuses a backup whose rows disagree with its own audit log: a planted row, a rewritten event', () => {
    const sub = fresh();
    const a = join(sub, 'a.db');
    ok(cli(['--db', a, 'user', 'create', '-e', 'ada@example.com']));
    ok(cli(['--db', a, 'resource', 'create', '-n', 'prod-db', '-a', 'db.internal']));
    ok(cli(['--db', a, 'group', 'create', '-g', 'dba', '-r', 'prod-db']));
    const clean = join(sub, 'clean.db');
    ok(cli(['--db', a, 'db', 'backup', clean]));
    const before = readFileSync(a);
    const tamper = (name: string, sql: string) => {
      const file = join(sub, name);
      copyFileSync(clean, file);
      const d = new BetterSqlite3(file);
      d.exec(sql);
      d.close();
      chmodSync(file, 0o600);
      return file;
    };
    // ada made a member of dba by hand, with no event: the log says she never was.
    const planted = tamper('planted.db', "insert into group_users (group_id, user_id, created_at) select g.id, u.id, 0 from groups g, users u");
    oneLine(cli(['--db', a, 'db', 'restore', planted]), 6, /backup .*planted\.db disagrees with its own audit log \(replay: .*nothing was moved/);
    const rewritten = tamper('rewritten.db', "update audit_events set actor = 'someone-else' where seq = (select max(seq) from audit_events)");
    oneLine(cli(['--db', a, 'db', 'restore', rewritten]), 6, /disagrees with its own audit log \(auditChain: broken at seq/);
    expect(readFileSync(a).equals(before)).toBe(true);
    expect(readdirSync(sub).filter((f) => /restor/.test(f))).toEqual([]);
    // The clean backup is put in place as before.
    ok(cli(['--db', a, 'db', 'restore', clean]));
    ok(cli(['--db', a, 'db', 'check']));
  });
});
