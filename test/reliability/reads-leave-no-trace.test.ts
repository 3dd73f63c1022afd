import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/spawn.js';

// SPEC section 2, "Reads leave no trace": a command that only reads never changes the store file
// (bytes, mode, journal mode, schema version), and answers from a store it cannot write.

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);
const journalMode = (file: string) => {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.pragma('journal_mode', { simple: true });
  } finally {
    db.close();
  }
};

let dir: string;
let store: string;
let token: string;

function ok(args: string[], stdin?: string): string {
  const r = cli(args, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw new Error(`accessctl ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-reads-'));
  chmodSync(dir, 0o700);
  store = join(dir, 'live.db');
  const a = (...args: string[]) => ok(['--db', store, ...args]);
  a('user', 'create', '-e', 'ada@example.com');
  a('resource', 'create', '-n', 'prod-db', '-a', 'db.internal', '--tcp', '5432');
  a('group', 'create', '-g', 'dba', '-u', 'ada@example.com', '-r', 'prod-db');
  a('service', 'create', '-n', 'ci', '-r', 'prod-db');
  token = a('-q', 'key', 'create', '-i', 'ci', '-n', 'deploy', '-e', '0').trim();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What an auditor is handed: a VACUUM INTO copy (rollback journal), mode 0644. */
function auditorCopy(name: string): string {
  const copy = join(dir, name);
  const db = new BetterSqlite3(store, { readonly: true });
  db.exec(`vacuum into '${copy}'`);
  db.close();
  chmodSync(copy, 0o644);
  return copy;
}

const READS: string[][] = [
  ['audit', 'verify'],
  ['user', 'list'],
  ['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db'],
  ['db', 'check'],
  ['access', 'list', '--all'],
  ['access', 'list', '--all', '--as-of', 'NOW'],
  ['access', 'diff', '--from', '2020-01-01T00:00:00Z'],
  ['key', 'report'],
  ['audit', 'list'],
  ['audit', 'checkpoint'],
  ['config', 'list'],
  ['group', 'show', '-i', 'dba'],
  ['export'],
  ['sweep', '--dry-run'],
];

describe('a read leaves the store byte for byte as it was', () => {
  it('every read command on an auditor copy keeps its SHA-256, mode 0644, rollback journal and leaves no file beside it', () => {
    const copy = auditorCopy('copy.db');
    const before = { sha: sha(copy), mode: mode(copy), journal: journalMode(copy) };
    expect(before.mode).toBe('644');
    expect(before.journal).toBe('delete');
    for (const read of READS) {
      const args = read.map((a) => (a === 'NOW' ? new Date().toISOString() : a));
      const r = cli(['--db', copy, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect({ sha: sha(copy), mode: mode(copy), journal: journalMode(copy) }, args.join(' ')).toEqual(before);
      expect(readdirSync(dir).filter((f) => f.startsWith('copy.db')), args.join(' ')).toEqual(['copy.db']);
    }
  });

  it('a token check may record lastUsedAt (the one allowed write) but changes neither the mode nor the journal mode', () => {
    const copy = auditorCopy('gate.db');
    const r = cli(['--db', copy, 'access', 'check', '--token-stdin', '-r', 'prod-db', '--port', '5432'], { stdin: `${token}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(mode(copy)).toBe('644');
    expect(journalMode(copy)).toBe('delete');
    const keys = JSON.parse(ok(['--db', copy, '-f', 'json', 'key', 'list'])) as Array<{ lastUsedAt: string | null }>;
    expect(keys[0]!.lastUsedAt).not.toBeNull();
  });
});

/** Runs mount(8); false when this process may not (not root, no capability): those tests are skipped. */
function mountWorks(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'accessctl-mnt-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', probe]);
  if (r.status === 0) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return r.status === 0;
}
const canMount = mountWorks();

describe.runIf(canMount)('a store on a read-only filesystem', () => {
  let mnt: string;
  const remount = (how: 'ro' | 'rw') => expect(spawnSync('mount', ['-o', `remount,${how}`, mnt]).status).toBe(0);
  beforeAll(() => {
    mnt = join(dir, 'mnt');
    mkdirSync(mnt, { mode: 0o700 });
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', mnt]).status).toBe(0);
  });
  afterAll(() => {
    spawnSync('umount', [mnt]);
  });

  it('a WAL store with no -shm answers reads and token checks, creates nothing, and a write is exit 6', () => {
    const ro = join(mnt, 'wal.db');
    copyFileSync(store, ro);
    // The copy is in WAL mode (the live store's header), with neither -wal nor -shm beside it.
    expect(readFileSync(ro)[18]).toBe(2);
    expect(existsSync(`${ro}-shm`)).toBe(false);
    const before = sha(ro);
    remount('ro');
    try {
      expect(cli(['--db', ro, 'user', 'list']).code).toBe(0);
      expect(cli(['--db', ro, 'audit', 'verify']).code).toBe(0);
      expect(cli(['--db', ro, 'db', 'check']).code).toBe(0);
      const gate = cli(['--db', ro, 'access', 'check', '--token-stdin', '-r', 'prod-db', '--port', '5432'], { stdin: `${token}\n` });
      expect(gate.code, gate.stderr).toBe(0);
      expect(readdirSync(mnt)).toEqual(['wal.db']);
      const write = cli(['--db', ro, 'user', 'create', '-e', 'bob@example.com']);
      expect(write.code).toBe(6);
      expect(write.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      remount('rw');
    }
    expect(sha(ro)).toBe(before);
  });

  it('a -wal holding commits but no -shm: the read says exactly why it cannot answer (exit 6)', () => {
    const ro = join(mnt, 'pending.db');
    copyFileSync(store, ro);
    // A writer that stopped before checkpointing: its commits are only in the -wal.
    const w = new BetterSqlite3(ro);
    w.pragma('wal_autocheckpoint = 0');
    w.exec("insert into settings (key, value, updated_at) values ('probe', '1', 0)");
    copyFileSync(`${ro}-wal`, join(dir, 'pending.wal'));
    w.close();
    rmSync(`${ro}-shm`, { force: true });
    copyFileSync(join(dir, 'pending.wal'), `${ro}-wal`);
    remount('ro');
    try {
      const r = cli(['--db', ro, 'user', 'list']);
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/its write-ahead log \(.*pending\.db-wal\) holds commits, and without a -shm/);
    } finally {
      remount('rw');
    }
  });
});
