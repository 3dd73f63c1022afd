import { ConflictError, StoreError, UsageError, UserError } from '../../domain/errors.js';
import { isTlsError } from './client-config.js';

/** Lock timeout of a mutation: SPEC section 11 asks for at least 5 s, as SQLite's busy timeout. */
export const PG_LOCK_TIMEOUT_MS = 5_000;

/**
 * PostgreSQL's and the network's failures, in the words of SPEC section 8. Reads only codes and
 * never the driver's message, which may quote the connection string. `where` is the redacted URL.
 */
export function translatePgError(err: unknown, where: string): unknown {
  if (err instanceof UserError) return err;
  const e = err as { code?: string; message?: string; syscall?: string };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  switch (code) {
    case '55P03': {
      const holder = typeof (err as { holder?: unknown }).holder === 'string' ? `; the lock is held by ${(err as { holder: string }).holder}` : '';
      return new StoreError(`store ${where} is locked by another writer`, `gave up after ${PG_LOCK_TIMEOUT_MS / 1000}s; try again${holder}`);
    }
    case '28P01':
    case '28000':
      return new StoreError(`PostgreSQL refused the login to ${where}`, 'check the user and password (or ~/.pgpass) and pg_hba.conf');
    case '3D000':
      return new StoreError(`database in ${where} does not exist`, 'create it first (createdb), then run accessctl db init');
    case '42P01':
      return new StoreError(`no accessctl store in ${where}`, 'run accessctl db init, or a command that creates something');
    case '42501':
      return new StoreError(`PostgreSQL denied a statement on ${where} (insufficient privilege)`, 'grant the role what README "Sharing a store with PostgreSQL" lists');
    // A NUL character in text from a file, stdin or a reference: PostgreSQL's text cannot hold
    // one, and no name, email or id accessctl stores has one, so nothing could match or be kept.
    case '22021':
      return new UsageError('text with a NUL character (\\0) is not accepted', 'remove the NUL from the value');
    case '23505':
      return new ConflictError('that name or key is already taken (another writer was first)', 'list what exists and choose another');
    case '25006':
      return new StoreError(`PostgreSQL at ${where} is read-only (a hot standby, or default_transaction_read_only)`, 'point writes at the primary; reads and checks work here');
    case '53300':
      return new StoreError(`PostgreSQL at ${where} has too many connections`, 'try again, or raise max_connections');
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ECONNRESET':
    case 'ENOENT':
    case 'EPIPE':
      if (code === 'EPIPE' && e.syscall === undefined) return err;
      return new StoreError(`cannot reach PostgreSQL at ${where} (${code})`, 'check the host, the port and that the server is running');
    default:
      break;
  }
  if (isTlsError(code) || /does not support SSL|SSL connection|certificate/i.test(message)) {
    return new StoreError(`TLS to PostgreSQL at ${where} failed (${code || tlsWords(message)})`, 'check sslmode and sslrootcert in the URL (README "Sharing a store with PostgreSQL")');
  }
  // Admin shutdown, crash recovery, a connection dropped mid-command: the transaction did not commit.
  if (/^(57P0[1-3]|08\d\d\d)$/.test(code) || /Connection terminated|connection timeout|server closed the connection|not queryable/i.test(message)) {
    return new StoreError(`lost the connection to PostgreSQL at ${where}`, 'nothing was committed; check the server and try again');
  }
  return err;
}

/** A few fixed words for a TLS failure without a code; the driver's own message is never printed. */
function tlsWords(message: string): string {
  if (/does not support SSL/i.test(message)) return 'the server does not offer TLS';
  if (/requires SSL|SSL connection is required/i.test(message)) return 'the server requires TLS';
  return 'handshake';
}
