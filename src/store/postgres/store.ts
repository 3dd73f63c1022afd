import { createHash } from 'node:crypto';
import { UsageError } from '../../domain/errors.js';
import type { Store, StoreCheck } from '../store.js';
import { openPostgresStore, type CreatePolicy } from './connection.js';
import { PG_LATEST_VERSION } from './schema.js';
import { pgSchemaChecks } from './schema-digest.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
import { excessPrivileges } from './grants.js';

/** A postgres:// store behind the same Store as a SQLite file; nothing connects before connect(). */
export function openPostgres(url: string, policy: CreatePolicy): Store {
  const pg = openPostgresStore(url, policy);
  return {
    path: pg.path,
    dialect: 'postgres',
    db: pg.db,
    connect: () => pg.connect(),
    init: () => pg.init(),
    async checks(): Promise<StoreCheck[]> {
      const version = await pg.version();
      const missing = await pg.missingTables();
      const objects = version === null ? [] : pgSchemaChecks(await pg.catalog(), version, sha256);
      const excess = missing.includes('audit_events') ? [] : await excessPrivileges(pg.db);
      return [
        // Pages and indexes are the server's to keep sound (data checksums, WAL, amcheck).
        { check: 'integrity', ok: true, detail: 'kept by the PostgreSQL server (use pg_amcheck for pages and indexes)' },
        { check: 'foreignKeys', ok: true, detail: 'enforced by PostgreSQL' },
        {
          check: 'schema',
          ok: version === PG_LATEST_VERSION && missing.length === 0,
          detail: missing.length === 0 ? `version ${version}` : `version ${version}; missing table(s): ${missing.join(', ')}`,
        },
        ...objects,
        // SPEC section 11: only the owner may rewrite the log or add objects (accessctl db grant).
        {
          check: 'privileges',
          ok: excess.length === 0,
          detail: excess.length === 0 ? 'no role but the owner can change the audit log or the schema' : excess.map((f) => `role ${f.role} ${f.what}`).join('; '),
        },
      ];
    },
    async backup() {
      throw new UsageError(
        `db backup copies SQLite files; ${pg.path} is a PostgreSQL database`,
        `use pg_dump, e.g. pg_dump --format=custom --file accessctl.dump '${pg.path}'`,
      );
    },
    close: () => pg.close(),
  };
}
