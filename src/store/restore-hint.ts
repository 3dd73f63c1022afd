/**
 * What to do about a store that fails its checks, in the dialect's own terms: a SQLite file is
 * put back with `db restore` (which moves a stale -wal aside); a PostgreSQL database with its
 * own tools, since `db backup` copies SQLite files only.
 */
export function restoreHint(dialect: 'sqlite' | 'postgres'): string {
  return dialect === 'postgres'
    ? 'restore the database from a pg_dump backup with pg_restore'
    : 'restore it from a backup with accessctl db restore FILE (copies are made with accessctl db backup)';
}
