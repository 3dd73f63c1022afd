import { StoreError } from '../../domain/errors.js';

/** `postgres://` or `postgresql://`: the store is a shared PostgreSQL database, not a file. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/** Parameters that carry a secret: password, sslpassword, and any other pass/secret/token. */
const SECRET_PARAM = /pass|secret|token|credential/i;

/**
 * The URL with its password replaced by `***`: the only form of it that is ever printed (db path,
 * errors, debug output). A URL that cannot be parsed is shown as its scheme alone.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${text.slice(0, text.indexOf('://') + 3)}…`;
  }
  if (url.password !== '') url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString().replaceAll('%2A%2A%2A', '***');
}

/** Checks the URL names a host and a database: `postgres://` alone is a store that cannot be found (exit 6). */
export function checkPostgresUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StoreError(`invalid PostgreSQL URL ${JSON.stringify(redactUrl(text))}`, 'use postgres://user@host:5432/dbname');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const socket = url.searchParams.get('host');
  if (database === '' || (url.hostname === '' && !socket)) {
    throw new StoreError(`PostgreSQL URL ${JSON.stringify(redactUrl(text))} names no host or database`, 'use postgres://user@host:5432/dbname');
  }
}
