import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { heldFd, readHeld, readHeldWhole } from './held-fd.js';
import { endianness } from 'node:os';
import BetterSqlite3 from 'better-sqlite3';
import { StoreError } from '../../domain/errors.js';

/**
 * A -wal that does not belong to the store is refused before SQLite applies it (SPEC section 2,
 * "One file, one store"). SQLite's WAL names no database: whatever valid frames lie beside a file
 * are read into it and, at the next checkpoint, written over its pages. A -wal left from another
 * store (a backup copied over a store whose old -wal stayed behind) corrupts the store that way,
 * or silently swaps rows: two accessctl stores have the same page layout.
 *
 * The rule (docs/reliability.md, "A -wal from another store"):
 * 1. A -wal without a valid header or without a committed frame is ignored by SQLite: harmless.
 * 2. Its page size must be the main file's.
 * 3. A store another process has open is not judged further: its -wal is that process's.
 * 4. If the -shm describes this -wal (same salts) and records frames already copied into the main
 *    file (nBackfill), each page whose last frame was among those must hold that frame's image.
 *    A page with a frame after nBackfill is not judged: a checkpoint copies only a page's newest
 *    frame, and skips the page altogether when that frame lies past what a reader still needs,
 *    so such a page may hold any older image.
 * 5. The audit log read from the main
 *    file alone must be a prefix of the log read through the -wal: its last event, same seq, same
 *    hash. The log is append-only and every store's chain is its own. The store read through the
 *    -wal must also pass SQLite's quick_check. Both reads are read-only, which never checkpoints.
 */
