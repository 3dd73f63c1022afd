import { accessSync, constants, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { StoreError } from '../domain/errors.js';

/**
 * A store this account may not open is said to be exactly that. Gates and cron jobs often run as
 * an account of their own: "no store at …" for root's 0600 store behind a 0700 directory sends the
 * operator looking for a file that is there.
 */

/** The account this process runs as, as `id` shows it: "acgate (uid 998)", or "uid 998" when no passwd entry names it. */
export function runningAs(): string {
  const uid = process.getuid?.();
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // A uid with no passwd entry (a container's --user 1234): the number is all there is.
  }
  if (uid === undefined) return name ?? 'this account';
  return name ? `${name} (uid ${uid})` : `uid ${uid}`;
}

/** EACCES or EPERM: the kernel said no to this account, whatever the file holds. */
export function isDenied(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/**
 * exit 6 naming the store, what was refused and who asked. `what` is "store X" or "the -wal of
 * store X". The hint never suggests loosening a mode: a store stays 0600 in a 0700 directory.
 */
export function permissionDenied(what: string, verb: 'open' | 'write' = 'open'): StoreError {
  return new StoreError(
    `permission denied: cannot ${verb} ${what}, running as ${runningAs()}`,
    "run accessctl as the account that owns the store, or pass --db a store this account owns",
  );
}

/**
 * Refuses a store file (or its -wal or -shm) this account may not read, or, when `write`, may
 * not write. Other failures (a read-only filesystem says EROFS) are left to the open to report.
 */
export function refuseDenied(file: string, what: string, write: boolean): void {
  if (!allowed(file, constants.R_OK)) throw permissionDenied(what);
  if (write && !allowed(file, constants.W_OK)) throw permissionDenied(what, 'write');
}

function allowed(file: string, mode: number): boolean {
  try {
    accessSync(file, mode);
    return true;
  } catch (err) {
    return !isDenied(err);
  }
}

/**
 * Whether a store file is at `path` as this account would open it. A directory it may not search
 * cannot tell, and a file it may not read cannot be used: both are exit 6, never "no store".
 */
export function storeFileExists(path: string): boolean {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    if (isDenied(err)) throw permissionDenied(`store ${path}`);
    return false;
  }
  if (isFile) refuseDenied(path, `store ${path}`, false);
  return true;
}

/** After SQLite could not open `path`: the permission problem behind it, if that is what it was. */
export function deniedCause(path: string): StoreError | null {
  try {
    storeFileExists(path);
    return null;
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
}
