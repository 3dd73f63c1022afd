import { registerFold } from './search.js';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { StoreError, UsageError } from '../domain/errors.js';
import { ImmediateSqliteDialect } from './dialect.js';
import { addonLoadError } from './native-addon.js';
import { openPostgres } from './postgres/store.js';
import { checkStoreDir, checkStoreFiles, realTarget, tighten } from './safety.js';
import type { StoreLocation } from './location.js';

export { resolveStoreLocation, type StoreLocation, type StoreLocationOptions } from './location.js';
import { checkpointAfterWrite, sqliteBackup, sqliteChecks, type StoreCheck } from './sqlite-maintenance.js';
import { restoreHint } from './restore-hint.js';
import { judgeWal } from './wal-guard.js';
import { settleSchema, type OpenedSchema, type StoreAccess } from './open-schema.js';
import { LATEST_VERSION } from './schema.js';
import { shadowOlderTables } from './older-schema-read.js';
import { differencesFor, schemaMismatch, schemaRows, shippedRows, schemaObjectChecks } from './schema-digest.js';
import { openReadOnly } from './sqlite-read-only.js';
import { deniedCause, isDenied, runningAs } from './permission.js';
import type { Database } from './tables.js';

export const BUSY_TIMEOUT_MS = 5_000;


export interface OpenOptions {
  /** Runs before a missing store is created; throws to refuse (a clock override, say). */
  beforeCreate?: () => void;
  /** Runs before an older store is migrated (a write); throws to refuse. */
  beforeMigrate?: (sqlite: BetterSqlite3.Database) => void;
}

/**
 * The page cache (KiB) an import writes with: a million new rows scatter their inserts over three
 * random-key indexes (id, name key, event target), and with the everyday 16 MiB SQLite keeps
 * spilling and re-reading pages (a million-row import: 74 s at 16 MiB, 67 s at 64 MiB, 64 s at
 * 128 MiB but past 300 MB of memory). docs/performance.md.
 */
export const BULK_WRITE_CACHE_KIB = 65_536;

/** Widens a SQLite store's page cache for the bulk write about to start; PostgreSQL has its own. */
export function prepareBulkWrite(store: Store): void {
  store.sqlite?.pragma(`cache_size = -${BULK_WRITE_CACHE_KIB}`);
}

export interface Store {
  readonly path: string;
  readonly dialect: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  /** The SQLite handle (SQLite stores only): pragmas for best-effort telemetry. */
  readonly sqlite?: BetterSqlite3.Database;
  /**
   * Whether the store's path still names the file that was opened (SQLite): false once it was
   * replaced (a restore, a mv) or removed. A long-running process asks before each answer.
   */
  sameFile?(): boolean;
  /** Connects and reads the server's clock (PostgreSQL); SQLite opens synchronously and has none. */
  connect?(): Promise<{ serverNow: number; readAt: number }>;
  /** Creates the schema if the store is empty (db init); true if it did. */
  init(): Promise<boolean>;
  /** The schema version once opened, and what this open migrated or repaired (SQLite; PostgreSQL after connect). */
  schema?(): OpenedSchema | null;
  /**
   * A read-write handle on the same file for the one write a read may make, the best-effort
   * lastUsedAt (SQLite, when the store was opened read-only); null where the file cannot be written.
   */
  writable?(): BetterSqlite3.Database | null;
  /** The store's own checks for db check: integrity, foreign keys, schema version. */
  checks(): Promise<StoreCheck[]>;
  /** A consistent copy while in use, created 0600 (SQLite); PostgreSQL points to pg_dump. */
  backup(file: string): Promise<{ bytes: number; pages: number }>;
  close(): Promise<void>;
}

