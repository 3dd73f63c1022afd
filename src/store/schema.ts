import type BetterSqlite3 from 'better-sqlite3';

/** "ACTL": marks a SQLite file as an accessctl store. */
export const APPLICATION_ID = 0x4143544c;
export const LATEST_VERSION = 1;

/**
 * Forward migrations, frozen in time: MIGRATIONS[n] takes a store from version n-1 to n.
 * Version 1 is schema.sql itself. A later version appends an entry here and updates schema.sql.
 */
const MIGRATIONS: Record<number, string> = {};

/** Brings a fresh or older store to LATEST_VERSION in one transaction. */
export function migrateForward(sqlite: BetterSqlite3.Database, schema: () => string): void {
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
        sqlite.exec(step);
      }
    }
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
