import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { DIALECT } from './harness.js';
import { createDatabase, dropDatabase, psql } from './pg-cluster.js';

/**
 * The `--db` target of an end-to-end test on this leg: a SQLite file in `dir`, or on the
 * PostgreSQL leg a fresh database of its own. Either is empty: `db init` (or the first write)
 * creates the store.
 */
export function e2eStore(dir: string, name = 'store.db'): string {
  return DIALECT === 'postgres' ? createDatabase(inject('pgUrl')) : join(dir, name);
}

/** Drops a PostgreSQL store e2eStore made; a SQLite file goes with its directory. */
export function removeE2eStore(db: string): void {
  if (db.startsWith('postgres')) dropDatabase(db);
}

export { DIALECT };

/** Whether anything made a store there: the file, or on PostgreSQL any table in the database. */
export function storeExists(db: string): boolean {
  if (!db.startsWith('postgres')) return existsSync(db);
  return Number(psql(db, "select count(*) from information_schema.tables where table_schema = 'public'")) > 0;
}
