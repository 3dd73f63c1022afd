import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, cli, ROOT } from '../helpers/spawn.js';
import { DIALECT, e2eStore, removeE2eStore } from '../helpers/e2e-store.js';

let dir: string;
let env: Record<string, string>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-e2e-'));
  env = { ACCESSCTL_HOME: join(dir, 'home'), ACCESSCTL_NOW: '2026-11-22T23:00:00Z' };
  // On the PostgreSQL leg the store is a database of its own, given by ACCESSCTL_DB.
  if (DIALECT === 'postgres') env = { ACCESSCTL_DB: e2eStore(dir), ACCESSCTL_NOW: env.ACCESSCTL_NOW! };
  // A test store opts in to clock overrides, with the machine's clock (SPEC section 2).
  expect(init(DIALECT === 'postgres' ? ['--db', env.ACCESSCTL_DB!] : []).code).toBe(0);
});

/** `db init --allow-clock-override` without ACCESSCTL_NOW, on the default store or `--db file`. */
const init = (globals: string[]) => cli([...globals, 'db', 'init', '--allow-clock-override'], { env: { ACCESSCTL_HOME: join(dir, 'home') } });
afterEach(() => {
  if (env.ACCESSCTL_DB) removeE2eStore(env.ACCESSCTL_DB);
  rmSync(dir, { recursive: true, force: true });
});
/** The rest is about the files of a SQLite store, the default store, or does not open a store at all. */
const fileOnly = it.skipIf(DIALECT === 'postgres');

