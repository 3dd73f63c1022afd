import { PostgresAdapter, sql, type CompiledQuery, type Kysely } from 'kysely';
import { StoreError } from '../domain/errors.js';
import type { Db } from './tables.js';

/**
 * SPEC section 2, "Output is what the store holds", against an edited index. SQLite answers
 * `where email_key = ?` (or `id = ?`, `token_hash = ?`) from a unique index and reads the row the
 * index entry points at without comparing again; a column the index holds is even read from the
 * index, not the row. One byte changed in an index page of the file (a rowid) made `access check
 * --user eve` answer for ada, a deactivated group grant again under another group's row, and a
 * revoked key's token verify as another, active key, while the table rows still replayed cleanly
 * against the audit log (only db check's integrity_check reads the indexes).
 *
 * So a row found through a unique index is confirmed: the index's rowid is followed into the
 * table (CROSS JOIN fixes the order: the index lookup first, then the row by rowid), and the
 * column read there must hold the value looked up. A rowid table only: PostgreSQL's indexes are
 * not the file an operator's account can write, and WITHOUT ROWID tables keep their rows in the
 * primary key's own b-tree (no second copy to disagree).
 */
export type IndexedTable = 'users' | 'resources' | 'groups' | 'services' | 'service_keys' | 'exchange_tokens' | 'settings';

/**
 * The unique index SQLite uses for `table.column = ?` (the autoindexes of schema.sql's PRIMARY KEY
 * and UNIQUE constraints, in their order; the schema digest guarantees the names).
 */
function uniqueIndex(table: IndexedTable, column: string): string {
  // A login is unique through a named partial index (schema 4).
  if (table === 'users' && column === 'login') return 'users_login';
  return `sqlite_autoindex_${table}_${column === 'id' || column === 'key' ? 1 : 2}`;
}

/**
 * The confirming query for `table.column = ?`: the column as the row itself holds it, one row per
 * index entry. INDEXED BY makes it walk the very index the lookup may have used, whatever the
 * planner's statistics say (a planted sqlite_stat1 could otherwise steer it to a table scan, which
 * reads the truth and confirms nothing).
 */
export function heldQuery(db: Db, table: IndexedTable, column: string): CompiledQuery {
  const i = sql.table(table);
  const index = sql.raw(`"${uniqueIndex(table, column)}"`);
  return sql`select t.${sql.ref(column)} as held from ${i} as i indexed by ${index} cross join ${i} as t where i.${sql.ref(column)} = ${''} and t.rowid = i.rowid`.compile(
    db as unknown as Kysely<never>,
  );
}

export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** The tables a store read at an older schema sees through TEMP views, by its Kysely adapter (which a transaction shares). */
const readThroughViews = new WeakMap<object, ReadonlySet<string>>();

/**
 * A store read at an older schema (reads never migrate) sees the tables the schema changed through
 * TEMP views, which have no rowid to follow: rows of those tables are not confirmed until the
 * first write migrates the store. Every other table is confirmed as usual.
 */
export function markReadThroughViews(db: Db, tables: readonly string[]): void {
  if (tables.length > 0) readThroughViews.set(db.getExecutor().adapter, new Set(tables));
}

/** Whether rows of `tables` found through an index are confirmed by rowid: SQLite's own tables only. */
export function confirmsByRowid(db: Db, ...tables: IndexedTable[]): boolean {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return false;
  const views = readThroughViews.get(adapter);
  return views === undefined || !tables.some((t) => views.has(t));
}

/** Exit 6: an index led to a row that does not hold what was looked up. */
export function indexLie(table: IndexedTable, column: string): StoreError {
  return new StoreError(
    `the store's index on ${table}.${column} disagrees with its table (the file was changed behind accessctl)`,
    'run accessctl db check; restore the store from a backup with accessctl db restore FILE',
  );
}

/** Throws unless every row the index leads to holds `value` in `column`. */
export function assertHeld(rows: ReadonlyArray<{ held: unknown }>, table: IndexedTable, column: string, value: string): void {
  if (!rows.every((r) => r.held === value)) throw indexLie(table, column);
}

/** Confirms a row found by `column = value` (SQLite; nothing to do on PostgreSQL). */
export async function confirmIndexed(db: Db, table: IndexedTable, column: string, value: string): Promise<void> {
  if (!confirmsByRowid(db, table)) return;
  const q = heldQuery(db, table, column);
  const rows = (await db.executeQuery({ ...q, parameters: [value] })).rows as Array<{ held: unknown }>;
  assertHeld(rows, table, column, value);
}

/** `row`, once confirmed (undefined passes through). */
export async function confirmed<T>(db: Db, row: T | undefined, table: IndexedTable, column: string, value: string): Promise<T | undefined> {
  if (row !== undefined) await confirmIndexed(db, table, column, value);
  return row;
}
