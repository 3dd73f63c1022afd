import type BetterSqlite3 from 'better-sqlite3';
import { PostgresAdapter, sql, type RawBuilder } from 'kysely';
import { nameKey } from '../domain/validate.js';
import type { Db } from './mutate.js';

/**
 * `--search` folds case as names do (NFKC, then full case folding: `İzmir`, `ÖZTÜRK`, `ÄRZTE`),
 * on both sides. SQLite's lower() and LIKE only fold ASCII, so SQLite gets the fold as a function
 * of its own (registered on every connection) and compares inside SQL. PostgreSQL's lower()
 * under the store's "C" collation is ASCII-only too, and a server may lack ICU: there the rows of
 * the (already filtered, ordered) query are matched here, with the same fold.
 */
export const FOLD_FUNCTION = 'accessctl_fold';

export const fold = (text: string): string => nameKey(text);

export function registerFold(sqlite: BetterSqlite3.Database): void {
  sqlite.function(FOLD_FUNCTION, { deterministic: true }, (v: unknown) => (typeof v === 'string' ? fold(v) : v));
}

const isPostgres = (db: Db) => db.getExecutor().adapter instanceof PostgresAdapter;

/** Escapes LIKE wildcards so a search for "50%" finds "50%". */
function likeFolded(text: string): string {
  return `%${fold(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The SQL condition for SQLite, or null where rows are matched with `matchesSearch` instead. */
export function searchCondition(db: Db, columns: readonly string[], term: string): RawBuilder<boolean> | null {
  if (isPostgres(db)) return null;
  const like = likeFolded(term);
  const parts = columns.map((c) => sql`${sql.raw(FOLD_FUNCTION)}(coalesce(${sql.ref(c)}, '')) like ${like} escape '\\'`);
  return sql<boolean>`(${sql.join(parts, sql` or `)})`;
}

export function matchesSearch(values: ReadonlyArray<string | null | undefined>, term: string): boolean {
  const needle = fold(term);
  return values.some((v) => v != null && fold(v).includes(needle));
}

export async function* filterRows<T>(rows: AsyncIterable<T>, keep: (row: T) => boolean): AsyncIterable<T> {
  for await (const r of rows) if (keep(r)) yield r;
}
