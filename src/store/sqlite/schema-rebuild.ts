import type BetterSqlite3 from 'better-sqlite3';
import type { SchemaRow } from '../schema-compare.js';

/**
 * Rebuilds `table` as `target` (one version's objects) defines it, keeping every row: SQLite
 * cannot change a CHECK or put a new column anywhere but last, and a store must hold its
 * version's text exactly. Runs inside the migration's transaction with foreign keys off (the
 * caller turns them off before BEGIN: the pragma is a no-op inside a transaction), so that
 * dropping the old table cascades to no row that references it. The old table is renamed aside
 * first, as rebuildEarlyAuditEvents does, so that the new one is created from the target text
 * itself; legacy_alter_table keeps that rename from rewriting the REFERENCES of other tables,
 * which must go on naming `table`. Columns the old table had are copied; a new one takes its
 * default (NULL for every column added so far).
 */
export function rebuildTable(sqlite: BetterSqlite3.Database, target: readonly SchemaRow[], table: string): void {
  const create = target.find((r) => r[0] === 'table' && r[1] === table)?.[3];
  const indexes = target.filter((r) => r[0] === 'index' && r[2] === table && r[3] !== null);
  const triggers = target.filter((r) => r[0] === 'trigger' && r[2] === table);
  if (!create) throw new Error(`the target schema has no ${table} table`);
  if (sqlite.pragma('foreign_keys', { simple: true }) !== 0) throw new Error(`foreign keys must be off while ${table} is rebuilt`);
  const aside = `${table}_before_rebuild`;
  sqlite.pragma('legacy_alter_table = ON');
  try {
    sqlite.exec(`ALTER TABLE "${table}" RENAME TO "${aside}"`);
  } finally {
    sqlite.pragma('legacy_alter_table = OFF');
  }
  sqlite.exec(create);
  const kept = new Set(columnsOf(sqlite, aside));
  const columns = columnsOf(sqlite, table)
    .filter((c) => kept.has(c))
    .map((c) => `"${c}"`)
    .join(', ');
  sqlite.exec(`INSERT INTO "${table}" (${columns}) SELECT ${columns} FROM "${aside}"`);
  // Drops the old table's indexes with it, so the target's can be created under their names.
  sqlite.exec(`DROP TABLE "${aside}"`);
  for (const r of [...indexes, ...triggers]) sqlite.exec(r[3]!);
  const broken = sqlite.pragma('foreign_key_check') as unknown[];
  if (broken.length > 0) throw new Error(`rebuilding ${table} left ${broken.length} broken references`);
}

function columnsOf(sqlite: BetterSqlite3.Database, table: string): string[] {
  return (sqlite.pragma(`table_info("${table}")`) as Array<{ name: string }>).map((c) => c.name);
}

/** Creates the objects of `target` that the store lacks (tables first, then their indexes and triggers). */
export function createMissing(sqlite: BetterSqlite3.Database, target: readonly SchemaRow[], objects: ReadonlyArray<readonly [type: string, name: string]>): void {
  for (const [type, name] of objects) {
    const sql = target.find((r) => r[0] === type && r[1] === name)?.[3];
    if (!sql) throw new Error(`the target schema has no ${type} ${name}`);
    sqlite.exec(sql);
  }
}
