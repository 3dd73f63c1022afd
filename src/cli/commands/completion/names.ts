import { existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolveStoreLocation } from '../../../store/location.js';
import { openStore } from '../../../store/open.js';
import type { ObjectKind } from './tree.js';

const LIMIT = 500;

/**
 * Names of stored objects for completion, from the store the command line names (`-s`, `--db`,
 * or the environment's). Only reads: a store that does not exist is not created (no names), a
 * PostgreSQL store is not asked (a TAB must not wait on the network), and any failure means no
 * names rather than an error under the user's cursor.
 */
export async function objectNames(of: ObjectKind, store: { session?: string; db?: string }, env: Record<string, string | undefined>): Promise<string[]> {
  try {
    const location = resolveStoreLocation(store.db !== undefined && store.session !== undefined ? { db: store.db } : store, env);
    if (of === 'session') {
      // Sessions are the stores beside the default one: NAME.db in the store directory.
      if (location.url !== undefined || !location.managedDir) return [];
      const dir = dirname(location.path);
      return existsSync(dir) ? readdirSync(dir).filter((f) => /^[A-Za-z0-9._-]+\.db$/.test(f)).map((f) => f.slice(0, -3)).sort() : [];
    }
    if (location.url !== undefined || !existsSync(location.path)) return [];
    const opened = openStore({ ...location, create: false });
    try {
      const db = opened.db;
      const rows =
        of === 'user'
          ? await db.selectFrom('users').select('email as name').orderBy('email_key').limit(LIMIT).execute()
          : of === 'key'
            ? await db.selectFrom('service_keys').select('name').distinct().orderBy('name').limit(LIMIT).execute()
            : await db
                .selectFrom(of === 'resource' ? 'resources' : of === 'group' ? 'groups' : 'services')
                .select('name')
                .orderBy('name_key')
                .limit(LIMIT)
                .execute();
      return rows.map((r) => r.name);
    } finally {
      await opened.close();
    }
  } catch {
    return [];
  }
}
