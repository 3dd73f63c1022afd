import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADVISORY_LOCK_KEY } from '../../src/store/postgres/connection.js';
import { createDatabase, dropDatabase, psql } from '../helpers/pg-cluster.js';
import { findPgbouncer, startPgbouncer, type Bouncer } from '../helpers/pgbouncer.js';
import { cli } from '../helpers/spawn.js';

/**
 * A hostile co-tenant (SPEC section 11): a role given `db grant --reader` or `--writer` tries to
 * make the store lie to the others. A temporary table named like a store table comes first on the
 * search path; behind PgBouncer's transaction pooling it stays on the server connection and answers
 * the next client's queries (a revoked key verifies, and the tables db check reads are untouched).
 * The grants take TEMPORARY and CREATE on the database away; db check names a role that has them.
 */

const base = inject('pgUrl');
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const reader = `cogate_${suffix}`;
const writer = `coops_${suffix}`;
let url = '';
let dbName = '';
let revoked = '';

const as = (role: string, on = url) => {
  const u = new URL(on);
  u.username = role;
  return u.toString();
};
const run = (role: string, args: string[], stdin?: string, on = url) =>
  cli(['--db', as(role, on), ...args], { env: { ACCESSCTL_ACTOR: role }, ...(stdin === undefined ? {} : { stdin }) });
const psqlAs = (role: string, statement: string, on = url) => {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', as(role, on), '-c', statement], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
};
const privileges = () => {
  const check = run('postgres', ['-f', 'json', 'db', 'check']);
  return { code: check.code, detail: (JSON.parse(check.stdout) as Array<{ check: string; detail: string }>).find((c) => c.check === 'privileges')!.detail };
};

beforeAll(() => {
  url = createDatabase(base);
  dbName = new URL(url).pathname.slice(1);
  for (const role of [reader, writer]) psql(url, `create role ${role} login`);
  for (const args of [
    ['resource', 'create', '-n', 'wiki', '-a', 'wiki.internal'],
    ['service', 'create', '-n', 'ci', '-r', 'wiki'],
    ['db', 'grant', '--reader', reader, '--apply'],
    ['db', 'grant', '--writer', writer, '--apply'],
  ]) expect(run('postgres', args).code, args.join(' ')).toBe(0);
  const key = (JSON.parse(run('postgres', ['-f', 'json', 'key', 'create', '-i', 'ci']).stdout) as Array<{ id: string; token: string }>)[0]!;
  expect(run('postgres', ['key', 'revoke', '-i', key.id]).code).toBe(0);
  revoked = key.token;
});
afterAll(() => {
  dropDatabase(url);
  for (const role of [reader, writer]) psql(base, `drop role if exists ${role}`);
});

describe('a co-tenant role cannot shadow the store', () => {
  it('the reader and the writer may create no temporary table and no schema; db check agrees', () => {
    for (const role of [reader, writer]) {
      const temp = psqlAs(role, 'create temporary table service_keys as select * from public.service_keys');
      expect(temp.status).not.toBe(0);
      expect(temp.stderr).toMatch(/permission denied to create temporary tables in database/);
      const schema = psqlAs(role, `create schema ${role}`);
      expect(schema.status).not.toBe(0);
      expect(schema.stderr).toMatch(/permission denied for database/);
      expect(run(role, ['access', 'check', '--token-stdin', '-r', 'wiki'], revoked).code).toBe(5);
    }
    expect(privileges()).toEqual({ code: 0, detail: 'no role but the owner can change the audit log or the schema' });
  });

  it('db check names a role that can read the store and create temporary tables, or create schemas', () => {
    try {
      psql(url, `grant temporary on database ${dbName} to public; grant create on database ${dbName} to ${writer}`);
      const found = privileges();
      expect(found.code).toBe(6);
      expect(found.detail).toContain(`role ${reader} can create TEMPORARY tables in database ${dbName} that shadow the store's`);
      expect(found.detail).toContain(`role ${writer} can CREATE schemas in database ${dbName}`);
      expect(found.detail).toContain(`role ${writer} can create TEMPORARY tables in database ${dbName}`);
      // Too much granted is revoked, not restored from a dump.
      expect(run('postgres', ['db', 'check']).stderr).toMatch(/^accessctl: store check failed: privileges \(revoke what the privileges check names, as the owner; accessctl db grant prints what each role needs\)\n$/);
    } finally {
      psql(url, `revoke temporary on database ${dbName} from public; revoke create on database ${dbName} from ${writer}`);
    }
    expect(privileges().code).toBe(0);
  });
});

