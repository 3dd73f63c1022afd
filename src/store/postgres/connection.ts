import { CompiledQuery, Kysely, PostgresDialect, PostgresDriver, type DatabaseConnection, type PostgresDialectConfig, type TransactionSettings } from 'kysely';
import type { Pool, PoolClient } from 'pg';
import { connectPlan, shouldFallBack } from './client-config.js';
import { StoreError } from '../../domain/errors.js';
import type { Database } from '../tables.js';
import { PG_LOCK_TIMEOUT_MS, translatePgError } from './errors.js';
import { judgeSchema, PG_LATEST_VERSION, PG_MIGRATIONS, pgSchemaText, STORE_TABLES, type SchemaState } from './schema.js';
import { redactUrl } from './url.js';
import type { SchemaRow } from '../schema-compare.js';
import { pgSchemaRows, verifyPgSchema } from './schema-digest.js';
import { inspect } from './inspect.js';
import { loadPg, passwordFromPgpass, type PgModules } from './driver.js';

/** "ACTL": the one advisory lock every accessctl writer takes, as BEGIN IMMEDIATE does in SQLite. */
export const ADVISORY_LOCK_KEY = 0x4143544c;

/** The first statement of every mutation: a lock timeout for this transaction, then the lock. */
export const LOCK_STATEMENT = `select set_config('lock_timeout', '${PG_LOCK_TIMEOUT_MS}ms', true), pg_advisory_xact_lock(${ADVISORY_LOCK_KEY})`;

export interface PgStoreState {
  schema: SchemaState;
  /** The server's clock at open, epoch ms. */
  serverNow: number;
  /** performance.now() when the server read its clock (the query's midpoint): "now" advances from there. */
  readAt: number;
}

/**
 * Kysely's PostgreSQL driver with one change: BEGIN is followed by the advisory lock (under a
 * lock timeout) as the transaction's first statement, so writers queue as they do on SQLite and
 * each reads the chain head it appends to. An empty database gets its schema there, under the lock.
 */
class LockingPostgresDriver extends PostgresDriver {
  readonly #afterLock: (connection: DatabaseConnection) => Promise<void>;
  constructor(config: PostgresDialectConfig, afterLock: (connection: DatabaseConnection) => Promise<void>) {
    super(config);
    this.#afterLock = afterLock;
  }
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await super.beginTransaction(connection, settings);
    try {
      await connection.executeQuery(CompiledQuery.raw(LOCK_STATEMENT));
    } catch (err) {
      // Kysely rolls back only a transaction that began: this one must not go back to the pool aborted.
      await connection.executeQuery(CompiledQuery.raw('rollback')).catch(() => {});
      if ((err as { code?: unknown }).code === '55P03') Object.assign(err as object, { holder: await lockHolder(connection).catch(() => null) });
      throw err;
    }
    await this.#afterLock(connection);
  }
}

/**
 * Who holds the writers' lock: any role may take an advisory lock, a reader included, so the
 * operator facing a store that stays locked is told whom to ask (or which pid the DBA ends).
 */
async function lockHolder(connection: DatabaseConnection): Promise<string | null> {
  const r = await connection.executeQuery<{ role: string | null; pid: number }>(
    CompiledQuery.raw(`select a.usename as role, l.pid from pg_catalog.pg_locks l left join pg_catalog.pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.classid = 0 and l.objid = ${ADVISORY_LOCK_KEY} and l.objsubid = 1 limit 1`),
  );
  const row = r.rows[0];
  if (row === undefined) return null;
  // A role's name may hold any character: quoted unless plain, so the error stays one line.
  const role = row.role === null ? 'unknown' : /^[A-Za-z0-9_.$-]+$/.test(row.role) ? row.role : JSON.stringify(row.role);
  return `role ${role}, pid ${row.pid}`;
}

class LockingPostgresDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig;
  readonly #afterLock: (connection: DatabaseConnection) => Promise<void>;
  constructor(config: PostgresDialectConfig, afterLock: (connection: DatabaseConnection) => Promise<void>) {
    super(config);
    this.#config = config;
    this.#afterLock = afterLock;
  }
  override createDriver(): PostgresDriver {
    return new LockingPostgresDriver(this.#config, this.#afterLock);
  }
}

export interface PgStore {
  readonly path: string;
  readonly db: Kysely<Database>;
  /** Connects, refuses a foreign or newer database, reads the server clock. Call once, first. */
  connect(): Promise<PgStoreState>;
  /** Creates the schema in an empty database (db init); true if it did. */
  init(): Promise<boolean>;
  version(): Promise<number | null>;
  missingTables(): Promise<string[]>;
  /** The store schema's catalog objects (schema-digest.ts), for db check. */
  catalog(): Promise<SchemaRow[]>;
  close(): Promise<void>;
}

/** The store-creation rule: only a command that creates something may give an empty database its schema. */
export interface CreatePolicy {
  create: boolean;
  /** Runs before an empty database gets its schema; throws to refuse (a clock override, say). */
  beforeCreate?: (() => void) | undefined;
  /** How the command uses the store (../store.ts): `check` lists schema differences instead of refusing. */
  access?: 'read' | 'write' | 'check' | 'migrate' | undefined;
}

