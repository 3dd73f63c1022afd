import type { ClientConfig } from 'pg';
import { StoreError } from '../../domain/errors.js';

/**
 * PostgreSQL's driver (pg, pg-cursor, pg-connection-string, pgpass), loaded on a PostgreSQL
 * store's first query only: a bundled chunk of its own in the build (dist/pg.cjs).
 */
export interface PgModules {
  pg: typeof import('pg');
  Cursor: typeof import('pg-cursor');
  parse: (url: string) => ClientConfig;
  pgpass: (conn: object, cb: (pass: string | undefined) => void) => void;
}

/** pg is loaded on first use only: a SQLite command never pays for it. */
export async function loadPg(): Promise<PgModules> {
  let pgModule: { default?: typeof import('pg') } & typeof import('pg');
  try {
    pgModule = await withNavigator(async () => (await import('pg')) as unknown as { default?: typeof import('pg') } & typeof import('pg'));
  } catch (err) {
    // The driver ships inside accessctl (dist/pg.cjs): this is a broken install, not a server's fault.
    throw new StoreError(`cannot load accessctl's PostgreSQL driver: ${err instanceof Error ? err.message : String(err)}`, 'reinstall accessctl: npm install, or npm run build in a checkout');
  }
  const cursorModule = (await import('pg-cursor')) as unknown as { default?: typeof import('pg-cursor') } & typeof import('pg-cursor');
  const pg = pgModule.default ?? pgModule;
  // int8 (count(*), BIGINT times) arrives as text by default; every value we store is a safe integer.
  pg.types.setTypeParser(20, (text: string) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new StoreError(`value ${text} is outside the safe integer range`, 'the store holds a value accessctl never writes');
    return n;
  });
  const csModule = (await import('pg-connection-string')) as unknown as { default?: { parseIntoClientConfig: PgModules['parse'] }; parseIntoClientConfig: PgModules['parse'] };
  const passModule = (await import('pgpass')) as unknown as { default?: PgPassModule } & PgPassModule;
  const pgpass = passModule.default ?? passModule;
  // Its warnings (a world-readable ~/.pgpass) would reach stderr; the file is simply not used then.
  pgpass.warnTo(null);
  return { pg, Cursor: cursorModule.default ?? cursorModule, parse: (csModule.default ?? csModule).parseIntoClientConfig, pgpass };
}

type PgPassModule = PgModules['pgpass'] & { warnTo(stream: unknown): unknown };

/**
 * pg asks, as it loads, whether it runs in a Cloudflare Worker: by `navigator.userAgent` where
 * there is a navigator, else by making a fetch Response, which on Node 20 (no navigator) loads
 * Node's whole fetch implementation, about a fifth of a PostgreSQL call's time. A navigator that
 * says Node.js stands in while pg loads, and is taken away again.
 */
async function withNavigator<T>(load: () => Promise<T>): Promise<T> {
  if ('navigator' in globalThis) return load();
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Node.js' }, configurable: true, writable: true });
  try {
    return await load();
  } finally {
    delete (globalThis as { navigator?: unknown }).navigator;
  }
}

/**
 * Asked only when the server wants a password. None to be had is a refused login, as libpq says;
 * the connection is closed first, or the driver would leave it open and the process waiting.
 */
export function passwordFromPgpass(m: PgModules, base: ClientConfig): () => Promise<string> {
  return async function (this: { connection?: { stream?: { destroy(): void } } }) {
    const found = await lookupPgpass(m, base);
    if (found !== undefined) return found;
    this.connection?.stream?.destroy();
    throw Object.assign(new Error('no password supplied'), { code: '28P01' });
  };
}

/** ~/.pgpass (or PGPASSFILE) for this host, port, database and user, as libpq reads it. */
function lookupPgpass(m: PgModules, base: ClientConfig): Promise<string | undefined> {
  const info = { host: base.host ?? 'localhost', port: base.port ?? 5432, database: base.database, user: base.user ?? process.env.PGUSER ?? process.env.USER };
  return new Promise((resolve) => m.pgpass(info, (pass) => resolve(pass)));
}
