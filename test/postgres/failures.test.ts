import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, PASSWORD_ROLE, psql } from '../helpers/pg-cluster.js';
import { cli, cliAsync } from '../helpers/spawn.js';

/**
 * Connection failures of every kind are exit 6, one line, with the URL redacted (SPEC section 11);
 * the driver's own warnings never reach stderr; a secret never travels in a child's argv; a
 * read-only server answers reads and refuses writes (and db init) with exit 6.
 */

const base = inject('pgUrl');
const cluster = inject('pgCluster');
const dbs: string[] = [];
const home = mkdtempSync(join(tmpdir(), 'accessctl-pg-home-'));
afterAll(() => {
  for (const url of dbs) dropDatabase(url);
  rmSync(home, { recursive: true, force: true });
});
const fresh = () => {
  const url = createDatabase(base);
  dbs.push(url);
  return url;
};
const env = () => ({ HOME: home, ACCESSCTL_ACTOR: 'failures' });
const withCredentials = (url: string, user: string, password: string, params: Record<string, string> = {}) => {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
};

function expectOneLine(r: { code: number; stderr: string }, pattern: RegExp, secrets: string[] = []): void {
  expect(r.code, r.stderr).toBe(6);
  expect(r.stderr.split('\n')).toHaveLength(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/WARNING|Deprecation|unexpected error/i);
  for (const s of secrets) expect(r.stderr).not.toContain(s);
}

