import { BUSY_TIMEOUT_MS } from './sqlite/errors.js';
import type { Store } from './store.js';
import { touchLastUsed } from './keys.js';

export const LAST_USED_RESOLUTION_MS = 60_000;

/** Stores where a lastUsedAt write was refused as read-only or not permitted: not tried again. */
const readOnlyStores = new WeakSet<Store>();

/**
 * Records that a key was used, best-effort (SPEC section 2, "Telemetry never blocks"): its own
 * IMMEDIATE transaction with a busy timeout of 0, so a gate's check never waits behind a long
 * import. If the write lock is taken, or the store cannot be written (a read-only gate account),
 * the write is skipped: a good token stays good. At most once a minute per key, also when several
 * gates race. Returns whether it was written.
 */
export async function recordKeyUse(store: Store, keyId: string, now: number): Promise<boolean> {
  // PostgreSQL: the row is skipped if a writer holds it (SKIP LOCKED), so nothing waits there either.
  if (store.sqlite === undefined) {
    if (readOnlyStores.has(store)) return false;
    try {
      await touchLastUsed(store.db, keyId, now);
      return true;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      // A read-only server (a hot standby) stays one for this process: each further attempt would
      // only log an error pair on the server, so none is made.
      if (code === '25006' || code === '42501') readOnlyStores.add(store);
      // A read-only gate role (insufficient privilege) or a lock timeout skips the write.
      if (['42501', '55P03', '25006'].includes(code)) return false;
      throw err;
    }
  }
  // A read opened the store read-only: the write goes through a second handle, if the file can be written.
  if (store.sqlite.readonly) {
    const writer = store.writable?.() ?? null;
    if (writer === null) return false;
    try {
      const r = writer
        .prepare('update service_keys set last_used_at = ? where id = ? and (last_used_at is null or last_used_at <= ?)')
        .run(now, keyId, now - LAST_USED_RESOLUTION_MS);
      return r.changes > 0;
    } catch (err) {
      if (skippable(err)) return false;
      throw err;
    }
  }
  store.sqlite.pragma('busy_timeout = 0');
  try {
    await store.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('service_keys')
        .set({ last_used_at: now })
        .where('id', '=', keyId)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - LAST_USED_RESOLUTION_MS)]))
        .execute();
    });
    return true;
  } catch (err) {
    if (skippable(err)) return false;
    throw err;
  } finally {
    store.sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

/** Lock, permission and space problems skip telemetry; a corrupt or foreign file is still an error. */
function skippable(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  if (!code.startsWith('SQLITE_')) return false;
  return !/^SQLITE_(CORRUPT|NOTADB)/.test(code);
}
