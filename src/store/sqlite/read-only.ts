import { accessSync, constants, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { storeInUse } from './wal-guard.js';
import { readHeld, readHeldWhole } from './held-fd.js';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { StoreError } from '../../domain/errors.js';

/**
 * SPEC section 2, "Reads leave no trace": a command that only reads opens the store read-only, so
 * SQLite can change neither its bytes nor its journal mode, and nothing here chmods it.
 *
 * A store in rollback-journal mode (a `VACUUM INTO` copy, say) is read through a read-only
 * connection that creates no file at all. A WAL store needs its shared-memory index (-shm): if
 * one exists, or the directory lets SQLite create it, the read goes through it, which is what
 * keeps a read consistent while another process writes (SQLite leaves an empty -wal and the -shm
 * behind; the store file itself is untouched).
 *
 * Where no -shm exists and none can be created (a read-only filesystem or directory, a full
 * disk), no writer can be working in WAL mode on that store either, since a writer needs the same
 * two files, so the file's pages alone are the whole store: it is read into memory and opened
 * from there. The trade-off: memory the size of the store, and a writer that could create files
 * there after this check (the directory's owner, when it is not us) would not be seen by this
 * read. A non-empty -wal without a -shm (a writer killed, then the disk filled or the filesystem
 * was remounted read-only) holds commits only SQLite's log recovery can apply, which needs to
 * write: that read is refused with the reason rather than answered from the older pages.
 */
export function openReadOnly(target: string, path: string, options: BetterSqlite3.Options): BetterSqlite3.Database {
  const wal = isWalFile(target);
  const shm = statSync(`${target}-shm`, { throwIfNoEntry: false });
  const walBefore = existsSync(`${target}-wal`);
  if (!wal || shm !== undefined || canCreateIn(dirname(target))) {
    const sqlite = new BetterSqlite3(target, { ...options, readonly: true, fileMustExist: true });
    if (!wal) return sqlite;
    try {
      // The first read maps (or creates) the -shm: fail here, not in the middle of a command.
      sqlite.prepare('select count(*) from sqlite_master').get();
      return sqlite;
    } catch (err) {
      sqlite.close();
      if (!cannotMapShm(err) || !shmUnusable(target, shm !== undefined, walBefore)) throw err;
    }
  }
  if ((statSync(`${target}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0) {
    throw new StoreError(
      `cannot read store ${path}: its write-ahead log (${target}-wal) holds commits, and without a -shm, which cannot be created in ${dirname(target)}, SQLite cannot apply them read-only`,
      'run any accessctl command once where the directory is writable (or copy the store with its -wal there)',
    );
  }
  return snapshotInMemory(target, options);
}

/**
 * Whether the -shm SQLite could not map is one nobody can use: on a full disk SQLite creates the
 * file but cannot size it. One this read created is removed again (with an empty -wal it created),
 * so the read leaves no trace; one left short by an earlier such read, held by no process, is no
 * index of anything. Either way the file's pages are the whole store.
 */
function shmUnusable(target: string, existedBefore: boolean, walExistedBefore: boolean): boolean {
  const shm = `${target}-shm`;
  const st = statSync(shm, { throwIfNoEntry: false });
  if (st === undefined) return true;
  if (storeInUse(shm)) return false;
  if (!existedBefore) {
    rmSync(shm, { force: true });
    if (!walExistedBefore && (statSync(`${target}-wal`, { throwIfNoEntry: false })?.size ?? 1) === 0) rmSync(`${target}-wal`, { force: true });
    return true;
  }
  // A working -shm holds at least its 136-byte header; a shorter one was never sized.
  return st.size < 136;
}

/** File format bytes 18 and 19 are 2 in WAL mode (SQLite file format, "The database header"). */
function isWalFile(target: string): boolean {
  // Through a held descriptor: this process may have the store open already (docs in held-fd.ts).
  const head = readHeld(target, 20, 0);
  return head !== null && head.length === 20 && head[18] === 2 && head[19] === 2;
}

function canCreateIn(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Errors that mean "the -shm could not be created or mapped" (full disk, read-only place). */
function cannotMapShm(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^SQLITE_(CANTOPEN|READONLY|IOERR_SHM|IOERR_SHMSIZE|IOERR_SHMOPEN|IOERR_SHMMAP|FULL|IOERR_WRITE|IOERR)/.test(code);
}

/** The store's pages as they are, opened from memory in rollback mode (the header's WAL bytes set to 1 in the copy only). */
function snapshotInMemory(target: string, options: BetterSqlite3.Options): BetterSqlite3.Database {
  const bytes = readHeldWhole(target) ?? readFileSync(target);
  bytes[18] = 1;
  bytes[19] = 1;
  return new BetterSqlite3(bytes, { ...options, readonly: true });
}