describe('a co-tenant holding the writers\' lock', () => {
  it('the server lets even a reader take it: writes are exit 6 naming the holder, reads and token checks go on', async () => {
    const squatter = new pg.Client({ connectionString: as(reader) });
    await squatter.connect();
    try {
      await squatter.query(`select pg_advisory_lock(${ADVISORY_LOCK_KEY})`);
      const pid = (await squatter.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const write = run('postgres', ['user', 'create', '-e', 'late@example.com']);
      expect(write.code).toBe(6);
      expect(write.stderr).toBe(`accessctl: store ${new URL(url).toString()} is locked by another writer (gave up after 5s; try again; the lock is held by role ${reader}, pid ${pid})\n`);
      expect(run(reader, ['access', 'check', '--token-stdin', '-r', 'wiki'], revoked).code).toBe(5);
      expect(run('postgres', ['user', 'list']).code).toBe(0);
    } finally {
      await squatter.end();
    }
    expect(run('postgres', ['user', 'create', '-e', 'late@example.com']).code).toBe(0);
  });
});

const bouncerBinary = findPgbouncer();
describe.skipIf(bouncerBinary === null)('behind PgBouncer (transaction pooling, one server connection)', () => {
  let bouncer: Bouncer | null = null;
  beforeAll(async () => {
    bouncer = await startPgbouncer(bouncerBinary!, base, ['postgres', reader, writer], 1);
  });
  afterAll(() => bouncer?.stop());

  it('a reader\'s temporary table is refused, so the next gate still refuses a revoked key', () => {
    const pooled = bouncer!.pooled(url);
    const planted = psqlAs(reader, 'create temporary table service_keys as select * from public.service_keys; update pg_temp.service_keys set revoked_at = null', pooled);
    expect(planted.status).not.toBe(0);
    expect(planted.stderr).toMatch(/permission denied to create temporary tables/);
    const gate = run(reader, ['access', 'check', '--token-stdin', '-r', 'wiki'], revoked, pooled);
    expect(gate.code).toBe(5);
    expect(gate.stderr).toMatch(/is REVOKED/);
    expect(run(reader, ['key', 'verify', '--token-stdin'], revoked, pooled).code).toBe(5);
  });

  it('with TEMPORARY given back, the next client finds the planted table and refuses to answer; db check names the role', () => {
    const pooled = bouncer!.pooled(url);
    try {
      psql(url, `grant temporary on database ${dbName} to ${reader}`);
      const planted = psqlAs(reader, 'create temporary table service_keys as select * from public.service_keys; update pg_temp.service_keys set revoked_at = null', pooled);
      expect(planted.status, planted.stderr).toBe(0);
      // The gate is handed the poisoned server connection: it would read the planted table first.
      for (const args of [['access', 'check', '--token-stdin', '-r', 'wiki'], ['key', 'verify', '--token-stdin']]) {
        const gate = run(reader, args, revoked, pooled);
        expect(gate.code, gate.stdout).toBe(6);
        expect(gate.stderr).toMatch(/^accessctl: temporary table\(s\) service_keys in this session shadow the store's at postgres:\/\/cogate_\S+ \(a pooled server connection can carry another client's; revoke TEMPORARY on the database as accessctl db grant does, then reconnect the pooler\)\n$/);
      }
      expect(psql(url, 'select count(*) from service_keys where revoked_at is not null')).toBe('1');
      const found = privileges();
      expect(found.code).toBe(6);
      expect(found.detail).toBe(`role ${reader} can create TEMPORARY tables in database ${dbName} that shadow the store's`);
    } finally {
      psql(url, `revoke temporary on database ${dbName} from ${reader}`);
      // Close the poisoned server connection.
      psql(url, `select pg_terminate_backend(pid) from pg_stat_activity where usename = '${reader}'`);
    }
    expect(privileges().code).toBe(0);
  });
});
