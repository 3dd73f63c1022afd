import type BetterSqlite3 from 'better-sqlite3';
import type { SchemaRow } from './schema-digest.js';

/** Schema 2's groups table, frozen in time: its type could not be `SYNCED`. */
export const SCHEMA2_GROUPS_SQL = `CREATE TABLE groups (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL UNIQUE,
  type        TEXT NOT NULL CHECK (type IN ('MANUAL', 'SYSTEM')),
  is_active   INTEGER NOT NULL CHECK (is_active IN (0, 1)),
  expires_at  INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
)`;

/** The objects of schema 1 and 2: today's, with schema 2's groups table. */
export function schema2Rows(current: readonly SchemaRow[]): SchemaRow[] {
  return current.map((r) => (r[0] === 'table' && r[1] === 'groups' ? ([r[0], r[1], r[2], SCHEMA2_GROUPS_SQL] as const) : r));
}

/**
 * Schema 3: groups may be `SYNCED` (group sync, SPEC section 14). SQLite cannot change a CHECK in
 * place, so the table is rebuilt inside the migration's transaction, with foreign keys off (the
 * caller turns them off before BEGIN: the pragma is a no-op inside a transaction) so that dropping
 * the old table cascades to no membership. The old table is renamed aside first, as
 * rebuildEarlyAuditEvents does, so that the new one is created from the shipped text itself;
 * legacy_alter_table keeps that rename from rewriting the REFERENCES of group_users,
 * group_resources and group_services, which must go on naming `groups`.
 */
export function rebuildGroupsForSynced(sqlite: BetterSqlite3.Database, current: readonly SchemaRow[]): void {
  const table = current.find((r) => r[0] === 'table' && r[1] === 'groups');
  const indexes = current.filter((r) => r[0] === 'index' && r[2] === 'groups' && r[3] !== null);
  const triggers = current.filter((r) => r[0] === 'trigger' && r[2] === 'groups');
  if (!table?.[3]) throw new Error('the shipped schema has no groups table');
  if (sqlite.pragma('foreign_keys', { simple: true }) !== 0) throw new Error('foreign keys must be off while groups is rebuilt');
  sqlite.pragma('legacy_alter_table = ON');
  try {
    sqlite.exec('ALTER TABLE groups RENAME TO groups_schema2');
  } finally {
    sqlite.pragma('legacy_alter_table = OFF');
  }
  sqlite.exec(table[3]);
  sqlite.exec('INSERT INTO groups (id, name, name_key, type, is_active, expires_at, created_at, updated_at) SELECT id, name, name_key, type, is_active, expires_at, created_at, updated_at FROM groups_schema2');
  // Drops the old table's indexes with it, so the shipped ones can be created under their names.
  sqlite.exec('DROP TABLE groups_schema2');
  for (const r of [...indexes, ...triggers]) sqlite.exec(r[3]!);
  const broken = sqlite.pragma('foreign_key_check') as unknown[];
  if (broken.length > 0) throw new Error(`rebuilding groups left ${broken.length} broken references`);
}
