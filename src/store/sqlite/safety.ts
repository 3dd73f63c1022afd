import { chmodSync, existsSync, lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { homedir, userInfo } from 'node:os';
import { StoreError } from '../../domain/errors.js';
import { isDenied, permissionDenied, refuseDenied } from '../permission.js';

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
    } catch (err) {
      // A directory this account may not search: whether the store is there cannot be known.
      if (isDenied(err)) throw permissionDenied(`store ${path}`);
      // Not there yet: the directory may still hold symlinks, the name is what will be created.
      const dir = dirname(p);
      return existsSync(dir) ? join(realpathSync(dir), basename(p)) : p;
    }
    if (!st.isSymbolicLink()) return realpathSync(p);
    p = resolve(dirname(p), readlinkSync(p));
  }
  throw new StoreError(`${path} is a loop of symbolic links`, 'point --db at a real file');
}

/**
 * The store's directory: ours or root's, and writable by nobody else. Every directory above it up
 * to / is judged as sshd's safe_path does, except that a sticky one (/tmp) may be writable by
 * all: there nobody can rename or remove what another user put in it. Without this, another user
 * who can write an ancestor can swap the store's directory for an older copy of it.
 */
export function checkStoreDir(dir: string): void {
  const st = statSync(dir);
  refuseForeignOwner(dir, st, 'store directory');
  if ((st.mode & 0o022) !== 0) {
    throw new StoreError(`store directory ${dir} is writable by ${who(st.mode)} (mode ${mode(st.mode)}): another user could swap the store`, fixHint(dir, st));
  }
  for (let p = dirname(dir); ; p = dirname(p)) {
    const a = statSync(p);
    refuseForeignOwner(p, a, 'directory above the store', false);
    if ((a.mode & 0o022) !== 0 && (a.mode & 0o1000) === 0) {
      throw new StoreError(`directory ${p} above the store is writable by ${who(a.mode)} (mode ${mode(a.mode)}) and not sticky: another user could swap the store's directory`, fixHint(p, a));
    }
    if (p === dirname(p)) break;
  }
}

/** Directories shared by the whole system: a fix never loosens or tightens them. */
const SYSTEM_DIRS = new Set(['/tmp', '/var/tmp', '/dev/shm', '/var', '/usr', '/home', '/srv', '/opt', '/run', '/mnt', '/media', '/private/tmp']);

/**
 * chmod-ing a directory everyone shares (/tmp, /, a sticky or another owner's directory) would
 * break other programs or is not ours to do: the fix is then a private directory for the store.
 */
function fixHint(dir: string, st: Stats): string {
  const me = process.getuid?.();
  const shared = dir === dirname(dir) || dirname(dir) === '/' || SYSTEM_DIRS.has(dir) || (st.mode & 0o1000) !== 0 || (me !== undefined && st.uid !== me);
  if (shared) return 'keep the store in a private directory instead, e.g. mkdir -m 700 ~/.accessctl and pass --db ~/.accessctl/store.db (or set ACCESSCTL_HOME)';
  return `fix it with: chmod go-w ${quote(dir)}`;
}

/**
 * The store file and its -wal/-shm: ours or root's, never writable by others. A looser read mode
 * (0644) is tightened to 0600 rather than refused: nobody else could have changed the file.
 * `fixMode` is set by a command that writes; `shown` is the store's path as the user gave it.
 */
export function checkStoreFiles(file: string, fixMode = true, shown = file): void {
  for (const suffix of ['', '-wal', '-shm']) {
    const f = `${file}${suffix}`;
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
    if (st.nlink > 1) {
      // SQLite keys its locks and its -wal on the name: two names are two lock files, two logs,
      // and writes through both corrupt the store.
      throw new StoreError(
        `store file ${f} has ${st.nlink} hard links: two names mean two lock files, and writes through both corrupt the store`,
        `keep one name: find the other with find / -xdev -samefile ${quote(f)} and remove it (copies are made with accessctl db backup)`,
      );
    }
    if ((st.mode & 0o022) !== 0) {
      throw new StoreError(`store file ${f} is writable by ${who(st.mode)} (mode ${mode(st.mode)})`, `fix it with: chmod 600 ${quote(f)}`);
    }
    // Root's store, read or written by another account: say so before SQLite says "cannot open".
    // One's own read-only file is left to SQLite, which calls it read-only.
    refuseDenied(f, suffix === '' ? `store ${shown}` : `the ${suffix} of store ${shown}`, fixMode && st.uid !== process.getuid?.());
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

function refuseForeignOwner(path: string, st: Stats, what: string, chownable = true): void {
  const me = process.getuid?.();
  if (me === undefined || st.uid === me || st.uid === 0) return;
  throw new StoreError(
    `${what} ${path} belongs to another user (uid ${st.uid}): they could swap the store`,
    chownable ? `if it is yours, fix it with: chown ${currentUser()} ${quote(path)}` : 'keep the store in a directory that only you and root can change, e.g. under your home directory',
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
