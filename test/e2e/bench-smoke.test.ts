import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPgBin } from '../helpers/pg-cluster.js';
import { ROOT } from '../helpers/spawn.js';

const FIGURES = [
  'one call: -f csv group show -i G vs node -e 0',
  'one call: -f csv access check --user vs node -e 0',
  'one call: -f csv access check --token-stdin vs node -e 0',
  'one call: group show -i G, table vs -f csv',
  'access check --batch',
  'one call: -f csv access check --socket vs node -e 0',
  'serve, 8 clients',
  // Against a raw loop writing the rows and their audit events, then the rows alone (for reference).
  'user import',
  'user import',
  'user sync',
  'sweep',
  'audit list -f ndjson',
  'group list -f csv',
  'db check vs a raw better-sqlite3 check and replay',
  'db check replay vs audit verify',
  // The whole-store answers (bench/whole-store.ts); their row counts are in the names.
  'access list --all -f csv',
  'access list --all --as-of mid-log',
  'access diff over 10 events',
  'access diff over the whole log',
  'export -f yaml',
  'export -f json',
  'plan -f of the exported YAML on the fixture vs a raw reader of the tables and the JSON export',
  'apply -f of the exported YAML on a fresh copy of the fixture vs a raw reader of the tables and the JSON export',
  'audit checkpoint vs audit verify',
  'apply of a file',
  'apply of a file',
  'plan of the applied file',
];

describe('npm run bench', () => {
  it('runs end to end on a tiny fixture and prints every figure for both dialects, with target and met (no timing is asserted)', async () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--bench-only'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    // Asynchronously: a run of a minute or more must not block the test worker (its reports to vitest time out).
    // Both dialects and every figure take minutes on a loaded 2-core machine: a bound against a hang, not a timing.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['bench/dist/run.mjs', '--smoke'], { cwd: ROOT, timeout: 600_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\| dialect +\| figure +\| accessctl +\| baseline +\| ratio +\| target +\| met +\|$/);
    const rows = lines.slice(2).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    const named = (dialect: string) =>
      rows.filter((c) => c[0] === dialect).map((c) => c[1]!.replace(/ \(.*$/, '').replace(/, \d[\d,]* mixed requests.*$/, '').replace(/ of \d.*$/, ''));
    // review start --all is measured on SQLite (its raw loop is better-sqlite3's).
    const sqlite = [...FIGURES];
    sqlite.splice(FIGURES.indexOf('apply of a file'), 0, 'review start --all');
    // A TAB's names come from SQLite stores only (completion never connects to PostgreSQL).
    sqlite.splice(FIGURES.indexOf('access check --batch'), 0, 'one TAB: __complete of user names vs node -e 0');
    expect(named('sqlite')).toEqual(sqlite);
    const pg = Boolean(process.env.ACCESSCTL_BENCH_PG_URL) || findPgBin() !== null;
    if (pg) {
      expect(named('postgres')).toEqual([...FIGURES, '8 concurrent writers x 3 group creates vs 1 writer doing 24']);
      expect(rows.find((c) => c[1]!.startsWith('8 concurrent writers'))![6]).toBe('yes');
    } else {
      expect(r.stderr).toMatch(/PostgreSQL figures skipped/);
    }
    for (const c of rows) {
      expect(c[4]).toMatch(/^\d+\.\d\dx$/);
      expect(c[6]).toMatch(/^(yes|NO|-)/);
      // Every figure has a target and says whether it is met; '-' only where the target is "report".
      expect(c[5], c[1]).not.toBe('');
      expect(c[6] === '-', c[1]).toBe(c[5] === 'report');
    }
    // The point-in-time answers and diffs answered something: a count of rows in each name, none zero.
    for (const c of rows.filter((r) => /^access (list --all|diff)/.test(r[1]!))) {
      expect(c[1]).toMatch(/\((?:[\d,]+ events, )?[1-9][\d,]* (grants|changes)\)/);
      expect(c[6]).not.toMatch(/nothing was measured|did not finish/);
    }
    // The batch figure reports a rate for both the command and its raw loop.
    expect(rows.filter((c) => c[1]!.startsWith('access check --batch') || c[1]!.startsWith('serve, 8 clients')).every((c) => /req\/s/.test(c[1]!) && /req\/s/.test(c[2]!))).toBe(true);
  }, 600_000);

  it('a SIGTERM stops it with exit 143, leaving no server running and no temporary files', async () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--bench-only'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    // Its own TMPDIR (traversable by the postgres user, which runs the throwaway server there).
    const tmp = mkdtempSync(join(tmpdir(), 'accessctl-bench-sig-'));
    chmodSync(tmp, 0o755);
    try {
      const child = spawn(process.execPath, ['bench/dist/run.mjs', '--smoke'], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp } });
      let stderr = '';
      let killed = false;
      child.stderr.on('data', (d) => {
        stderr += d;
        // Once a figure has run (the server, when there is one, is up by then).
        if (!killed && /\[(sqlite|postgres)\] /.test(stderr)) {
          killed = true;
          child.kill('SIGTERM');
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, stderr).toBe(143);
      expect(stderr).toContain('bench: stopped by SIGTERM; the throwaway server and the temporary files are removed');
      expect(readdirSync(tmp)).toEqual([]);
      expect(spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout).not.toContain(tmp);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);

  it('a bad command line is one line and exit 2, before anything is built (an empty or unknown --only ran everything)', () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--bench-only'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    for (const [args, message] of [
      [['--only'], '--only needs a value'],
      [['--only', '--smoke'], '--only needs a value'],
      [['--only', 'nonsense'], '--only: unknown "nonsense"'],
      [['--only', 'single,bogus'], '--only: unknown "bogus"'],
      [['--dialect', 'nosuch'], '--dialect: unknown "nosuch"'],
      [['--frob'], 'unknown argument "--frob"'],
    ] as Array<[string[], string]>) {
      const r = spawnSync(process.execPath, ['bench/dist/run.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toEqual([expect.stringContaining(`bench: ${message} (usage: npm run bench -- `), '']);
    }
  });
});
