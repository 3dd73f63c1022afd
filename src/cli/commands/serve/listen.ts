import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { UsageError, UserError } from '../../../domain/errors.js';
import { checkSocketDir, checkSocketFile, octal } from './socket-safety.js';

/**
 * The UNIX socket `accessctl serve` answers on (SPEC section 17). Its owner, group and mode are the
 * whole authorization to ask, so it is made with care: created 0600 (umask), then given its group
 * and mode; at most 0660, never world-writable; in a directory no other account can write (one
 * that could would let anybody put a socket of their own in its place). A stale socket from a
 * dead server is replaced, a live one refused. Under systemd socket activation the socket comes
 * ready-made on fd 3 and its unit says who may use it.
 */
export interface Listener {
  server: Server;
  /** The socket's path; null when systemd made the socket and did not say where. */
  path: string | null;
  /** The socket this server made (removed when it stops); null under socket activation. */
  made: { path: string; ino: number; dev: number } | null;
}

export interface ListenOptions {
  socket?: string | undefined;
  socketGroup?: string | undefined;
  socketMode?: string | undefined;
}

/** Longest path a sockaddr_un holds on Linux (108 bytes with its terminating NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * `--socket-mode`: octal, at most 0660 (the owner and the socket's group; never any other account).
 * Connecting needs write permission, so a group that may read but not write (0640) could not ask.
 * Without it: 0660 when the socket is given a group, 0600 (the owner alone) otherwise.
 */
export function parseSocketMode(text: string | undefined, grouped = true): number {
  if (text === undefined) return grouped ? 0o660 : 0o600;
  if (!/^(0o?)?[0-7]{1,4}$/.test(text)) throw new UsageError(`--socket-mode must be an octal mode such as 0660, not ${JSON.stringify(text.slice(0, 20))}`);
  const mode = parseInt(text.replace(/^0o/, ''), 8);
  if ((mode & ~0o660) !== 0) {
    throw new UsageError(`--socket-mode ${text}: a gate's socket is at most 0660 (its owner and its group; never any other account)`, 'give the asking accounts a group, and pass --socket-group GROUP');
  }
  if ((mode & 0o600) !== 0o600) throw new UsageError(`--socket-mode ${text} leaves the socket's owner without read and write`, 'use 0600 or 0660');
  if ((mode & 0o060) === 0o040) throw new UsageError(`--socket-mode ${text} lets the group read the socket but not connect to it (connecting needs write)`, 'use 0660, or 0600 for the owner alone');
  return mode;
}

/** A group name or number, as getent (NSS: LDAP and sssd groups too) or /etc/group knows it. */
export function resolveGroup(group: string): number {
  if (/^[0-9]+$/.test(group)) {
    const gid = Number(group);
    // 4294967295 is chown's "leave the group as it is"; no system gives out groups past 2^31.
    if (gid > 0x7fffffff) throw new UsageError(`--socket-group ${group} is not a group id`, 'pass a group name, or a number below 2147483648');
    return gid;
  }
  const line = getentGroup(group) ?? etcGroup(group);
  const gid = line?.split(':')[2];
  if (gid === undefined || !/^[0-9]+$/.test(gid)) throw new UsageError(`no group ${JSON.stringify(group.slice(0, 64))} on this machine`, 'create it (groupadd), or pass a group id');
  return Number(gid);
}

function getentGroup(group: string): string | undefined {
  try {
    return execFileSync('getent', ['group', group], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
  } catch {
    return undefined;
  }
}

function etcGroup(group: string): string | undefined {
  try {
    return readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[0] === group);
  } catch {
    return undefined;
  }
}

/** Whether systemd passed this process a socket (LISTEN_PID is ours, LISTEN_FDS at least 1). */
export function activated(env: Record<string, string | undefined>): boolean {
  return env.LISTEN_PID === String(process.pid) && Number(env.LISTEN_FDS ?? '0') >= 1;
}

