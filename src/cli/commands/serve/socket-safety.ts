import { lstatSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError, UsageError } from '../../../domain/errors.js';

/**
 * Who could answer in the gate's place (SPEC section 17). The socket's owner, group and mode are
 * the whole authorization to ask, and its place is the whole assurance of who answers: anyone who
 * can put a socket of their own at that path can answer "allowed" to everyone. So the socket's
 * directory, and every directory above it, must belong to root or to the gate's owner and be
 * writable by no one else (above the socket's own directory, a sticky root-owned directory such
 * as /tmp is fine: nobody can rename what they do not own in it). `serve` requires that of its
 * own account; `access check --socket` of the socket's owner, which must be root or the owner of
 * the directory. The socket itself is at most 0660.
 */
export function checkSocketDir(path: string, side: 'serve' | 'ask'): void {
  const dir = dirname(path);
  if (statSync(dir, { throwIfNoEntry: false }) === undefined) {
    throw new UsageError(`directory ${dir} does not exist`, side === 'serve' ? 'create it first; systemd makes /run/accessctl with RuntimeDirectory=accessctl' : 'is the gate running? check --socket');
  }
  const me = process.getuid?.() ?? 0;
  const trusted = side === 'serve' ? me : (lstatSync(path, { throwIfNoEntry: false })?.uid ?? me);
  for (let at = dir; ; at = dirname(at)) {
    const d = statSync(at);
    const sticky = at !== dir && (d.mode & 0o1000) !== 0 && d.uid === 0;
    if ((d.mode & 0o022) !== 0 && !sticky) {
      throw new StoreError(
        `socket directory ${at} is writable by ${d.mode & 0o002 ? 'every account' : 'its group'} (mode ${octal(d.mode & 0o7777)}): another account could put its own socket in the gate's place`,
        'use a directory only its owner can write, such as /run/accessctl (0755, root)',
      );
    }
    if (d.uid !== 0 && d.uid !== trusted) {
      throw new StoreError(
        `socket directory ${at} belongs to uid ${d.uid}, neither root nor the gate's owner: that account could put its own socket in the gate's place`,
        'use a directory of root or of the account that runs serve, such as /run/accessctl',
      );
    }
    if (dirname(at) === at) return;
  }
}

/** The socket file: a socket (not a link), at most 0660; asked, owned by root or by its directory's owner. */
export function checkSocketFile(path: string, side: 'serve' | 'ask'): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return;
  if (st.isSymbolicLink()) throw new StoreError(`${path} is a symbolic link`, "pass the socket's own path");
  if (!st.isSocket()) throw new StoreError(`${path} is not a socket`, 'pass the path accessctl serve --socket listens on');
  if ((st.mode & 0o117) !== 0) {
    throw new StoreError(`socket ${path} is open to every account (mode ${octal(st.mode & 0o777)})`, side === 'serve' ? 'make it 0660 or tighter (SocketMode=0660)' : 'a gate made by accessctl serve is at most 0660; do not trust this one');
  }
  if (side === 'ask') {
    const dirOwner = statSync(dirname(path)).uid;
    if (st.uid !== 0 && st.uid !== dirOwner) throw new StoreError(`socket ${path} belongs to uid ${st.uid}, neither root nor the owner of its directory`, 'do not trust its answers; check who runs the gate');
  }
}

export const octal = (mode: number): string => `0${mode.toString(8)}`;
