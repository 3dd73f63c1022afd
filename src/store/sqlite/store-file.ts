import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from '../../domain/errors.js';
import type { StoreLocation } from '../location.js';
import { isDenied, runningAs } from '../permission.js';
import type { OpenOptions } from '../store.js';
import { nativeBinding } from './native-addon.js';
import { checkStoreDir, checkStoreFiles, realTarget, tighten } from './safety.js';
import { judgeWal } from './wal-guard.js';

/**
 * The store file judged before SQLite sees it: its directory and file ours and not writable by
 * others, a -wal that belongs to it; a missing one created 0600 (and its managed directory 0700)
 * only if the command may create a store. Returns the file to open (a symlink's target).
 */
export function prepareFile({ path, managedDir, create, access }: StoreLocation, opts: OpenOptions): string {
  const target = realTarget(path);
  const dir = dirname(target);
  if (!existsSync(dir)) {
    if (!managedDir) {
      throw new StoreError(`directory ${dir} does not exist`, 'create it first, or choose another --db path');
    }
    if (!create) throw missingStore(path);
    opts.beforeCreate?.();
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = isDenied(err) ? `permission denied, running as ${runningAs()}` : code;
      throw new StoreError(`cannot create store directory ${dir}: ${why}`, 'check its permissions or set ACCESSCTL_HOME');
    }
  }
  checkStoreDir(dir);
  if (existsSync(target)) {
    const st = statSync(target);
    if (st.isDirectory()) throw new StoreError(`${path} is a directory, not a store file`, 'pass a file path to --db');
    // SQLite takes an empty file for an empty database: a store truncated to nothing (a full
    // disk, a bad restore) would silently become a new, empty store and deny everything.
    if (st.size === 0 && !create && !(statSync(`${target}-wal`, { throwIfNoEntry: false })?.size ?? 0)) {
      throw new StoreError(`${path} is an empty file, not an accessctl store`, 'if a store is being created there, try again in a moment; otherwise restore it from a backup, or run "accessctl db init"');
    }
    checkStoreFiles(target, access === undefined || access === 'write' || access === 'migrate', path);
    judgeWal(target, path, nativeBinding());
    return target;
  }
  if (!create) throw missingStore(path);
  opts.beforeCreate?.();
  // Leftovers of an earlier store under this name must be ours before SQLite reuses them.
  checkStoreFiles(target);
  try {
    // Created 0600 before SQLite sees it: the store is never world-readable, whatever the umask.
    closeSync(openSync(target, 'wx', 0o600));
    chmodSync(target, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      checkStoreFiles(target); // another process created it first
      return target;
    }
    const why = isDenied(err) ? `permission denied, running as ${runningAs()}` : code;
    throw new StoreError(`cannot create store ${path}: ${why}`, 'check the directory permissions');
  }
  return target;
}

function missingStore(path: string): StoreError {
  return new StoreError(
    `no store at ${path}`,
    'check --db, -s and ACCESSCTL_HOME; only commands that create something, or "accessctl db init", create a store',
  );
}