describe('the built binary', () => {
  it('prints data on stdout, nothing on stderr, exit 0', () => {
    const r = cli(['-f', 'csv', 'user', 'create', '-e', 'ada@example.com', '--first', 'Ada'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^id,email,firstName,lastName,role,state,type,login,createdAt,updatedAt\nusr_[0-9A-Za-z]{16},ada@example.com,Ada,,MEMBER,ACTIVE,MANUAL,,2026-11-22T23:00:00.000Z,2026-11-22T23:00:00.000Z\n$/);
  });

  it.each([
    ['usage (2)', ['user', 'create', '-e', 'nope'], 2, 'accessctl: invalid email "nope" (for example ada@example.com)\n'],
    ['unknown flag (2)', ['user', 'list', '--bogus'], 2, "accessctl: unknown option '--bogus' (see accessctl user list --help; global options go before the noun or after the verb)\n"],
    ['unknown verb (2)', ['user', 'lst'], 2, "accessctl: unknown command 'lst' (did you mean 'list'?)\n"],
    ['not found (3)', ['group', 'show', '-i', 'nothing'], 3, 'accessctl: group "nothing" not found (see accessctl group list)\n'],
    ['bad env clock (2)', ['user', 'list'], 2, 'accessctl: invalid ACCESSCTL_NOW "yesterday" (use ISO-8601, e.g. 2026-11-22T23:00:00Z)\n'],
  ])('%s: one line on stderr, no stack', (_name, argv, code, stderr) => {
    const r = cli(argv as string[], { env: _name.startsWith('bad env') ? { ...env, ACCESSCTL_NOW: 'yesterday' } : env });
    expect(r.code).toBe(code);
    expect(r.stderr).toBe(stderr);
  });

  it('conflict (4) and denied (5)', () => {
    cli(['user', 'create', '-e', 'ada@example.com'], { env });
    cli(['resource', 'create', '-n', 'db', '-a', 'db.internal'], { env });
    const dup = cli(['user', 'create', '-e', 'ada@example.com'], { env });
    expect([dup.code, dup.stderr]).toEqual([4, 'accessctl: a user with email ada@example.com already exists (emails are unique, case-insensitively)\n']);
    const denied = cli(['-f', 'csv', '--columns', 'allowed,reason', 'access', 'check', '--user', 'ada@example.com', '-r', 'db'], { env });
    expect(denied).toEqual({
      code: 5,
      stdout: 'allowed,reason\nfalse,no grant: user ada@example.com has no path to resource db\n',
      // The store was made on the wall clock, the check asks at an earlier ACCESSCTL_NOW: SPEC section 6's note points to --as-of.
      stderr: expect.stringMatching(
        /^note: ACCESSCTL_NOW is before the store's last change \([0-9TZ:.-]+\); this answers from today's grants at that time\. For what was, use --as-of [0-9TZ:.-]+\naccessctl: access denied: no grant: user ada@example\.com has no path to resource db\n$/,
      ),
    });
  });

  it('JSON errors with -f json, and a stack only with ACCESSCTL_DEBUG=1', () => {
    const r = cli(['-f', 'json', 'user', 'create', '-e', 'nope'], { env });
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'USAGE', exitCode: 2, message: 'invalid email "nope"', hint: 'for example ada@example.com' } });
    const debug = cli(['user', 'create', '-e', 'nope'], { env: { ...env, ACCESSCTL_DEBUG: '1' } });
    expect(debug.stderr.split('\n').length).toBeGreaterThan(2);
  });

  fileOnly('creates the store 0700/0600 even under a permissive umask', () => {
    const home = join(dir, 'fresh-home');
    const r = spawnSync('sh', ['-c', `umask 000 && "${process.execPath}" bin/accessctl user create -e ada@example.com`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ACCESSCTL_HOME: home },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'default.db')).mode & 0o777).toBe(0o600);
    const s = cli(['-s', 'BlackSnake', '-q', 'db', 'path'], { env });
    expect(s.stdout).toBe(`${join(dir, 'home', 'BlackSnake.db')}\n`);
  });

  fileOnly('--db picks a file; a missing directory is a store error', () => {
    const r = cli(['--db', join(dir, 'nope', 'x.db'), 'user', 'list'], { env });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^accessctl: directory .*nope does not exist/);
    // A read never creates a store (SPEC section 2): exit 6 naming the path, until one exists.
    expect(cli(['--db', join(dir, 'x.db'), 'user', 'list'], { env })).toMatchObject({ code: 6, stderr: expect.stringContaining(`no store at ${join(dir, 'x.db')}`) });
    expect(init(['--db', join(dir, 'x.db')]).code).toBe(0);
    expect(cli(['--db', join(dir, 'x.db'), 'user', 'list'], { env }).code).toBe(0);
    expect(cli([], { env: { ...env, ACCESSCTL_DB: join(dir, 'y.db') }, stdin: '' }).code).toBe(0);
    expect(cli(['user', 'list'], { env: { ...env, ACCESSCTL_DB: join(dir, 'y.db') } }).code).toBe(6);
    expect(existsSync(join(dir, 'y.db'))).toBe(false);
    expect(cli(['user', 'create', '-e', 'ada@example.com'], { env: { ACCESSCTL_DB: join(dir, 'y.db') } }).code).toBe(0);
    expect(existsSync(join(dir, 'y.db'))).toBe(true);
  });

  fileOnly('refuses a foreign file, a foreign SQLite database and a newer store, byte for byte untouched', () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database at all, just some text that is long enough to look like a header........');
    const foreign = join(dir, 'other.db');
    const f = new Database(foreign);
    f.exec('create table t (x); insert into t values (1)');
    f.close();
    const newer = join(dir, 'newer.db');
    expect(init(['--db', newer]).code).toBe(0);
    const n = new Database(newer);
    n.pragma('user_version = 99');
    n.pragma('journal_mode = DELETE');
    n.close();
    for (const [file, message] of [
      [text, 'is not an accessctl store (not a SQLite database)'],
      [foreign, 'is a SQLite database but not an accessctl store'],
      [newer, 'was written by a newer accessctl (schema 99, this one knows 4)'],
    ] as const) {
      const before = readFileSync(file);
      const r = cli(['--db', file, 'user', 'list'], { env });
      expect(r.code).toBe(6);
      expect(r.stderr).toContain(message);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(readFileSync(file).equals(before)).toBe(true);
    }
  });

  fileOnly('a read-only store refuses writes with exit 6 and a hint', () => {
    const file = join(dir, 'ro.db');
    init(['--db', file]);
    cli(['--db', file, 'user', 'create', '-e', 'ada@example.com'], { env });
    chmodSync(file, 0o400);
    if (process.getuid?.() === 0) return; // root writes through file modes; the fault tests cover this with a read-only mount
    const r = cli(['--db', file, 'user', 'create', '-e', 'bob@example.com'], { env });
    expect(r.code).toBe(6);
  });

  fileOnly('every verb has --help ending with examples', () => {
    const nouns = ['user', 'resource', 'group', 'service', 'key', 'access', 'audit', 'config', 'db'];
    for (const noun of nouns) {
      const help = cli([noun, '--help'], { env });
      expect(help.code).toBe(0);
      const verbs = [...help.stdout.matchAll(/^ {2}([a-z-]+)(?:\|[A-Za-z]+)? /gm)].map((m) => m[1]!).filter((v) => v !== 'help');
      expect(verbs.length).toBeGreaterThan(0);
      for (const verb of verbs) {
        const r = cli([noun, verb, '--help'], { env });
        expect(r.code, `${noun} ${verb}`).toBe(0);
        expect(r.stdout, `${noun} ${verb}`).toMatch(/Examples:\n {2}\$ accessctl /);
      }
    }
    expect(cli(['sweep', '--help'], { env }).stdout).toContain('Examples:');
  });

  fileOnly('a non-blocking stdout that fills up still gets every byte, in order', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `u${i}@example.com,${'x'.repeat(100)}`).join('\n');
    expect(cli(['user', 'import', '-'], { env, stdin: `email,firstName\n${rows}\n` }).code).toBe(0);
    const args = ['-f', 'ndjson', 'user', 'list'];
    const expected = cli(args, { env }).stdout;
    expect(expected.length).toBeGreaterThan(256 * 1024);
    // A parent that is not Node may hand over a non-blocking pipe: perl (always on Debian) sets
    // O_NONBLOCK and execs the CLI, and the pipe fills while the test is not reading (EAGAIN).
    const setNonBlocking = 'my $f = fcntl(STDOUT, F_GETFL, 0) or die; fcntl(STDOUT, F_SETFL, $f | O_NONBLOCK) or die; exec @ARGV or die';
    const child = spawn('perl', ['-MFcntl', '-e', setNonBlocking, '--', process.execPath, BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ACCESSCTL_ACTOR: 'e2e', ...env },
    });
    child.stdout.pause();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise((r) => setTimeout(r, 500));
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stdout.resume();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(expected);
  });

  fileOnly('an empty file at the store path is not taken for a new store by a read (a truncated store would deny everything): exit 6, untouched', () => {
    const file = join(dir, 'empty.db');
    writeFileSync(file, '');
    for (const args of [['user', 'list'], ['access', 'check', '--user', 'ada@example.com', '-r', 'db'], ['access', 'check', '--batch']]) {
      const r = cli(['--db', file, ...args], { env, stdin: '{"user":"ada@example.com","resource":"db"}\n' });
      expect(r.code, args.join(' ')).toBe(6);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`accessctl: ${file} is an empty file, not an accessctl store (if a store is being created there, try again in a moment; otherwise restore it from a backup, or run "accessctl db init")\n`);
      expect(statSync(file).size).toBe(0);
    }
    // A command that creates something may make the store there, as db init does.
    expect(init(['--db', file]).code).toBe(0);
    expect(cli(['--db', file, 'user', 'list'], { env }).code).toBe(0);
  });

  fileOnly('-V prints the version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(cli(['-V'], { env }).stdout).toBe(`${pkg.version}\n`);
  });
});
