import type BetterSqlite3 from 'better-sqlite3';
import { COLUMNS, type ReplayTable } from '../../domain/audit-events.js';

/**
 * A read of a store at an older schema (SPEC section 2: reads never migrate) sees the tables as
 * the current schema has them: each table the store lacks a column of is shadowed by a TEMP
 * view naming every current column, NULL for those a later schema added (every one so far takes
 * NULL on migration), and a table it lacks altogether (requests, schema 4) by an empty view. TEMP
 * objects live in the connection, never in the file (its bytes and sqlite_master stay as they
 * were), and an unqualified name finds the temp schema first, so every query reads as it would
 * after the migration.
 */
export function shadowOlderTables(sqlite: BetterSqlite3.Database): string[] {
  const shadowed: string[] = [];
  for (const table of Object.keys(COLUMNS) as ReplayTable[]) {
    const want = COLUMNS[table];
    const have = new Set((sqlite.pragma(`main.table_info("${table}")`) as Array<{ name: string }>).map((c) => c.name));
    if (want.every((c) => have.has(c))) continue;
    const select = want.map((c) => (have.has(c) ? `"${c}"` : `NULL AS "${c}"`)).join(', ');
    sqlite.exec(have.size > 0 ? `CREATE TEMP VIEW "${table}" AS SELECT ${select} FROM main."${table}"` : `CREATE TEMP VIEW "${table}" AS SELECT ${select} WHERE 0`);
    shadowed.push(table);
  }
  return shadowed;
}
