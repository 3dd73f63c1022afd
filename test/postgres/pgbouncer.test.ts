import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADVISORY_LOCK_KEY } from '../../src/store/postgres/connection.js';
import { createDatabase, dropDatabase, psql } from '../helpers/pg-cluster.js';
import { cli, cliAsync } from '../helpers/spawn.js';
import { findPgbouncer, freePort, listening } from '../helpers/pgbouncer.js';

/**
 * accessctl behind PgBouncer in transaction pooling (Debian's package), with fewer server
 * connections than clients: concurrent writers queue on the advisory lock, a writer past the lock
 * timeout is exit 6, and the transaction-local lock_timeout never reaches another client.
 */

const binary = findPgbouncer();
if (binary === null && process.env.CI === 'true') throw new Error('CI requires the PgBouncer test: install Debian\'s pgbouncer package (.ci/run does)');
if (binary === null) process.stderr.write('accessctl tests: pgbouncer not found (Debian package pgbouncer): skipping the PgBouncer test\n');

const base = inject('pgUrl');
let bouncer: ChildProcess | null = null;
let dir = '';
let direct = '';
let pooled = '';

describe.skipIf(binary === null)('behind PgBouncer in transaction pooling', () => {
  beforeAll(async () => {
    direct = createDatabase(base);
    const server = new URL(base);
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'accessctl-pgbouncer-'));
    writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n');
    writeFileSync(
      join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = host=${server.hostname} port=${server.port || 5432}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        'pool_mode = transaction',
        // Fewer server connections than clients: they are shared between transactions.
        'default_pool_size = 2',
        'max_client_conn = 200',
        `logfile = ${join(dir, 'pgbouncer.log')}`,
        '',
      ].join('\n'),
    );
    const root = userInfo().uid === 0;
    if (root) {
      // PgBouncer refuses to run as root.
      const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
      const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
      for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, f), uid, gid);
      chmodSync(dir, 0o755);
    }
    bouncer = root ? spawn('runuser', ['-u', 'postgres', '--', binary!, join(dir, 'pgbouncer.ini')], { stdio: 'ignore' }) : spawn(binary!, [join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
    await listening(port);
    const u = new URL(direct);
    u.hostname = '127.0.0.1';
    u.port = String(port);
    u.searchParams.set('sslmode', 'disable');
    pooled = u.toString();
    expect(cli(['--db', pooled, 'db', 'init']).code).toBe(0);
  });
  afterAll(() => {
    bouncer?.kill('SIGTERM');
    if (direct !== '') dropDatabase(direct);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('4 concurrent writers: every mutation once, the chain and the replay sound', async () => {
    const env = { ACCESSCTL_DB: pooled };
    const writers = Array.from({ length: 4 }, (_, w) =>
      (async () => {
        const codes: number[] = [];
        for (let i = 0; i < 5; i++) codes.push((await cliAsync(['user', 'create', '-e', `w${w}-u${i}@example.com`], { env })).code);
        codes.push((await cliAsync(['group', 'create', '-g', `team-${w}`, '-u', `w${w}-u0@example.com`], { env })).code);
        return codes;
      })(),
    );
    expect((await Promise.all(writers)).flat().every((c) => c === 0)).toBe(true);
    expect(psql(direct, 'select count(*) from users')).toBe('20');
    expect(psql(direct, "select min(seq) || '-' || max(seq) || '/' || count(*) from audit_events")).toBe('1-24/24');
    const check = cli(['--db', pooled, 'db', 'check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  }, 600_000);

  it('a writer past the lock timeout is exit 6; lock_timeout never leaks into the pool', async () => {
    const holder = new pg.Client({ connectionString: direct });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(${ADVISORY_LOCK_KEY})`);
      const r = await cliAsync(['--db', pooled, 'user', 'create', '-e', 'late@example.com']);
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(/is locked by another writer/);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    // Both server connections of the pool (two open transactions hold one each), as new clients see them.
    const seen = new Set<string>();
    const clients = [new pg.Client({ connectionString: pooled }), new pg.Client({ connectionString: pooled })];
    try {
      for (const client of clients) {
        await client.connect();
        await client.query('begin');
      }
      const pids = new Set<number>();
      for (const client of clients) {
        seen.add((await client.query<{ lock_timeout: string }>('show lock_timeout')).rows[0]!.lock_timeout);
        pids.add((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
      }
      expect(pids.size).toBe(2);
    } finally {
      for (const client of clients) await client.end();
    }
    expect([...seen]).toEqual(['0']);
    expect(psql(direct, "select count(*) from users where email = 'late@example.com'")).toBe('0');
  }, 120_000);
});
