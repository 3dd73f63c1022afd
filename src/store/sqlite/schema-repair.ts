import type BetterSqlite3 from 'better-sqlite3';
import { hasEarlyAuditEvents, schemaRows, type SchemaRow } from './schema-digest.js';

/**
 * Rebuilds the first release's audit_events (event id UNIQUE) as the shipped schema defines it,
 * inside the caller's transaction: every event copied as it is (seq, hash and details unchanged,
 * so the chain and every checkpoint still verify), the unique index gone. The old table is renamed
 * aside first so that the new one is created from the shipped text itself: renaming the new table
 * into place would make SQLite rewrite (quote) its stored text. Returns whether it did anything.
 */
export function rebuildEarlyAuditEvents(sqlite: BetterSqlite3.Database, current: readonly SchemaRow[]): boolean {
  if (!hasEarlyAuditEvents(schemaRows(sqlite))) return false;
  const table = current.find((r) => r[0] === 'table' && r[1] === 'audit_events');
  const indexes = current.filter((r) => r[0] === 'index' && r[2] === 'audit_events');
  if (!table?.[3]) throw new Error('the shipped schema has no audit_events table');
  sqlite.exec('ALTER TABLE audit_events RENAME TO audit_events_schema1');
  sqlite.exec(table[3]);
  sqlite.exec('INSERT INTO audit_events SELECT seq, id, at, actor, action, target_type, target_id, details, hash FROM audit_events_schema1 ORDER BY seq');
  // Drops the old table's indexes with it, so the shipped ones can be created under their names.
  sqlite.exec('DROP TABLE audit_events_schema1');
  for (const index of indexes) sqlite.exec(index[3]!);
  return true;
}
