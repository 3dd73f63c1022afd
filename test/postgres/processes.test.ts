import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ADVISORY_LOCK_KEY } from '../../src/store/postgres/connection.js';
import { createDatabase, dropDatabase, findPgBin, psql, removeCluster, startCluster, type Cluster } from '../helpers/pg-cluster.js';
import { cli, cliAsync } from '../helpers/spawn.js';

// Real processes of the built binary (npm test builds first) against a shared database.
const base = inject('pgUrl');
const dbs: string[] = [];
let spare: Cluster | null = null;
afterAll(() => {
  for (const url of dbs) dropDatabase(url);
  if (spare) removeCluster(spare);
});

describe('several processes writing one PostgreSQL store', () => {
  it('8 concurrent writers: every mutation lands once, the chain verifies', async () => {
    const url = createDatabase(base);
    dbs.push(url);
    const env = { ACCESSCTL_DB: url };
    expect(cli(['db', 'init'], { env }).code).toBe(0);
    const writers = Array.from({ length: 8 }, (_, w) =>
      (async () => {
        const codes: number[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await cliAsync(['user', 'create', '-e', `w${w}-u${i}@example.com`], { env });
          codes.push(r.code);
        }
        const g = await cliAsync(['group', 'create', '-g', `team-${w}`, '-u', `w${w}-u0@example.com`, '--ttl', '1h'], { env });
        codes.push(g.code);
        return codes;
      })(),
    );
    const codes = (await Promise.all(writers)).flat();
    expect(codes.every((c) => c === 0)).toBe(true);
    expect(psql(url, 'select count(*) from users')).toBe('32');
    // One event per user and per group (its members ride in the group's details): exactly, no gap in seq.
    expect(psql(url, "select action || '=' || count(*) from audit_events group by action order by action")).toBe('group.create=8\nuser.create=32');
    expect(psql(url, "select min(seq) || '-' || max(seq) from audit_events")).toBe('1-40');
    const verify = cli(['-f', 'json', 'audit', 'verify'], { env });
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)[0]).toMatchObject({ ok: true, events: 40 });
    expect(cli(['db', 'check'], { env }).code).toBe(0);
  }, 600_000); // 41 processes on a shared 2-core machine: a guard, not a speed bound

  it('a SQLite command never loads pg; a PostgreSQL one loads the bundled driver with a code cache of its own', () => {
    const xdg = mkdtempSync(join(tmpdir(), 'accessctl-xdg-'));
    const pgCaches = () => (existsSync(join(xdg, 'accessctl')) ? readdirSync(join(xdg, 'accessctl')).filter((f) => f.includes('.pg.')) : []);
    const env = { NODE_DEBUG: 'module', HOME: xdg, XDG_CACHE_HOME: xdg };
    const r = cli(['--db', '/tmp/accessctl-no-pg-probe.db', 'db', 'path'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/node_modules\/pg\//);
    expect(pgCaches()).toEqual([]);
    // dist/pg.cjs, not node_modules: resolving and compiling pg there cost every call ~30 ms.
    const url = createDatabase(base);
    dbs.push(url);
    expect(cli(['db', 'init'], { env: { ACCESSCTL_DB: url } }).code).toBe(0);
    const withPg = cli(['--db', url, 'user', 'list'], { env });
    expect(withPg.code, withPg.stderr).toBe(0);
    expect(withPg.stderr).not.toMatch(/node_modules\/pg/);
    const recorded = pgCaches();
    expect(recorded).toHaveLength(1);
    const at = statSync(join(xdg, 'accessctl', recorded[0]!)).mtimeMs;
    expect(cli(['--db', url, 'user', 'list'], { env }).code).toBe(0);
    // Accepted by V8, so not recorded again.
    expect(statSync(join(xdg, 'accessctl', recorded[0]!)).mtimeMs).toBe(at);
    // A server that cannot be reached is still one clear line.
    const down = cli(['--db', 'postgres://nobody@127.0.0.1:1/x', 'user', 'list'], { env });
    expect(down.code).toBe(6);
    expect(down.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('MODULE '))).toHaveLength(1);
  });
});

describe.skipIf(findPgBin() === null)('the server stops in the middle of a command', () => {
  it('exit 6, a clear line, and nothing half-written', async () => {
    spare = await startCluster(findPgBin()!);
    const url = createDatabase(`${spare.baseUrl}postgres`);
    const env = { ACCESSCTL_DB: url };
    expect(cli(['user', 'create', '-e', 'ada@example.com'], { env }).code).toBe(0);
    const holder = new pg.Client({ connectionString: url });
    holder.on('error', () => {});
    await holder.connect();
    await holder.query('begin');
    await holder.query(`select pg_advisory_xact_lock(${ADVISORY_LOCK_KEY})`);
    // A group with a member and a resource: several rows and events, all or nothing.
    const pending = cliAsync(['group', 'create', '-g', 'ops', '-u', 'ada@example.com'], { env });
    // Wait until the writer is queued on the lock, inside its transaction.
    for (;;) {
      const waiting = await holder.query("select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted");
      if ((waiting.rows[0] as { n: number }).n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    spare.stop();
    const r = await pending;
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/^accessctl: lost the connection to PostgreSQL at postgres:\/\/[^\n]+\(nothing was committed; check the server and try again\)\n$/);
    const down = cli(['user', 'list'], { env });
    expect(down.code).toBe(6);
    expect(down.stderr).toMatch(/cannot reach PostgreSQL/);
    spare.start();
    expect(psql(url, 'select count(*) from groups')).toBe('0');
    expect(psql(url, 'select count(*) from group_users')).toBe('0');
    expect(psql(url, 'select count(*) from audit_events')).toBe('1');
    expect(cli(['audit', 'verify'], { env }).code).toBe(0);
  });
});
