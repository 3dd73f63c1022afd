import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { StoreError, UsageError } from '../domain/errors.js';
import { checkPostgresUrl, isPostgresUrl, redactUrl } from './postgres/url.js';
import type { StoreAccess } from './store.js';

/** Where a command's store is: --db, ACCESSCTL_DB, a session, or the default store (SPEC section 2). */
export interface StoreLocationOptions {
  db?: string | undefined;
  session?: string | undefined;
}

export interface StoreLocation {
  /** The file, or for PostgreSQL the URL with its password redacted: what may be printed. */
  path: string;
  /** The store lives in accessctl's own data directory, which we may create (0700). */
  managedDir: boolean;
  /**
   * The command creates an object or a setting, so it may create a missing store. Anything else
   * (reads, sweep) finds a missing store an error: a typo in a cron line must fail loudly.
   */
  create?: boolean;
  /** A postgres:// store: the URL to connect with (password included; never printed). */
  url?: string;
  /** How the command uses it (store.ts); a command that only reads opens it read-only. Default write. */
  access?: StoreAccess;
}

const SESSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function resolveStoreLocation(opts: StoreLocationOptions, env: Record<string, string | undefined>): StoreLocation {
  if (opts.db !== undefined && opts.session !== undefined) {
    throw new UsageError('--db and --session name two different stores', 'pass one of them');
  }
  const explicit = opts.db ?? (opts.session === undefined ? env.ACCESSCTL_DB : undefined);
  if (opts.session !== undefined && env.ACCESSCTL_DB !== undefined && isPostgresUrl(env.ACCESSCTL_DB)) {
    throw new UsageError('--session names SQLite files only, but ACCESSCTL_DB is a PostgreSQL store', 'unset ACCESSCTL_DB or drop --session');
  }
  if (explicit !== undefined && isPostgresUrl(explicit)) {
    checkPostgresUrl(explicit);
    return { path: redactUrl(explicit), managedDir: false, url: explicit };
  }
  // An empty --db or ACCESSCTL_DB is an unset shell variable, never "the default store": a cron
  // line's `--db "$STORE"` must not fall through to another store.
  if (explicit === '') {
    throw new UsageError(opts.db === '' ? '--db is empty' : 'ACCESSCTL_DB is set but empty', 'name a store file or a postgres:// URL, or leave it out for the default store');
  }
  if (explicit !== undefined) return { path: explicit, managedDir: false };
  const session = opts.session ?? 'default';
  if (!SESSION_RE.test(session)) {
    throw new UsageError(`invalid session name ${JSON.stringify(session.slice(0, 40))}`, 'use letters, digits, ".", "_" and "-"');
  }
  return { path: join(dataHome(env), `${session}.db`), managedDir: true };
}

/**
 * The directory of the default store and of sessions. A relative ACCESSCTL_HOME would put the
 * store under whatever directory the command runs in (two directories, two stores): refused, as
 * a relative HOME is. A relative XDG_DATA_HOME is invalid by the XDG Base Directory rules and
 * ignored, as they say.
 */
function dataHome(env: Record<string, string | undefined>): string {
  const own = env.ACCESSCTL_HOME;
  if (own) {
    if (!isAbsolute(own)) throw new StoreError(`ACCESSCTL_HOME is not an absolute path (${JSON.stringify(own.slice(0, 80))}): there is no default store location`, 'set it to an absolute path, or pass --db FILE');
    return own;
  }
  const xdg = env.XDG_DATA_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'accessctl');
  return join(homeDir(env), '.local', 'share', 'accessctl');
}

/**
 * The home directory the default store lives under. An empty or relative HOME would put the
 * store under whatever directory the command runs in: two directories, two stores.
 */
export function homeDir(env: Record<string, string | undefined>): string {
  const home = env.HOME ?? homedir();
  if (!isAbsolute(home)) {
    throw new StoreError(
      home === '' ? 'HOME is empty: there is no default store location' : `HOME is not an absolute path (${JSON.stringify(home.slice(0, 80))}): there is no default store location`,
      'set HOME, or ACCESSCTL_HOME, or pass --db FILE',
    );
  }
  return home;
}