/** Opens (creating it if the command may) the store at `location`, refusing anything not safely ours. */
export function openStore(location: StoreLocation, opts: OpenOptions = {}): Store {
  if (location.url !== undefined) return openPostgres(location.url, { create: location.create === true, beforeCreate: opts.beforeCreate, access: location.access });
  const { path } = location;
  const access = location.access ?? 'write';
  // A symlinked --db is judged, created and opened at its target, -wal and -shm beside it.
  const target = prepareFile(location, opts);
  let sqlite: BetterSqlite3.Database;
  try {
    const options = { timeout: BUSY_TIMEOUT_MS, ...nativeBinding() };
    sqlite = access === 'write' || access === 'migrate' ? new BetterSqlite3(target, options) : openReadOnly(target, path, options);
    registerFold(sqlite);
  } catch (err) {
    throw addonLoadError(err) ?? translateSqliteError(err, path);
  }
  let opened: OpenedSchema;
  try {
    opened = settleSchema(sqlite, path, access, schemaSource, opts.beforeMigrate);
    if (opened.version >= 1 && opened.version < LATEST_VERSION) shadowOlderTables(sqlite);
    if (!sqlite.readonly) for (const f of [`${target}-wal`, `${target}-shm`]) if (existsSync(f)) tighten(f);
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    // 16 MiB of page cache (SQLite's default is 2): random ids scatter index inserts, and a small
    // cache turns a bulk import into repeated page reads. Larger would only grow what a full
    // scan (audit list over a million events) leaves resident.
    sqlite.pragma('cache_size = -16384');
  } catch (err) {
    sqlite.close();
    throw translateSqliteError(err, path);
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cachingDatabase(sqlite) }, schemaGuard(sqlite, path, opened.version)) });
  const file = statSync(target);
  // A store read from its pages in memory (no -shm could be made: a full disk, a read-only place)
  // cannot take the lastUsedAt write either: trying would only leave a -shm behind.
  let writer: BetterSqlite3.Database | null | undefined = sqlite.memory ? null : sqlite.readonly ? undefined : sqlite;
  return {
    path,
    dialect: 'sqlite',
    db,
    sqlite,
    sameFile: () => {
      const now = statSync(target, { throwIfNoEntry: false });
      return now !== undefined && now.ino === file.ino && now.dev === file.dev;
    },
    schema: () => opened,
    writable() {
      if (writer === undefined) writer = openWriter(target, file);
      return writer;
    },
    init: async () => false,
    checks: async () => [...sqliteChecks(sqlite), ...schemaObjectChecks(schemaRows(sqlite), opened.version, schemaSource.rows(), sha256)],
    backup: (file) => sqliteBackup(sqlite, file),
    close: async () => {
      if (writer && writer !== sqlite) writer.close();
      try {
        checkpointAfterWrite(sqlite);
      } catch {
        // Best effort: the commits are durable in the -wal already (synchronous=FULL).
      }
      await db.destroy();
    },
  };
}

function prepareFile({ path, managedDir, create, access }: StoreLocation, opts: OpenOptions): string {
  const target = realTarget(path);
  const dir = dirname(target);
  if (!existsSync(dir)) {
    if (!managedDir) {
      throw new StoreError(`directory ${dir} does not exist`, 'create it first, or choose another --db path');
    }
    if (!create) throw missingStore(path);
    opts.beforeCreate?.();
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = isDenied(err) ? `permission denied, running as ${runningAs()}` : code;
      throw new StoreError(`cannot create store directory ${dir}: ${why}`, 'check its permissions or set ACCESSCTL_HOME');
    }
  }
  checkStoreDir(dir);
  if (existsSync(target)) {
    const st = statSync(target);
    if (st.isDirectory()) throw new StoreError(`${path} is a directory, not a store file`, 'pass a file path to --db');
    // SQLite takes an empty file for an empty database: a store truncated to nothing (a full
    // disk, a bad restore) would silently become a new, empty store and deny everything.
    if (st.size === 0 && !create && !(statSync(`${target}-wal`, { throwIfNoEntry: false })?.size ?? 0)) {
      throw new StoreError(`${path} is an empty file, not an accessctl store`, 'if a store is being created there, try again in a moment; otherwise restore it from a backup, or run "accessctl db init"');
    }
    checkStoreFiles(target, access === undefined || access === 'write' || access === 'migrate', path);
    judgeWal(target, path, nativeBinding());
    return target;
  }
  if (!create) throw missingStore(path);
  opts.beforeCreate?.();
  // Leftovers of an earlier store under this name must be ours before SQLite reuses them.
  checkStoreFiles(target);
  try {
    // Created 0600 before SQLite sees it: the store is never world-readable, whatever the umask.
    closeSync(openSync(target, 'wx', 0o600));
    chmodSync(target, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      checkStoreFiles(target); // another process created it first
      return target;
    }
    const why = isDenied(err) ? `permission denied, running as ${runningAs()}` : code;
    throw new StoreError(`cannot create store ${path}: ${why}`, 'check the directory permissions');
  }
  return target;
}

function missingStore(path: string): StoreError {
  return new StoreError(
    `no store at ${path}`,
    'check --db, -s and ACCESSCTL_HOME; only commands that create something, or "accessctl db init", create a store',
  );
}

