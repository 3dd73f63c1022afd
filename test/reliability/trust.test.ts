import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, ROOT, type SpawnResult } from '../helpers/spawn.js';
import { reachableAccessctl } from '../helpers/reachable.js';
import { DIALECT, e2eStore, storeExists } from '../helpers/e2e-store.js';

/**
 * The threat model of docs/reliability.md, one test per row: a clock override, a careless mode,
 * another local user, a typo in a cron line, a gate checking while an import holds the lock.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-trust-'));
  chmodSync(dir, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;
const OTHER = 65534;
const modeOf = (p: string) => statSync(p).mode & 0o777;
let n = 0;
function fresh(): string {
  const sub = join(dir, `s${++n}`);
  mkdirSync(sub, { mode: 0o700 });
  return join(sub, 'store.db');
}
/** A store of this leg's kind for the tests that do not depend on it (the clock): fresh()'s file, or a database. */
function freshStore(): string {
  return DIALECT === 'postgres' ? e2eStore(dir) : fresh();
}
/** Runs the built binary as another local user (nobody), as the fault tests do. */
function asOther(args: string[]): SpawnResult {
  const { node, bin } = reachableAccessctl({ uid: OTHER, gid: OTHER });
  const r = spawnSync('setpriv', ['--reuid', String(OTHER), '--regid', String(OTHER), '--clear-groups', node, bin, ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: dir, ACCESSCTL_ACTOR: 'other' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function oneLine(r: SpawnResult, code: number, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.split('\n')).toHaveLength(2);
}

describe('the clock: ACCESSCTL_NOW is a what-if on a store that has not opted in', () => {
  const past = { ACCESSCTL_NOW: '2019-01-01T00:00:00Z' };
  const future = { ACCESSCTL_NOW: '2060-01-01T00:00:00Z' };

  it('a backdated or post-dated write is refused with exit 2; reads answer as of the override', () => {
    const db = freshStore();
    const env = { ACCESSCTL_DB: db };
    expect(cli(['user', 'create', '-e', 'ada@example.com'], { env }).code).toBe(0);
    expect(cli(['resource', 'create', '-n', 'prod-db', '-a', 'db.internal'], { env }).code).toBe(0);
    expect(cli(['service', 'create', '-n', 'ci', '-r', 'prod-db'], { env }).code).toBe(0);
    const token = cli(['-q', 'key', 'create', '-i', 'ci', '-n', 'k1', '-e', '0'], { env }).stdout.trim();
    const monthly = cli(['-q', 'key', 'create', '-i', 'ci', '-n', 'k2', '-e', '30'], { env }).stdout.trim();
    expect(cli(['group', 'create', '-g', 'standing', '-u', 'ada@example.com', '-r', 'prod-db', '--ttl', '2h'], { env }).code).toBe(0);
    const before = cli(['-f', 'json', 'audit', 'list'], { env }).stdout;

    // Backdated: the grant would exist now while its audit event hides in 2019.
    oneLine(cli(['group', 'create', '-g', 'backdated', '-u', 'ada@example.com', '-r', 'prod-db'], { env: { ...env, ...past } }), 2, /refuses writes under an override \(unset ACCESSCTL_NOW/);
    // Post-dated: a token valid for decades, and a sweep that deletes live groups and ACTIVE keys.
    oneLine(cli(['key', 'exchange', '--ttl', '12h'], { env: { ...env, ...future }, stdin: token }), 2, /clock is overridden to 2060-01-01T00:00:00.000Z/);
    oneLine(cli(['sweep', '--keys', '--grace', '1d'], { env: { ...env, ...future } }), 2, /refuses writes/);
    oneLine(cli(['sweep'], { env: { ...env, ...future } }), 2, /refuses writes/);
    oneLine(cli(['config', 'set', 'clock.allowOverride', 'true'], { env: { ...env, ...past } }), 2, /cannot be changed while the clock is overridden/);
    oneLine(cli(['db', 'init', '--allow-clock-override'], { env: { ...env, ...past } }), 2, /cannot be changed while the clock is overridden/);

    expect(cli(['-f', 'json', 'audit', 'list'], { env }).stdout).toBe(before);
    expect(JSON.parse(cli(['-f', 'json', 'group', 'list'], { env }).stdout).map((g: { name: string }) => g.name)).toEqual(['standing']);
    expect(JSON.parse(cli(['-f', 'json', 'key', 'list'], { env }).stdout).map((k: { status: string }) => k.status)).toEqual(['ACTIVE', 'ACTIVE']);

    // Reads are what-ifs: in 2060 the group has expired and the key with it.
    expect(cli(['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db'], { env: { ...env, ...future } }).code).toBe(5);
    expect(cli(['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db'], { env }).code).toBe(0);
    expect(JSON.parse(cli(['-f', 'json', 'key', 'verify'], { env: { ...env, ...future }, stdin: monthly }).stdout)[0]).toMatchObject({ valid: false });
    expect(JSON.parse(cli(['-f', 'json', 'key', 'verify'], { env, stdin: monthly }).stdout)[0]).toMatchObject({ valid: true });
    expect(JSON.parse(cli(['-f', 'json', 'sweep', '--dry-run', '--keys'], { env: { ...env, ...future } }).stdout).length).toBeGreaterThan(0);
    expect(cli(['-q', 'config', 'get', 'clock.allowOverride'], { env: { ...env, ...past } }).stdout).toBe('false\n');
  });

  it('a store that opted in (audited) takes overridden writes; turning it off is refused under an override', () => {
    const db = freshStore();
    const env = { ACCESSCTL_DB: db };
    expect(cli(['-q', 'db', 'init', '--allow-clock-override'], { env }).stdout).toBe(`${db}\n`);
    const optIn = JSON.parse(cli(['-f', 'json', 'audit', 'list', '--action', 'config.set'], { env }).stdout);
    expect(optIn.map((e: { targetId: string; details: unknown }) => [e.targetId, e.details])).toEqual([
      ['clock.allowOverride', { v: 2, changes: [{ op: 'insert', table: 'settings', row: { key: 'clock.allowOverride', value: 'true', updated_at: expect.any(Number) } }] }],
    ]);
    const r = cli(['-f', 'json', 'user', 'create', '-e', 'ada@example.com'], { env: { ...env, ...past } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0].createdAt).toBe('2019-01-01T00:00:00.000Z');
    expect(cli(['config', 'set', 'clock.allowOverride', 'false'], { env: { ...env, ...past } }).code).toBe(2);
    expect(cli(['config', 'set', 'clock.allowOverride', 'false'], { env }).code).toBe(0);
    expect(cli(['user', 'create', '-e', 'bob@example.com'], { env: { ...env, ...past } }).code).toBe(2);
  });

  it('a store is never created under an override: it would refuse every write anyway', () => {
    const db = freshStore();
    oneLine(cli(['user', 'create', '-e', 'ada@example.com'], { env: { ACCESSCTL_DB: db, ...past } }), 2, /refuses writes/);
    expect(storeExists(db)).toBe(false);
  });

  // An older store to migrate is a SQLite file of schema 1 (a PostgreSQL store starts at 2).
  it.skipIf(DIALECT === 'postgres')('migrating an older store and restoring a backup are writes: refused under an override, nothing changed', () => {
    const db = fresh();
    copyFileSync(join(ROOT, 'test', 'fixtures', 'upgrade', 'schema1.sqlite'), db);
    chmodSync(db, 0o600);
    const version = () => {
      const d = new Database(db, { readonly: true });
      try {
        return d.pragma('user_version', { simple: true });
      } finally {
        d.close();
      }
    };
    oneLine(cli(['db', 'migrate'], { env: { ACCESSCTL_DB: db, ...future } }), 2, /refuses writes under an override/);
    oneLine(cli(['user', 'create', '-e', 'zed@example.com'], { env: { ACCESSCTL_DB: db, ...future } }), 2, /refuses writes under an override/);
    expect(version()).toBe(1);
    expect(cli(['db', 'migrate'], { env: { ACCESSCTL_DB: db } }).code).toBe(0);
    expect(version()).toBe(4); // the latest schema
    const backup = join(dir, `backup-${n}.db`);
    expect(cli(['db', 'backup', backup], { env: { ACCESSCTL_DB: db } }).code).toBe(0);
    oneLine(cli(['db', 'restore', backup], { env: { ACCESSCTL_DB: db, ...past } }), 2, /refuses writes under an override/);
    expect(existsSync(`${db}.before-restore-20190101T000000Z`)).toBe(false);
  });
});

// The rest is about files: paths, modes, symlinks, SQLite's write lock.
describe.skipIf(DIALECT === 'postgres')('creation: only a command that creates something makes a store', () => {
  it('a typo in ACCESSCTL_HOME or -s fails with exit 6 naming the path, and creates nothing', () => {
    const home = join(dir, 'typo-home');
    for (const argv of [['sweep'], ['sweep', '--keys'], ['user', 'list'], ['audit', 'list'], ['db', 'check'], ['config', 'list'], ['access', 'list', '--user', 'a@example.com']]) {
      oneLine(cli(argv, { env: { ACCESSCTL_HOME: home } }), 6, new RegExp(`no store at ${join(home, 'default.db')} \\(check --db, -s and ACCESSCTL_HOME`));
    }
    expect(existsSync(home)).toBe(false);

    const real = join(dir, 'real-home');
    expect(cli(['-s', 'prod', 'user', 'create', '-e', 'ada@example.com'], { env: { ACCESSCTL_HOME: real } }).code).toBe(0);
    oneLine(cli(['-s', 'prod-typo', 'user', 'list'], { env: { ACCESSCTL_HOME: real } }), 6, /no store at .*prod-typo\.db/);
    expect(existsSync(join(real, 'prod-typo.db'))).toBe(false);
    expect(JSON.parse(cli(['-s', 'prod-typo', '-f', 'json', 'db', 'path'], { env: { ACCESSCTL_HOME: real } }).stdout)).toEqual([{ path: join(real, 'prod-typo.db'), exists: false }]);
    expect(existsSync(join(real, 'prod-typo.db'))).toBe(false);
  });

  it('db init creates the store once and prints its path; a dry-run import creates nothing', () => {
    const db = fresh();
    expect(cli(['--db', db, 'user', 'import', '--dry-run', '-'], { stdin: 'email\nada@example.com\n' }).code).toBe(6);
    expect(existsSync(db)).toBe(false);
    const first = cli(['--db', db, '-q', 'db', 'init']);
    // -q silences the "created store" note (SPEC section 7); test/e2e/operators.test.ts pins it without -q.
    expect([first.code, first.stdout, first.stderr]).toEqual([0, `${db}\n`, '']);
    expect(modeOf(db)).toBe(0o600);
    expect(cli(['--db', db, '-q', 'db', 'init'])).toEqual({ code: 0, stdout: `${db}\n`, stderr: '' });
    expect(cli(['--db', db, 'audit', 'list', '-f', 'json']).stdout).toBe('[]\n');
  });
});

describe.skipIf(DIALECT === 'postgres')('StrictModes: a store another user could write is refused with the fix', () => {
  it('a directory writable by others (0777) is refused, and works once fixed', () => {
    const db = fresh();
    const sub = join(db, '..');
    expect(cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']).code).toBe(0);
    chmodSync(sub, 0o777);
    oneLine(cli(['--db', db, 'user', 'list']), 6, new RegExp(`store directory ${sub} is writable by group and others \\(mode 0777\\): another user could swap the store \\(fix it with: chmod go-w ${sub}\\)`));
    oneLine(cli(['--db', join(sub, 'new.db'), 'user', 'create', '-e', 'a@example.com']), 6, /chmod go-w/);
    expect(existsSync(join(sub, 'new.db'))).toBe(false);
    spawnSync('chmod', ['go-w', sub]);
    expect(cli(['--db', db, 'user', 'list']).code).toBe(0);
  });

  it('the managed directory: created 0700, refused if someone loosened it', () => {
    const home = join(dir, 'managed');
    expect(cli(['user', 'create', '-e', 'ada@example.com'], { env: { ACCESSCTL_HOME: home } }).code).toBe(0);
    expect(modeOf(home)).toBe(0o700);
    chmodSync(home, 0o777);
    oneLine(cli(['user', 'list'], { env: { ACCESSCTL_HOME: home } }), 6, /writable by group and others/);
  });

  it('a store file, -wal or -shm writable by others is refused; a 0644 one is tightened to 0600 by the next write', () => {
    const db = fresh();
    expect(cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']).code).toBe(0);
    chmodSync(db, 0o666);
    oneLine(cli(['--db', db, 'user', 'list']), 6, new RegExp(`store file ${db} is writable by group and others \\(mode 0666\\) \\(fix it with: chmod 600 ${db}\\)`));
    chmodSync(db, 0o644);
    // A read changes nothing, not even the mode (SPEC section 2, "Reads leave no trace").
    expect(cli(['--db', db, 'user', 'list']).code).toBe(0);
    expect(modeOf(db)).toBe(0o644);
    expect(cli(['--db', db, 'user', 'create', '-e', 'eve@example.com']).code).toBe(0);
    expect(modeOf(db)).toBe(0o600);

    // Another connection keeps -wal and -shm on disk while accessctl runs.
    const holder = new Database(db);
    holder.prepare('select count(*) from users').get();
    try {
      for (const suffix of ['-wal', '-shm']) {
        chmodSync(`${db}${suffix}`, 0o646);
        oneLine(cli(['--db', db, 'user', 'list']), 6, new RegExp(`store file ${db}${suffix} is writable by others`));
        chmodSync(`${db}${suffix}`, 0o644);
      }
      expect(cli(['--db', db, 'user', 'create', '-e', 'bob@example.com']).code).toBe(0);
      expect([modeOf(db), modeOf(`${db}-wal`), modeOf(`${db}-shm`)]).toEqual([0o600, 0o600, 0o600]);
    } finally {
      holder.close();
    }
  });

  it('a backup is written 0600', () => {
    const db = fresh();
    expect(cli(['--db', db, 'user', 'create', '-e', 'ada@example.com']).code).toBe(0);
    const copy = join(db, '..', 'copy.db');
    spawnSync('sh', ['-c', `umask 000 && "${process.execPath}" "${BIN}" --db "${db}" db backup "${copy}"`], { cwd: ROOT });
    expect(modeOf(copy)).toBe(0o600);
  });

  it('--db through a symlink is judged, created and opened at its target', () => {
    const db = fresh();
    const target = join(db, '..', 'target.db');
    const link = join(dir, `link-${n}.db`);
    symlinkSync(target, link);
    expect(cli(['--db', link, 'user', 'create', '-e', 'ada@example.com']).code).toBe(0);
    expect(modeOf(target)).toBe(0o600);
    expect(existsSync(`${target}-wal`) || existsSync(join(dir, `link-${n}.db-wal`))).toBe(false);
    chmodSync(join(target, '..'), 0o777);
    oneLine(cli(['--db', link, 'user', 'list']), 6, new RegExp(`store directory ${join(target, '..')} is writable`));
    chmodSync(join(target, '..'), 0o700);
    chmodSync(target, 0o644);
    expect(cli(['--db', link, 'user', 'list']).code).toBe(0);
    expect(modeOf(target)).toBe(0o644);
    expect(cli(['--db', link, 'user', 'create', '-e', 'bob@example.com']).code).toBe(0);
    expect(modeOf(target)).toBe(0o600);
  });

  it.runIf(isRoot)('another local user: their store, or their directory, is refused; theirs to them, ours to us', () => {
    // The other user makes a store of their own and drops it where ours would be.
    const theirsDir = join(dir, 'theirs');
    mkdirSync(theirsDir, { mode: 0o755 });
    chownSync(theirsDir, OTHER, OTHER);
    const theirs = join(theirsDir, 'store.db');
    expect(asOther(['--db', theirs, 'user', 'create', '-e', 'mallory@example.com']).code).toBe(0);
    expect(statSync(theirs).uid).toBe(OTHER);
    expect(asOther(['--db', theirs, 'user', 'list']).code).toBe(0);

    const db = fresh();
    copyFileSync(theirs, db);
    chownSync(db, OTHER, OTHER);
    chmodSync(db, 0o600);
    oneLine(cli(['--db', db, 'user', 'list']), 6, new RegExp(`store file ${db} belongs to another user \\(uid ${OTHER}\\): they could swap the store \\(if it is yours, fix it with: chown root ${db}\\)`));
    // Their directory, even holding a file of ours.
    oneLine(cli(['--db', join(theirsDir, 'mine.db'), 'user', 'create', '-e', 'ada@example.com']), 6, /store directory .* belongs to another user/);
    expect(existsSync(join(theirsDir, 'mine.db'))).toBe(false);
    // To the other user, a store of root's is fine (root is trusted), one of a third user's is not.
    chownSync(db, 0, 0);
    const third = join(theirsDir, 'third.db');
    copyFileSync(theirs, third);
    chownSync(third, OTHER - 1, OTHER - 1);
    chmodSync(third, 0o600);
    oneLine(asOther(['--db', third, 'user', 'list']), 6, /belongs to another user \(uid 65533\)/);
  });
});

describe.skipIf(DIALECT === 'postgres')('telemetry never blocks: lastUsedAt while another process holds the write lock', () => {
  it('access check --token-stdin and key verify answer allowed, exit 0, while a long transaction holds the lock', async () => {
    const db = fresh();
    const env = { ACCESSCTL_DB: db };
    expect(cli(['resource', 'create', '-n', 'prod-db', '-a', 'db.internal', '--tcp', '5432'], { env }).code).toBe(0);
    expect(cli(['service', 'create', '-n', 'ci', '-r', 'prod-db'], { env }).code).toBe(0);
    const token = cli(['-q', 'key', 'create', '-i', 'ci', '-n', 'k1'], { env }).stdout.trim();
    // A real writer in another process: BEGIN IMMEDIATE, a write, then it waits until told to stop.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D=require(${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3'))});const d=new D(${JSON.stringify(db)});` +
          `d.exec('begin immediate');d.prepare("update settings set value = value where 0").run();process.stdout.write('locked\\n');` +
          `process.stdin.once('data',()=>{d.exec('rollback');d.close();process.exit(0)});`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    try {
      const check = cli(['-f', 'json', 'access', 'check', '--token-stdin', '-r', 'prod-db', '--port', '5432'], { env, stdin: token });
      expect([check.code, check.stderr]).toEqual([0, '']);
      expect(JSON.parse(check.stdout)[0]).toMatchObject({ allowed: true });
      const verify = cli(['-f', 'json', 'key', 'verify'], { env, stdin: token });
      expect([verify.code, verify.stderr]).toEqual([0, '']);
      expect(JSON.parse(verify.stdout)[0]).toMatchObject({ valid: true });
      // The lock was real: a change waits for it (and would give up after 5 s).
      expect(JSON.parse(cli(['-f', 'json', 'key', 'list'], { env }).stdout)[0].lastUsedAt).toBe(null);
    } finally {
      holder.stdin!.end('go\n');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    // Once the lock is free, the next good check records its use.
    expect(cli(['key', 'verify'], { env, stdin: token }).code).toBe(0);
    expect(JSON.parse(cli(['-f', 'json', 'key', 'list'], { env }).stdout)[0].lastUsedAt).not.toBe(null);
  }, 60_000);
});
