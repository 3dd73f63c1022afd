import { chmodSync, existsSync, lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { StoreError } from '../domain/errors.js';

/**
 * StrictModes for the store, as ssh does for ~/.ssh: a file or directory that another local user
 * could write (or that belongs to another user) could be swapped for a store of their own, so it
 * is refused with the exact command that fixes it. Modes do not bind root, so root is trusted as
 * an owner, like the current user.
 */

/** Where a path really points: symlinks followed, even to a file that does not exist yet. */
export function realTarget(path: string): string {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      // Not there yet: the directory may still hold symlinks, the name is what will be created.
      const dir = dirname(p);
      return existsSync(dir) ? join(realpathSync(dir), basename(p)) : p;
    }
    if (!st.isSymbolicLink()) return realpathSync(p);
    p = resolve(dirname(p), readlinkSync(p));
  }
  throw new StoreError(`${path} is a loop of symbolic links`, 'point --db at a real file');
}

/** The store's directory: ours or root's, and writable by nobody else. */
export function checkStoreDir(dir: string): void {
  const st = statSync(dir);
  refuseForeignOwner(dir, st, 'store directory');
  if ((st.mode & 0o022) !== 0) {
    throw new StoreError(
      `store directory ${dir} is writable by ${who(st.mode)} (mode ${mode(st.mode)}): another user could swap the store`,
      `fix it with: chmod go-w ${quote(dir)}`,
    );
  }
}

/**
 * The store file and its -wal/-shm: ours or root's, never writable by others. A looser read mode
 * (0644) is tightened to 0600 rather than refused: nobody else could have changed the file.
 */
export function checkStoreFiles(file: string, fixMode = true): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    let st: Stats;
    try {
      st = lstatSync(f);
    } catch {
      continue;
    }
    if (f !== file && st.isSymbolicLink()) {
      throw new StoreError(`${f} is a symbolic link: another user could redirect the store's log`, `remove it: rm ${quote(f)}`);
    }
    refuseForeignOwner(f, st, 'store file');
    if ((st.mode & 0o022) !== 0) {
      throw new StoreError(`store file ${f} is writable by ${who(st.mode)} (mode ${mode(st.mode)})`, `fix it with: chmod 600 ${quote(f)}`);
    }
    // A read changes nothing, not even a mode (SPEC section 2): the next write tightens it.
    if (fixMode) tighten(f, st);
  }
}

/** Files accessctl creates or opens are 0600, whatever the umask or an earlier chmod left. */
export function tighten(f: string, st: Stats = statSync(f)): void {
  if ((st.mode & 0o077) === 0) return;
  try {
    chmodSync(f, 0o600);
  } catch {
    throw new StoreError(`store file ${f} is readable by ${who(st.mode, 0o044)} (mode ${mode(st.mode)})`, `fix it with: chmod 600 ${quote(f)}`);
  }
}

function refuseForeignOwner(path: string, st: Stats, what: string): void {
  const me = process.getuid?.();
  if (me === undefined || st.uid === me || st.uid === 0) return;
  throw new StoreError(
    `${what} ${path} belongs to another user (uid ${st.uid}): they could swap the store`,
    `if it is yours, fix it with: chown ${currentUser()} ${quote(path)}`,
  );
}

function who(m: number, bits = 0o022): string {
  const g = (m & bits & 0o070) !== 0;
  const o = (m & bits & 0o007) !== 0;
  return g && o ? 'group and others' : g ? 'its group' : 'others';
}

const mode = (m: number) => `0${(m & 0o777).toString(8)}`;

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '');
  }
}

/** A path as a shell word, so the printed fix can be pasted as it is. */
function quote(path: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
