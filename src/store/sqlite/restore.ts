import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { StoreError } from '../../domain/errors.js';
import { checkStoreDir, checkStoreFiles, realTarget } from './safety.js';
import { APPLICATION_ID, LATEST_VERSION } from './schema.js';
import { storeInUse, type SqliteDriverOptions } from './wal-guard.js';
import { schemaSource } from './schema-source.js';
import { settleSchema } from './open-schema.js';

export interface Restored {
  /** Where the store that was replaced now is, if there was one (its -wal and -shm beside it). */
  previous: string | null;
  moved: string[];
}

/**
 * `db restore FILE`: puts a backup in place as the store at `path`, never in a way SQLite could
 * mix with what was there. The backup is copied (0600) beside the store and checked there
 * (an accessctl store this version can open, integrity ok) before anything is moved; then the
 * old store, its -wal and its -shm are renamed aside under one timestamped name (still a store
 * that opens, should the restore have been a mistake), and the copy renamed into place.
 * A store some process has open is refused: the copy would be replaced under its feet.
 */
export async function restoreSqliteStore(file: string, path: string, opts: { managedDir: boolean; stamp: string; driver: SqliteDriverOptions; verify?: (copy: string) => Promise<void> }): Promise<Restored> {
  const source = statSync(file, { throwIfNoEntry: false });
  if (source === undefined) throw new StoreError(`no backup at ${file}`, 'pass the file accessctl db backup wrote');
  if (!source.isFile()) throw new StoreError(`${file} is not a file`, 'pass the file accessctl db backup wrote');
  if ((statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0) {
    throw new StoreError(`${file} has a -wal beside it: it is a store in use, or part of one`, 'restore a copy made with accessctl db backup, which is one file');
  }
  const target = realTarget(path);
  const dir = dirname(target);
  if (!existsSync(dir)) {
    if (!opts.managedDir) throw new StoreError(`directory ${dir} does not exist`, 'create it first, or choose another --db path');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  checkStoreDir(dir);
  if (existsSync(target)) checkStoreFiles(target);
  if (storeInUse(`${target}-shm`)) {
    throw new StoreError(`store ${path} is open in another process`, 'stop the gates, batches and writers using it, then restore');
  }
  const copy = `${target}.restoring-${opts.stamp}`;
  try {
    closeSync(openSync(copy, 'wx', 0o600));
    copyFileSync(file, copy);
    chmodSync(copy, 0o600);
    checkBackup(copy, file, opts.driver);
    await opts.verify?.(copy);
    // What reading the copy left beside it (an empty -wal, a -shm) is not moved with it.
    for (const f of [`${copy}-wal`, `${copy}-shm`]) rmSync(f, { force: true });
  } catch (err) {
    for (const f of [copy, `${copy}-wal`, `${copy}-shm`]) rmSync(f, { force: true });
    const code = (err as { code?: string }).code ?? '';
    if (code === 'ENOSPC') throw new StoreError(`disk full while writing ${copy}`, 'free some space and try again; the store is unchanged');
    if (code === 'EEXIST') throw new StoreError(`${copy} already exists`, 'another restore is running, or remove the leftover file');
    throw err;
  }
  const moved: string[] = [];
  let previous: string | null = null;
  if (existsSync(target)) {
    previous = asideName(`${target}.before-restore-${opts.stamp}`);
    renameSync(target, previous);
    moved.push(previous);
  }
  // The old -wal and -shm go with the old file, so they can never be applied to the restored one.
  const base = previous ?? asideName(`${target}.before-restore-${opts.stamp}`);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(`${target}${suffix}`)) {
      renameSync(`${target}${suffix}`, `${base}${suffix}`);
      moved.push(`${base}${suffix}`);
    }
  }
  renameSync(copy, target);
  return { previous, moved };
}

/** The backup must be an accessctl store this version can open, and sound page by page. */
function checkBackup(copy: string, file: string, driver: SqliteDriverOptions): void {
  let db: BetterSqlite3.Database | null = null;
  try {
    db = new BetterSqlite3(copy, { fileMustExist: true, ...driver });
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (appId !== APPLICATION_ID) throw new StoreError(`${file} is not an accessctl store`, 'pass a file accessctl db backup wrote');
    if (version > LATEST_VERSION) throw new StoreError(`${file} was written by a newer accessctl (schema ${version}, this one knows ${LATEST_VERSION})`, 'upgrade accessctl first');
    // Exactly the schema its version defines (no planted trigger, no edited version), judged
    // read-only before anything is moved: a refused backup leaves the store where it was.
    settleSchema(db, file, 'read', schemaSource);
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    if (integrity.length !== 1 || integrity[0] !== 'ok') throw new StoreError(`backup ${file} fails SQLite's integrity check: ${integrity.slice(0, 3).join('; ')}`, 'restore another backup');
  } catch (err) {
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) throw new StoreError(`${file} is not an accessctl store (not a sound SQLite database)`, 'pass a file accessctl db backup wrote');
    throw err;
  } finally {
    db?.close();
  }
}

/** `name`, or `name-2`, `name-3`…: a restore never renames over an earlier one's leftovers. */
function asideName(name: string): string {
  let candidate = name;
  for (let i = 2; [candidate, `${candidate}-wal`, `${candidate}-shm`].some((f) => existsSync(f)); i++) candidate = `${name}-${i}`;
  return candidate;
}
