import { StoreError, UsageError } from '../../../domain/errors.js';
import { nativeBinding } from '../../../store/connection.js';
import { restoreSqliteStore } from '../../../store/restore.js';
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
  const stamp = new Date(ctx.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const restored = restoreSqliteStore(file, location.path, { managedDir: location.managedDir, stamp, driver: nativeBinding() });
  const checks = await ctx.store().checks();
  const detail = restored.previous === null ? `${file} put in place` : `${file} put in place; the previous store is ${restored.previous}${restored.moved.length > 1 ? ' (its -wal and -shm beside it)' : ''}`;
  const records = [{ check: 'restore', ok: true, detail }, ...checks.map((c) => ({ ...c }))];
  const failed = records.filter((r) => !r.ok).map((r) => r.check);
  return { kind: 'dbCheck', records, after: failed.length > 0 ? new StoreError(`restored store failed: ${failed.join(', ')}`, 'restore another backup') : undefined };
}
