import BetterSqlite3 from 'better-sqlite3';
import { StoreError, UsageError } from '../../../domain/errors.js';
import { clockOverrideRefused, sqliteAllowsOverride } from '../../../store/clock-guard.js';
import { openStore } from '../../../store/open.js';
import { nativeBinding } from '../../../store/sqlite/native-addon.js';
import { storeCheckRecords } from './run.js';
import { restoreSqliteStore } from '../../../store/sqlite/restore.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';

/**
 * `db restore FILE`: the backup put in place (the old store, -wal and -shm renamed aside), then
 * opened as any command opens a store and checked: integrity, foreign keys, schema version.
 */
export async function runDbRestore(file: string, ctx: Ctx): Promise<Output> {
  const location = ctx.globals().location;
  if (location.url !== undefined) {
    throw new UsageError(`db restore puts a SQLite file in place; ${location.path} is a PostgreSQL database`, 'use pg_restore with a pg_dump backup, e.g. pg_restore --clean --dbname URL accessctl.dump');
  }
  // Putting a store in place is a write: under a clock override, only over a store that opted in.
  if (ctx.clock.overridden && !existingStoreAllowsOverride(location.path)) throw clockOverrideRefused(ctx.clock.now());
  const stamp = new Date(ctx.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const restored = await restoreSqliteStore(file, location.path, { managedDir: location.managedDir, stamp, driver: nativeBinding(), verify: (copy) => verifyCopy(copy, file, ctx) });
  const checks = await ctx.store().checks();
  const detail = restored.previous === null ? `${file} put in place` : `${file} put in place; the previous store is ${restored.previous}${restored.moved.length > 1 ? ' (its -wal and -shm beside it)' : ''}`;
  const records = [{ check: 'restore', ok: true, detail }, ...checks.map((c) => ({ ...c }))];
  const failed = records.filter((r) => !r.ok).map((r) => r.check);
  return { kind: 'dbCheck', records, after: failed.length > 0 ? new StoreError(`restored store failed: ${failed.join(', ')}`, 'restore another backup') : undefined };
}

/**
 * The copy, before it is put in place, judged as `db check` judges a store: its audit chain, and
 * the state its log replays to against its tables. A backup whose rows disagree with its own log
 * (a planted membership, a rewritten chain) is refused, and the store stays where it was. A
 * backup of an older schema has no snapshot to replay from until it is migrated: its chain is
 * still verified.
 */
async function verifyCopy(copy: string, file: string, ctx: Ctx): Promise<void> {
  const store = openStore({ path: copy, managedDir: false, access: 'read' });
  try {
    const { records, older } = await storeCheckRecords(store, ctx.clock.now());
    const failed = records.filter((r) => !r.ok && !(older && r.check === 'replay' && r.detail.startsWith('not run')));
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new StoreError(`backup ${file} disagrees with its own audit log (${first.check}: ${first.detail}${failed.length > 1 ? `; ${failed.length - 1} more` : ''})`, 'nothing was moved; restore another backup, or run accessctl --db FILE db check on it for every finding');
    }
  } finally {
    await store.close();
  }
}

function existingStoreAllowsOverride(path: string): boolean {
  let db: BetterSqlite3.Database | null = null;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, ...nativeBinding() });
    return sqliteAllowsOverride(db);
  } catch {
    return false;
  } finally {
    db?.close();
  }
}
