import type BetterSqlite3 from 'better-sqlite3';
import { appendMigrationSnapshot } from './migrate-snapshot.js';
import type { SchemaRow } from '../schema-compare.js';
import { schema3Rows } from './schema-frozen.js';
import { createMissing, rebuildTable } from './schema-rebuild.js';
import { rebuildEarlyAuditEvents } from './schema-repair.js';

/** "ACTL": marks a SQLite file as an accessctl store. */
export const APPLICATION_ID = 0x4143544c;
export const LATEST_VERSION = 4;

/**
 * Forward migrations, frozen in time: MIGRATIONS[n] takes a store from version n-1 to n.
 * schema.sql is always the latest version. A later version appends an entry here and updates schema.sql.
 */
const MIGRATIONS: Record<number, string | ((sqlite: BetterSqlite3.Database, current: readonly SchemaRow[]) => void)> = {
  // 2: audit details in format 2 (docs/audit-events.md); the snapshot lets replay start here.
  // A store of the first release also loses its unique index on event ids (schema-repair.ts), so
  // that every schema 2 store holds exactly schema.sql's objects.
  2: (sqlite, current) => {
    rebuildEarlyAuditEvents(sqlite, current);
    appendMigrationSnapshot(sqlite, 1, 2);
  },
  // 3: a group's type may be SYNCED (group sync); the table is rebuilt as schema 3 had it, its
  // rows unchanged, so the log replays to the same state and needs no snapshot.
  3: (sqlite, current) => rebuildTable(sqlite, schema3Rows(current), 'groups'),
  // 4: access requests (SPEC section 15): users.login, groups.request_policy and
  // group_users.starts_at are added as NULL to every row, and requests starts empty; so do access
  // reviews (SPEC section 16), reviews and review_items. No snapshot:
  // events written before it carry no such key, and replay reads a missing one as NULL
  // (domain/replay.ts, ADDED_IN_SCHEMA_4), so the log still replays to exactly the rows kept here.
  4: (sqlite, current) => {
    for (const table of ['users', 'groups', 'group_users']) rebuildTable(sqlite, current, table);
    createMissing(sqlite, current, [
      ['table', 'requests'],
      ['index', 'requests_group'],
      ['index', 'requests_user'],
      ['table', 'reviews'],
      ['table', 'review_items'],
    ]);
  },
};

/** Brings a fresh or older store to LATEST_VERSION in one transaction. */
export function migrateForward(sqlite: BetterSqlite3.Database, schema: () => string, current: readonly SchemaRow[]): void {
  // A migration may rebuild a table that others reference (ON DELETE CASCADE): foreign keys are
  // off for the transaction (the pragma cannot change inside one), and checked before it commits.
  const foreignKeys = sqlite.pragma('foreign_keys', { simple: true }) as number;
  sqlite.pragma('foreign_keys = OFF');
  try {
    migrateInTransaction(sqlite, schema, current);
  } finally {
    if (foreignKeys) sqlite.pragma('foreign_keys = ON');
  }
}

function migrateInTransaction(sqlite: BetterSqlite3.Database, schema: () => string, current: readonly SchemaRow[]): void {
  sqlite.exec('begin immediate');
  try {
    // Re-read inside the write lock: another process may have initialised it meanwhile.
    const version = sqlite.pragma('user_version', { simple: true }) as number;
    if (version === 0) {
      sqlite.exec(schema());
    } else {
      for (let v = version + 1; v <= LATEST_VERSION; v++) {
        const step = MIGRATIONS[v];
        if (step === undefined) throw new Error(`no migration to schema version ${v}`);
        if (typeof step === 'string') sqlite.exec(step);
        else step(sqlite, current);
      }
    }
    if ((sqlite.pragma('foreign_key_check') as unknown[]).length > 0) throw new Error('the migration left broken references');
    if (version < LATEST_VERSION) {
      sqlite.pragma(`application_id = ${APPLICATION_ID}`);
      sqlite.pragma(`user_version = ${LATEST_VERSION}`);
    }
    sqlite.exec('commit');
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('rollback');
    throw err;
  }
}
