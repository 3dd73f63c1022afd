import { fstatSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Read-only descriptors of a store's files that are never closed. POSIX record locks belong to
 * the process, not the descriptor, and closing ANY descriptor of a file drops every lock the
 * process holds on it (SQLite's documentation, "How To Corrupt An SQLite Database File", 2.2).
 * A SQLite connection open in this process holds such locks on the store and its -shm; a plain
 * open-read-close of either (the -wal guard, the WAL-mode probe) would silently drop them, and
 * another process could then rebuild the -shm under this one's connections, which from then on
 * read an old snapshot (a resident gate answering from before a revocation). So those reads go
 * through one descriptor per file (device and inode), opened once and kept for the process's life.
 */
const held = new Map<string, number>();

/** A descriptor of the file at `path` as it is now; null if there is none. */
export function heldFd(path: string): number | null {
  for (let attempt = 0; attempt < 3; attempt++) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st === undefined) return null;
    const known = held.get(`${st.dev}:${st.ino}`);
    if (known !== undefined) return known;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const opened = fstatSync(fd);
    held.set(`${opened.dev}:${opened.ino}`, fd);
    // Replaced between the stat and the open: that file is held too; look again.
    if (opened.ino === st.ino && opened.dev === st.dev) return fd;
  }
  return null;
}

/** Up to `length` bytes of the file at `position`, through its held descriptor (null: no file). */
export function readHeld(path: string, length: number, position: number): Buffer | null {
  const fd = heldFd(path);
  if (fd === null) return null;
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return n === length ? buf : buf.subarray(0, n);
}

/** The whole file through its held descriptor (null: no file). */
export function readHeldWhole(path: string): Buffer | null {
  const fd = heldFd(path);
  if (fd === null) return null;
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(size);
  let at = 0;
  while (at < size) {
    const n = readSync(fd, buf, at, size - at, at);
    if (n === 0) break;
    at += n;
  }
  return at === size ? buf : buf.subarray(0, at);
}
