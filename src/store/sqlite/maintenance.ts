import { chmodSync, statSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import type { StoreCheck } from '../store.js';
import { LATEST_VERSION } from './schema.js';

/** SQLite's own checks: page integrity, dangling references, the schema version. */
export function sqliteChecks(sqlite: BetterSqlite3.Database): StoreCheck[] {
  const integrity = (sqlite.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
  const fk = sqlite.pragma('foreign_key_check') as unknown[];
  const version = sqlite.pragma('user_version', { simple: true }) as number;
  return [
    { check: 'integrity', ok: integrity.length === 1 && integrity[0] === 'ok', detail: integrity.slice(0, 5).join('; ') },
    { check: 'foreignKeys', ok: fk.length === 0, detail: fk.length === 0 ? 'ok' : `${fk.length} dangling reference(s)` },
    { check: 'schema', ok: version === LATEST_VERSION, detail: `version ${version}` },
  ];
}

/** A consistent online copy through SQLite's backup API into `file` (already created 0600). */
export async function sqliteBackup(sqlite: BetterSqlite3.Database, file: string): Promise<{ bytes: number; pages: number }> {
  const progress = await sqlite.backup(file);
  chmodSync(file, 0o600);
  return { bytes: statSync(file).size, pages: progress.totalPages };
}

/**
 * After a command that wrote: its commits copied from the -wal into the main file, so a -wal lost
 * later (deleted after a holder was killed, left behind by a copy) loses nothing it reported.
 * Another process holding the store open would otherwise keep the last connection's checkpoint
 * from ever running. Never waits: with the busy timeout at 0, TRUNCATE degrades to what PASSIVE
 * can copy without blocking a reader; the rest is copied by whoever closes last.
 */
export function checkpointAfterWrite(sqlite: BetterSqlite3.Database): void {
  if (!sqlite.open || sqlite.readonly) return;
  const changes = sqlite.prepare('select total_changes() as n').get() as { n: number };
  if (changes.n === 0) return;
  sqlite.pragma('busy_timeout = 0');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
}