export function judgeWal(target: string, path: string, driver: SqliteDriverOptions = {}): void {
  try {
    judgeWalNow(target, path, driver);
  } catch (err) {
    // The -wal (or -shm) went away while it was read: the last process to close deleted it.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
}

function judgeWalNow(target: string, path: string, driver: SqliteDriverOptions): void {
  const wal = `${target}-wal`;
  const shmPath = `${target}-shm`;
  const header = readWalHeader(wal);
  if (header === null) return;
  const mainPageSize = readMainPageSize(target);
  if (mainPageSize === null) return; // a store being created: nothing to judge against
  if (mainPageSize !== header.pageSize) throw foreign(wal, path, `its page size is ${header.pageSize}, the store's ${mainPageSize}`);
  // A live process's -wal is the store's, and it changes under us (a checkpoint copies pages
  // before it records how far it got): judging it could only produce false alarms.
  if (storeInUse(shmPath)) return;
  const shm = readShm(shmPath);
  if (shm !== null && shm.salts.equals(header.salts) && shm.nBackfill > 0) {
    const frames = readWal(wal, header, shm.nBackfill + 2048);
    if (frames.whole && !backfilledPagesMatch(target, frames, Math.min(shm.nBackfill, frames.committed))) {
      // Trusted only if nobody opened the store and checkpointed meanwhile.
      const again = readShm(shmPath);
      const same = again !== null && again.salts.equals(shm.salts) && again.nBackfill === shm.nBackfill && readWalHeader(wal)?.salts.equals(header.salts) === true;
      if (same && !storeInUse(shmPath)) throw foreign(wal, path, 'pages it says were copied into the store are not there');
      return;
    }
  }
  if (readWal(wal, header, Infinity).committed === 0) return;
  // A process that opened the store meanwhile may have moved pages under the reads: no verdict then.
  // (The -shm is not compared: the read-only probe itself rebuilds it.)
  const walSize = statSync(wal).size;
  const unchanged = () => !storeInUse(shmPath) && readWalHeader(wal)?.salts.equals(header.salts) === true && statSync(wal, { throwIfNoEntry: false })?.size === walSize;
  compareWithMainAlone(target, wal, path, driver, unchanged);
}


/**
 * Whether another process holds a lock on the -shm (every SQLite connection to the store does), from
 * Linux's /proc/locks. Elsewhere, or if it cannot be read, the store is taken to be in use.
 */
export function storeInUse(shm: string): boolean {
  const st = statSync(shm, { throwIfNoEntry: false });
  if (st === undefined) return false;
  let locks: string;
  try {
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return true;
  }
  const dev = BigInt(st.dev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  // Locks this process holds (an earlier command of the same process, in tests) are not another's.
  for (const m of locks.matchAll(/\s(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/g)) {
    if (Number(m[1]) === process.pid) continue;
    if (Number(m[4]) === st.ino && parseInt(m[2]!, 16) === major && parseInt(m[3]!, 16) === minor) return true;
  }
  return false;
}

/** Above this the main file is not read whole into memory; quick_check alone judges the -wal. */
const MAIN_ALONE_MAX_BYTES = 256 * 1024 * 1024;

function compareWithMainAlone(target: string, wal: string, path: string, driver: SqliteDriverOptions, unchanged: () => boolean): void {
  let head: { seq: number; hash: string } | undefined;
  if (statSync(target).size <= MAIN_ALONE_MAX_BYTES) {
    // The main file without its -wal: an in-memory copy marked as a rollback-journal database.
    const image = readHeldWhole(target)!;
    image[18] = 1;
    image[19] = 1;
    let alone: BetterSqlite3.Database | null = null;
    try {
      alone = new BetterSqlite3(image, { readonly: true, ...driver });
      head = alone.prepare('select seq, hash from audit_events order by seq desc limit 1').get() as typeof head;
    } catch {
      head = undefined; // torn by a checkpoint cut short, or an older schema: quick_check decides
    } finally {
      alone?.close();
    }
  }
  let db: BetterSqlite3.Database | null = null;
  try {
    db = new BetterSqlite3(target, { readonly: true, fileMustExist: true, ...driver });
    const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
    if (rows.length !== 1 || rows[0]!.quick_check !== 'ok') throw foreign(wal, path, `with it the store fails SQLite's quick_check (${rows[0]?.quick_check ?? ''})`);
    if (head !== undefined) {
      const through = db.prepare('select hash from audit_events where seq = ?').get(head.seq) as { hash: string } | undefined;
      if (through?.hash !== head.hash) throw foreign(wal, path, `the store's audit event ${head.seq} is not the one it holds`);
    }
  } catch (err) {
    if (!unchanged()) return;
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') throw foreign(wal, path, 'with it the store reads as corrupt');
    // Anything else (permissions, a lock) is the normal open's to report.
  } finally {
    db?.close();
  }
}

/** Where the driver's compiled addon is (the bundle knows; native-addon.ts passes it on). */
export type SqliteDriverOptions = { nativeBinding?: string };

interface WalHeader {
  pageSize: number;
  salts: Buffer;
  bigEndian: boolean;
  sum: [number, number];
}

interface WalFrames {
  pageSize: number;
  /** Frames up to and including the last commit frame, in order: page number and file offset of the image. */
  frames: Array<{ page: number; offset: number }>;
  committed: number;
  /** The store's size in pages after each commit frame, by frame index. */
  sizes: Map<number, number>;
  /** Every valid frame was read (the limit was not reached). */
  whole: boolean;
  path: string;
}

/** The -wal's header if it is one SQLite would read; null otherwise (SQLite ignores it). */
function readWalHeader(wal: string): WalHeader | null {
  let fd: number;
  try {
    fd = openSync(wal, 'r');
  } catch {
    return null;
  }
  try {
    const hdr = Buffer.alloc(32);
    if (readSync(fd, hdr, 0, 32, 0) < 32) return null;
    const magic = hdr.readUInt32BE(0);
    if ((magic & 0xfffffffe) !== 0x377f0682 || hdr.readUInt32BE(4) !== 3007000) return null;
    const pageSize = hdr.readUInt32BE(8);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return null;
    const bigEndian = (magic & 1) === 1;
    const sum = checksum(hdr.subarray(0, 24), bigEndian, [0, 0]);
    if (sum[0] !== hdr.readUInt32BE(24) || sum[1] !== hdr.readUInt32BE(28)) return null;
    return { pageSize, salts: Buffer.from(hdr.subarray(16, 24)), bigEndian, sum };
  } finally {
    closeSync(fd);
  }
}

function readMainPageSize(target: string): number | null {
  const head = readHeld(target, 100, 0);
  if (head === null || head.length < 100) return null;
  const raw = head.readUInt16BE(16);
  return raw === 1 ? 65536 : raw;
}

/** The -wal's valid committed frames (up to `limit`), checked as SQLite's recovery does: salts and running checksums. */
function readWal(wal: string, h: WalHeader, limit: number): WalFrames {
  const fd = openSync(wal, 'r');
  try {
    const size = fstatSync(fd).size;
    const frames: WalFrames['frames'] = [];
    const sizes = new Map<number, number>();
    let committed = 0;
    let whole = true;
    let sum = h.sum;
    const frame = Buffer.alloc(24 + h.pageSize);
    for (let off = 32; off + 24 + h.pageSize <= size; off += 24 + h.pageSize) {
      if (frames.length >= limit) {
        whole = false;
        break;
      }
      readSync(fd, frame, 0, frame.length, off);
      if (!frame.subarray(8, 16).equals(h.salts)) break;
      sum = checksum(frame.subarray(24), h.bigEndian, checksum(frame.subarray(0, 8), h.bigEndian, sum));
      if (sum[0] !== frame.readUInt32BE(16) || sum[1] !== frame.readUInt32BE(20)) break;
      frames.push({ page: frame.readUInt32BE(0), offset: off + 24 });
      if (frame.readUInt32BE(4) !== 0) {
        committed = frames.length;
        sizes.set(committed - 1, frame.readUInt32BE(4));
      }
    }
    frames.length = committed;
    return { pageSize: h.pageSize, frames, committed, sizes, whole, path: wal };
  } finally {
    closeSync(fd);
  }
}

/** SQLite's WAL checksum: two running 32-bit sums over pairs of words. */
function checksum(data: Buffer, bigEndian: boolean, [a, b]: [number, number] | number[]): [number, number] {
  let s1 = a >>> 0;
  let s2 = b >>> 0;
  for (let i = 0; i < data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s1 = (s1 + x0 + s2) >>> 0;
    s2 = (s2 + x1 + s1) >>> 0;
  }
  return [s1, s2];
}

/** The -shm's index header (native byte order) and how many frames were copied into the main file. */
function readShm(shm: string): { salts: Buffer; nBackfill: number } | null {
  const b = readHeld(shm, 136, 0);
  if (b === null || b.length < 136 || b[12] !== 1) return null;
  const le = endianness() === 'LE';
  return { salts: Buffer.from(b.subarray(32, 40)), nBackfill: le ? b.readUInt32LE(96) : b.readUInt32BE(96) };
}

/**
 * The pages the checkpoint copied (the last 64 of them, to bound the reads). SQLite's checkpoint
 * copies each page's newest frame, and skips the page when that frame is past the frames it may
 * copy (a reader still needs the older image) or past the end of the store: so only a page whose
 * newest frame is among those copied, and that the store still held at every commit since, is
 * sure to hold that frame's image.
 */
function backfilledPagesMatch(target: string, w: WalFrames, nBackfill: number): boolean {
  const main = heldFd(target);
  return main === null || pagesMatch(main, w, nBackfill);
}

function pagesMatch(main: number, w: WalFrames, nBackfill: number): boolean {
  const newest = new Map<number, number>();
  w.frames.forEach((f, i) => newest.set(f.page, i));
  // The smallest size the store had at any commit from frame i on.
  const smallestFrom: number[] = new Array<number>(w.frames.length);
  let smallest = Infinity;
  for (let i = w.frames.length - 1; i >= 0; i--) {
    smallest = Math.min(smallest, w.sizes.get(i) ?? Infinity);
    smallestFrom[i] = smallest;
  }
  const pages = [...newest.entries()]
    .filter(([page, i]) => i < nBackfill && page <= smallestFrom[i]!)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 64);
  const mainSize = fstatSync(main).size;
  const walFd = openSync(w.path, 'r');
  try {
    const inMain = Buffer.alloc(w.pageSize);
    const image = Buffer.alloc(w.pageSize);
    for (const [page, i] of pages) {
      const at = (page - 1) * w.pageSize;
      if (at + w.pageSize > mainSize) continue; // truncated since by a full checkpoint
      readSync(main, inMain, 0, w.pageSize, at);
      readSync(walFd, image, 0, w.pageSize, w.frames[i]!.offset);
      if (!image.equals(inMain)) return false;
    }
    return true;
  } finally {
    closeSync(walFd);
  }
}

function foreign(wal: string, path: string, why: string): StoreError {
  return new StoreError(
    `${wal} does not belong to store ${path} (${why}): SQLite would write another database's pages into it`,
    `nothing was changed; move it aside (mv ${wal} ${wal}.foreign), or put a backup in place with accessctl db restore FILE`,
  );
}
