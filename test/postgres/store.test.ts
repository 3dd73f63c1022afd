import { Readable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { sequentialIds } from '../../src/domain/ids.js';
import { fixedClock, parseTimestamp } from '../../src/domain/time.js';
import { serviceCandidates, userCandidates } from '../../src/store/access.js';
import { ADVISORY_LOCK_KEY, openPostgresStore } from '../../src/store/postgres/connection.js';
import { runSweep } from '../../src/cli/commands/sweep/run.js';
import { verifyExpectations } from '../../src/store/read-back.js';
import type { Ctx } from '../../src/cli/context.js';
import { harness, T0, type RunResult } from '../helpers/harness.js';
import { createDatabase, databaseUrl, dropDatabase, PASSWORD_ROLE, psql } from '../helpers/pg-cluster.js';

const base = inject('pgUrl');
const dbs: string[] = [];
function freshDb(): string {
  const url = createDatabase(base);
  dbs.push(url);
  return url;
}
afterAll(() => {
  for (const url of dbs) dropDatabase(url);
});

/** One command in-process against `url`, with a fixed clock standing in for the machine's (not an override). */
async function cmd(url: string, argv: string[], env: Record<string, string> = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(['--db', url, '--actor', 'tester', ...argv], {
    io: {
      stdout: { write: (s) => void (stdout += s) },
      stderr: { write: (s) => void (stderr += s) },
      stdin: Readable.from([]),
      stdinIsTTY: false,
      stdoutIsTTY: false,
      stderrIsTTY: false,
    },
    env,
    clock: fixedClock(parseTimestamp(T0), false),
    ids: sequentialIds(),
  });
  return { code, stdout, stderr };
}

function withPassword(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

describe('schema parity: schema.pg.sql has schema.sql tables, columns, types and indexes', () => {
  it('introspection of both schemas agrees', async () => {
    const h = harness();
    await h.ok(['db', 'path']);
    const sqliteFile = `${h.dir}/parity.db`;
    await cmd(sqliteFile, ['db', 'init']);
    const lite = new BetterSqlite3(sqliteFile, { readonly: true });
    const url = freshDb();
    expect((await cmd(url, ['db', 'init'])).code).toBe(0);
    try {
      const tables = (lite.prepare("select name from sqlite_master where type = 'table' order by name").all() as Array<{ name: string }>).map((r) => r.name);
      const pgTables = psql(url, "select tablename from pg_tables where schemaname = 'public' and tablename <> 'accessctl_schema' order by tablename collate \"C\"").split('\n');
      expect(pgTables).toEqual(tables);
      for (const table of tables) {
        const cols = (lite.prepare(`pragma table_info(${table})`).all() as Array<{ name: string; type: string; notnull: number; pk: number }>).map(
          // Times (`*_at`, `*_until`) and durations in ms (`*_ms`) outgrow PostgreSQL's 32-bit INTEGER.
          (c) => `${c.name}:${c.type === 'TEXT' ? 'text' : /(^|_)(seq|at|until|ms)$/.test(c.name) ? 'bigint' : 'integer'}:${c.notnull || c.pk ? 'NO' : 'YES'}`,
        );
        const pgCols = psql(url, `select column_name || ':' || data_type || ':' || is_nullable from information_schema.columns where table_name = '${table}' order by ordinal_position`).split('\n');
        expect(pgCols, table).toEqual(cols);
        // Every text column sorts byte-wise, as SQLite's BINARY collation does.
        expect(psql(url, `select count(*) from information_schema.columns where table_name = '${table}' and data_type = 'text' and coalesce(collation_name, '') <> 'C'`), table).toBe('0');
        const indexes = (lite.prepare(`select name, sql from sqlite_master where type = 'index' and tbl_name = ? and sql is not null order by name`).all(table) as Array<{ name: string; sql: string }>).map(
          (i) => `${i.name}:${/\((.*?)\)/.exec(i.sql)![1]!.replace(/\s+/g, '')}${/ WHERE /i.test(i.sql) ? ':partial' : ''}`,
        );
        const pgIndexes = psql(url, `select indexname, indexdef from pg_indexes where tablename = '${table}' and indexname not in (select conname from pg_constraint) order by indexname collate "C"`)
          .split('\n')
          .filter(Boolean)
          .map((line) => {
            const [name, def] = line.split('|');
            return `${name}:${/\((.*?)\)/.exec(def!)![1]!.replace(/\s+/g, '')}${/ WHERE /i.test(def!) ? ':partial' : ''}`;
          });
        expect(pgIndexes, table).toEqual(indexes);
      }
    } finally {
      lite.close();
      h.cleanup();
    }
  });
});

describe('connection failures: one line, exit 6, never the password', () => {
  const secret = 'Hunter2-very-secret';
  const cases: Array<[string, () => string, RegExp]> = [
    ['postgres:// alone', () => 'postgres://', /names no host or database/],
    ['an unknown host', () => `postgres://u:${secret}@no-such-host.invalid:5432/db`, /cannot reach PostgreSQL at postgres:\/\/u:\*\*\*@no-such-host\.invalid:5432\/db \(ENOTFOUND|EAI_AGAIN\)/],
    ['a wrong port', () => withPassword(databaseUrl(base, 'postgres').replace(/:\d+\//, ':1/'), 'postgres', secret), /cannot reach PostgreSQL at .*:\*\*\*@127\.0\.0\.1:1\/postgres \(ECONNREFUSED\)/],
    ['a wrong password', () => withPassword(databaseUrl(base, 'postgres'), PASSWORD_ROLE.user, secret), /PostgreSQL refused the login to postgres:\/\/accessctl_pw:\*\*\*@/],
    ['a missing database', () => withPassword(databaseUrl(base, 'no_such_db_here'), 'postgres', secret), /database in .*no_such_db_here does not exist/],
    [
      'a database of another application',
      () => {
        const url = freshDb();
        psql(url, 'create table invoices (id int)');
        return withPassword(url, 'postgres', secret);
      },
      /holds tables but is not an accessctl store/,
    ],
  ];
  for (const [name, url, message] of cases) {
    it(name, async () => {
      const target = url();
      for (const argv of [['user', 'list'], ['user', 'create', '-e', 'ada@example.com']]) {
        const r = await cmd(target, argv);
        expect(r.code, r.stderr).toBe(6);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^accessctl: [^\n]+\n$/);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toContain(secret);
        const debug = await cmd(target, argv, { ACCESSCTL_DEBUG: '1' });
        expect(debug.stderr).not.toContain(secret);
      }
    });
  }

  it('a newer schema is refused and left untouched', async () => {
    const url = freshDb();
    expect((await cmd(url, ['user', 'create', '-e', 'ada@example.com'])).code).toBe(0);
    psql(url, 'update accessctl_schema set version = 99');
    const r = await cmd(url, ['user', 'create', '-e', 'bob@example.com']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/written by a newer accessctl \(schema 99, this one knows 5\)/);
    expect(psql(url, 'select count(*) from users')).toBe('1');
    expect(psql(url, 'select version from accessctl_schema')).toBe('99');
  });

  it('a foreign version row is refused', async () => {
    const url = freshDb();
    await cmd(url, ['db', 'init']);
    psql(url, "alter table accessctl_schema drop constraint accessctl_schema_application_check; update accessctl_schema set application = 'other'");
    const r = await cmd(url, ['user', 'list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/is not an accessctl store/);
  });
});

describe('the PostgreSQL store from the command line', () => {
  it('an empty database is a missing store until db init or a first write', async () => {
    const url = freshDb();
    for (const argv of [['user', 'list'], ['audit', 'verify'], ['db', 'check'], ['key', 'list']]) {
      const r = await cmd(url, argv);
      expect(r.code, argv.join(' ')).toBe(6);
      expect(r.stderr).toMatch(/no accessctl store in postgres:\/\//);
    }
    expect(psql(url, "select count(*) from pg_tables where schemaname = 'public'")).toBe('0');
    expect((await cmd(url, ['-f', 'json', 'db', 'path'])).stdout).toContain('"exists":false');
    expect((await cmd(url, ['db', 'init'])).code).toBe(0);
    expect((await cmd(url, ['-f', 'json', 'user', 'list'])).stdout).toBe('[]\n');
    expect((await cmd(url, ['-f', 'json', 'db', 'path'])).stdout).toContain('"exists":true');
    const other = freshDb();
    expect((await cmd(other, ['group', 'create', '-g', 'first'])).code).toBe(0);
    expect(psql(other, 'select name from groups')).toBe('first');
  });

  it('db path prints the URL without its password; db check and db backup', async () => {
    const url = withPassword(freshDb(), 'postgres', 'pw-Not-Shown');
    const path = await cmd(url, ['-q', 'db', 'path']);
    expect(path.stdout.trim()).toBe(url.replace('pw-Not-Shown', '***'));
    expect((await cmd(url, ['user', 'create', '-e', 'ada@example.com'])).code).toBe(0);
    const check = await cmd(url, ['-f', 'json', 'db', 'check']);
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout).map((c: { check: string; ok: boolean }) => `${c.check}:${c.ok}`)).toEqual(['integrity:true', 'foreignKeys:true', 'schema:true', 'schemaObjects:true', 'privileges:true', 'auditChain:true', 'replay:true']);
    psql(url.replace(':pw-Not-Shown', ''), "update users set role = 'ADMIN'");
    psql(url.replace(':pw-Not-Shown', ''), 'update audit_events set actor = \'mallory\'');
    expect((await cmd(url, ['db', 'check'])).code).toBe(6);
    const backup = await cmd(url, ['db', 'backup', '/tmp/never-written.db']);
    expect(backup.code).toBe(2);
    expect(backup.stderr).toMatch(/use pg_dump/);
    expect(backup.stderr).not.toContain('pw-Not-Shown');
  });

  it('a command refused after connecting closes its connection (no process left waiting on an idle client)', async () => {
    const url = freshDb();
    expect((await cmd(url, ['db', 'init'])).code).toBe(0);
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'PipeWrap' || r === 'TCPSocketWrap' || r === 'TCPWRAP' || r === 'PIPEWRAP').length;
    const before = sockets();
    for (const argv of [['access', 'check', '--user', 'ada@example.com'], ['access', 'check', '--batch', '--user', 'ada@example.com']]) {
      const r = await cmd(url, argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(sockets(), argv.join(' ')).toBe(before);
    }
  });

  it('-s with a postgres:// store is a usage error', async () => {
    const url = freshDb();
    const both = await cmd(url, ['-s', 'prod', 'user', 'list']);
    expect(both.code).toBe(2);
    const viaEnv = await run(['-s', 'prod', 'user', 'list'], {
      io: { stdout: { write: () => {} }, stderr: { write: () => {} }, stdin: Readable.from([]), stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false },
      env: { ACCESSCTL_DB: url },
      clock: fixedClock(0),
      ids: sequentialIds(),
    });
    expect(viaEnv).toBe(2);
  });

  it('audit --action globs match case-insensitively, as on SQLite', async () => {
    const url = freshDb();
    await cmd(url, ['user', 'create', '-e', 'ada@example.com']);
    const r = await cmd(url, ['-f', 'json', 'audit', 'list', '--action', 'USER.*']);
    expect(JSON.parse(r.stdout)).toHaveLength(1);
  });

  it('a writer gives up after the lock timeout with exit 6, and writes nothing', async () => {
    const url = freshDb();
    await cmd(url, ['db', 'init']);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(${ADVISORY_LOCK_KEY})`);
      const reader = await cmd(url, ['-f', 'json', 'user', 'list']);
      expect(reader.code).toBe(0); // readers never wait
      const r = await cmd(url, ['user', 'create', '-e', 'late@example.com']);
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/is locked by another writer \(gave up after 5s; try again; the lock is held by role postgres, pid \d+\)/);
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    expect(psql(url, 'select count(*) from users')).toBe('0');
    expect(psql(url, 'select count(*) from audit_events')).toBe('0');
  });
});

describe('EXPLAIN: indexes serve the access rule and sweep on PostgreSQL', () => {
  let url: string;
  const queries: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  beforeAll(async () => {
    url = freshDb();
    for (const argv of [
      ['user', 'create', '-e', 'ada@example.com'],
      ['resource', 'create', '-n', 'db', '-a', 'db.internal'],
      ['service', 'create', '-n', 'ci', '-r', 'db'],
      ['group', 'create', '-g', 'g', '-u', 'ada@example.com', '-r', 'db', '--services', 'ci', '--ttl', '1h'],
    ]) {
      expect((await cmd(url, argv)).code).toBe(0);
    }
  });

  /** With sequential scans priced out, a plan that still scans a table has no index to use. */
  async function plans(work: (store: ReturnType<typeof openPostgresStore>) => Promise<void>): Promise<string[]> {
    const store = openPostgresStore(url);
    await store.connect();
    queries.length = 0;
    // Capture the SQL Kysely sends by wrapping its executor.
    const executor = store.db.getExecutor() as unknown as { executeQuery: (q: { sql: string; parameters: readonly unknown[] }, id: unknown) => Promise<unknown> };
    const real = executor.executeQuery.bind(executor);
    executor.executeQuery = async (q, id) => {
      queries.push({ sql: q.sql, parameters: q.parameters });
      return real(q, id);
    };
    try {
      await work(store);
    } finally {
      await store.close();
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const out: string[] = [];
    try {
      await client.query('set enable_seqscan = off');
      for (const q of queries) {
        const r = await client.query(`explain ${q.sql}`, [...q.parameters]);
        out.push(`${q.sql}\n${r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n')}`);
      }
    } finally {
      await client.end();
    }
    return out;
  }

  it('access candidates by user, by service, by resource', async () => {
    const explained = await plans(async (store) => {
      const [user] = await store.db.selectFrom('users').select('id').execute();
      const [resource] = await store.db.selectFrom('resources').select('id').execute();
      const [service] = await store.db.selectFrom('services').select('id').execute();
      queries.length = 0;
      await userCandidates(store.db, { subjectId: user!.id, resourceId: resource!.id });
      await userCandidates(store.db, { subjectId: user!.id });
      await userCandidates(store.db, { resourceId: resource!.id });
      await serviceCandidates(store.db, { subjectId: service!.id, resourceId: resource!.id });
      await serviceCandidates(store.db, { subjectId: service!.id });
      await serviceCandidates(store.db, { resourceId: resource!.id });
    });
    expect(explained.length).toBe(9);
    for (const plan of explained) {
      expect(plan).not.toMatch(/Seq Scan/);
      expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
    }
  });

  it('every query of sweep, including --keys', async () => {
    const explained = await plans(async (store) => {
      const ctx = {
        store: () => ({ db: store.db, path: url, dialect: 'postgres' }),
        clock: fixedClock(parseTimestamp(T0) + 7_200_000),
        ids: sequentialIds(),
        globals: () => ({ actor: 'plan' }),
      } as unknown as Ctx;
      await runSweep({ dryRun: true, keys: true }, ctx);
    });
    expect(explained.length).toBeGreaterThanOrEqual(7);
    for (const plan of explained) expect(plan).not.toMatch(/Seq Scan/);
  });

  it("a write's read-back of links probes an index, an integer key column included", async () => {
    const explained = await plans(async (store) => {
      const links = await store.db.selectFrom('group_users').select(['group_id', 'user_id']).execute();
      queries.length = 0;
      // The rows there are expected there (no column judged), the others gone.
      const there = links.map((l) => ({ table: 'group_users' as const, key: l, row: {} }));
      const gone = { table: 'group_users' as const, key: { group_id: 'grp_none', user_id: 'usr_none' }, row: null };
      await verifyExpectations(store.db, [...there, gone, { table: 'review_items', key: { review_id: 'rvw_none', item: '1' }, row: null }]);
    });
    expect(explained.length).toBe(2);
    // A list of row values, (a, b) IN ((..), (..)), is an OR of comparisons: a BitmapOr, or a scan.
    for (const plan of explained) {
      expect(plan).not.toMatch(/Seq Scan|BitmapOr/);
      expect(plan).toMatch(/Index (Only )?Scan using (group_users|review_items)_/);
    }
  });
});

describe('clock and telemetry on PostgreSQL', () => {
  it("'now' is the server's clock, read once per command; ACCESSCTL_NOW still asks a what-if", async () => {
    const url = freshDb();
    const at = async (databaseClock: boolean, env: Record<string, string> = {}) => {
      let stdout = '';
      const code = await run(['--db', url, '-f', 'json', ...(databaseClock ? ['user', 'create', '-e', `u${Math.random().toString(36).slice(2, 8)}@example.com`] : ['user', 'list'])], {
        io: { stdout: { write: (s) => void (stdout += s) }, stderr: { write: () => {} }, stdin: Readable.from([]), stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false },
        env,
        // A host whose own clock is 20 years behind.
        clock: fixedClock(parseTimestamp('2006-01-01T00:00:00Z'), false),
        databaseClock,
        ids: sequentialIds(),
      });
      expect(code).toBe(0);
      return JSON.parse(stdout) as Array<{ createdAt: string }>;
    };
    const [created] = await at(true);
    const server = Number(psql(url, 'select (extract(epoch from now()) * 1000)::bigint'));
    // The host said 2006; the row carries the server's year.
    expect(new Date(created!.createdAt).getUTCFullYear()).toBe(new Date(server).getUTCFullYear());
    expect(new Date(created!.createdAt).getUTCFullYear()).not.toBe(2006);
  });

  it("a token check's lastUsedAt write never waits for a writer holding the key row", async () => {
    const url = freshDb();
    await cmd(url, ['resource', 'create', '-n', 'db', '-a', 'db.internal']);
    await cmd(url, ['service', 'create', '-n', 'ci', '-r', 'db']);
    const token = (await cmd(url, ['-q', 'key', 'create', '-i', 'ci'])).stdout.trim();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(${ADVISORY_LOCK_KEY})`);
      await holder.query('select * from service_keys for update');
      let stdout = '';
      const code = await run(['--db', url, '-f', 'json', 'key', 'verify'], {
        io: { stdout: { write: (s) => void (stdout += s) }, stderr: { write: () => {} }, stdin: Readable.from([`${token}\n`]), stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false },
        env: {},
        clock: fixedClock(parseTimestamp(T0) + 3_600_000, false),
        ids: sequentialIds(),
      });
      expect(code).toBe(0);
      expect(JSON.parse(stdout)[0]).toMatchObject({ valid: true });
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
  });
});

describe('least privilege (README "Sharing a store with PostgreSQL")', () => {
  it('after db init, a role with DML only runs every kind of command; audit_events stays INSERT-only', async () => {
    const url = freshDb();
    expect((await cmd(url, ['db', 'init'])).code).toBe(0);
    const role = `accessctl_rt_${process.pid}`;
    const dbName = new URL(url).pathname.slice(1);
    psql(url, `create role ${role} login password 'rt-pass'`);
    try {
      psql(
        url,
        [
          `grant connect on database ${dbName} to ${role}`,
          // A role that reads the store creates no temporary table that would shadow its tables.
          `revoke temporary on database ${dbName} from public`,
          `grant usage on schema public to ${role}`,
          `grant select, insert, update, delete on all tables in schema public to ${role}`,
          `revoke update, delete on audit_events from ${role}`,
          `revoke insert, update, delete on accessctl_schema from ${role}`,
        ].join('; '),
      );
      const u = new URL(url);
      u.username = role;
      u.password = 'rt-pass';
      // Trust authentication on this server: the password is not checked, the privileges are.
      const rt = u.toString();
      for (const argv of [
        ['user', 'create', '-e', 'ada@example.com'],
        ['resource', 'create', '-n', 'db', '-a', 'db.internal'],
        ['group', 'create', '-g', 'ops', '-u', 'ada@example.com', '-r', 'db', '--ttl', '1h'],
        ['group', 'delete', '-i', 'ops'],
        ['access', 'check', '--user', 'ada@example.com', '-r', 'db'],
        ['sweep'],
        ['audit', 'verify'],
        ['db', 'check'],
      ]) {
        const r = await cmd(rt, argv);
        expect([0, 5], `${argv.join(' ')}: ${r.stderr}`).toContain(r.code);
      }
      const tamper = new pg.Client({ connectionString: rt });
      await tamper.connect();
      try {
        await expect(tamper.query('delete from audit_events')).rejects.toMatchObject({ code: '42501' });
        await expect(tamper.query('create table x (id int)')).rejects.toMatchObject({ code: '42501' });
      } finally {
        await tamper.end();
      }
    } finally {
      psql(url, `drop owned by ${role}; drop role ${role}`);
    }
  });
});
