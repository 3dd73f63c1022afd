import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError, UsageError } from '../../domain/errors.js';
import { deniedCause } from '../permission.js';
import { restoreHint } from '../restore-hint.js';

/** How long a command waits for another process's write lock before giving up. */
export const BUSY_TIMEOUT_MS = 5_000;

/** Whether the filesystem holding path has no block left for this account. */
function diskIsFull(path: string): boolean {
  try {
    return statfsSync(dirname(path)).bavail === 0;
  } catch {
    return false;
  }
}

/** SQLite's failures, in the words of SPEC section 8 (exit 6). Anything else passes through. */
export function translateSqliteError(err: unknown, path: string): unknown {
  if (err instanceof StoreError || err instanceof UsageError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (!code.startsWith('SQLITE_')) return err;
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') {
    return new StoreError(`store ${path} is locked by another process`, `gave up after ${BUSY_TIMEOUT_MS / 1000}s; try again`);
  }
  if (code === 'SQLITE_NOTADB') return new StoreError(`${path} is not an accessctl store (not a SQLite database)`, 'refusing to touch it; choose another --db path');
  if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_')) {
    return new StoreError(`store ${path} is corrupt`, restoreHint('sqlite'));
  }
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_')) {
    return new StoreError(`store ${path} is read-only`, 'check the permissions of the file and its directory');
  }
  if (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_CANTOPEN_') || code === 'SQLITE_PERM' || code.startsWith('SQLITE_IOERR')) {
    // Checked before the open too; this catches a mode changed in between.
    const denied = code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' ? deniedCause(path) : null;
    if (denied) return denied;
    // SQLite names the step that failed (growing the -shm, a write, an fsync), not its cause: a
    // disk with no block left is the cause an operator can act on.
    if (code.startsWith('SQLITE_IOERR') && diskIsFull(path)) return new StoreError(`disk full while writing ${path}`, 'free some space and try again');
    return new StoreError(`cannot open store ${path} (${code})`, 'check that the file and its directory are readable and writable');
  }
  if (code === 'SQLITE_FULL') return new StoreError(`disk full while writing ${path}`, 'free some space and try again');
  return err;
}