export function openPostgresStore(url: string, policy: CreatePolicy = { create: true }): PgStore {
  const where = redactUrl(url);
  let pool: Pool | null = null;
  let modules: PgModules | null = null;
  let schema: SchemaState | null = null;

  let building: Promise<Pool> | null = null;
  const getPool = (): Promise<Pool> => (building ??= buildPool());
  /** The pool for the first TLS attempt the server accepts (prefer and allow have two). */
  const buildPool = async (): Promise<Pool> => {
    modules ??= await loadPg();
    const m = modules;
    const plan = connectPlan(url, m.parse);
    // The password comes from the URL, PGPASSWORD, or ~/.pgpass read here: the driver's own
    // ~/.pgpass path prints a deprecation warning.
    const password = plan.base.password || process.env.PGPASSWORD || passwordFromPgpass(m, plan.base);
    const make = (ssl: false | object): Pool => {
      const made = new m.pg.Pool({
        ...plan.base,
        password,
        ssl,
        // A stream holds one connection while its rows are joined with others: a few suffice.
        max: 4,
        connectionTimeoutMillis: 10_000,
        application_name: 'accessctl',
      });
      // A dropped idle connection must not crash the process; the next query reports it.
      made.on('error', () => {});
      // So must one dropped while in use (the server stopped): its query fails, and that is reported.
      made.on('connect', (client) => void client.on('error', () => {}));
      return made;
    };
    for (let i = 0; ; i++) {
      pool = make(plan.attempts[i]!);
      if (i === plan.attempts.length - 1) return pool;
      try {
        // The first connection decides; it goes back to the pool for the command's queries.
        (await pool.connect()).release();
        return pool;
      } catch (err) {
        await pool.end().catch(() => {});
        pool = null;
        if (!shouldFallBack(plan, err)) throw err;
      }
    }
  };

  const createSchema = async (run: (sql: string) => Promise<unknown>) => {
    await run(pgSchemaText());
    await run(`insert into accessctl_schema (application, version) values ('accessctl', ${PG_LATEST_VERSION})`);
  };

  const migrate = async (run: (sql: string) => Promise<unknown>, from: number) => {
    for (let v = from + 1; v <= PG_LATEST_VERSION; v++) {
      const step = PG_MIGRATIONS[v];
      if (step === undefined) throw new Error(`no PostgreSQL migration to schema version ${v}`);
      await run(step());
    }
    await run(`update accessctl_schema set version = ${PG_LATEST_VERSION}`);
  };

  /** Under the lock: re-read, since another process may have created or migrated it meanwhile. */
  const afterLock = async (connection: DatabaseConnection) => {
    if (schema === null || schema.kind === 'ready') return;
    const run = (sql: string) => connection.executeQuery(CompiledQuery.raw(sql));
    const found = await inspect(run, where);
    const now = judgeSchema(where, found);
    if (now.kind === 'empty') await createSchema(run);
    else if (now.kind === 'older') await migrate(run, now.version);
    schema = { kind: 'ready' };
  };

  const db = new Kysely<Database>({
    dialect: new LockingPostgresDialect(
      {
        pool: getPool,
        cursor: function LazyCursor(this: unknown, ...args: unknown[]) {
          return new (modules!.Cursor as unknown as new (...a: unknown[]) => object)(...args);
        } as unknown as PostgresDialectConfig['cursor'],
      },
      afterLock,
    ),
  });

  const withClient = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    let client: PoolClient;
    try {
      client = await (await getPool()).connect();
    } catch (err) {
      throw translatePgError(err, where);
    }
    try {
      return await work(client);
    } catch (err) {
      throw translatePgError(err, where);
    } finally {
      client.release();
    }
  };

  return {
    path: where,
    db,
    async connect() {
      return withClient(async (client) => {
        const found = await inspect(async (sql) => (await client.query(sql)).rows, where);
        schema = judgeSchema(where, found);
        if (schema.kind !== 'empty' && policy.access !== 'check') verifyPgSchema(await catalogOf(client), found.version!, where);
        if (schema.kind === 'older' && (policy.access === 'read' || policy.access === 'check')) {
          throw new StoreError(`store ${where} is at schema ${found.version}; this command only reads and does not migrate it`, 'run: accessctl db migrate');
        }
        if (schema.kind === 'empty') {
          // An empty database is a missing store: reads and sweeps fail loudly, as for a missing file.
          if (!policy.create) throw new StoreError(`no accessctl store in ${where}`, 'run accessctl db init, or a command that creates something');
          policy.beforeCreate?.();
        }
        const sent = performance.now();
        const now = await client.query<{ now: number }>('select (extract(epoch from clock_timestamp()) * 1000)::bigint as now');
        const readAt = (sent + performance.now()) / 2;
        if (schema.kind === 'older') await db.transaction().execute(async () => {});
        return { schema, serverNow: now.rows[0]!.now, readAt };
      });
    },
    async init() {
      // Taking the lock works on a standby too: db init there would report success and create nothing.
      await withClient(async (client) => {
        const r = await client.query<{ ro: string }>("select current_setting('transaction_read_only') as ro");
        if (r.rows[0]?.ro === 'on') throw Object.assign(new Error('read-only'), { code: '25006' });
      });
      const created = schema?.kind === 'empty';
      await db.transaction().execute(async () => {});
      return created;
    },
    async version() {
      return withClient(async (client) => {
        const r = await client.query<{ version: number }>("select version from accessctl_schema where application = 'accessctl'");
        return r.rows[0]?.version ?? null;
      });
    },
    async missingTables() {
      return withClient(async (client) => {
        const r = await client.query<{ name: string }>('select tablename as name from pg_tables where schemaname = current_schema()');
        const present = new Set(r.rows.map((x) => x.name));
        return STORE_TABLES.filter((t) => !present.has(t));
      });
    },
    async catalog() {
      return withClient(catalogOf);
    },
    async close() {
      await db.destroy();
      // Kysely ends the pool only if it ran a query itself; connect() alone (a command that failed
      // before its first query) would leave an idle client holding the process open for its timeout.
      if (pool && !(pool as Pool & { ended?: boolean }).ended) await pool.end();
    },
  };
}

async function catalogOf(client: PoolClient): Promise<SchemaRow[]> {
  const name = (await client.query<{ s: string }>('select current_schema() as s')).rows[0]!.s;
  return pgSchemaRows(async (sql) => (await client.query(sql)).rows, name);
}
