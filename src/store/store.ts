import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

/**
 * The one face both dialects show (sqlite/open.ts, postgres/store.ts); open.ts picks one.
 * Repositories take `store.db` (or a transaction on it) and never know which.
 */
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

/** One record of db check. */
export interface StoreCheck {
  check: string;
  ok: boolean;
  detail: string;
}

/**
 * How a command uses the store: `read` opens it read-only and never migrates (SPEC section 2);
 * `write` migrates an older store first; `check` (db check) reads and keeps going past schema
 * differences so that it can list them all; `migrate` (db migrate) also removes the one known
 * leftover of an old release.
 */
export type StoreAccess = 'read' | 'write' | 'check' | 'migrate';

export interface OpenedSchema {
  /** The schema version the store is at once opened. */
  version: number;
  /** The version it had before this open migrated it, or null if it did not. */
  migratedFrom: number | null;
  /** Leftovers of old releases this open removed ("table audit_events: unique index on id"). */
  repaired: string[];
}

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
