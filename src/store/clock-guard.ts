import { UsageError } from '../domain/errors.js';
import { formatTimestamp } from '../domain/time.js';
import { confirmIndexed } from './index-guard.js';
import type { Db } from './tables.js';

/**
 * The clock rule (SPEC section 2): a write under a clock override (ACCESSCTL_NOW) is refused
 * unless the store opted in with `clock.allowOverride = true`. Read inside the mutation's own
 * transaction, so the answer and the write see the same setting.
 */
export async function refuseOverrideUnlessAllowed(db: Db, now: number): Promise<void> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', 'clock.allowOverride').executeTakeFirst();
  if (row?.value !== 'true') throw clockOverrideRefused(now);
  await confirmIndexed(db, 'settings', 'key', 'clock.allowOverride');
}

export function clockOverrideRefused(now: number): UsageError {
  return new UsageError(
    `the clock is overridden to ${formatTimestamp(now)} (ACCESSCTL_NOW) and this store refuses writes under an override`,
    'unset ACCESSCTL_NOW to change the store; reads may keep it as a what-if; a test or sandbox store opts in with "accessctl config set clock.allowOverride true"',
  );
}

/** The same setting read on a SQLite handle, before a migration (no transaction of a mutation yet). */
export function sqliteAllowsOverride(sqlite: { prepare(sql: string): { get(...args: unknown[]): unknown } }): boolean {
  try {
    const row = sqlite.prepare("select value from settings where key = 'clock.allowOverride'").get() as { value?: string } | undefined;
    return row?.value === 'true';
  } catch {
    return false;
  }
}