export async function listen(opts: ListenOptions, env: Record<string, string | undefined>): Promise<Listener> {
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: false });
  if (activated(env)) {
    if (Number(env.LISTEN_FDS) !== 1) throw new UsageError(`systemd passed ${env.LISTEN_FDS} sockets; accessctl serve listens on one`, 'give the .socket unit one ListenStream=');
    if (opts.socketGroup !== undefined || opts.socketMode !== undefined) {
      throw new UsageError('under socket activation the .socket unit makes the socket', 'set SocketGroup= and SocketMode= there, and drop --socket-group and --socket-mode');
    }
    // Not passed on to anything this process starts.
    delete process.env.LISTEN_PID;
    delete process.env.LISTEN_FDS;
    delete process.env.LISTEN_FDNAMES;
    await new Promise<void>((ok, fail) => server.once('error', fail).listen({ fd: 3 }, () => ok()));
    // The kernel knows the socket's name: it is judged as one serve made itself would be.
    const named = server.address();
    const path = typeof named === 'string' && named !== '' ? named : opts.socket === undefined ? null : resolve(opts.socket);
    if (path !== null) {
      checkSocketDir(path, 'serve');
      checkSocketFile(path, 'serve');
    }
    return { server, path, made: null };
  }
  if (opts.socket === undefined || opts.socket === '') throw new UsageError('serve needs --socket PATH', 'or start it from a systemd .socket unit');
  const path = resolve(opts.socket);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) throw new UsageError(`socket path ${path} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a UNIX socket's name may have`, 'choose a shorter path, such as /run/accessctl/gate.sock');
  const mode = parseSocketMode(opts.socketMode, opts.socketGroup !== undefined);
  const gid = opts.socketGroup === undefined ? undefined : resolveGroup(opts.socketGroup);
  checkSocketDir(path, 'serve');
  await clearStale(path);
  // Made under a name of its own, given its group and mode, then renamed into place: the socket
  // appears whole, and the name the listener was bound to (which is removed when it closes) is
  // never one another process may hold by then.
  const temp = join(dirname(path), `.accessctl-serve-${process.pid}`);
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((ok, fail) => server.once('error', fail).listen(temp, () => ok()));
  } catch (err) {
    throw new UserError('SOCKET', 1, `cannot listen on ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 'check the directory, and that no other process holds the name');
  } finally {
    process.umask(umask);
  }
  try {
    if (gid !== undefined) chownSync(temp, -1, gid);
    chmodSync(temp, mode);
    renameSync(temp, path);
  } catch (err) {
    server.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM') throw new UsageError(`cannot give socket ${path} group ${opts.socketGroup}: this account is not a member of it`, 'run serve as root, or as a member of that group');
    throw new UserError('SOCKET', 1, `cannot put socket ${path} in place: ${code}`, 'check the directory');
  }
  const st = lstatSync(path);
  return { server, path, made: { path, ino: st.ino, dev: st.dev } };
}

/** A socket at `path` from a server that is gone is removed; a live one, or anything else, is refused. */
async function clearStale(path: string): Promise<void> {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return;
  if (!st.isSocket()) throw new UserError('CONFLICT', 4, `${path} exists and is not a socket`, 'refusing to replace it; choose another --socket path');
  const answer = await new Promise<string | null>((done) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      done(null);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'error'));
  });
  if (answer === null) throw new UserError('CONFLICT', 4, `a gate is already listening on ${path}`, 'stop it first, or choose another --socket path');
  if (answer !== 'ECONNREFUSED') throw new UserError('CONFLICT', 4, `cannot tell whether a gate is listening on ${path} (${answer})`, 'remove the socket by hand if its server is gone');
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Removes the socket this server made, unless another has taken its name since. */
export function removeSocket(made: Listener['made']): void {
  if (made === null) return;
  try {
    const st = lstatSync(made.path, { throwIfNoEntry: false });
    if (st !== undefined && st.isSocket() && st.ino === made.ino && st.dev === made.dev) unlinkSync(made.path);
  } catch {
    // Gone already.
  }
}

/** Why the listener's socket is no longer the one it answers on, or no longer safe; null if it is. */
export function socketTampered(listener: Listener): string | null {
  if (listener.path === null) return null;
  const st = lstatSync(listener.path, { throwIfNoEntry: false });
  if (st === undefined) return `socket ${listener.path} was removed`;
  if (listener.made !== null && (!st.isSocket() || st.ino !== listener.made.ino || st.dev !== listener.made.dev)) return `socket ${listener.path} was replaced by something else`;
  if ((st.mode & 0o117) !== 0) return `socket ${listener.path} is open to every account (mode ${octal(st.mode & 0o777)})`;
  return null;
}