describe('connection failures: exit 6, one line, the URL redacted', () => {
  it('an unreachable server; every secret-bearing parameter redacted', () => {
    const r = cli(['--db', 'postgres://ops:Pw-Secret-1@127.0.0.1:1/store?sslpassword=Ssl-Secret-2&sslmode=disable', 'user', 'list'], { env: env() });
    expectOneLine(r, /^accessctl: cannot reach PostgreSQL at postgres:\/\/ops:\*\*\*@127\.0\.0\.1:1\/store\?sslpassword=\*\*\*&sslmode=disable \(ECONNREFUSED\)/, ['Pw-Secret-1', 'Ssl-Secret-2']);
  });

  it('a refused login and a missing database', () => {
    const url = fresh();
    const wrong = withCredentials(url, PASSWORD_ROLE.user, 'Not-The-Password-9');
    expectOneLine(cli(['--db', wrong, 'user', 'list'], { env: env() }), /^accessctl: PostgreSQL refused the login to postgres:\/\/accessctl_pw:\*\*\*@/, ['Not-The-Password-9']);
    const missing = new URL(url);
    missing.pathname = '/accessctl_no_such_database';
    expectOneLine(cli(['--db', missing.toString(), 'user', 'list'], { env: env() }), /^accessctl: database in \S+ does not exist/);
  });

  it('~/.pgpass gives the password, without the driver\'s deprecation warning', () => {
    const url = fresh();
    expect(cli(['--db', url, 'db', 'init'], { env: env() }).code).toBe(0);
    psql(url, `grant select on all tables in schema public to ${PASSWORD_ROLE.user}`);
    const own = mkdtempSync(join(tmpdir(), 'accessctl-pgpass-'));
    try {
      writeFileSync(join(own, '.pgpass'), `127.0.0.1:*:*:${PASSWORD_ROLE.user}:${PASSWORD_ROLE.password}\n`, { mode: 0o600 });
      const r = cli(['--db', withCredentials(url, PASSWORD_ROLE.user, ''), 'user', 'list'], { env: { HOME: own } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      // No password anywhere: a refused login, in one line.
      const none = cli(['--db', withCredentials(url, PASSWORD_ROLE.user, ''), 'user', 'list'], { env: { HOME: home } });
      expectOneLine(none, /refused the login/);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('a whole-store command re-run in a second Node gets the store through its environment, never its argv', async () => {
    const url = fresh();
    expect(cli(['--db', url, 'user', 'create', '-e', 'ada@example.com'], { env: env() }).code).toBe(0);
    // The superuser logs in by trust: the password in the URL is only there to be looked for.
    const secret = 'Argv-Secret-77';
    const store = withCredentials(url, 'postgres', secret);
    const holder = new pg.Client({ connectionString: url });
    holder.on('error', () => {});
    await holder.connect();
    await holder.query('begin');
    // Holds audit list's read until its processes have been looked at.
    await holder.query('lock table audit_events in access exclusive mode');
    const pending = cliAsync(['--db', store, 'audit', 'list'], { env: env() });
    const dbName = new URL(url).pathname.slice(1);
    let commandLines: string[] = [];
    for (let i = 0; i < 600; i++) {
      const waiting = await holder.query("select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where not l.granted and d.datname = current_database()");
      if ((waiting.rows[0] as { n: number }).n > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    commandLines = processCommandLines().filter((c) => c.includes('audit') && c.includes('list'));
    await holder.query('rollback');
    await holder.end();
    const r = await pending;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('user.create');
    // The parent (as typed) and the child started with its heap flags.
    const child = commandLines.filter((c) => c.includes('--max-semi-space-size'));
    expect(child).toHaveLength(1);
    expect(child[0]).not.toContain(secret);
    expect(child[0]).not.toContain(dbName);
  });
});

/** Every process's command line, as `ps` shows it to any local user. */
function processCommandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      // gone meanwhile
    }
  }
  return lines;
}

describe('a read-only server (default_transaction_read_only, as a hot standby answers)', () => {
  it('reads and token checks answer; writes and db init are exit 6; lastUsedAt is tried once per process', async () => {
    const url = fresh();
    const run = (args: string[]) => cli(['--db', url, ...args], { env: env() });
    expect(run(['user', 'create', '-e', 'ada@example.com']).code).toBe(0);
    expect(run(['resource', 'create', '-n', 'wiki', '-a', 'wiki.internal']).code).toBe(0);
    expect(run(['service', 'create', '-n', 'ci', '-r', 'wiki']).code).toBe(0);
    const tokens = [1, 2, 3].map((n) => (JSON.parse(run(['-f', 'json', 'key', 'create', '-i', 'ci', '-n', `k${n}`]).stdout) as Array<{ token: string }>)[0]!.token);
    const dbName = new URL(url).pathname.slice(1);
    psql(url, `alter database ${dbName} set default_transaction_read_only = on`);

    expect(run(['user', 'list']).code).toBe(0);
    for (const args of [['user', 'create', '-e', 'bob@example.com'], ['config', 'set', 'token.maxTtl', '2h'], ['db', 'init']]) {
      expectOneLine(run(args), /^accessctl: PostgreSQL at postgres:\/\/\S+ is read-only \(a hot standby, or default_transaction_read_only\) \(point writes at the primary/);
    }
    const log = cluster === null ? null : join(cluster.dir, 'log');
    const errorsBefore = log !== null && existsSync(log) ? countReadOnlyErrors(log) : 0;
    // The write refusals above are logged too: count from here.
    const batch = cli(['--db', url, 'access', 'check', '--batch'], { env: env(), stdin: tokens.map((token) => JSON.stringify({ token, resource: 'wiki' })).join('\n') });
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { allowed: boolean }).allowed)).toEqual([true, true, true]);
    // Three keys never used before: three lastUsedAt writes due, one attempted.
    if (log !== null && existsSync(log)) expect(countReadOnlyErrors(log) - errorsBefore).toBe(1);
    psql(url, `begin read write; alter database ${dbName} reset default_transaction_read_only; commit`);
    expect(psql(url, 'select count(*) from users')).toBe('1');
  });
});

function countReadOnlyErrors(log: string): number {
  return readFileSync(log, 'utf8').split('\n').filter((l) => /ERROR: +cannot execute [A-Z ]+ in a read-only transaction/.test(l)).length;
}