/**
 * The schema was judged at open; a trigger planted between then and a write would still act on it.
 * So each write transaction, once it holds the lock, compares SQLite's schema cookie with the one
 * seen at open, and judges the schema again if it moved (it moves on any CREATE, DROP or ALTER).
 */
function schemaGuard(sqlite: BetterSqlite3.Database, path: string, version: number): () => void {
  let cookie = sqlite.pragma('schema_version', { simple: true }) as number;
  return () => {
    const now = sqlite.pragma('schema_version', { simple: true }) as number;
    if (now === cookie) return;
    const diffs = differencesFor(schemaRows(sqlite), version, schemaSource.rows());
    if (diffs.length > 0) {
      sqlite.exec('rollback');
      throw schemaMismatch(path, version, diffs);
    }
    cookie = now;
  };
}

/** A second, read-write connection for lastUsedAt; null if the file cannot be written or is no longer the one opened. */
function openWriter(target: string, opened: { ino: number; dev: number }): BetterSqlite3.Database | null {
  try {
    const w = new BetterSqlite3(target, { timeout: 0, fileMustExist: true, ...nativeBinding() });
    const now = statSync(target);
    if (now.ino !== opened.ino || now.dev !== opened.dev) {
      w.close();
      return null;
    }
    return w;
  } catch {
    return null;
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** schema.sql, and the objects it creates: what every store is compared with. */
export const schemaSource = {
  text: schemaText,
  rows: () => shippedRows(schemaText, (file) => new BetterSqlite3(file, nativeBinding())),
};

function schemaText(): string {
  for (const rel of ['../schema.sql', '../../schema.sql']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) return readFileSync(url, 'utf8');
  }
  throw new Error('schema.sql not found beside the accessctl package');
}

/**
 * The bundle knows where the driver's compiled addon is (scripts/build.mjs defines the path
 * relative to dist/), so opening a store does not search for it. Unbundled (tests), or if the
 * file is not there, the driver finds it itself.
 */
declare const __ACCESSCTL_NATIVE_BINDING__: string | undefined;
let binding: string | null | undefined;
export function nativeBinding(): { nativeBinding?: string } {
  if (binding === undefined) {
    binding = null;
    if (typeof __ACCESSCTL_NATIVE_BINDING__ === 'string') {
      const file = join(dirname(fileURLToPath(import.meta.url)), __ACCESSCTL_NATIVE_BINDING__);
      // Installed as a dependency, the driver may sit elsewhere in node_modules: ask Node where.
      binding = existsSync(file) ? file : createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
    }
  }
  return binding === null ? {} : { nativeBinding: binding };
}

/** Reuses prepared statements: the same SQL is parsed once per process. */
function cachingDatabase(sqlite: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (sql: string) => {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = sqlite.prepare(sql);
        if (cache.size < 500) cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

/** Whether the filesystem holding path has no block left for this account. */
function diskIsFull(path: string): boolean {
  try {
    return statfsSync(dirname(path)).bavail === 0;
  } catch {
    return false;
  }
}

/** SQLite's failures, in the words of SPEC section 8 (exit 6). Anything else passes through. */
export function translateSqliteError(err: unknown, path: string): unknown {
  if (err instanceof StoreError || err instanceof UsageError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (!code.startsWith('SQLITE_')) return err;
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') {
    return new StoreError(`store ${path} is locked by another process`, `gave up after ${BUSY_TIMEOUT_MS / 1000}s; try again`);
  }
  if (code === 'SQLITE_NOTADB') return new StoreError(`${path} is not an accessctl store (not a SQLite database)`, 'refusing to touch it; choose another --db path');
  if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_')) {
    return new StoreError(`store ${path} is corrupt`, restoreHint('sqlite'));
  }
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_')) {
    return new StoreError(`store ${path} is read-only`, 'check the permissions of the file and its directory');
  }
  if (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_CANTOPEN_') || code === 'SQLITE_PERM' || code.startsWith('SQLITE_IOERR')) {
    // Checked before the open too; this catches a mode changed in between.
    const denied = code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' ? deniedCause(path) : null;
    if (denied) return denied;
    // SQLite names the step that failed (growing the -shm, a write, an fsync), not its cause: a
    // disk with no block left is the cause an operator can act on.
    if (code.startsWith('SQLITE_IOERR') && diskIsFull(path)) return new StoreError(`disk full while writing ${path}`, 'free some space and try again');
    return new StoreError(`cannot open store ${path} (${code})`, 'check that the file and its directory are readable and writable');
  }
  if (code === 'SQLITE_FULL') return new StoreError(`disk full while writing ${path}`, 'free some space and try again');
  return err;
}
