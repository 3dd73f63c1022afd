import { existsSync, statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { StoreLocation } from '../location.js';
import { registerFold } from '../search.js';
import type { OpenedSchema, OpenOptions, Store } from '../store.js';
import type { Database } from '../tables.js';
import { ImmediateSqliteDialect } from './dialect.js';
import { BUSY_TIMEOUT_MS, translateSqliteError } from './errors.js';
import { checkpointAfterWrite, sqliteBackup, sqliteChecks } from './maintenance.js';
import { addonLoadError, nativeBinding } from './native-addon.js';
import { shadowOlderTables } from './older-schema-read.js';
import { markReadThroughViews } from '../index-guard.js';
import { settleSchema } from './open-schema.js';
import { openReadOnly } from './read-only.js';
import { tighten } from './safety.js';
import { LATEST_VERSION } from './schema.js';
import { differencesFor, schemaMismatch, schemaObjectChecks, schemaRows } from './schema-digest.js';
import { schemaSource, sha256 } from './schema-source.js';
import { prepareFile } from './store-file.js';

/** Opens (creating it if the command may) the SQLite store file at `location`, refusing anything not safely ours. */
export function openSqlite(location: StoreLocation, opts: OpenOptions = {}): Store {
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
  let shadowed: string[] = [];
  try {
    opened = settleSchema(sqlite, path, access, schemaSource, opts.beforeMigrate);
    if (opened.version >= 1 && opened.version < LATEST_VERSION) shadowed = shadowOlderTables(sqlite);
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
  markReadThroughViews(db, shadowed);
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
