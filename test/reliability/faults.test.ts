import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, ROOT, type SpawnResult } from '../helpers/spawn.js';
import { reachableAccessctl } from '../helpers/reachable.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-faults-'));
  chmodSync(dir, 0o755);
});
afterAll(() => {
  spawnSync('chmod', ['-R', 'u+w', dir]);
  rmSync(dir, { recursive: true, force: true });
});

const isRoot = process.getuid?.() === 0;
/** File modes do not bind root, so permission faults run as an unprivileged user. */
function asUser(args: string[], env: Record<string, string> = {}): SpawnResult {
  // Node and the build as that user can reach them (a checkout in a 0700 home cannot be).
  const { node, bin } = isRoot ? reachableAccessctl({ uid: 65534, gid: 65534 }) : { node: process.execPath, bin: BIN };
  const command = isRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', node, bin, ...args] : [node, bin, ...args];
  const r = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: dir, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function ownedByUser(path: string) {
  if (isRoot) spawnSync('chown', ['-R', '65534:65534', path]);
}

function newStore(name: string): string {
  const sub = join(dir, name);
  mkdirSync(sub, { recursive: true });
  const db = join(sub, 'store.db');
  expect(cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']).code).toBe(0);
  return db;
}

const figures: string[] = [];
afterAll(() => console.log(`[figure] store faults:\n${figures.map((f) => `  ${f}`).join('\n')}`));

function expectStoreError(r: SpawnResult, pattern: RegExp, label: string) {
  expect(r.code, `${label}: ${r.stderr}`).toBe(6);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.split('\n')).toHaveLength(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  figures.push(`${label}: exit ${r.code}, "${r.stderr.trim()}"`);
}

describe('store faults: exit 6 with what to do, and the file never damaged', () => {
  it('a read-only store file', () => {
    const db = newStore('ro-file');
    ownedByUser(join(dir, 'ro-file'));
    chmodSync(db, 0o400);
    const before = readFileSync(db);
    expectStoreError(asUser(['--db', db, 'user', 'create', '-e', 'bob@example.com']), /read-only|cannot open/, 'read-only file');
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('a read-only directory', () => {
    const db = newStore('ro-dir');
    ownedByUser(join(dir, 'ro-dir'));
    chmodSync(join(dir, 'ro-dir'), 0o555);
    const before = readFileSync(db);
    const r = asUser(['--db', db, 'user', 'create', '-e', 'bob@example.com']);
    expectStoreError(r, /read-only|cannot open/, 'read-only directory');
    expect(readFileSync(db).equals(before)).toBe(true);
    const fresh = asUser(['--db', join(dir, 'ro-dir', 'new.db'), 'user', 'create', '-e', 'bob@example.com']);
    expectStoreError(fresh, /cannot create store/, 'new store in a read-only directory');
  });

  it('a missing parent directory', () => {
    const r = cli(['--db', join(dir, 'missing', 'deeper', 'store.db'), 'user', 'list']);
    expectStoreError(r, /directory .* does not exist \(create it first, or choose another --db path\)/, 'missing parent directory');
  });

  it('a file that is not SQLite, and a truncated store', () => {
    const text = join(dir, 'text.db');
    writeFileSync(text, 'hello, I am a text file and not a database at all. '.repeat(100));
    const before = readFileSync(text);
    expectStoreError(cli(['--db', text, 'user', 'list']), /not an accessctl store \(not a SQLite database\)/, 'not SQLite');
    expect(readFileSync(text).equals(before)).toBe(true);

    const db = newStore('truncated');
    // 200 resources in one process (one apply): a store of many pages, so that half of it is a cut
    // through the middle of its tables.
    const file = join(dir, 'resources.json');
    writeFileSync(file, JSON.stringify({ resources: Array.from({ length: 200 }, (_, i) => ({ name: `r${i}`, address: `r${i}.internal` })) }));
    expect(cli(['--db', db, '-q', 'apply', '-f', file]).code).toBe(0);
    truncateSync(db, Math.floor(statSync(db).size / 2));
    const cut = readFileSync(db);
    const r = cli(['--db', db, 'resource', 'list']);
    const check = cli(['--db', db, 'db', 'check']);
    expectStoreError(r.code === 6 ? r : check, /corrupt|check failed|not an accessctl store/, 'truncated store');
    expect(readFileSync(db).equals(cut)).toBe(true);
  });

  it('a store from a newer version', () => {
    const db = newStore('newer');
    const raw = new Database(db);
    raw.pragma('user_version = 5');
    raw.close();
    const before = readFileSync(db);
    expectStoreError(cli(['--db', db, 'user', 'list']), /written by a newer accessctl \(schema 5, this one knows 4\) \(upgrade accessctl; the store was not modified\)/, 'newer schema');
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('a store held locked past the busy timeout by another process', async () => {
    const db = newStore('locked');
    const holder = spawn(
      process.execPath,
      ['-e', `const D=require(${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3'))});const d=new D(${JSON.stringify(db)});d.exec('begin immediate');process.stdout.write('locked\\n');setTimeout(()=>{d.exec('rollback');d.close()},20000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    const started = Date.now();
    const r = cli(['--db', db, 'user', 'create', '-e', 'bob@example.com']);
    const waited = Date.now() - started;
    holder.kill('SIGKILL');
    expectStoreError(r, /is locked by another process \(gave up after 5s; try again\)/, `locked (waited ${(waited / 1000).toFixed(1)} s)`);
    expect(cli(['--db', db, '-f', 'json', 'user', 'list']).stdout).toContain('ada@example.com');
    expect(cli(['--db', db, '-f', 'json', 'user', 'list']).stdout).not.toContain('bob@example.com');
  }, 60_000);
});
