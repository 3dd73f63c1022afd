import { prepareBulkWrite } from '../../../store/store.js';
import { mutate } from '../../../store/mutate.js';
import { syncUsers, type SyncChange, type SyncCounts } from '../../../store/user-sync.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { meta } from '../shared.js';
import { collectUserRows, newUser, parseLayout, type LayoutFlags } from './user-rows.js';

export const DEFAULT_MAX_DISABLE = 10;

/**
 * `user sync`: the file is the whole directory (SPEC section 14). One transaction; every bad line
 * reported before anything is written; a second run of the same file changes nothing.
 */
export async function runUserSync(file: string, opts: LayoutFlags & { dryRun?: boolean | undefined; maxDisable?: number | undefined }, ctx: Ctx): Promise<Output> {
  const rows = await collectUserRows(ctx, file, parseLayout(opts), 'ACTIVE');
  const dryRun = Boolean(opts.dryRun);
  const changes: SyncChange[] = [];
  let counts: SyncCounts;
  try {
    const options = (now: number) => ({
      maxDisable: opts.maxDisable ?? DEFAULT_MAX_DISABLE,
      fileSha256: rows.sha256,
      newUser,
      newId: () => ctx.ids.id('user'),
      now,
    });
    if (dryRun) counts = await syncUsers(ctx.store().db, null, rows, options(ctx.clock.now()), (c) => changes.push(c));
    else {
      prepareBulkWrite(ctx.store());
      counts = await mutate(ctx.store().db, meta(ctx), (tx) => {
        changes.length = 0;
        return syncUsers(tx.db, tx, rows, options(tx.now), (c) => changes.push(c));
      });
    }
  } finally {
    rows.cleanup();
  }
  const unchanged = rows.count - counts.created - counts.updated;
  const prefix = dryRun ? 'dry run, nothing changed: would create' : 'created';
  const verbs = dryRun ? ['update', 'disable'] : ['updated', 'disabled'];
  ctx.note(`${prefix} ${counts.created}, ${verbs[0]} ${counts.updated}, ${verbs[1]} ${counts.disabled}, unchanged ${unchanged} (${rows.count} rows, file sha256 ${rows.sha256.slice(0, 12)})`);
  return { kind: 'importChange', records: changes as unknown as Output['records'] };
}
